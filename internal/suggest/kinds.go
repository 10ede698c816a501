package suggest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/words"
)

// kinds is the registry, in the order Apply applies them: the base image
// first (the multistage split derives its runtime base from it), then the
// split, then the edits inside RUNs, then merging what is left.
var kinds = []*kind{
	alpineToDebianKind,
	baseEOLKind,
	basePinKind,
	multistageKind,
	aptNoRecommendsKind,
	aptUpdateInstallKind,
	aptListsKind,
	aptUpgradeKind,
	apkNoCacheKind,
	pipNoCacheKind,
	pipPinKind,
	toolCacheKind,
	wheelsMountKind,
	pythonBuildCleanupKind,
	copyChownKind,
	sameRunCleanupKind,
	nonRootKind,
	jsonCmdKind,
	mergeRunsKind,
	dockerignoreKind,
}

// shippedRuns are the RUN instructions of the stages that end up in the
// final image, in order.
func (c *ctx) shippedInstrs(keyword string) []*Instruction {
	var out []*Instruction
	for _, in := range c.d.Instructions {
		if in.Stage != nil && in.Keyword == keyword && c.d.Shipped(in.Stage) {
			out = append(out, in)
		}
	}
	return out
}

// ---------------------------------------------------------------- apt

var aptNoRecommendsKind = &kind{
	ID: "SG101", Name: "apt-no-install-recommends", Hadolint: "DL3015",
	Title: "apt-get install --no-install-recommends",
	Doc:   "install only the packages asked for, not the ones they merely recommend",
	derive: func(c *ctx) *change {
		ch := &change{note: notMeasured("the image does not record which packages came in only as recommendations")}
		certsAdded := map[*Stage]bool{}
		for _, in := range c.shippedInstrs("RUN") {
			if !in.editable() || stageSetsNoRecommends(in.Stage) {
				continue
			}
			for _, p := range pkgCommands(in) {
				if p.manager != "apt" || p.call.Name() == "aptitude" || !p.is("install") || p.hasOpt("--no-install-recommends") || optMentions(p.opts, "Install-Recommends") {
					continue
				}
				ch.edits = append(ch.edits, insertWord(p.sub, "--no-install-recommends"))
				ch.line(in)
				ch.say("line %d: %s installs recommended packages too", in.StartLine, strings.Join(p.call.wordValues(), " "))
				if deps := pipBuildRecommends(in.Stage, p); len(deps) > 0 && len(p.pkgs) > 0 {
					// pip's recommendations are the compiler and headers
					// the stage's pip install builds sdists with
					ch.edits = append(ch.edits, insertWord(p.pkgs[len(p.pkgs)-1], strings.Join(deps, " ")))
					ch.say("line %d: the stage pip-installs packages and installs no compiler by name: %s, which pip's package only recommends, are installed by name (an sdist needs them to build)", in.StartLine, strings.Join(deps, ", "))
				}
				if len(p.pkgs) > 0 && !certsAdded[in.Stage] && needsCACerts(c.d, in.Stage) {
					// wget and git bring ca-certificates only as a
					// recommendation: the stage's https downloads need it
					certsAdded[in.Stage] = true
					ch.edits = append(ch.edits, insertWord(p.pkgs[len(p.pkgs)-1], "ca-certificates"))
					ch.say("line %d: the stage downloads over https, and ca-certificates came in only as a recommendation: it is installed by name", in.StartLine)
				}
			}
		}
		return nonEmpty(ch)
	},
}

// pipRecommends are what Debian's and Ubuntu's pip packages recommend to
// build sdists with (their Recommends: field).
var pipRecommends = map[string][]string{
	"python3-pip": {"build-essential", "python3-dev"},
	"python-pip":  {"build-essential", "python-all-dev", "python-setuptools", "python-wheel"},
}

