package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/safefile"
)

// The files slimpy reads whole are regular files of at most these sizes
// (the README, below the exit codes): a named pipe or /dev/zero is refused, not waited on
// or read forever. The Dockerfile's and the build context's are
// internal/pipeline's, the baseline's is ci.MaxBaselineBytes.
const (
	maxConfigBytes = 1 << 20 // .slimpy.yaml
)

// configFile is --config, or .slimpy.yaml in the working directory when it
// exists, read once for every section that needs it.
type configFile struct {
	name string
	raw  []byte
}

func readConfig(path string) (configFile, error) {
	optional := path == ""
	if optional {
		path = inspect.ConfigFileName
	}
	raw, err := safefile.ReadRegular(path, maxConfigBytes)
	if optional && errors.Is(err, fs.ErrNotExist) {
		return configFile{name: path}, nil
	}
	if err != nil {
		return configFile{}, fmt.Errorf("config: %w", err)
	}
	return configFile{name: path, raw: raw}, nil
}

// rules is the config's rules section over the defaults.
func (c configFile) rules() (inspect.Config, error) {
	cfg, err := inspect.ParseConfig(c.raw)
	if err != nil {
		return cfg, fmt.Errorf("config: %s: %w", c.name, err)
	}
	return cfg, nil
}

// loadRulesConfig reads the rules config (--config, or .slimpy.yaml in the
// working directory when it exists).
func loadRulesConfig(path string) (inspect.Config, error) {
	c, err := readConfig(path)
	if err != nil {
		return inspect.Config{}, err
	}
	return c.rules()
}
