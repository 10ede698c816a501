package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RegistryOptions bound how long slimpy waits on a registry. A zero field
// takes its default; `.slimpy.yaml`'s registry: section sets them
// (docs/configuration.md).
type RegistryOptions struct {
	// ConnectTimeout bounds a TCP connect, and a TLS handshake. Default 30s.
	ConnectTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a response's headers once
	// the request is sent: a server that accepts and never answers. Default 60s.
	ResponseHeaderTimeout time.Duration
	// IdleTimeout ends a connection on which nothing arrives (or leaves)
	// for so long: a server that stalls after the headers or in the
	// middle of a blob. Default 60s.
	IdleTimeout time.Duration
	// MaxRetryAfter is the longest Retry-After (429, 503) slimpy waits
	// before it tries again; a registry that asks for longer gets an
	// error instead. Default 60s.
	MaxRetryAfter time.Duration
}

// DefaultRegistryOptions are the bounds without a configuration.
var DefaultRegistryOptions = RegistryOptions{
	ConnectTimeout:        30 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	IdleTimeout:           60 * time.Second,
	MaxRetryAfter:         60 * time.Second,
}

func (o RegistryOptions) withDefaults() RegistryOptions {
	d := DefaultRegistryOptions
	if o.ConnectTimeout > 0 {
		d.ConnectTimeout = o.ConnectTimeout
	}
	if o.ResponseHeaderTimeout > 0 {
		d.ResponseHeaderTimeout = o.ResponseHeaderTimeout
	}
	if o.IdleTimeout > 0 {
		d.IdleTimeout = o.IdleTimeout
	}
	if o.MaxRetryAfter > 0 {
		d.MaxRetryAfter = o.MaxRetryAfter
	}
	return d
}

// maxRedirects is net/http's own bound: go-containerregistry replaces the
// client's redirect check with one that has none.
const maxRedirects = 10

// RegistryTransport is the transport under go-containerregistry's own
// layers (authentication, retries of network errors): timeouts on every
// connection, a bound on redirects, the retries of answers that say "try
// again later" (honouring Retry-After), and manifests and pages of tags
// bounded as they are read. For every request slimpy makes of a registry.
func RegistryTransport(o RegistryOptions, insecure bool) http.RoundTripper {
	o = o.withDefaults()
	t := remote.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: c, idle: o.IdleTimeout}, nil
	}
	t.TLSHandshakeTimeout = o.ConnectTimeout
	t.ResponseHeaderTimeout = o.ResponseHeaderTimeout
	if insecure {
		// Like crane --insecure and skopeo --tls-verify=false: plain HTTP
		// and unverified certificates are both allowed.
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	return &registryRoundTripper{inner: t, opts: o}
}

// idleConn ends a read or a write that waits longer than idle.
type idleConn struct {
	net.Conn
	idle time.Duration
}

// idleError is what a connection that went quiet returns.
type idleError struct{ idle time.Duration }

func (e *idleError) Error() string {
	return fmt.Sprintf("nothing from the registry for %s (registry.idle-timeout)", e.idle)
}
func (e *idleError) Timeout() bool   { return true }
func (e *idleError) Temporary() bool { return true }

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Read(b)
	return n, c.wrap(err)
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Write(b)
	return n, c.wrap(err)
}

func (c *idleConn) wrap(err error) error {
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return &idleError{idle: c.idle}
	}
	return err
}

// registryRetryStatusCodes are the answers that say "try again later":
// timeouts, rate limiting (429) and server errors. 401, 403 and 404 are
// answers: retrying them only delays a clear error.
var registryRetryStatusCodes = map[int]bool{
	http.StatusRequestTimeout: true, http.StatusTooManyRequests: true, http.StatusInternalServerError: true,
	http.StatusBadGateway: true, http.StatusServiceUnavailable: true, http.StatusGatewayTimeout: true,
}

