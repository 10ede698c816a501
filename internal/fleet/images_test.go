package fleet

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// The test fleet is fleettest's: tens of images on shared bases in a
// registry on 127.0.0.1.

// analyzer is the inspect pipeline as `slimpy scan` runs it: open the
// reference from the registry, InspectReport with the rules at
// fleettest.RulesNow, the layer cache in cacheDir.
func analyzer(cacheDir string) Analyzer {
	return func(ctx context.Context, ref string) (*inspect.Report, error) {
		src, err := source.Open(ctx, "docker://"+ref, source.OpenOptions{Insecure: true, Keychain: authn.NewMultiKeychain()})
		if err != nil {
			return nil, err
		}
		defer src.Close()
		rules := inspect.DefaultConfig()
		rules.Now = fleettest.RulesNow
		r, err := inspect.InspectReport(ctx, src, inspect.Options{CacheDir: cacheDir, Concurrency: 2}, &rules)
		if err != nil {
			return nil, err
		}
		return &r, nil
	}
}