// pipBuildRecommends are the recommendations of the pip package an apt
// install names that --no-install-recommends would drop while the stage
// needs them: it pip-installs application packages (which may come as
// sdists) and installs no compiler by name. Those it names already are
// left out.
func pipBuildRecommends(st *Stage, p *pkgCmd) []string {
	var recs []string
	names := p.names()
	for _, n := range names {
		recs = append(recs, pipRecommends[n]...)
	}
	chain := st.chain()
	if r := parseRef(chain[len(chain)-1].Base); len(recs) == 0 || r.name() == "python" && !strings.Contains(r.tag, "slim") && !strings.Contains(r.tag, "alpine") {
		return nil // (the full python image has the compiler and its pip)
	}
	pipInstalls := false
	for _, in := range st.Instrs {
		for _, pc := range pkgCommands(in) {
			if pc.is("install", "add") && slices.ContainsFunc(pc.names(), func(n string) bool {
				return n == "build-essential" || n == "gcc" || n == "g++" || n == "clang" || strings.HasPrefix(n, "gcc-")
			}) {
				return nil
			}
		}
		if in.Keyword == "RUN" && pythonInstall(in) && nonToolInstall([]*Instruction{in}) != nil {
			pipInstalls = true
		}
	}
	if !pipInstalls {
		return nil
	}
	return slices.DeleteFunc(uniq(recs), func(r string) bool {
		return slices.Contains(names, r) || r == "python-all-dev" && slices.Contains(names, "python-dev")
	})
}

// needsCACerts: a Debian or Ubuntu stage (not the python image, which has
// them) that downloads over https with curl, wget or git and does not
// install ca-certificates by name.
func needsCACerts(d *Dockerfile, st *Stage) bool {
	sm := d.Model().Stages[st.Index]
	if sm.Base.Family != "debian" && sm.Base.Family != "ubuntu" || sm.OSPkgs["ca-certificates"] != nil {
		return false
	}
	for _, s := range st.chain() {
		for _, in := range s.Instrs {
			for _, c := range in.calls() {
				if n := c.Name(); (n == "curl" || n == "wget" || n == "git") && strings.Contains(c.wordsText(), "https://") {
					return true
				}
			}
		}
	}
	return false
}

func optMentions(opts []Word, s string) bool {
	for _, o := range opts {
		if strings.Contains(o.Value, s) {
			return true
		}
	}
	return false
}

// stageSetsNoRecommends: an apt.conf written by the Dockerfile already
// turns recommendations off.
func stageSetsNoRecommends(s *Stage) bool { return s.index().noRecs }

func (c *Call) wordValues() []string {
	var out []string
	for _, w := range c.Words {
		out = append(out, w.Value)
	}
	if len(out) > 8 {
		out = append(out[:8], "…")
	}
	return out
}

func nonEmpty(ch *change) *change {
	if len(ch.edits) == 0 && len(ch.files) == 0 && len(ch.evidence) == 0 {
		return nil
	}
	return ch
}

func hasAptUpdate(in *Instruction) (*pkgCmd, bool) {
	for _, p := range pkgCommands(in) {
		if p.manager == "apt" && p.is("update") {
			return p, true
		}
	}
	return nil, false
}

// installsBeforeUpdate: the RUN's first apt install comes before its
// first apt-get update (one that fetches lists for a repository it adds
// later): that install uses the lists an earlier RUN left.
func installsBeforeUpdate(in *Instruction) bool {
	for _, p := range pkgCommands(in) {
		if p.manager != "apt" {
			continue
		}
		if p.is("update") {
			return false
		}
		if p.is("install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep") {
			return true
		}
	}
	return false
}

func hasAptInstall(in *Instruction) bool {
	for _, p := range pkgCommands(in) {
		if p.manager == "apt" && p.is("install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep") {
			return true
		}
	}
	return false
}

// updateOnly: every command of the RUN is apt-get update.
func updateOnly(in *Instruction) bool {
	cs := in.calls()
	if len(cs) == 0 || !in.editable() {
		return false
	}
	for _, c := range cs {
		p := pkgCommand(in, c)
		if p == nil || p.manager != "apt" || !p.is("update") {
			return false
		}
	}
	return true
}

