package pipeline

import (
	"context"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/refresh"
)

// refresh asks the image's own package sources what is newer than what it
// holds: its apt sources and keyrings, Alpine repositories and pip
// configuration are read from the layers that store them, the installed
// packages from the inventories.
func (img *Image) refresh(ctx context.Context, opt refresh.Options) (*refresh.Result, error) {
	a := img.Analysis
	files := map[string][]byte{}
	err := inspect.ReadVisibleFiles(ctx, img.Source.Image, a.FS,
		func(n *fsview.Node) bool { return refresh.Wanted(n.Path) }, refresh.MaxFileBytes,
		func(paths []string, b []byte) {
			for _, p := range paths {
				files[p] = b
			}
		})
	if err != nil {
		return nil, err
	}
	in := refresh.Image{Files: files}
	for _, p := range a.Inventory.OS {
		ip := refresh.InstalledPackage{Name: p.Name, Version: p.Version, Arch: p.Arch}
		switch p.Manager {
		case "dpkg":
			in.Dpkg = append(in.Dpkg, ip)
		case "apk":
			in.Apk = append(in.Apk, ip)
		}
	}
	for _, d := range a.Inventory.Python {
		// The OS's own Python packages are apt's or apk's to update.
		if d.Installer != "debian" && d.Installer != "" {
			in.Python = append(in.Python, refresh.Distribution{Name: d.Name, Version: d.Version})
		}
	}
	if a.Config != nil {
		in.Env = a.Config.Config.Env
	}
	return refresh.Check(ctx, in, opt), nil
}
