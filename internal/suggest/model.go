package suggest

import (
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Model is what a Dockerfile means, worked out once per parse
// (Dockerfile.Model): per stage the base it starts from, the users it
// has, what it writes and as whom, what it installs with which tool and
// where, and what its command runs and needs at run time. The suggestion
// kinds read it, and the safety check (check.go) compares the model of a
// rewrite with the original's.
type Model struct {
	d      *Dockerfile
	Stages []*StageModel // as d.Stages
	byName map[string]*StageModel
}

// StageModel is one stage's meaning at its end (a stage built FROM an
// earlier one starts from that one's).
type StageModel struct {
	St     *Stage
	Base   Base   // the image under the stage (a FROM stage: its root's)
	Python Python // the interpreter python3 runs at the end of the stage
	// Users and Groups are those the file creates (with the stages it is
	// built FROM).
	Users    map[string]UserDef
	Groups   map[string]UserDef
	Writes   []Write
	Installs []Install
	Venvs    []string // virtual environments created (python -m venv DIR)
	// Programs are the programs put on the file system by name: COPYed
	// binaries, OS packages, tools pip installs by name.
	Programs map[string]*Instruction
	// Fetches: a RUN downloads and runs an installer (curl ... | sh):
	// it may put any program anywhere.
	Fetches bool
	OSPkgs  map[string]*Instruction // the OS packages installed, and where
	// Copies are the COPY --from of earlier stages.
	Copies []CopyFrom
	// Cmd is what a container of the stage runs; nil: what the base
	// image runs.
	Cmd *Command
	// Deadsnakes: the deadsnakes PPA is added.
	Deadsnakes bool
	// Shell is the SHELL in effect at the end (nil: /bin/sh -c).
	Shell []string
	// RootRC: a RUN writes root's shell startup file (conda activate in
	// ~/.bashrc, conda init).
	RootRC *Instruction
	// Recreated are the useradd and groupadd commands of this stage that
	// create a user or group it already has ("already exists": the RUN
	// fails).
	Recreated []UserDef

	idx pathIndex // the Writes and package places by path
}

// pathIndex answers "is there something at, above or below this path" in
// the time of the path's depth, not of the file's length.
type pathIndex struct {
	made     map[string]bool         // a write's own path
	below    map[string]bool         // something was written below it
	tree     map[string]bool         // a write that may hold anything below (COPY, install)
	pkgs     map[string]*Instruction // Python packages are there
	pkgBelow map[string]*Instruction // ... or below
	lastIn   map[string]int          // the index of the last write at or below it (not chown/chmod/volume)
	at       map[string][]int        // the indexes of the writes at the path
}

func (x *pathIndex) copy() pathIndex {
	return pathIndex{copyMap(x.made), copyMap(x.below), copyMap(x.tree), copyMap(x.pkgs), copyMap(x.pkgBelow), copyMap(x.lastIn), copyMap(x.at)}
}

// ancestors calls fn with each proper ancestor of an absolute path,
// nearest first.
func ancestors(p string, fn func(string) bool) {
	for p != "/" && p != "." && p != "" {
		p = path.Dir(p)
		if fn(p) {
			return
		}
	}
}

// addWrite records a write and indexes it.
func (sm *StageModel) addWrite(w Write) {
	i := len(sm.Writes)
	sm.Writes = append(sm.Writes, w)
	x := &sm.idx
	x.at[w.Path] = append(x.at[w.Path], i)
	if w.Kind == "volume" {
		return
	}
	x.made[w.Path] = true
	ancestors(w.Path, func(a string) bool {
		if x.below[a] {
			return true // its ancestors are marked already
		}
		x.below[a] = true
		return false
	})
	switch w.Kind {
	case "mkdir", "workdir", "file", "sqlite", "chown", "chmod":
	default:
		x.tree[w.Path] = true
	}
	if w.Kind != "chown" && w.Kind != "chmod" {
		x.lastIn[w.Path] = i
		ancestors(w.Path, func(a string) bool { x.lastIn[a] = i; return false })
	}
	if w.Kind == "packages" || w.Kind == "install" {
		sm.addPackages(w.Path, w.In)
	}
}

// addPackages records a place that holds Python packages.
func (sm *StageModel) addPackages(p string, in *Instruction) {
	x := &sm.idx
	if x.pkgs[p] == nil {
		x.pkgs[p] = in
	}
	ancestors(p, func(a string) bool {
		if x.pkgBelow[a] != nil {
			return true
		}
		x.pkgBelow[a] = in
		return false
	})
}

// UserDef is a user or group the file creates (first).
type UserDef struct {
	In    *Instruction
	At    int // the offset of the command that creates it
	UID   string
	Group bool
	Name  string // in StageModel.Recreated
}

// inOrList: c runs in a top-level || list of in ("id app || useradd
// app"), where its failure is handled.
func inOrList(in *Instruction, c *Call) bool {
	if in.Shell == nil {
		return false
	}
	for _, seg := range in.Shell.Segments {
		if seg.Or && c.Start >= seg.Start && c.Start < seg.End {
			return true
		}
	}
	return false
}

// Write is one path an instruction creates or changes.
type Write struct {
	Path  string
	Kind  string // copy, workdir, mkdir, volume, chown, chmod, venv, install, run, file
	Owner string // the user:group it is owned by afterwards ("" root; only when Owns)
	Owns  bool   // the write sets the owner of Path
	Tree  bool   // ... and of everything below it (COPY, chown -R)
	World bool   // chmod made it writable by every user
	In    *Instruction
}

// CopyFrom is one source of a COPY --from=STAGE.
type CopyFrom struct {
	In        *Instruction
	From      *StageModel
	Src, Dest string
}

// Install is one installation of Python packages.
type Install struct {
	In   *Instruction
	Call *Call
	Tool string // pip, uv-pip, uv-sync, poetry, pipenv, pdm, conda, setup.py, pipx
	// Env is the environment it installs into (a venv, a prefix, the
	// user base ~/.local, a conda env); "" unknown.
	Env     string
	System  bool     // the interpreter's own prefix
	UserDir bool     // the user site (pip --user)
	Names   []string // distributions named on the command line (PEP 503)
	Project bool     // the project in the working directory
	Site    string   // the site-packages it writes ("" unknown)
}

// Command is what a container of a stage runs: ENTRYPOINT and CMD.
type Command struct {
	Entrypoint, Cmd *Instruction
	// Argv is what runs, normalised: a shell-form or sh -c command that is
	// one simple static command is its words (exec form runs the same);
	// other shell text is "/bin/sh", "-c" and the text; a runner that
	// only selects an environment (poetry run, pipenv run) is dropped.
	// A single-quoted "exec form" (shell form for Docker) is the argv its
	// author meant.
	Argv []string
	// Program is the program it starts (after wrappers and runners).
	Program string
	// Runner runs Program in an environment: uv, poetry, pipenv, conda.
	Runner string
	// RunnerArgs are the runner's options ("--no-sync", "-n", "env").
	RunnerArgs []string
	Trap       bool // a single-quoted array: Docker runs it as a shell command
	ShellForm  bool
}

// Model is the Dockerfile's semantic model (computed on first use).
func (d *Dockerfile) Model() *Model {
	if d.model == nil {
		d.model = buildModel(d)
	}
	return d.model
}

func buildModel(d *Dockerfile) *Model {
	m := &Model{d: d, byName: map[string]*StageModel{}}
	for _, st := range d.Stages {
		sm := &StageModel{St: st, Users: map[string]UserDef{}, Groups: map[string]UserDef{}, Programs: map[string]*Instruction{}, OSPkgs: map[string]*Instruction{},
			idx: pathIndex{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]*Instruction{}, map[string]*Instruction{}, map[string]int{}, map[string][]int{}}}
		if p := st.BaseStage; p != nil {
			pm := m.Stages[p.Index]
			*sm = *pm
			sm.St = st
			sm.Users = copyMap(pm.Users)
			sm.Groups = copyMap(pm.Groups)
			sm.Programs = copyMap(pm.Programs)
			sm.idx = pm.idx.copy()
			sm.Writes = pm.Writes[:len(pm.Writes):len(pm.Writes)]
			sm.Installs = pm.Installs[:len(pm.Installs):len(pm.Installs)]
			sm.Venvs = pm.Venvs[:len(pm.Venvs):len(pm.Venvs)]
			sm.OSPkgs = copyMap(pm.OSPkgs)
			sm.Copies = pm.Copies[:len(pm.Copies):len(pm.Copies)]
			sm.Recreated = nil // the parent's own
		} else {
			sm.Base = baseOf(st.Base)
			sm.Python = sm.Base.Python
		}
		m.Stages = append(m.Stages, sm)
		if st.Name != "" {
			m.byName[st.Name] = sm
		}
		for _, in := range st.Instrs {
			sm.add(m, in)
		}
	}
	return m
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Stage is the model of a stage named in a COPY --from or FROM (a name
// or an index); nil for an image.
func (m *Model) Stage(ref string) *StageModel {
	if sm := m.byName[strings.ToLower(ref)]; sm != nil {
		return sm
	}
	for i, sm := range m.Stages {
		if ref == strconv.Itoa(i) {
			return sm
		}
	}
	return nil
}

// Final is the model of the last stage.
func (m *Model) Final() *StageModel { return m.Stages[len(m.Stages)-1] }

// user is the user (name or uid) RUN runs as at in.
func userOf(spec string) string {
	u, _, _ := strings.Cut(spec, ":")
	return u
}

// add reads one instruction into the stage's model.
func (sm *StageModel) add(m *Model, in *Instruction) {
	switch in.Keyword {
	case "COPY", "ADD":
		srcs, dest := in.copySources()
		if in.Heredoc || len(srcs) == 0 {
			return
		}
		abs := resolvePath(in.wd, dest)
		owner, _ := in.flag("chown")
		// COPY does not change the owner of a directory that is there.
		sm.addWrite(Write{Path: abs, Kind: "copy", Owner: owner, Owns: !sm.exists(abs), Tree: true, In: in})
		into := strings.HasSuffix(dest, "/") || len(srcs) > 1
		from, _ := in.flag("from")
		src := m.Stage(from)
		for _, s := range srcs {
			target := abs
			if into {
				target = path.Join(abs, path.Base(s))
			}
			if onPATH(sm.St, in, path.Dir(target)) {
				sm.Programs[path.Base(target)] = in
			}
			if src != nil && src.hasPackages(resolvePath("/", s)) {
				sm.addWrite(Write{Path: target, Kind: "packages", In: in})
				// the console scripts of what was installed there come along
				for _, inst := range src.Installs {
					if rel, ok := strings.CutPrefix(inst.Env, resolvePath("/", s)); ok && inst.Env != "" && onPATH(sm.St, nil, path.Join(target, rel, "bin")) {
						for _, n := range inst.Names {
							sm.Programs[n] = in
						}
					}
				}
			}
		}
		if src != nil {
			for _, s := range srcs {
				sm.Copies = append(sm.Copies, CopyFrom{In: in, From: src, Src: resolvePath(src.St.wdEnd, s), Dest: abs})
			}
		}
	case "WORKDIR":
		abs := resolvePath(in.wd, in.Args[0])
		if !sm.exists(abs) {
			sm.addWrite(Write{Path: abs, Kind: "workdir", Owner: in.user, Owns: true, In: in})
		}
	case "VOLUME":
		for _, v := range volumePaths(in) {
			sm.addWrite(Write{Path: resolvePath(in.wd, v), Kind: "volume", In: in})
		}
	case "SHELL":
		sm.Shell = in.Args
	case "CMD", "ENTRYPOINT":
		sm.setCommand(in)
	case "RUN":
		sm.addRun(m, in)
	}
}

// volumePaths are the paths of a VOLUME (JSON array or words).
func volumePaths(in *Instruction) []string {
	var out []string
	for _, a := range in.Args {
		out = append(out, strings.Fields(a)...)
	}
	return out
}

// exists: the path is there before the next instruction: written by the
// file (below a COPY or an install it may be), or one of the base image's
// own directories.
func (sm *StageModel) exists(p string) bool {
	x := &sm.idx
	if x.made[p] || x.below[p] || x.tree[p] {
		return true
	}
	found := false
	ancestors(p, func(a string) bool { found = x.tree[a]; return found })
	return found || sm.baseHas(p)
}

// baseDirs are the directories every Linux base image has.
var baseDirs = []string{"/", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/etc", "/var", "/tmp", "/root", "/home", "/opt", "/srv", "/run", "/mnt", "/media", "/dev", "/proc", "/sys", "/boot"}

// systemTrees are directory trees a base image fills itself.
var systemTrees = []string{"/bin", "/sbin", "/lib", "/lib64", "/usr", "/etc", "/var/lib", "/var/cache", "/var/log", "/var/tmp", "/dev", "/proc", "/sys"}

// distroPythonPkgRe is a versioned distro Python package (python3.11,
// python3.11-venv); pythonPkgRe its interpreter's.
var distroPythonPkgRe = regexp.MustCompile(`^python(3\.\d+)(-.*)?$`)
var pythonPkgRe = regexp.MustCompile(`^python(3\.\d+)$`)

// fetchPipeRe: a download piped into a shell or Python (an installer).
var fetchPipeRe = regexp.MustCompile(`\|\s*(sudo\s+)?(-E\s+)?(sh|bash|python3?)\b`)

var pythonLibDirRe = regexp.MustCompile(`/lib/python(\d+\.\d+)(/|$)`)

// baseHasDir: the base image has the directory p a RUN makes with mkdir:
// as baseHas, but a new directory below /var/lib, /var/log or /var/cache
// (an app's data, /var/lib/ledger) is not the base's. Of an unknown base
// (a private image, local/bookworm:base) only the directories every Linux
// image has are taken for the base's: a directory the file makes
// elsewhere is the file's, and the app it is made for writes there (had
// the base a /var/lib/counter, mkdir -p leaves it, and the app still
// writes there: the runtime user needs it all the same).
func (sm *StageModel) baseHasDir(p string) bool {
	for _, t := range []string{"/var/lib", "/var/log", "/var/cache"} {
		if underDir(p, t) && p != t && !strings.HasPrefix(p, "/var/lib/apt") && !strings.HasPrefix(p, "/var/lib/dpkg") && !strings.HasPrefix(p, "/var/cache/apt") {
			return false
		}
	}
	if !sm.Base.Known {
		return slices.Contains(baseDirs, p) || slices.ContainsFunc(systemTrees, func(t string) bool { return underDir(p, t) })
	}
	return sm.baseHas(p)
}

// baseHas: the base image has the path (unknown bases may have anything).
func (sm *StageModel) baseHas(p string) bool {
	if !sm.Base.Known {
		return true
	}
	if sm.Base.Family == "scratch" {
		return p == "/"
	}
	if m := pythonLibDirRe.FindStringSubmatch(p); m != nil {
		// /usr/local/lib/python3.6 on a 3.11 image is not there
		return sm.Python.Version == "" || m[1] == sm.Python.Version || sm.Python.Prefix == "/opt/conda" && strings.HasPrefix(p, "/opt/conda")
	}
	if sm.Python.Prefix == "/opt/conda" && underDir(p, "/opt/conda") {
		return true
	}
	if slices.Contains(baseDirs, p) {
		return true
	}
	for _, t := range systemTrees {
		if underDir(p, t) {
			return true
		}
	}
	return false
}

// onPATH: dir is on the PATH at in (the default PATH, or ENV PATH).
func onPATH(st *Stage, in *Instruction, dir string) bool {
	for _, p := range pathDirs(st, in) {
		if p == dir {
			return true
		}
	}
	return false
}

// pathDirs is the PATH at the instruction (before it; nil or another
// stage's: at the end of the stage).
func pathDirs(st *Stage, before *Instruction) []string {
	if before == nil || before.Stage != st {
		return st.pathEnd
	}
	n := sort.Search(len(st.paths), func(i int) bool { return st.paths[i].idx >= before.idx })
	if n > 0 {
		return st.paths[n-1].dirs
	}
	if b := st.BaseStage; b != nil {
		return b.pathEnd
	}
	return defaultPathDirs
}

var defaultPathDirs = strings.Split(defaultPATH, ":")

// addRun reads the commands of a RUN.
func (sm *StageModel) addRun(m *Model, in *Instruction) {
	user := userOf(in.user)
	venv := "" // activated inside the RUN (. /opt/venv/bin/activate)
	exports := map[string]string{}
	for _, p := range fetchedPaths(in) {
		// a git clone's directory, a wget -O or curl -o file
		sm.addWrite(Write{Path: p, Kind: "fetch", Owner: user, Owns: true, Tree: true, In: in})
	}
	for _, c := range in.calls() {
		i, name := c.program()
		args := c.Args()
		switch name {
		case "export":
			for _, w := range args {
				if k, v, ok := strings.Cut(w.Value, "="); ok {
					exports[k] = v
				}
			}
		case ".", "source":
			if len(args) > 0 && strings.HasSuffix(args[0].Value, "/bin/activate") {
				venv = path.Dir(path.Dir(args[0].Value))
			}
		case "mkdir":
			for _, w := range args {
				if !strings.HasPrefix(w.Value, "-") && !w.Dynamic {
					// below a COPY it may be there already: slimpy cannot
					// tell, and takes it for made here
					p := resolvePath(in.wd, w.Value)
					if !sm.idx.made[p] && !sm.baseHasDir(p) {
						sm.addWrite(Write{Path: p, Kind: "mkdir", Owner: user, Owns: true, In: in})
					}
				}
			}
		case "touch":
			for _, w := range args {
				if !strings.HasPrefix(w.Value, "-") && !w.Dynamic {
					sm.addWrite(Write{Path: resolvePath(in.wd, w.Value), Kind: "file", Owner: user, Owns: true, In: in})
				}
			}
		case "chown":
			if owner, rec, ps, ok := chownCmd(c); ok {
				for _, p := range ps {
					sm.addWrite(Write{Path: resolvePath(in.wd, p), Kind: "chown", Owner: owner, Owns: true, Tree: rec, In: in})
				}
			}
		case "chmod":
			if k := firstNonFlag(args); k < len(args) && worldWritable(args[k].Value) {
				for _, w := range args[k+1:] {
					if !strings.HasPrefix(w.Value, "-") {
						sm.addWrite(Write{Path: resolvePath(in.wd, w.Value), Kind: "chmod", World: true, Tree: hasRecursive(args), In: in})
					}
				}
			}
		case "useradd", "adduser", "groupadd", "addgroup":
			u, uid, group := userCreated(c)
			if u != "" && (name == "useradd" || name == "groupadd" && !hasWord(c, "-f") && !hasWord(c, "--force")) && !inOrList(in, c) {
				defs := sm.Users
				if group {
					defs = sm.Groups
				}
				if defs[u].In != nil || sm.Base.Known && sm.Base.hasUser(u) {
					sm.Recreated = append(sm.Recreated, UserDef{In: in, At: c.Start, Group: group, Name: u})
				}
			}
			if group && u != "" {
				if sm.Groups[u].In == nil {
					sm.Groups[u] = UserDef{In: in, At: c.Start, UID: uid, Group: true}
				}
			} else if u != "" {
				if sm.Users[u].In == nil {
					sm.Users[u] = UserDef{In: in, At: c.Start, UID: uid}
				}
				if !hasWord(c, "--no-user-group") && !hasWord(c, "-N") && sm.Groups[u].In == nil {
					sm.Groups[u] = UserDef{In: in, At: c.Start, Group: true}
				}
				{
					if home := userHome(c, u); home != "" {
						sm.addWrite(Write{Path: home, Kind: "mkdir", Owner: u, Owns: true, In: in})
					}
				}
			}
		case "add-apt-repository":
			for _, w := range args {
				if strings.Contains(w.Value, "deadsnakes") {
					sm.Deadsnakes = true
				}
			}
		case "conda":
			if len(args) > 0 && args[0].Value == "init" && isRootUser(user) {
				sm.RootRC = in
			}
		}
		for _, f := range c.Writes {
			if f == "~/.bashrc" || f == "/root/.bashrc" || f == "$HOME/.bashrc" || f == "~/.profile" || f == "/root/.profile" {
				if isRootUser(user) {
					sm.RootRC = in
				}
			}
		}
		if p := pkgCommand(in, c); p != nil && p.is("install", "add") {
			for _, n := range p.names() {
				if sm.OSPkgs[n] == nil {
					sm.OSPkgs[n] = in
				}
				sm.Programs[n] = in
				sm.osPython(p.manager, n)
			}
		}
		if name == "curl" || name == "wget" {
			sm.Fetches = sm.Fetches || fetchPipeRe.MatchString(in.Original)
		}
		if name == "python" || name == "python3" || pythonName.MatchString(name) || venvProgram(name) {
			if d := venvCreated(c, in.wd); d != "" {
				sm.Venvs = appendUnique(sm.Venvs, d)
				sm.addWrite(Write{Path: d, Kind: "venv", Owner: user, Owns: true, Tree: true, In: in})
			}
			// (not one started in the background: the RUN ends, and its
			// container with it, before the database may be there)
			if len(args) > 0 && strings.HasSuffix(args[0].Value, "manage.py") && len(args) > 1 && args[1].Value == "migrate" && !inBackground(in, c) {
				// Django's default database is BASE_DIR/db.sqlite3: the
				// project directory, where manage.py is.
				dir := path.Dir(resolvePath(in.wd, args[0].Value))
				sm.addWrite(Write{Path: path.Join(dir, "db.sqlite3"), Kind: "sqlite", Owner: user, Owns: true, In: in})
			}
		}
		if inst, ok := sm.install(in, c, i, venv, exports); ok {
			sm.Installs = append(sm.Installs, inst)
			if inst.Site != "" {
				sm.addPackages(inst.Site, in)
			}
			dirs := []string{inst.Env}
			if inst.System && inst.Site != "" {
				// not the whole prefix: its site-packages and bin
				dirs = []string{inst.Site, inst.Env + "/bin"}
			}
			for _, dir := range dirs {
				if dir != "" {
					sm.addWrite(Write{Path: dir, Kind: "install", Owner: user, Owns: !sm.exists(dir), Tree: true, In: in})
				}
			}
			for _, n := range inst.Names {
				if inst.Env != "" && (inst.System || onPATH(sm.St, in, inst.Env+"/bin")) {
					sm.Programs[n] = in
				}
			}
		}
	}
	if buildsPython(in) {
		ver, _ := sm.St.Env("PYTHON_VERSION", in)
		sm.Python = Python{Version: minorOf(ver), Prefix: "/usr/local"}
		if !strings.Contains(ver, ".") {
			sm.Python.Version = ""
		}
	}
}

// osPython: an OS package that installs the distro's Python makes it the
// interpreter, unless the image has its own (python:*, conda).
func (sm *StageModel) osPython(manager, pkg string) {
	if sm.Python.Prefix != "" && sm.Python.Prefix != "/usr" {
		return
	}
	switch {
	case pkg == "python3" || pkg == "python3-minimal" || pkg == "python3-pip" || pkg == "python3-venv" || pkg == "python3-dev":
		if sm.Python.Version == "" {
			sm.Python = Python{Version: distroPython[sm.Base.Distro+":"+sm.Base.Release], Prefix: "/usr"}
		}
	case manager == "apt" && pythonPkgRe.MatchString(pkg):
		if sm.Python.Version == "" || sm.Python.Prefix == "/usr" {
			sm.Python = Python{Version: strings.TrimPrefix(pkg, "python"), Prefix: "/usr"}
		}
	}
}

func worldWritable(mode string) bool {
	if strings.Trim(mode, "01234567") == "" && len(mode) >= 3 {
		last := mode[len(mode)-1] - '0'
		return last&2 != 0
	}
	for _, part := range strings.Split(mode, ",") {
		who, perm, ok := strings.Cut(part, "+")
		if ok && (strings.ContainsAny(who, "oa") || who == "") && strings.Contains(perm, "w") && who != "" {
			return true
		}
	}
	return false
}

func hasRecursive(ws []Word) bool {
	for _, w := range ws {
		if w.Value == "-R" || w.Value == "--recursive" || strings.HasPrefix(w.Value, "-") && !strings.HasPrefix(w.Value, "--") && strings.Contains(w.Value, "R") {
			return true
		}
	}
	return false
}

func venvProgram(name string) bool {
	return name == "virtualenv" || name == "uv"
}

// venvCreated is the directory "python -m venv DIR", "virtualenv DIR" or
// "uv venv DIR" creates ("" for other commands).
func venvCreated(c *Call, wd string) string {
	i, name := c.program()
	if i >= len(c.Words) {
		return ""
	}
	ws := c.Words[i+1:]
	switch {
	case name == "virtualenv":
	case name == "uv" && len(ws) > 0 && ws[0].Value == "venv":
		ws = ws[1:]
		if d := lastPositional(ws); d != "" {
			return resolvePath(wd, d)
		}
		return resolvePath(wd, ".venv")
	case pythonName.MatchString(name) || name == "python":
		k := 0
		for k < len(ws) && strings.HasPrefix(ws[k].Value, "-") && ws[k].Value != "-m" {
			k++
		}
		if k+1 >= len(ws) || ws[k].Value != "-m" || (ws[k+1].Value != "venv" && ws[k+1].Value != "virtualenv") {
			return ""
		}
		ws = ws[k+2:]
	default:
		return ""
	}
	if d := lastPositional(ws); d != "" {
		return resolvePath(wd, d)
	}
	return ""
}

func lastPositional(ws []Word) string {
	out := ""
	for _, w := range ws {
		if !strings.HasPrefix(w.Value, "-") && !w.Dynamic {
			out = w.Value
		}
	}
	return out
}

// userCreated reads useradd/adduser/groupadd/addgroup: the name created,
// its uid (or gid) when given, and whether it is a group.
func userCreated(c *Call) (name, uid string, group bool) {
	cmd := c.Name()
	group = cmd == "groupadd" || cmd == "addgroup"
	args := c.Args()
	valueOpts := map[string]bool{"-u": true, "--uid": true, "-g": true, "--gid": true, "-G": true, "--groups": true,
		"-d": true, "--home": true, "--home-dir": true, "-s": true, "--shell": true, "-c": true, "--comment": true,
		"-k": true, "--skel": true, "-e": true, "-f": true, "-K": true, "-p": true, "--ingroup": true, "-h": true,
		"--gecos": true, "-b": true, "--base-dir": true, "--firstuid": true, "--lastuid": true}
	var pos []string
	for i := 0; i < len(args); i++ {
		v := args[i].Value
		if strings.HasPrefix(v, "-") {
			o, val, has := strings.Cut(v, "=")
			if valueOpts[o] && !has && i+1 < len(args) {
				i++
				val = args[i].Value
			}
			if o == "-u" || o == "--uid" || group && (o == "-g" || o == "--gid") {
				uid = val
			}
			continue
		}
		pos = append(pos, v)
	}
	if len(pos) == 0 {
		return "", "", group
	}
	// Debian "adduser USER GROUP" adds a user to a group.
	if cmd == "adduser" && len(pos) == 2 && !hasWord(c, "--ingroup") && uid == "" && !strings.Contains(c.wordsText(), "--system") && !strings.Contains(c.wordsText(), "-D") {
		return "", "", false
	}
	return pos[0], uid, group
}

// userHome is the home directory a useradd/adduser creates ("" none).
func userHome(c *Call, name string) string {
	creates := c.Name() == "adduser" && !hasWord(c, "--no-create-home") && !hasWord(c, "-H")
	home := "/home/" + name
	args := c.Args()
	for i, w := range args {
		switch w.Value {
		case "-m", "--create-home":
			creates = true
		case "-d", "--home", "--home-dir", "-h":
			if i+1 < len(args) {
				home = args[i+1].Value
			}
		}
	}
	if !creates {
		return ""
	}
	return home
}

// install reads c as an installation of Python packages.
func (sm *StageModel) install(in *Instruction, c *Call, prog int, venv string, exports map[string]string) (Install, bool) {
	env := func(name string) (string, bool) {
		for _, kv := range c.Env {
			if kv[0] == name {
				return kv[1], true
			}
		}
		if v, ok := exports[name]; ok {
			return v, true
		}
		return sm.St.Env(name, in)
	}
	active := venv
	if active == "" && prog < len(c.Words) && strings.Contains(c.Words[prog].Value, "/") && !c.Words[prog].Dynamic {
		// /opt/venv/bin/pip, venv/bin/python -m pip
		if dir := path.Dir(resolvePath(in.wd, c.Words[prog].Value)); strings.HasSuffix(dir, "/bin") && path.Dir(dir) != "/usr" && path.Dir(dir) != "/usr/local" && path.Dir(dir) != "/" {
			active = path.Dir(dir)
		}
	}
	if active == "" {
		active = sm.pathVenv(in)
	}
	inst := Install{In: in, Call: c}
	system := func() {
		if active != "" {
			inst.Env, inst.Site = active, ""
			return
		}
		inst.System = true
		inst.Env = sm.Python.Prefix
		inst.Site = sm.Python.SitePackages()
	}
	home := "/root"
	if u := userOf(in.user); !isRootUser(u) {
		home = "/home/" + u
	}
	if pc := pipCommand(in, c); pc != nil {
		inst.Tool = "pip"
		if pc.tool == "uv" {
			inst.Tool = "uv-pip"
		}
		for _, w := range pc.specs {
			if n, _ := reqName(w.Value); n != "" && !isPathSpec(w.Value) && !isURLSpec(w.Value) {
				inst.Names = append(inst.Names, normalizeDist(n))
			}
			if w.Value == "." || strings.HasPrefix(w.Value, ".[") {
				inst.Project = true
			}
		}
		switch {
		case pc.hasOpt("--target", "-t", "--prefix", "--root"):
			for k, o := range pc.opts {
				if (o.Value == "--target" || o.Value == "-t" || o.Value == "--prefix" || o.Value == "--root") && k+1 < len(pc.opts) {
					inst.Env = resolvePath(in.wd, pc.opts[k+1].Value)
				} else if v, ok := strings.CutPrefix(o.Value, "--target="); ok {
					inst.Env = resolvePath(in.wd, v)
				} else if v, ok := strings.CutPrefix(o.Value, "--prefix="); ok {
					inst.Env = resolvePath(in.wd, v)
				}
			}
		case pc.hasOpt("--user"):
			inst.UserDir = true
			inst.Env = home + "/.local"
			if v, ok := env("PYTHONUSERBASE"); ok && v != "" {
				inst.Env = v
			}
			if sm.Python.Version != "" {
				inst.Site = inst.Env + "/lib/python" + sm.Python.Version + "/site-packages"
			}
		case pc.tool == "uv" && pc.hasOpt("--system"):
			active = ""
			system()
		case pc.tool == "uv":
			if v, ok := env("VIRTUAL_ENV"); ok && v != "" {
				active = v
			} else if active == "" {
				active = resolvePath(in.wd, ".venv")
			}
			system()
		default:
			system()
		}
		return inst, true
	}
	_, name := c.program()
	if prog >= len(c.Words) {
		return Install{}, false // env, sudo, exec alone
	}
	sub := ""
	for _, w := range c.Words[prog+1:] {
		if !strings.HasPrefix(w.Value, "-") {
			sub = w.Value
			break
		}
	}
	switch {
	case name == "uv" && sub == "sync":
		inst.Tool, inst.Project = "uv-sync", !hasWord(c, "--no-install-project")
		p, ok := env("UV_PROJECT_ENVIRONMENT")
		if !ok || p == "" {
			p = ".venv"
		}
		inst.Env = resolvePath(in.wd, p)
		if hasWord(c, "--active") {
			if v, ok := env("VIRTUAL_ENV"); ok {
				inst.Env = v
			}
		}
	case name == "poetry" && (sub == "install" || sub == "sync"):
		inst.Tool, inst.Project = "poetry", !hasWord(c, "--no-root") && !hasWord(c, "--only-root")
		create, _ := env("POETRY_VIRTUALENVS_CREATE")
		inProject, _ := env("POETRY_VIRTUALENVS_IN_PROJECT")
		if strings.Contains(in.Original, "virtualenvs.create false") || strings.Contains(sm.runText(in), "virtualenvs.create false") {
			create = "false"
		}
		if strings.Contains(in.Original, "virtualenvs.in-project true") || strings.Contains(sm.runText(in), "virtualenvs.in-project true") {
			inProject = "true"
		}
		switch {
		case isFalse(create):
			if v, ok := env("VIRTUAL_ENV"); ok && v != "" && active == "" {
				active = v
			}
			system()
		case isTrue(inProject):
			inst.Env = resolvePath(in.wd, ".venv")
		default:
			inst.Env = "" // ~/.cache/pypoetry/virtualenvs/NAME-HASH-pyX.Y
		}
	case name == "pipenv" && (sub == "install" || sub == "sync"):
		inst.Tool = "pipenv"
		inProject, _ := env("PIPENV_VENV_IN_PROJECT")
		switch {
		case hasWord(c, "--system"):
			system()
		case isTrue(inProject):
			inst.Env = resolvePath(in.wd, ".venv")
		default:
			inst.Env = "" // ~/.local/share/virtualenvs/NAME-HASH
		}
	case name == "pdm" && (sub == "install" || sub == "sync"):
		inst.Tool, inst.Env = "pdm", resolvePath(in.wd, ".venv")
	case name == "pipx" && sub == "install":
		inst.Tool = "pipx"
		for _, w := range c.Words[min(prog+2, len(c.Words)):] {
			if !strings.HasPrefix(w.Value, "-") {
				if n, _ := reqName(w.Value); n != "" {
					inst.Names = append(inst.Names, normalizeDist(n))
				}
				break
			}
		}
		inst.Env = home + "/.local/pipx"
		if isRootUser(userOf(in.user)) {
			sm.Programs[strings.Join(inst.Names, "")] = in
		}
	case (name == "conda" || name == "mamba" || name == "micromamba") && (sub == "install" || sub == "create" || sub == "env" || sub == "update"):
		inst.Tool = "conda"
		inst.Env = sm.Python.Prefix
		for k, w := range c.Words {
			if (w.Value == "-n" || w.Value == "--name") && k+1 < len(c.Words) {
				inst.Env = "/opt/conda/envs/" + c.Words[k+1].Value
			}
			if (w.Value == "-p" || w.Value == "--prefix") && k+1 < len(c.Words) {
				inst.Env = resolvePath(in.wd, c.Words[k+1].Value)
			}
		}
	case pythonName.MatchString(name) && len(c.Words) > prog+2 && strings.HasSuffix(c.Words[prog+1].Value, "setup.py") && (c.Words[prog+2].Value == "install" || c.Words[prog+2].Value == "develop"):
		inst.Tool, inst.Project = "setup.py", true
		system()
	default:
		return Install{}, false
	}
	return inst, true
}

// runText is the text of the RUNs of the stage's chain before in.
func (sm *StageModel) runText(in *Instruction) string {
	var b strings.Builder
	for _, st := range sm.St.chain() {
		for _, x := range st.Instrs {
			if x.Stage == in.Stage && x.idx >= in.idx {
				break
			}
			if x.Keyword == "RUN" && strings.Contains(x.Original, "poetry config") {
				b.WriteString(x.Original)
			}
		}
	}
	return b.String()
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func isFalse(v string) bool {
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}

// pathVenv is the virtual environment whose bin directory comes first on
// the PATH at in (nil: the end of the stage), before the system's; "" none.
func (sm *StageModel) pathVenv(in *Instruction) string {
	for _, dir := range pathDirs(sm.St, in) {
		if !strings.HasSuffix(dir, "/bin") {
			continue
		}
		env := path.Dir(dir)
		if env == "/usr" || env == "/usr/local" || env == "/" || env == "" {
			return ""
		}
		if slices.Contains(sm.Venvs, env) || sm.packagesAt(env) != nil || strings.Contains(path.Base(env), "venv") {
			return env
		}
	}
	return ""
}

// hasPackages: p holds Python packages the stage installed, or is inside
// or above such a place (a venv, site-packages, a --prefix or --user tree).
func (sm *StageModel) hasPackages(p string) bool {
	if sm.packagesAt(p) != nil {
		return true
	}
	found := false
	ancestors(p, func(a string) bool { found = sm.idx.pkgs[a] != nil; return found })
	for _, v := range sm.Venvs {
		found = found || underDir(p, v) || underDir(v, p)
	}
	return found
}

// packagesAt is what put Python packages into env (or below it): an
// install, a venv, or a COPY --from of another stage's packages; nil: none.
func (sm *StageModel) packagesAt(env string) *Instruction {
	if in := sm.idx.pkgs[env]; in != nil {
		return in
	}
	return sm.idx.pkgBelow[env]
}

// canWrite: the user owns the path when the stage ends, or it is writable
// by everyone. A COPY sets the owner of what it brings, not of a path an
// earlier instruction made (the build context may not hold it).
func (sm *StageModel) canWrite(u, p string) bool {
	// the writes at p, and those above it that reach below
	idxs := append([]int(nil), sm.idx.at[p]...)
	ancestors(p, func(a string) bool {
		for _, i := range sm.idx.at[a] {
			if sm.Writes[i].Tree {
				idxs = append(idxs, i)
			}
		}
		return false
	})
	sort.Ints(idxs)
	owner, world, made := "", false, false
	for _, i := range idxs {
		w := sm.Writes[i]
		switch {
		case w.Kind == "chmod":
			world = world || w.World
		case w.Kind == "copy" && w.Owner == "" && made && p != w.Path:
		case w.Path == p && w.Owns, w.Tree && p != w.Path && (w.Kind == "copy" || w.Kind == "chown" || w.Kind == "venv" || w.Kind == "install"):
			owner = w.Owner
			made = made || w.Kind != "chown"
		case w.Path == p:
			made = true
		}
	}
	if world {
		return true
	}
	o := userOf(owner)
	if o == "" || o == "root" || o == "0" {
		return false
	}
	return o == u || sm.Users[o].UID == u || sm.Users[u].UID != "" && sm.Users[u].UID == o
}

// inBackground says whether the call runs in a top-level segment of the
// RUN that runs in the background ("a && b &").
func inBackground(in *Instruction, c *Call) bool {
	return in.Shell != nil && c.Segment >= 0 && c.Segment < len(in.Shell.Segments) && in.Shell.Segments[c.Segment].Background
}