var aptUpdateInstallKind = &kind{
	ID: "SG102", Name: "apt-update-in-install-run",
	Title: "apt-get update in the same RUN as apt-get install",
	Doc:   "an update cached in its own layer makes later installs use stale package lists",
	derive: func(c *ctx) *change {
		ch := &change{note: "no size change: correctness (a cached update layer serves stale lists)"}
		for _, st := range c.d.Stages {
			if !c.d.Shipped(st) {
				continue
			}
			var pendingUpdates []*Instruction
			for _, in := range st.Instrs {
				if in.Keyword != "RUN" {
					continue
				}
				if updateOnly(in) {
					pendingUpdates = append(pendingUpdates, in)
					continue
				}
				if _, ok := hasAptUpdate(in); ok && !installsBeforeUpdate(in) || !hasAptInstall(in) || !in.editable() {
					continue
				}
				e, ok := c.d.prependCommand(in, "apt-get update")
				if !ok {
					continue
				}
				ch.edits = append(ch.edits, e)
				ch.line(in)
				ch.say("line %d installs with package lists it did not fetch itself", in.StartLine)
				for _, u := range pendingUpdates {
					ch.edits = append(ch.edits, c.d.deleteInstr(u))
					ch.line(u)
					ch.say("line %d: an apt-get update in a layer of its own", u.StartLine)
				}
				pendingUpdates = nil
			}
		}
		return nonEmpty(ch)
	},
}

var aptListsKind = &kind{
	ID: "SG103", Name: "apt-lists-cleanup", Hadolint: "DL3009",
	Title:   "remove the apt lists in the RUN that fetched them",
	Doc:     "apt-get update leaves ~27 MB of package lists in the layer unless the same RUN removes them",
	Answers: []string{"SP303"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var runs []*Instruction
		for _, in := range c.shippedInstrs("RUN") {
			if _, ok := hasAptUpdate(in); !ok || !in.editable() || hasCacheMount(in, "/var/lib/apt/lists") || removesAptLists(in) || listsUsedLater(in) {
				continue
			}
			e, ok := c.d.appendCommand(in, "rm -rf /var/lib/apt/lists/*")
			if !ok {
				continue
			}
			ch.edits = append(ch.edits, e)
			ch.line(in)
			runs = append(runs, in)
			ch.say("line %d runs apt-get update and keeps the lists in its layer", in.StartLine)
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(runs, func(p string) bool { return underDir(p, "/var/lib/apt/lists") },
				"bytes these RUNs' layers store below /var/lib/apt/lists")
		}
		return nonEmpty(ch)
	},
}

// listsUsedLater: a later RUN of the stage installs with apt from the
// lists this RUN fetched (it runs no update first): removing them here
// would make that install fail (SG102 moves the update to it).
func listsUsedLater(in *Instruction) bool {
	for _, x := range in.Stage.Instrs {
		if x.Keyword != "RUN" || x.idx <= in.idx {
			continue
		}
		if installsBeforeUpdate(x) {
			return true
		}
		if _, ok := hasAptUpdate(x); ok || removesAptLists(x) {
			return false
		}
	}
	return false
}

func removesAptLists(in *Instruction) bool {
	for _, c := range in.calls() {
		if p := pkgCommand(in, c); p != nil && p.manager == "apt" && p.is("dist-clean") {
			return true // apt >= 2.7 removes the lists itself
		}
		for _, p := range rmPaths(c) {
			if strings.HasPrefix(p, "/var/lib/apt/lists") {
				return true
			}
		}
	}
	return false
}

