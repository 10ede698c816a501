package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// refreshFlags ask the image's own package sources what is newer
// (docs/refresh.md).
type refreshFlags struct {
	on          bool
	offline     bool
	ttl         time.Duration
	aptMirror   string
	apkMirror   string
	pythonIndex string
}

func (r *refreshFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&r.on, "refresh", false, "ask the image's own package sources (apt, Alpine, its Python index) what is newer today: findings SP407-SP409 (also `refresh: true` in the config)")
	fl.BoolVar(&r.offline, "offline", false, "with --refresh: open no connection, use only cached answers")
	fl.DurationVar(&r.ttl, "refresh-ttl", refresh.DefaultTTL, "with --refresh: how long a cached answer is used without asking again")
	fl.StringVar(&r.aptMirror, "apt-mirror", "", "with --refresh: ask this URL instead of the host of every apt source (a mirror)")
	fl.StringVar(&r.apkMirror, "apk-mirror", "", "with --refresh: ask this URL instead of the host of every Alpine repository")
	fl.StringVar(&r.pythonIndex, "python-index", "", "with --refresh: the Python index to ask instead of the image's (PIP_INDEX_URL, pip.conf; default "+refresh.DefaultPythonIndex+")")
}

// options are the refresh's options, nil when no refresh was asked for
// (by a flag or the config's refresh: key). The answers are cached beside
// the layer cache, unless --no-cache.
func (r *refreshFlags) options(cmd *cobra.Command, settings inspect.SourceSettings, cacheDir string, noCache bool) (*refresh.Options, error) {
	fl := cmd.Flags()
	on := r.on || settings.Refresh && !fl.Changed("refresh")
	for _, name := range []string{"offline", "refresh-ttl", "apt-mirror", "apk-mirror", "python-index"} {
		if fl.Changed(name) && !on {
			return nil, fmt.Errorf("--%s goes with --refresh", name)
		}
	}
	if !on {
		return nil, nil
	}
	if r.ttl <= 0 {
		return nil, fmt.Errorf("--refresh-ttl %s: give a positive duration, like 24h", r.ttl)
	}
	for _, u := range []struct{ flag, value string }{{"apt-mirror", r.aptMirror}, {"apk-mirror", r.apkMirror}, {"python-index", r.pythonIndex}} {
		if u.value == "" {
			continue
		}
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("--%s %q: give an http or https URL", u.flag, u.value)
		}
	}
	return r.refreshOptions(cacheDir, noCache), nil
}

// refreshOptions are the refresh's options from the flags as they are.
func (r *refreshFlags) refreshOptions(cacheDir string, noCache bool) *refresh.Options {
	opts := &refresh.Options{TTL: r.ttl, Offline: r.offline, AptMirror: r.aptMirror, ApkMirror: r.apkMirror, PythonIndex: r.pythonIndex}
	if !noCache && cacheDir != "" {
		opts.CacheDir = filepath.Clean(cacheDir)
	}
	return opts
}
