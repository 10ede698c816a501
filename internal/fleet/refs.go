package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxReferences bounds the references ReadReferences takes from one file.
const MaxReferences = 100000

// maxReferenceLine bounds one line of a references file: a reference is at
// most a few hundred characters (a 255-character host and path, a
// 128-character tag, a digest).
const maxReferenceLine = 4096

// ReadReferences reads `--file F`: one image reference a line, blanks
// around it ignored, blank lines and lines starting with # skipped. A line
// longer than 4096 bytes, a reference with a blank inside or more than
// MaxReferences references is an error naming the line.
func ReadReferences(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxReferenceLine)
	var refs []string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("line %d: %q is not one image reference", n, line)
		}
		if len(refs) == MaxReferences {
			return nil, fmt.Errorf("line %d: more than %d image references", n, MaxReferences)
		}
		refs = append(refs, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line longer than %d bytes is no image reference", maxReferenceLine)
		}
		return nil, err
	}
	return refs, nil
}