var aptUpgradeKind = &kind{
	ID: "SG104", Name: "apt-upgrade",
	Title:   "apt-get upgrade to take the security updates",
	Doc:     "the base image's packages are as old as the base; upgrading in the build takes the fixes (hadolint dropped its rule against it)",
	Answers: []string{aptUpgradableRule, "SP407"},
	derive: func(c *ctx) *change {
		for _, in := range c.shippedInstrs("RUN") {
			for _, p := range pkgCommands(in) {
				if p.manager == "apt" && p.is("upgrade", "dist-upgrade", "full-upgrade") {
					return nil
				}
			}
		}
		for _, in := range c.shippedInstrs("RUN") {
			u, ok := hasAptUpdate(in)
			if !ok || !in.editable() {
				continue
			}
			ch := &change{note: "no size change: security updates"}
			ch.edits = append(ch.edits, edit{start: u.call.End, end: u.call.End, text: " && apt-get upgrade -y"})
			ch.line(in)
			ch.say("line %d fetches the package lists but installs no updates of the base's packages", in.StartLine)
			if f := c.opts.Facts; f != nil && len(f.Upgradable) > 0 {
				ch.say("the image's own apt lists offer newer versions of %s: %s", words.Count(len(f.Upgradable), "package", "packages"), strings.Join(firstN(f.Upgradable, 8), ", "))
			}
			return ch
		}
		return nil
	},
}

var apkNoCacheKind = &kind{
	ID: "SG105", Name: "apk-no-cache", Hadolint: "DL3019",
	Title:   "apk add --no-cache",
	Doc:     "apk keeps its index and downloads in /var/cache/apk unless told not to",
	Answers: []string{"SP304"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var runs []*Instruction
		for _, in := range c.shippedInstrs("RUN") {
			if !in.editable() || hasCacheMount(in, "/var/cache/apk", "/etc/apk/cache") {
				continue
			}
			for _, p := range pkgCommands(in) {
				if p.manager != "apk" || !p.is("add") || p.hasOpt("--no-cache") {
					continue
				}
				ch.edits = append(ch.edits, insertWord(p.sub, "--no-cache"))
				ch.line(in)
				runs = append(runs, in)
				ch.say("line %d: apk add keeps its cache", in.StartLine)
			}
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(runs, func(p string) bool { return underDir(p, "/var/cache/apk") || underDir(p, "/etc/apk/cache") },
				"bytes these RUNs' layers store below /var/cache/apk")
		}
		return nonEmpty(ch)
	},
}

// ---------------------------------------------------------------- pip

var pipNoCacheKind = &kind{
	ID: "SG201", Name: "pip-no-cache-dir", Hadolint: "DL3042",
	Title:   "pip install --no-cache-dir",
	Doc:     "pip keeps every downloaded and built wheel in ~/.cache/pip, in the layer",
	Answers: []string{"SP301", "SP302"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var runs []*Instruction
		for _, in := range c.shippedInstrs("RUN") {
			if !in.editable() {
				continue
			}
			for _, p := range pipCommands(in) {
				opt, env := "--no-cache-dir", "PIP_NO_CACHE_DIR"
				if p.tool == "uv" {
					opt, env = "--no-cache", "UV_NO_CACHE"
				}
				if p.hasOpt(opt, "--no-cache") || hasCacheMount(in, "/root/.cache", "/root/.cache/pip", "/root/.cache/uv") {
					continue
				}
				if _, ok := in.Stage.Env(env, in); ok || runSets(in, p.call, env) {
					continue
				}
				ch.edits = append(ch.edits, insertWord(p.sub, opt))
				ch.line(in)
				runs = append(runs, in)
				ch.say("line %d: %s keeps its cache in the layer", in.StartLine, strings.Join(p.call.wordValues(), " "))
			}
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(runs, func(p string) bool { return strings.Contains(p, "/.cache/pip/") || strings.Contains(p, "/.cache/uv/") },
				"bytes these RUNs' layers store in pip's cache (*/.cache/pip)")
		}
		return nonEmpty(ch)
	},
}

