package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// hostile is text an image controls, written to break a terminal (an OSC
// 52 clipboard write, a carriage return, a bidi override) and a markdown
// table (a pipe, a newline, markup).
const hostile = "evil\x1b]52;c;cm0gLXJmIH4=\x07 | **bold** <b>x</b>\r\n| forged | row |\u202e"

func TestRenderersEscapeWhatImagesControl(t *testing.T) {
	reg := registrytest.New(t)
	base := []fixtures.Step{
		fixtures.Layer("/bin/sh -c #(nop) ADD file:"+hostile+" in / ",
			fixtures.File("/etc/os-release", "ID=debian\nVERSION_ID=\"10\"\nPRETTY_NAME=\""+strings.ReplaceAll(hostile, "\n", " ")+"\"\n"),
			fixtures.File("/etc/debian_version", "10.13\n")),
		fleettest.PythonLayer("3.8", 3000),
	}
	base[1].CreatedBy = "RUN " + hostile // the bases' top layer
	var refs []string
	for i := 0; i < 2; i++ {
		steps := append(append([]fixtures.Step(nil), base...), fleettest.AppLayers("x", i)...)
		img, err := fixtures.BuildImage(fixtures.Image{Steps: steps}, false)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, fleettest.Push(t, fmt.Sprintf("%s/team/app-%d:v1", reg.Host, i), img))
	}
	failing := reg.Host + "/team/broken:v1"
	analyze := analyzer(t.TempDir())
	r, err := Run(context.Background(), append(refs, failing), func(ctx context.Context, ref string) (*inspect.Report, error) {
		if ref == failing {
			return nil, errors.New("the registry said: " + hostile) // an error body
		}
		return analyze(ctx, ref)
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Bases) != 1 || len(r.EndOfLife) == 0 || len(r.Failed) != 1 || !strings.Contains(r.Bases[0].TopLayer.CreatedBy, "\x1b") || !strings.Contains(r.EndOfLife[0].CreatedBy, "\x1b") {
		t.Fatalf("the hostile strings did not reach the report: %+v %+v", r.Bases, r.EndOfLife)
	}

	var text bytes.Buffer
	if err := WriteText(&text, &r); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text.String(), "\x1b\x07\r\u202e") {
		t.Errorf("raw control characters on the terminal:\n%q", text.String())
	}
	if !strings.Contains(text.String(), `evil\x1b]52;c;`) || strings.Contains(text.String(), "\n| forged") {
		t.Errorf("hostile text not shown escaped on one line:\n%s", text.String())
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, &r); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(md.String(), "\x1b\x07\r\u202e") || strings.Contains(md.String(), "**bold**") || strings.Contains(md.String(), "<b>") {
		t.Errorf("unescaped markup or controls in markdown:\n%s", md.String())
	}
	// Every row of a table has as many cell separators as its header.
	sep := regexp.MustCompile(`(^|[^\\])\|`)
	cols := 0
	for _, line := range strings.Split(md.String(), "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := len(sep.FindAllString(line, -1))
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("a row with %d separators in a table of %d: %s", n, cols, line)
		}
	}
}
