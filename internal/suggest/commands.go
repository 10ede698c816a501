package suggest

import (
	"path"
	"regexp"
	"strings"
)

// The commands suggestions understand, read from the parsed shell words.

// pkgCmd is an apt-get/apt/apk command.
type pkgCmd struct {
	in      *Instruction
	call    *Call
	manager string // "apt" or "apk"
	sub     Word   // the subcommand word: install, update, add, del...
	opts    []Word // option words
	pkgs    []Word // package words
}

// aptValueOpts are apt-get options that take the next word as value.
var aptValueOpts = map[string]bool{"-o": true, "-t": true, "--target-release": true, "-c": true, "--config-file": true}
var apkValueOpts = map[string]bool{"-t": true, "--virtual": true, "-X": true, "--repository": true, "-p": true, "--root": true}

// pkgCommand reads c as a package manager command, or returns nil.
func pkgCommand(in *Instruction, c *Call) *pkgCmd {
	name := c.Name()
	var manager string
	var valueOpts map[string]bool
	switch name {
	case "apt-get", "apt", "aptitude":
		manager, valueOpts = "apt", aptValueOpts
	case "apk":
		manager, valueOpts = "apk", apkValueOpts
	default:
		return nil
	}
	p := &pkgCmd{in: in, call: c, manager: manager}
	args := c.Args()
	found := false
	for i := 0; i < len(args); i++ {
		w := args[i]
		if strings.HasPrefix(w.Value, "-") {
			p.opts = append(p.opts, w)
			if valueOpts[w.Value] && i+1 < len(args) {
				i++
				p.opts = append(p.opts, args[i])
			}
			continue
		}
		if !found {
			p.sub, found = w, true
			continue
		}
		p.pkgs = append(p.pkgs, w)
	}
	if !found {
		return nil
	}
	return p
}

func (p *pkgCmd) is(subs ...string) bool {
	for _, s := range subs {
		if p.sub.Value == s {
			return true
		}
	}
	return false
}

func (p *pkgCmd) hasOpt(names ...string) bool {
	for _, o := range p.opts {
		for _, n := range names {
			if o.Value == n || strings.HasPrefix(o.Value, n+"=") {
				return true
			}
		}
	}
	return false
}

// names are the package names without version or release pins.
func (p *pkgCmd) names() []string {
	var out []string
	for _, w := range p.pkgs {
		out = append(out, pkgBaseName(w.Value))
	}
	return out
}

func pkgBaseName(s string) string {
	if i := strings.IndexAny(s, "=/"); i > 0 {
		s = s[:i]
	}
	return s
}