var pipPinKind = &kind{
	ID: "SG202", Name: "pip-pin", Hadolint: "DL3013",
	Title: "pin the versions pip installs",
	Doc:   "unpinned requirements make every build a different image; the image says which versions it got",
	derive: func(c *ctx) *change {
		ch := &change{note: "no size change: reproducibility"}
		var unknown []string
		for _, in := range c.shippedInstrs("RUN") {
			for _, call := range in.calls() {
				// pipx installs one application per word, unpinned too
				if specs := pipxSpecs(call); len(specs) > 0 {
					for _, w := range specs {
						if _, pinned := reqName(w.Value); !pinned && !w.Dynamic && !isPathSpec(w.Value) && !isURLSpec(w.Value) {
							ch.line(in)
							unknown = append(unknown, fmt.Sprintf("%s (line %d, pipx)", w.Value, in.StartLine))
						}
					}
				}
			}
			for _, p := range pipCommands(in) {
				for _, w := range p.specs {
					v := w.Value
					if isVCSUnpinned(v) {
						ch.line(in)
						unknown = append(unknown, fmt.Sprintf("%s (line %d: no @commit or @tag)", v, in.StartLine))
						continue
					}
					if w.Dynamic || isPathSpec(v) || isURLSpec(v) {
						continue
					}
					name, pinned := reqName(v)
					if pinned || name == "" {
						continue
					}
					ch.line(in)
					ver := ""
					if f := c.opts.Facts; f != nil {
						ver = f.Dists[normalizeDist(name)]
					}
					if ver == "" || !in.editable() || strings.ContainsAny(v, "<>=!~;") {
						unknown = append(unknown, fmt.Sprintf("%s (line %d)", v, in.StartLine))
						continue
					}
					ch.edits = append(ch.edits, edit{start: w.Start, end: w.End, text: quoteIfNeeded(v + "==" + ver)})
					ch.say("line %d: %s → %s==%s, the version the image has", in.StartLine, v, v, ver)
				}
			}
		}
		if len(unknown) > 0 {
			ch.advise("unpinned, version unknown without the image: %s", strings.Join(unknown, ", "))
		}
		return nonEmpty(ch)
	},
}

// isVCSUnpinned: a VCS requirement (git+https://host/repo.git) without
// an @commit or @tag after its path.
func isVCSUnpinned(v string) bool {
	i := strings.Index(v, "://")
	if i < 0 || !vcsRe.MatchString(v[:i]) {
		return false
	}
	rest := v[i+3:]
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		rest = rest[:h]
	}
	slash := strings.IndexByte(rest, '/')
	return slash < 0 || !strings.Contains(rest[slash:], "@")
}

var vcsRe = regexp.MustCompile(`(^|[^a-z])(git|hg|svn|bzr)\+[a-z]+$`)

// pipxSpecs are the applications "pipx install" names (nil for other
// commands).
func pipxSpecs(c *Call) []Word {
	i, name := c.program()
	if name != "pipx" || i+1 >= len(c.Words) || c.Words[i+1].Value != "install" {
		return nil
	}
	values := map[string]bool{"--python": true, "--index-url": true, "-i": true, "--pip-args": true, "--suffix": true, "--preinstall": true, "--spec": true}
	var out []Word
	ws := c.Words[i+2:]
	for k := 0; k < len(ws); k++ {
		v := ws[k].Value
		if strings.HasPrefix(v, "-") {
			if o, _, has := strings.Cut(v, "="); values[o] && !has {
				k++
			}
			continue
		}
		out = append(out, ws[k])
	}
	return out
}

func quoteIfNeeded(s string) string {
	if strings.ContainsAny(s, "<>[]*?;&| ") {
		return "'" + s + "'"
	}
	return s
}

