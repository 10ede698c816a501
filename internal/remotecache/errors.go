package remotecache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/slimpy/slimpy/internal/inspect/source"
)

// Kind classifies why a remote cache operation failed. Whatever the kind,
// the caller's answer is the same: warn (unless the kind is NotFound, an
// ordinary miss) and read the layer itself. The kinds let it word the
// warning and decide whether to say it once or every time.
type Kind int

const (
	// Failed: the registry answered with an error that is none of the
	// kinds below (a 5xx after the retries, a 400 for a name it refuses).
	Failed Kind = iota
	// Unreachable: no connection (DNS, refused connection, TLS handshake,
	// a reset). The cache is switched off for the rest of the run.
	Unreachable
	// Refused: the registry refused the credentials, or their lack (401,
	// 403). A refused read switches reads off for the run, a refused write
	// switches writes off (read-only credentials are normal in CI).
	Refused
	// NotFound: no artifact for this diffID and version: a miss.
	NotFound
	// Corrupt: the artifact's data blob does not match its digest or its
	// size (damaged or truncated), or the caller could not decode what it
	// holds (see Undecodable).
	Corrupt
	// Invalid: the tag holds something that is not slimpy's analysis of
	// this diffID and version (another artifact type, other annotations,
	// a data blob that is missing).
	Invalid
	// Oversized: the data is larger than Options.MaxSize; nothing larger
	// is downloaded or uploaded.
	Oversized
	// Timeout: the operation took longer than Options.Timeout. The cache
	// is switched off for the rest of the run.
	Timeout
)

var kindNames = [...]string{
	Failed: "failed", Unreachable: "unreachable", Refused: "refused", NotFound: "not found",
	Corrupt: "corrupt", Invalid: "invalid", Oversized: "oversized", Timeout: "timeout",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is every error Get, Put and Undecodable return, except the
// caller's own context ending (then ctx.Err() is returned as it is, so
// that Ctrl-C stops the run instead of becoming a warning).
type Error struct {
	Op     string // "get", "put" or "decode"
	Repo   string // the cache repository, as Options gave it
	DiffID string
	Kind   Kind
	// Repeat is set when the operation was not tried because an earlier
	// one of this run switched the cache off (Unreachable, Refused,
	// Timeout); Err is then that earlier error. A caller warns once.
	Repeat bool
	Err    error
}

// Error is one line: the repository, the operation, the layer, the kind
// and the cause (a registry's multi-line answer folded).
func (e *Error) Error() string {
	msg := fmt.Sprintf("remote cache %s: %s %s: %s", e.Repo, e.Op, shortDiffID(e.DiffID), e.Kind)
	if e.Repeat {
		msg += " (switched off earlier in this run)"
	}
	if e.Err != nil {
		msg += ": " + strings.Join(strings.Fields(e.Err.Error()), " ")
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, remotecache.ErrNotFound) and the like test the kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(kindError)
	return ok && Kind(k) == e.Kind
}

// kindError is the type of the Err* values: errors.Is matches an *Error of
// that kind.
type kindError Kind

func (k kindError) Error() string { return "remote cache: " + Kind(k).String() }

// Sentinels for errors.Is.
var (
	ErrFailed      error = kindError(Failed)
	ErrUnreachable error = kindError(Unreachable)
	ErrRefused     error = kindError(Refused)
	ErrNotFound    error = kindError(NotFound)
	ErrCorrupt     error = kindError(Corrupt)
	ErrInvalid     error = kindError(Invalid)
	ErrOversized   error = kindError(Oversized)
	ErrTimeout     error = kindError(Timeout)
)

// shortDiffID is "sha256:" and the first 12 hex digits: enough to find the
// layer in a report, short enough for a warning line.
func shortDiffID(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// classify turns what go-containerregistry or the network returned into a
// Kind. opCtx is the operation's context (the caller's, with the timeout).
func classify(opCtx context.Context, err error) Kind {
	if errors.Is(err, context.DeadlineExceeded) || opCtx.Err() != nil {
		return Timeout
	}
	if _, ok := errors.AsType[*source.MetadataLimitError](err); ok {
		return Oversized // a manifest over its limit, stopped as it streamed
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return Refused
		case te.StatusCode == http.StatusNotFound:
			return NotFound
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return Refused
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				return NotFound
			}
		}
		return Failed
	}
	// go-containerregistry's verifying reader (internal/verify) has no
	// exported error type; its messages start "error verifying".
	if strings.Contains(err.Error(), "error verifying") || errors.Is(err, io.ErrUnexpectedEOF) {
		return Corrupt
	}
	// Every failure of the HTTP client itself (DNS, connect, TLS, a reset)
	// is a *url.Error, which is a net.Error.
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return Timeout
		}
		return Unreachable
	}
	return Failed
}