// pkgCommands are the package manager commands of a RUN.
func pkgCommands(in *Instruction) []*pkgCmd {
	var out []*pkgCmd
	for _, c := range in.calls() {
		if p := pkgCommand(in, c); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// pipCmd is a pip (or uv pip) install command.
type pipCmd struct {
	in     *Instruction
	call   *Call
	tool   string // pip, uv
	sub    Word   // the "install" word
	opts   []Word
	reqs   []string // -r/--requirement files
	cons   []string // -c/--constraint files
	specs  []Word   // requirement specifiers and paths
	editab []string // -e values
	links  []string // -f/--find-links values
}

var pipValueOpts = map[string]bool{"-r": true, "--requirement": true, "-c": true, "--constraint": true, "-e": true,
	"--editable": true, "-i": true, "--index-url": true, "--extra-index-url": true, "-f": true, "--find-links": true,
	"--target": true, "-t": true, "--prefix": true, "--root": true, "--trusted-host": true, "--python": true,
	"--platform": true, "--python-version": true, "--implementation": true, "--abi": true, "--src": true,
	"--upgrade-strategy": true, "--progress-bar": true, "--cache-dir": true, "--log": true, "--timeout": true,
	"--retries": true, "--proxy": true, "--cert": true, "--client-cert": true, "--only-binary": true,
	"--no-binary": true, "--config-settings": true, "-C": true, "--global-option": true, "--report": true,
	"--root-user-action": true, "--exists-action": true, "--use-feature": true, "--use-deprecated": true, "--keyring-provider": true,
	"--build": true, "-b": true, "--install-option": true, "--group": true, "--log-file": true, "--resume-retries": true}

var pipName = regexp.MustCompile(`^pip([23](\.\d+)?)?$`)
var pythonName = regexp.MustCompile(`^python([23](\.\d+)?)?$`)

// pipCommand reads c as "pip install ...", "python -m pip install ..." or
// "uv pip install ...", or returns nil.
func pipCommand(in *Instruction, c *Call) *pipCmd {
	i, name := c.program()
	ws := c.Words
	p := &pipCmd{in: in, call: c}
	switch {
	case pipName.MatchString(name):
		p.tool, i = "pip", i+1
	case pythonName.MatchString(name):
		j := i + 1
		for j < len(ws) && strings.HasPrefix(ws[j].Value, "-") && ws[j].Value != "-m" {
			j++
		}
		if j+1 >= len(ws) || ws[j].Value != "-m" || ws[j+1].Value != "pip" {
			return nil
		}
		p.tool, i = "pip", j+2
	case name == "uv":
		if i+1 >= len(ws) || ws[i+1].Value != "pip" {
			return nil
		}
		p.tool, i = "uv", i+2
	default:
		return nil
	}
	// global options before the subcommand
	for i < len(ws) && strings.HasPrefix(ws[i].Value, "-") {
		p.opts = append(p.opts, ws[i])
		i++
	}
	if i >= len(ws) || ws[i].Value != "install" {
		return nil
	}
	p.sub = ws[i]
	for i++; i < len(ws); i++ {
		w := ws[i]
		v := w.Value
		if strings.HasPrefix(v, "-") {
			p.opts = append(p.opts, w)
			opt, val, hasVal := strings.Cut(v, "=")
			if pipValueOpts[opt] && !hasVal && i+1 < len(ws) {
				i++
				val = ws[i].Value
				p.opts = append(p.opts, ws[i])
			}
			switch {
			case val == "":
				// an option at the end of the command without its value
			case opt == "-r" || opt == "--requirement":
				p.reqs = append(p.reqs, val)
			case opt == "-c" || opt == "--constraint":
				p.cons = append(p.cons, val)
			case opt == "-e" || opt == "--editable":
				p.editab = append(p.editab, val)
			case opt == "-f" || opt == "--find-links":
				p.links = append(p.links, val)
			}
			continue
		}
		// -rrequirements.txt
		if strings.HasPrefix(v, "-r") && len(v) > 2 {
			p.reqs = append(p.reqs, v[2:])
			continue
		}
		p.specs = append(p.specs, w)
	}
	return p
}

func (p *pipCmd) hasOpt(names ...string) bool {
	for _, o := range p.opts {
		for _, n := range names {
			if o.Value == n || strings.HasPrefix(o.Value, n+"=") {
				return true
			}
		}
	}
	return false
}

// pipCommands are the pip install commands of a RUN.
func pipCommands(in *Instruction) []*pipCmd {
	var out []*pipCmd
	for _, c := range in.calls() {
		if p := pipCommand(in, c); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// isPathSpec reports whether a pip argument names a local path (a project
// directory, a wheel, an sdist) rather than a requirement (a name has no
// "/": foo/bar is a directory).
func isPathSpec(v string) bool {
	return v == "." || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "../") ||
		strings.Contains(v, "/") && !isURLSpec(v) ||
		strings.HasSuffix(v, ".whl") || strings.HasSuffix(v, ".tar.gz") || strings.HasSuffix(v, ".zip") ||
		strings.Contains(v, "*")
}

// isURLSpec: VCS and URL requirements.
func isURLSpec(v string) bool {
	return strings.Contains(v, "://") || strings.HasPrefix(v, "git+") || strings.Contains(v, " @ ")
}

// reqName is the distribution name of a requirement specifier, and
// whether it pins an exact version (==, ===, or @ URL).
func reqName(v string) (name string, pinned bool) {
	name = v
	if i := strings.IndexAny(v, "<>=!~;[ @"); i >= 0 {
		name = v[:i]
	}
	rest := v[len(name):]
	if j := strings.Index(rest, "]"); strings.HasPrefix(rest, "[") && j >= 0 {
		rest = rest[j+1:]
	}
	rest = strings.TrimSpace(rest)
	pinned = strings.HasPrefix(rest, "==") && !strings.Contains(rest, "*") || strings.HasPrefix(rest, "@")
	return name, pinned
}

var distSepRe = regexp.MustCompile(`[-_.]+`)

// normalizeDist is PEP 503 normalisation.
func normalizeDist(name string) string {
	return strings.ToLower(distSepRe.ReplaceAllString(name, "-"))
}

// toolCmd reports whether c runs one of the named tools with one of the
// subcommands (e.g. poetry install, pipenv install, uv sync, conda
// install).
func toolCmd(c *Call, tool string, subs ...string) (Word, bool) {
	i, name := c.program()
	if name != tool && !(tool == "conda" && (name == "mamba" || name == "micromamba")) {
		return Word{}, false
	}
	for _, w := range c.Words[i+1:] {
		if strings.HasPrefix(w.Value, "-") {
			continue
		}
		for _, s := range subs {
			if w.Value == s {
				return w, true
			}
		}
		return Word{}, false
	}
	return Word{}, false
}

// pythonInstall reports whether a RUN installs Python packages (pip, uv,
// poetry, pipenv, pdm, conda).
func pythonInstall(in *Instruction) bool {
	for _, c := range in.calls() {
		if pipCommand(in, c) != nil {
			return true
		}
		if _, ok := toolCmd(c, "poetry", "install", "sync"); ok {
			return true
		}
		if _, ok := toolCmd(c, "pipenv", "install", "sync"); ok {
			return true
		}
		if _, ok := toolCmd(c, "uv", "sync"); ok {
			return true
		}
		if _, ok := toolCmd(c, "pdm", "install", "sync"); ok {
			return true
		}
		if setupPyInstall(c) != nil {
			return true
		}
	}
	return false
}

// setupPyInstall reads "python setup.py install|develop [--user]": the
// word "install" or "develop", nil for other commands.
func setupPyInstall(c *Call) *Word {
	i, name := c.program()
	if !pythonName.MatchString(name) || i+2 >= len(c.Words) || !strings.HasSuffix(c.Words[i+1].Value, "setup.py") {
		return nil
	}
	if w := c.Words[i+2]; w.Value == "install" || w.Value == "develop" {
		return &c.Words[i+2]
	}
	return nil
}

// rmPaths are the paths an "rm" command removes, or nil when c is not rm.
func rmPaths(c *Call) []string {
	if c.Name() != "rm" {
		return nil
	}
	var out []string
	for _, w := range c.Args() {
		if !strings.HasPrefix(w.Value, "-") {
			out = append(out, w.Value)
		}
	}
	return out
}

// chownCmd reads "chown [-R] OWNER PATH...".
func chownCmd(c *Call) (owner string, recursive bool, paths []string, ok bool) {
	if c.Name() != "chown" {
		return "", false, nil, false
	}
	for _, w := range c.Args() {
		switch {
		case w.Dynamic:
			return "", false, nil, false
		case w.Value == "-R" || w.Value == "--recursive":
			recursive = true
		case strings.HasPrefix(w.Value, "-"):
			if !strings.ContainsAny(w.Value[1:], "R") && w.Value != "-h" && w.Value != "-v" && w.Value != "-f" {
				return "", false, nil, false
			}
			if strings.Contains(w.Value, "R") {
				recursive = true
			}
		case owner == "":
			owner = w.Value
		default:
			paths = append(paths, w.Value)
		}
	}
	return owner, recursive, paths, owner != "" && len(paths) > 0
}

// userCreation reads useradd/adduser/groupadd/addgroup: the user created
// ("" for groups, or adduser USER GROUP, which adds a user to a group) and
// whether it is such a command at all.
func userCreation(c *Call) (user string, ok bool) {
	switch c.Name() {
	case "useradd", "adduser", "groupadd", "addgroup":
	default:
		return "", false
	}
	u, _, group := userCreated(c)
	if group {
		return "", true
	}
	return u, true
}

// createdUsers are the users the stage (and its bases) create before the
// instruction (nil: anywhere).
func createdUsers(s *Stage, before *Instruction) []string {
	var out []string
	for _, st := range s.chain() {
		for _, in := range st.Instrs {
			if before != nil && st == s && in.StartLine >= before.StartLine {
				break
			}
			for _, c := range in.calls() {
				if u, ok := userCreation(c); ok && u != "" {
					out = append(out, u)
				}
			}
		}
	}
	return out
}

func isRootUser(u string) bool {
	user, _, _ := strings.Cut(u, ":")
	return user == "" || user == "root" || user == "0"
}

// cleanupOnly reports whether every command of a RUN only deletes or
// changes ownership and modes (rm, find -delete, chown, chmod, apt-get
// clean, pip cache purge): a RUN that could be folded into the one that
// made the files.
func cleanupOnly(in *Instruction) bool {
	cs := in.calls()
	if len(cs) == 0 || !in.editable() {
		return false
	}
	for _, c := range cs {
		switch c.Name() {
		case "rm", "chown", "chmod", "true":
		case "find":
			del := false
			for _, w := range c.Args() {
				if w.Value == "-delete" || w.Value == "rm" {
					del = true
				}
			}
			if !del {
				return false
			}
		case "apt-get", "apt":
			p := pkgCommand(in, c)
			if p == nil || !p.is("clean", "autoclean") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// cleanupPaths are the absolute paths a cleanup RUN acts on.
func cleanupPaths(in *Instruction) []string {
	var out []string
	wd := "/"
	if in.Stage != nil {
		wd = in.Stage.Workdir(in)
	}
	for _, c := range in.calls() {
		switch c.Name() {
		case "rm", "chmod":
			args := c.Args()
			skip := -1
			if c.Name() == "chmod" {
				skip = firstNonFlag(args) // the mode
			}
			for k, w := range args {
				if !strings.HasPrefix(w.Value, "-") && k != skip {
					out = append(out, resolvePath(wd, w.Value))
				}
			}
		case "chown":
			if _, _, ps, ok := chownCmd(c); ok {
				for _, p := range ps {
					out = append(out, resolvePath(wd, p))
				}
			}
		case "find":
			if a := c.Args(); len(a) > 0 && !strings.HasPrefix(a[0].Value, "-") {
				out = append(out, resolvePath(wd, a[0].Value))
			}
		case "apt-get", "apt":
			out = append(out, "/var/cache/apt")
		}
	}
	return out
}

func firstNonFlag(ws []Word) int {
	for i, w := range ws {
		if !strings.HasPrefix(w.Value, "-") {
			return i
		}
	}
	return 0
}

// changesShellState reports whether a RUN changes the shell state that a later
// command of a merged RUN would inherit (cd, export, source, set, umask).
func changesShellState(in *Instruction) bool {
	for _, c := range in.calls() {
		switch c.Name() {
		case "cd", "pushd", "popd", "export", "source", ".", "set", "umask", "shopt", "alias", "unset", "trap":
			return true
		}
	}
	return false
}

// hasCacheMount reports whether the RUN mounts a cache at a path below
// or equal to target (e.g. /root/.cache/pip, /var/lib/apt).
func hasCacheMount(in *Instruction, targets ...string) bool {
	for _, f := range in.Flags {
		v, ok := strings.CutPrefix(f, "--mount=")
		if !ok || !strings.Contains(v, "type=cache") && !strings.Contains(v, "type=tmpfs") {
			continue // a tmpfs is not in the layer either
		}
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			if k == "target" || k == "dst" || k == "destination" {
				for _, t := range targets {
					if val == t || strings.HasPrefix(t, strings.TrimRight(val, "/")+"/") || strings.HasPrefix(val, t) {
						return true
					}
				}
			}
		}
	}
	return false
}

// isDependencyFile names the files a dependency install reads before the
// source is copied (poetry.lock* included: an optional lock).
func isDependencyFile(p string) bool {
	base := strings.TrimSuffix(path.Base(p), "*")
	switch base {
	case "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "uv.lock", "pdm.lock", "setup.py", "setup.cfg",
		"environment.yml", "environment.yaml", "conda-lock.yml", "constraints.txt", "poetry.toml", ".python-version":
		return true
	}
	return strings.HasPrefix(base, "requirements") && (strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in"))
}