var toolCacheKind = &kind{
	ID: "SG203", Name: "tool-cache-cleanup",
	Title:   "clear poetry, pipenv, uv and conda caches in the RUN that filled them",
	Doc:     "these tools keep downloads and built wheels in the layer",
	Answers: []string{"SP302"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var runs []*Instruction
		for _, in := range c.shippedInstrs("RUN") {
			if !in.editable() {
				continue
			}
			text := in.Original
			for _, call := range in.calls() {
				var add string
				if _, ok := toolCmd(call, "poetry", "install", "sync"); ok && !strings.Contains(text, "pypoetry") && !strings.Contains(text, "cache-dir") &&
					!hasCacheMount(in, "/root/.cache/pypoetry") && !envSet(in, "POETRY_CACHE_DIR", "POETRY_NO_CACHE") && !hasWord(call, "--no-cache") {
					// its cache and artifacts only: the virtualenvs poetry
					// makes by default are there too
					add = `rm -rf "$(poetry config cache-dir)/cache" "$(poetry config cache-dir)/artifacts"`
				}
				if _, ok := toolCmd(call, "pipenv", "install", "sync"); ok && !strings.Contains(text, "--clear") && !hasCacheMount(in, "/root/.cache") {
					add = "pipenv --clear"
				}
				if w, ok := toolCmd(call, "uv", "sync"); ok && !hasWord(call, "--no-cache") && !hasCacheMount(in, "/root/.cache/uv") && !envSet(in, "UV_NO_CACHE") {
					ch.edits = append(ch.edits, insertWord(w, "--no-cache"))
					ch.line(in)
					runs = append(runs, in)
					ch.say("line %d: uv sync keeps its cache in the layer", in.StartLine)
					continue
				}
				if _, ok := toolCmd(call, "conda", "install", "create", "update"); ok && !strings.Contains(text, " clean") {
					add = call.Name() + " clean -afy"
				}
				if _, ok := toolCmd(call, "conda", "env"); ok && !strings.Contains(text, " clean") {
					add = call.Name() + " clean -afy"
				}
				if add == "" {
					continue
				}
				e, ok := c.d.appendCommand(in, add)
				if !ok {
					continue
				}
				ch.edits = append(ch.edits, e)
				ch.line(in)
				runs = append(runs, in)
				ch.say("line %d: %s leaves its cache in the layer: add %s", in.StartLine, call.Name(), add)
				break
			}
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(runs, isToolCache, "bytes these RUNs' layers store in poetry/pipenv/uv/pip caches and conda's pkgs")
		}
		return nonEmpty(ch)
	},
}

