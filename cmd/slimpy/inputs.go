package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/safefile"
	"github.com/slimpy/slimpy/internal/suggest"
)

// The files slimpy reads whole are regular files of at most these sizes
// (the README, below the exit codes): a named pipe or /dev/zero is refused, not waited on
// or read forever. The baseline's limit is ci.MaxBaselineBytes.
const (
	maxDockerfileBytes  = suggest.MaxDockerfileSize // a real Dockerfile is a few KB
	maxConfigBytes      = 1 << 20                   // .slimpy.yaml
	maxContextFileBytes = 1 << 20                   // .dockerignore, read for the suggestions
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

// dockerfilePath is --dockerfile, else ./Dockerfile when one is there.
func dockerfilePath(flag string) string {
	if flag == "" {
		if _, err := os.Lstat("Dockerfile"); err == nil {
			return "Dockerfile"
		}
	}
	return flag
}

// readDockerfile reads a Dockerfile, bounded.
func readDockerfile(path string) ([]byte, error) {
	b, err := safefile.ReadRegular(path, maxDockerfileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile: %w", err)
	}
	return b, nil
}

// contextFiles reads the build context's files for the suggestions. One
// that exists but cannot be read (a pipe, too large) counts as present and
// empty: the suggestions must not propose to create it.
func contextFiles(dir string) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		b, err := safefile.ReadRegular(filepath.Join(dir, name), maxContextFileBytes)
		if err != nil {
			_, lerr := os.Lstat(filepath.Join(dir, name))
			return "", lerr == nil
		}
		return string(b), true
	}
}
