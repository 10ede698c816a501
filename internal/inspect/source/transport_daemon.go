package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/moby/moby/client"
)

const defaultDockerHost = "unix:///var/run/docker.sock"

// openDaemon opens NAME[:TAG] (or an image ID) from the local engine.
func openDaemon(ctx context.Context, ref, rest string, opts OpenOptions) (*Source, error) {
	src, _, err := daemonOpen(ctx, ref, rest, opts, 15*time.Second)
	return src, err
}

// openDaemonProbe is the first step of a bare reference: it returns a
// Source when the engine is reachable and has the image (for the wanted
// platform, if one was asked for), and otherwise the reason it was passed over.
func openDaemonProbe(ctx context.Context, ref, rest string, opts OpenOptions) (*Source, error) {
	src, reachable, err := daemonOpen(ctx, ref, rest, opts, 3*time.Second)
	if err != nil && !reachable {
		return nil, errors.New("no local Docker engine")
	}
	if err != nil {
		var re *refError
		if errors.As(err, &re) {
			return nil, re.err
		}
		return nil, err
	}
	return src, nil
}

func daemonOpen(ctx context.Context, ref, rest string, opts OpenOptions, pingTimeout time.Duration) (src *Source, reachable bool, err error) {
	want, explicit, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, false, refErr(ref, err)
	}
	if rest == "" {
		return nil, false, refErr(ref, errors.New("no image name given"))
	}
	if _, err := name.ParseReference(strings.TrimPrefix(rest, "sha256:")); err != nil {
		return nil, false, refErrf(ref, "invalid image reference: %w", err)
	}

	cli, host, err := dockerClient()
	if err != nil {
		return nil, false, refErrf(ref, "cannot reach the Docker engine at %s: %w", host, err)
	}
	closeCli := true
	defer func() {
		if closeCli {
			cli.Close()
		}
	}()
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	_, err = cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, refErr(ref, ctx.Err())
		}
		return nil, false, refErrf(ref, "cannot reach the Docker engine at %s: %w", host, err)
	}

	ins, err := cli.ImageInspect(ctx, rest)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, true, refErrf(ref, "the Docker engine has no image %s", rest)
		}
		return nil, true, refErrf(ref, "the Docker engine at %s: %w", host, err)
	}
	have := v1.Platform{OS: ins.Os, Architecture: ins.Architecture, Variant: ins.Variant}
	if explicit && !platformMatches(want, have) {
		return nil, true, refErrf(ref, "the Docker engine's image %s is %s, not %s", rest, formatPlatform(have), formatPlatform(want))
	}

	r, err := daemonReference(rest, ins.ID, ins.RepoTags, ins.RepoDigests)
	if err != nil {
		return nil, true, refErr(ref, err)
	}
	saver := &tempCapturingClient{Client: cli}
	img, err := daemon.Image(r,
		daemon.WithClient(saver),
		daemon.WithContext(ctx),
		daemon.WithFileBufferedOpener(), // never hold the image in memory
	)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, true, refErrf(ref, "the Docker engine has no image %s", rest)
		}
		return nil, true, refErrf(ref, "the Docker engine at %s: %w", host, err)
	}
	closeCli = false
	engine := &engineImage{Image: img, id: ins.ID}
	for _, d := range ins.RootFS.Layers {
		h, err := v1.NewHash(d)
		if err != nil {
			return nil, true, refErrf(ref, "the Docker engine's image %s lists a layer %q: %w", rest, d, err)
		}
		engine.diffIDs = append(engine.diffIDs, h)
	}
	return &Source{
		Reference:     ref,
		Transport:     TransportDaemon,
		Name:          rest,
		Image:         guardSynthesized(engine),
		engine:        engine,
		Platform:      formatPlatform(have),
		RawCompressed: false,
		closers:       []io.Closer{saver, cli},
	}, true, nil
}

var hexIDRE = regexp.MustCompile(`^(sha256:)?[0-9a-f]{12,64}$`)

// daemonReference is the name the daemon package saves the image by.
// NAME[:TAG] and NAME@DIGEST are used as they are; an image ID (which
// that package cannot save by) is replaced by one of the image's names.
func daemonReference(s, id string, tags, digests []string) (name.Reference, error) {
	if hexIDRE.MatchString(s) && strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), strings.TrimPrefix(s, "sha256:")) {
		for _, n := range append(append([]string(nil), tags...), digests...) {
			if r, err := name.ParseReference(n); err == nil {
				return r, nil
			}
		}
		return nil, fmt.Errorf("image %s has no name to export it by; tag it first (docker tag %s NAME:TAG)", s, s)
	}
	return name.ParseReference(s)
}

// tempCapturingClient learns the path of the temporary file the daemon
// package saves the image into (daemon.WithFileBufferedOpener copies the
// save stream into an *os.File with io.Copy, which hands that file to
// the stream's WriteTo), so Source.Close can delete it right away rather
// than whenever the garbage collector runs, which a short-lived CLI never
// waits for.
type tempCapturingClient struct {
	*client.Client
	mu    sync.Mutex
	paths []string
}

func (c *tempCapturingClient) ImageSave(ctx context.Context, images []string, opts ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	rc, err := c.Client.ImageSave(ctx, images, opts...)
	if err != nil {
		return nil, err
	}
	return &capturingStream{ReadCloser: rc, owner: c}, nil
}

func (c *tempCapturingClient) Close() error {
	c.mu.Lock()
	paths := c.paths
	c.paths = nil
	c.mu.Unlock()
	var first error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

type capturingStream struct {
	io.ReadCloser
	owner *tempCapturingClient
}

func (s *capturingStream) WriteTo(w io.Writer) (int64, error) {
	if f, ok := w.(*os.File); ok && f.Name() != "" {
		s.owner.mu.Lock()
		s.owner.paths = append(s.owner.paths, f.Name())
		s.owner.mu.Unlock()
	}
	return io.Copy(w, struct{ io.Reader }{s.ReadCloser})
}

// dockerClient builds an engine client the way the docker CLI would:
// DOCKER_HOST (and the other DOCKER_* variables) first, else the current
// docker context (DOCKER_CONTEXT or the config's currentContext), else
// the default socket. It returns the host for messages.
func dockerClient() (*client.Client, string, error) {
	opts := []client.Opt{client.FromEnv}
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		if h := contextDockerHost(); h != "" {
			host = h
			opts = append(opts, client.WithHost(h))
		} else {
			host = defaultDockerHost
		}
	}
	cli, err := client.New(opts...)
	return cli, host, err
}

// contextDockerHost returns the engine address of the current docker
// context, or "" for the default context or when none can be read.
func contextDockerHost() string {
	cfgDir := os.Getenv("DOCKER_CONFIG")
	if cfgDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cfgDir = filepath.Join(home, ".docker")
	}
	ctxName := os.Getenv("DOCKER_CONTEXT")
	if ctxName == "" {
		b, err := os.ReadFile(filepath.Join(cfgDir, "config.json"))
		if err != nil {
			return ""
		}
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if json.Unmarshal(b, &cfg) != nil {
			return ""
		}
		ctxName = cfg.CurrentContext
	}
	if ctxName == "" || ctxName == "default" {
		return ""
	}
	sum := sha256.Sum256([]byte(ctxName))
	b, err := os.ReadFile(filepath.Join(cfgDir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json"))
	if err != nil {
		return ""
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if json.Unmarshal(b, &meta) != nil {
		return ""
	}
	return meta.Endpoints["docker"].Host
}