func isToolCache(p string) bool {
	for _, s := range []string{"/.cache/pypoetry/cache/", "/.cache/pypoetry/artifacts/", "/.cache/pipenv/", "/.cache/pip/", "/.cache/uv/", "/conda/pkgs/", "/.conda/pkgs/", "/mamba/pkgs/", "/micromamba/pkgs/"} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

func hasWord(c *Call, w string) bool {
	for _, x := range c.Words {
		if x.Value == w {
			return true
		}
	}
	return false
}

// runSets: the RUN sets the variable for the call: as its prefix
// (VAR=1 pip install) or by an export before it.
func runSets(in *Instruction, call *Call, name string) bool {
	for _, kv := range call.Env {
		if kv[0] == name {
			return true
		}
	}
	for _, c := range in.calls() {
		if c.Start >= call.Start {
			break
		}
		if c.Name() == "export" {
			for _, w := range c.Args() {
				if k, _, _ := strings.Cut(w.Value, "="); k == name {
					return true
				}
			}
		}
	}
	return false
}

func envSet(in *Instruction, names ...string) bool {
	for _, n := range names {
		if _, ok := in.Stage.Env(n, in); ok {
			return true
		}
	}
	return false
}

func underDir(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string(nil), s[:n]...), fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

// ---------------------------------------------------------------- COPY

var wheelsMountKind = &kind{
	ID: "SG204", Name: "wheels-bind-mount",
	Title:   "bind-mount what pip installs from instead of COPYing it in",
	Doc:     "files COPYed only to be pip-installed (wheels, sdists, a package dir) stay in the image; a RUN --mount=type=bind reads them without storing them",
	Answers: []string{"SP305"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var copies []*Instruction
		for _, cp := range c.shippedInstrs("COPY") {
			srcs, dest := cp.copySources()
			if len(srcs) != 1 || len(cp.Flags) > 0 || cp.JSON || cp.Heredoc || strings.ContainsAny(srcs[0], "*?$") || srcs[0] == "." || srcs[0] == "./" {
				continue
			}
			if d := resolvePath(cp.Stage.Workdir(cp), dest); d == "/" || d == cp.Stage.Workdir(cp) {
				continue // the app's own directory: its COPY . brings the file again
			}
			abs, known := copiedPath(c, cp, srcs[0], dest)
			if !known || !mountSafe(srcs[0]) || !mountSafe(abs) {
				continue
			}
			var users []*Instruction
			var rmEdits []edit
			ok := true
			for _, in := range cp.Stage.index().naming(cp.Stage, abs, cp) {
				if in.Keyword != "RUN" || !in.editable() || len(in.Flags) > 0 {
					ok = false
					break
				}
				usesPip := false
				for _, p := range pipCommands(in) {
					for _, w := range append(p.specs, p.opts...) {
						if strings.Contains(w.Value, abs) || strings.Contains(w.Value, dest) {
							usesPip = true
						}
						if readsFileBelow(resolvePath(in.wd, w.Value), abs) {
							// a directory pip reads a requirements file of
							// holds more: the app beside it
							ok = false
						}
					}
					if len(p.editab) > 0 || p.hasOpt("-e", "--editable") {
						// an editable install points at its source: the
						// image must keep it
						ok = false
					}
				}
				if !ok {
					break
				}
				// rm of the mount point would fail: drop it.
				for k, s := range in.Shell.Segments {
					if len(s.Calls) == 1 && !s.Calls[0].Nested && rmOnlyUnder(s.Calls[0], abs) {
						if len(in.Shell.Segments) == 1 {
							rmEdits = append(rmEdits, c.d.deleteInstr(in))
						} else {
							rmEdits = append(rmEdits, removeSegment(in.Shell, k))
						}
					}
				}
				if !usesPip && len(rmEdits) == 0 {
					ok = false
					break
				}
				if usesPip {
					users = append(users, in)
				}
			}
			if !ok || len(users) == 0 {
				continue
			}
			// its comment stays: it describes the RUN that now mounts it too
			ch.edits = append(ch.edits, edit{start: cp.Start, end: cp.End})
			ch.edits = append(ch.edits, rmEdits...)
			for _, u := range users {
				kw := keywordEnd(c.d, u)
				ch.edits = append(ch.edits, edit{start: kw, end: kw, text: fmt.Sprintf(" --mount=type=bind,source=%s,target=%s,rw", srcs[0], abs)})
				ch.line(u)
			}
			ch.line(cp)
			copies = append(copies, cp)
			ch.say("line %d copies %s to %s only for pip to install from it: the files stay in the image", cp.StartLine, srcs[0], abs)
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(copies, func(string) bool { return true }, "bytes the COPY layers store")
		}
		return nonEmpty(ch)
	},
}

// readsFileBelow says whether p is a file below the directory dir other
// than a package archive (app/requirements.txt below /deploy/app, not
// /wheels/x.whl below /wheels): pip reads one file of the directory.
func readsFileBelow(p, dir string) bool {
	if !strings.HasPrefix(p, dir+"/") {
		return false
	}
	for _, ext := range []string{".whl", ".tar.gz", ".tgz", ".zip", "*"} {
		if strings.HasSuffix(p, ext) {
			return false
		}
	}
	return true
}

// copiedPath is where a COPY of the one source src to dest puts it, the
// target a bind mount of src must have: a file copied into a directory
// (dest ending in "/", or a directory the image has: /tmp, a WORKDIR)
// lands at dest/NAME, a directory's content at dest itself. known is
// false when slimpy cannot tell a file from a directory (no build
// context to look in, a name without an extension).
func copiedPath(c *ctx, cp *Instruction, src, dest string) (string, bool) {
	abs := resolvePath(cp.Stage.Workdir(cp), dest)
	if strings.HasSuffix(src, "/") {
		return abs, true // a directory: its content goes to dest
	}
	intoDir := strings.HasSuffix(dest, "/") || existingDirs[abs] || slices.ContainsFunc(cp.Stage.Instrs[:slices.Index(cp.Stage.Instrs, cp)], func(in *Instruction) bool {
		return in.Keyword == "WORKDIR" && cp.Stage.Workdir(in) == abs
	})
	if !intoDir {
		return abs, true // the file's own path
	}
	_, isFile := c.contextFile(path.Clean(src))
	switch {
	case isFile || c.opts.ContextFile == nil && path.Ext(src) != "":
		return path.Join(abs, path.Base(src)), true
	case c.opts.ContextFile != nil && path.Ext(src) == "":
		return abs, true // not a file of the context: a directory, whose content goes to dest
	}
	return "", false
}

// existingDirs are directories every Linux image has: a file copied to
// one of them without a trailing slash goes into it.
var existingDirs = map[string]bool{"/tmp": true, "/var/tmp": true, "/root": true, "/opt": true, "/srv": true, "/home": true, "/usr/src": true, "/usr/local": true, "/usr/local/bin": true, "/etc": true}

// mountSafe: the path can be written as it is in a --mount flag, one word
// whose options are comma-separated and may be quoted: printable ASCII
// without blanks, quotes, commas or backslashes.
func mountSafe(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("\"',\\", c) >= 0 {
			return false
		}
	}
	return p != ""
}

