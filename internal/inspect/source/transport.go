package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/slimpy/slimpy/internal/textsafe"
)

// Transport names, as in containers-transports(5): the values of
// Source.Transport.
const (
	TransportDaemon     = "docker-daemon"
	TransportArchive    = "docker-archive"
	TransportOCI        = "oci"
	TransportOCIArchive = "oci-archive"
	TransportRegistry   = "docker"
)

// supportedTransports is shown when a reference names an unknown transport.
const supportedTransports = "docker-daemon:NAME[:TAG], docker-archive:PATH[:NAME:TAG], oci:DIR[:TAG], oci-archive:PATH[:TAG], docker://REF, or a bare NAME[:TAG]"

// otherTransports are containers-transports names slimpy does not read.
var otherTransports = map[string]bool{
	"containers-storage": true, "dir": true, "ostree": true, "sif": true, "tarball": true,
	"http": true, "https": true, "docker-image": true, "registry": true,
}

var (
	transportRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	tagRE       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@.*)?$`)
	portPathRE  = regexp.MustCompile(`^[0-9]+/`) // "host:5000/repo"
)

// open dispatches a reference to its transport. Every error it returns
// is one line and starts with the reference.
func open(ctx context.Context, ref string, opts OpenOptions) (src *Source, err error) {
	defer func() {
		// A library bug must not take the whole program down: report it
		// as an ordinary error naming the reference.
		if r := recover(); r != nil {
			src, err = nil, refErr(ref, fmt.Errorf("internal error: %v", r))
		}
	}()
	if ctx == nil {
		ctx = context.Background()
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, errors.New("empty image reference; use " + supportedTransports)
	}
	if _, _, err := parsePlatform(opts.Platform); err != nil {
		return nil, refErr(ref, err)
	}

	if rest, ok := strings.CutPrefix(ref, "docker://"); ok {
		return openRegistry(ctx, ref, rest, opts)
	}
	prefix, rest, hasColon := strings.Cut(ref, ":")
	if hasColon {
		switch prefix {
		case TransportDaemon:
			return openDaemon(ctx, ref, rest, opts)
		case TransportArchive:
			path, tag := splitPathRef(rest)
			return openDockerArchive(ref, path, tag, opts)
		case TransportOCI:
			dir, tag := splitPathRef(rest)
			return openOCILayout(ctx, ref, dir, tag, opts)
		case TransportOCIArchive:
			path, tag := splitPathRef(rest)
			return openOCIArchive(ctx, ref, path, tag, opts)
		}
	}

	// A bare path: a docker save (or OCI) tarball, or an OCI layout directory.
	if fi, err := os.Stat(ref); err == nil {
		switch {
		case fi.Mode().IsRegular() && strings.HasSuffix(strings.ToLower(ref), ".tar"):
			return openBareArchive(ctx, ref, opts)
		case fi.IsDir() && isOCILayout(ref):
			return openOCILayout(ctx, ref, ref, "", opts)
		case looksLikePath(ref):
			return openOtherPath(ctx, ref, fi, opts)
		}
	}
	if hasColon && transportRE.MatchString(prefix) {
		// "alpine:3.20" is a name and a tag; "dir:/x" or "containers-storage:foo:1"
		// is a transport we do not read.
		if otherTransports[prefix] || strings.HasPrefix(rest, "//") ||
			(!tagRE.MatchString(rest) && !portPathRE.MatchString(rest)) {
			return nil, fmt.Errorf("%s: unsupported transport %q; use %s", textsafe.OneLine(ref), prefix, supportedTransports)
		}
	}
	if strings.HasSuffix(strings.ToLower(ref), ".tar") {
		return nil, refErr(ref, errors.New("no such file"))
	}
	return openBare(ctx, ref, opts)
}

// splitPathRef splits "PATH[:REF]" the way containers-transports does
// (at the first colon), except that a PATH which exists as written wins.
func splitPathRef(s string) (path, tag string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	path, tag, _ = strings.Cut(s, ":")
	return path, tag
}

// openBare tries the local engine first, then the registry.
func openBare(ctx context.Context, ref string, opts OpenOptions) (*Source, error) {
	src, daemonErr := openDaemonProbe(ctx, ref, ref, opts)
	if src != nil {
		return src, nil
	}
	src, err := openRegistry(ctx, ref, ref, opts)
	if err == nil {
		return src, nil
	}
	if daemonErr != nil {
		// Why the engine was passed over first (usually: it has no such
		// image), then why the registry failed (often a DNS error that
		// alone would hide the first).
		return nil, refErrf(ref, "%s; the registry: %s", reason(ref, daemonErr), reason(ref, err))
	}
	return nil, err
}

// reason is err's message without the reference it starts with.
func reason(ref string, err error) string {
	var re *refError
	if errors.As(err, &re) && re.ref == ref {
		return textsafe.OneLine(re.err.Error())
	}
	return textsafe.OneLine(err.Error())
}

// refError is a one-line error that starts with the reference.
type refError struct {
	ref string
	err error
}

func (e *refError) Error() string { return textsafe.OneLine(e.ref + ": " + e.err.Error()) }
func (e *refError) Unwrap() error { return e.err }

func refErr(ref string, err error) error {
	var re *refError
	if errors.As(err, &re) && re.ref == ref {
		return err
	}
	return &refError{ref: ref, err: err}
}

func refErrf(ref, format string, args ...any) error {
	return refErr(ref, fmt.Errorf(format, args...))
}