// registrySleep waits d or until ctx ends; tests replace it.
var registrySleep = func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetRegistryWaits makes the registry transport wait first before its
// first retry (the later waits grow from it as they do) and wait by
// calling sleep, until restore is called; a zero first or a nil sleep
// keeps what is. For tests of failing and slow registries (internal/inspect
// reads their layers), which must not wait seconds.
func SetRegistryWaits(first time.Duration, sleep func(context.Context, time.Duration) error) (restore func()) {
	oldBackoff, oldSleep := registryBackoff, registrySleep
	if first > 0 {
		registryBackoff.Duration = first
	}
	if sleep != nil {
		registrySleep = sleep
	}
	return func() { registryBackoff, registrySleep = oldBackoff, oldSleep }
}

type registryRoundTripper struct {
	inner http.RoundTripper
	opts  RegistryOptions
}

// RetryAfterError is the error of a request whose registry asked to wait
// longer than MaxRetryAfter.
type RetryAfterError struct {
	status     int
	after, max time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("the registry answered %d and asks to try again in %s, longer than slimpy waits (%s, registry.max-retry-after)", e.status, e.after, e.max)
}

func (r *registryRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	hops := 0
	for resp := req.Response; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		hops++
	}
	if hops > maxRedirects {
		return nil, fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	for attempt := 0; ; attempt++ {
		resp, err := r.inner.RoundTrip(req)
		if err != nil {
			return nil, err // network errors: go-containerregistry retries them
		}
		if !registryRetryStatusCodes[resp.StatusCode] || attempt+1 >= registryBackoff.Steps || !replayable(req) {
			return boundMetadata(req, resp)
		}
		wait := backoffStep(attempt)
		if after, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if after > r.opts.MaxRetryAfter {
				discard(resp)
				return nil, &RetryAfterError{status: resp.StatusCode, after: after, max: r.opts.MaxRetryAfter}
			}
			wait = after
		}
		discard(resp)
		if err := registrySleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req.Body != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// replayable: a request without a body, or one whose body can be had again.
func replayable(req *http.Request) bool { return req.Body == nil || req.GetBody != nil }

// discard reads a little of a response that is not used, so that its
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// backoffStep is registryBackoff's wait before try attempt+2.
func backoffStep(attempt int) time.Duration {
	d := float64(registryBackoff.Duration)
	for i := 0; i < attempt; i++ {
		d *= registryBackoff.Factor
	}
	return time.Duration(d * (1 + registryBackoff.Jitter*rand.Float64()))
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// boundMetadata refuses, before it is read, a manifest of more than
// maxManifestBytes (go-containerregistry allows 100 MiB) or a page of a
// tag list of more than maxTagPageBytes (go-containerregistry reads it
// whole: a registry streaming one endless page took 10 GB in a minute),
// by its Content-Length or as it streams.
func boundMetadata(req *http.Request, resp *http.Response) (*http.Response, error) {
	if resp.StatusCode != http.StatusOK || req.Method != http.MethodGet {
		return resp, nil
	}
	var e MetadataLimitError
	switch {
	case strings.Contains(req.URL.Path, "/manifests/"):
		e = MetadataLimitError{what: "manifest", limit: maxManifestBytes}
	case strings.HasSuffix(req.URL.Path, "/tags/list"):
		e = MetadataLimitError{what: "page of tags", limit: maxTagPageBytes}
	default:
		return resp, nil
	}
	if resp.ContentLength > e.limit {
		discard(resp)
		e.size = resp.ContentLength
		return nil, &e
	}
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: e.limit, err: &e}
	return resp, nil
}

// MetadataLimitError is a manifest or a page of tags over its limit; size
// is 0 when it was not declared. Callers tell it apart to say "oversized"
// rather than "failed" (internal/remotecache).
type MetadataLimitError struct {
	what        string
	size, limit int64
}

func (e *MetadataLimitError) Error() string {
	if e.size > 0 {
		return fmt.Sprintf("the registry's %s is %s, more than the %s limit", e.what, humanize.IBytes(uint64(e.size)), humanize.IBytes(uint64(e.limit)))
	}
	return fmt.Sprintf("the registry's %s is more than the %s limit", e.what, humanize.IBytes(uint64(e.limit)))
}

// boundedBody fails a read past left bytes with err.
type boundedBody struct {
	io.ReadCloser
	left int64
	err  error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, b.err
	}
	return n, err
}
