package refresh

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"
)

// problem is one warning line in the making: failures of one kind (all
// those of one unreachable host, all the cache misses offline) are counted
// into the first one's message.
type problem struct {
	msg    string
	count  int
	oldest time.Time // the oldest cached copy used instead of a fresh one
}

func (r *run) problem(key, msg string, stale time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.problems[key]
	if p == nil {
		p = &problem{msg: msg}
		r.problems[key] = p
	}
	p.count++
	if !stale.IsZero() && (p.oldest.IsZero() || stale.Before(p.oldest)) {
		p.oldest = stale
	}
}

// failed records that u could not be had.
func (r *run) failed(u string, err error) {
	var ne *netError
	switch {
	case errors.As(err, &ne):
		r.problem("net "+ne.host, ne.host+": "+ne.err.Error(), time.Time{})
	case errors.Is(err, errOffline):
		r.problem("offline", "offline: not in the cache", time.Time{})
	default:
		// One line per host and error: the same bad answer to many URLs
		// (the Python index's, one per distribution) is counted, not repeated.
		r.problem("url "+hostOf(u)+" "+err.Error(), u+": "+err.Error(), time.Time{})
	}
}

// used records a body read from the cache because a fresh copy could not
// be had.
func (r *run) used(b *body) {
	var ne *netError
	if b.stale == nil || !errors.As(b.stale, &ne) {
		return
	}
	r.problem("net "+ne.host, ne.host+": "+ne.err.Error(), b.fetched)
}

func (r *run) warnings() []string {
	var out []string
	for _, p := range r.problems {
		s := p.msg
		if p.count > 1 {
			s += fmt.Sprintf(" (%d requests)", p.count)
		}
		if !p.oldest.IsZero() {
			s += "; used the cached copies, the oldest fetched " + p.oldest.UTC().Format(time.RFC3339)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// hostOf is u's host, or u when it has none.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}