// rmOnlyUnder: an rm whose every path is dir or below it.
func rmOnlyUnder(c *Call, dir string) bool {
	ps := rmPaths(c)
	if len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		if !underDir(strings.TrimSuffix(strings.TrimSuffix(p, "*"), "/"), dir) && strings.TrimSuffix(p, "/*") != dir {
			return false
		}
	}
	return true
}

// keywordEnd is the offset right after the instruction's keyword.
func keywordEnd(d *Dockerfile, in *Instruction) int {
	i := in.Start
	for i < in.End && (d.Src[i] == ' ' || d.Src[i] == '\t') {
		i++
	}
	return i + len(in.Keyword)
}

var pythonBuildCleanupKind = &kind{
	ID: "SG205", Name: "python-build-cleanup",
	Title:   "delete CPython's tests, bytecode and static library in the RUN that builds it",
	Doc:     "a CPython built from source installs its 119 MB test suite, .pyc files and libpython.a",
	Answers: []string{"SP101", "SP111", "SP212"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var runs []*Instruction
		for _, in := range c.shippedInstrs("RUN") {
			if !in.editable() || !buildsPython(in) || strings.Contains(in.Original, "idle_test") || strings.Contains(in.Original, "-name test") {
				continue
			}
			e, ok := c.d.appendCommand(in, officialCleanup)
			if !ok {
				continue
			}
			ch.edits = append(ch.edits, e)
			ch.line(in)
			runs = append(runs, in)
			ch.say("line %d builds and installs CPython and keeps its test suite, bytecode and static library", in.StartLine)
		}
		ch.measure = func(img *Image) Savings {
			return img.storedBy(runs, isPythonBuildLeftover, "bytes these RUNs' layers store in test dirs, .pyc/.pyo and libpython*.a below /usr/local")
		}
		return nonEmpty(ch)
	},
}

// officialCleanup is the Docker official python image's own cleanup.
const officialCleanup = `find /usr/local -depth \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) -exec rm -rf '{}' +`

func isPythonBuildLeftover(p string) bool {
	if !strings.HasPrefix(p, "/usr/local/") {
		return false
	}
	base := path.Base(p)
	if strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, ".pyo") || strings.HasPrefix(base, "libpython") && strings.HasSuffix(base, ".a") {
		return true
	}
	for _, el := range strings.Split(path.Dir(p), "/") {
		if el == "test" || el == "tests" || el == "idle_test" {
			return true
		}
	}
	return false
}

// buildsPython: a RUN that configures and make-installs CPython.
func buildsPython(in *Instruction) bool {
	configure, install := false, false
	for _, c := range in.calls() {
		_, name := c.program()
		if name == "configure" {
			configure = true
		}
		if name == "make" {
			for _, w := range c.Args() {
				if w.Value == "install" || w.Value == "altinstall" {
					install = true
				}
			}
		}
	}
	t := strings.ToLower(in.Original)
	return configure && install && (strings.Contains(t, "python-") || strings.Contains(t, "cpython") || strings.Contains(t, "/python/"))
}
