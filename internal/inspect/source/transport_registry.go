package source

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// registryBackoff spaces the retries of a registry request that failed in
// a way worth retrying (a network error, an answer of
// registryRetryStatusCodes without a Retry-After): three tries, 1 s then
// 3 s apart (go-containerregistry's default, stated here so that tests can
// shorten it).
var registryBackoff = remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 3}

// openRegistry opens REF from its registry. ref is what the user wrote.
func openRegistry(ctx context.Context, ref, rest string, opts OpenOptions) (*Source, error) {
	want, explicit, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, refErr(ref, err)
	}
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(rest, nameOpts...)
	if err != nil {
		return nil, refErrf(ref, "invalid image reference: %w", err)
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent("slimpy"),
		// Network errors are retried by go-containerregistry, answers
		// that say "later" by RegistryTransport (with Retry-After).
		remote.WithRetryBackoff(registryBackoff),
		remote.WithRetryStatusCodes(),
		remote.WithTransport(RegistryTransport(opts.Registry, opts.Insecure)),
	}

	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, registryError(ref, r, err)
	}
	src := &Source{Reference: ref, Transport: TransportRegistry, Name: rest, RawCompressed: true}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, registryError(ref, r, err)
		}
		img, err := pickFromIndex(ref, idx, want)
		if err != nil {
			var re *refError
			if errors.As(err, &re) {
				return nil, registryError(ref, r, re.err)
			}
			return nil, err
		}
		src.Image = img
		cfg, err := configOf(img)
		if err != nil {
			return nil, registryError(ref, r, err)
		}
		src.Platform = formatPlatform(configPlatform(cfg))
	case desc.MediaType.IsImage():
		rimg, err := desc.Image()
		if err != nil {
			return nil, registryError(ref, r, err)
		}
		img := guardImage(rimg)
		src.Image = img
		if src.Platform, err = checkSinglePlatform(ref, img, want, explicit); err != nil {
			var re *refError
			if errors.As(err, &re) {
				return nil, registryError(ref, r, re.err)
			}
			return nil, err
		}
	default:
		return nil, refErrf(ref, "not an image: the registry returned a %s manifest", desc.MediaType)
	}
	return src, nil
}

// registryError turns a go-containerregistry error into one line that
// says what went wrong: authentication, permission, absence, or the network.
func registryError(ref string, r name.Reference, err error) error {
	if strings.Contains(err.Error(), "timeout awaiting response headers") {
		return refErrf(ref, "the registry %s took the request and did not answer in time (registry.response-header-timeout): %w", r.Context().RegistryStr(), err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return refErr(ref, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		detail := TransportDetail(te)
		codes := map[transport.ErrorCode]bool{}
		for _, d := range te.Errors {
			codes[d.Code] = true
		}
		switch {
		case te.StatusCode == http.StatusUnauthorized || codes[transport.UnauthorizedErrorCode]:
			return refErrf(ref, "authentication required (%d): %s", te.StatusCode, detail)
		case te.StatusCode == http.StatusForbidden || codes[transport.DeniedErrorCode]:
			return refErrf(ref, "access denied (%d): %s", te.StatusCode, detail)
		case te.StatusCode == http.StatusNotFound || codes[transport.ManifestUnknownErrorCode] || codes[transport.NameUnknownErrorCode]:
			return refErrf(ref, "not found (%d): %s", te.StatusCode, detail)
		case te.StatusCode == http.StatusTooManyRequests || codes[transport.TooManyRequestsErrorCode]:
			return refErrf(ref, "rate limited by the registry (%d): %s", te.StatusCode, detail)
		default:
			return refErrf(ref, "registry error (%d): %s", te.StatusCode, detail)
		}
	}
	var (
		rae *RetryAfterError
		mle *MetadataLimitError
	)
	switch {
	case errors.As(err, &rae):
		return refErrf(ref, "rate limited by the registry: %w", rae)
	case errors.As(err, &mle):
		return refErr(ref, mle)
	}
	host := r.Context().RegistryStr()
	msg := err.Error()
	var (
		ue *url.Error
		ne net.Error
	)
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return refErrf(ref, "the registry %s speaks plain HTTP; allow it with --insecure: %w", host, err)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return refErrf(ref, "TLS error talking to the registry %s (--insecure skips verification): %w", host, err)
	case errors.As(err, &ue), errors.As(err, &ne):
		return refErrf(ref, "cannot reach the registry %s: %w", host, err)
	}
	return refErr(ref, err)
}

// TransportDetail is the registry's own words, without the request URL
// when the registry sent structured errors.
func TransportDetail(te *transport.Error) string {
	var parts []string
	for _, d := range te.Errors {
		s := string(d.Code)
		if d.Message != "" {
			s += ": " + d.Message
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return textsafe.OneLine(te.Error())
	}
	return textsafe.OneLine(strings.Join(parts, "; "))
}
