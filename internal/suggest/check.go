package suggest

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The safety check: every rewrite (each suggestion's result, each step of
// Apply) is compared with what it rewrote, through both files' models. A
// rewrite that makes the build or the app fail where the original would
// not is not offered as a diff: it becomes advice that says why.

// Problem is one way a Dockerfile would not build or not run.
type Problem struct {
	Check string // the check's name (docs/suggestions.md, "The safety check")
	// Subject is what it is about; with Check it matches the same problem
	// in the original and in the rewrite.
	Subject string
	Line    int
	Msg     string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// The checks.
const (
	checkUser     = "user-exists"
	checkCopyFrom = "copy-from-source"
	checkABI      = "same-libc-and-python"
	checkWritable = "app-can-write"
	checkArgv     = "exec-form-argv"
	checkStatus   = "merged-run-status"
	checkTag      = "base-tag"
	checkCommand  = "command-needs"
)

// CheckNames lists the checks, for docs and tests.
var CheckNames = []string{checkUser, checkCopyFrom, checkABI, checkWritable, checkArgv, checkStatus, checkTag, checkCommand}

// newProblems are the problems the rewrite after has that before had
// not: what the rewrite breaks.
func newProblems(before, after *Dockerfile, now time.Time) []Problem {
	bm, am := before.Model(), after.Model()
	had := map[string]bool{}
	for _, p := range bm.problems() {
		had[p.Check+"\x00"+p.Subject] = true
	}
	var out []Problem
	for _, p := range am.problems() {
		if !had[p.Check+"\x00"+p.Subject] {
			out = append(out, p)
		}
	}
	out = append(out, compareCommands(bm, am)...)
	out = append(out, mergedRunProblems(before, after)...)
	out = append(out, newTagProblems(bm, am, now)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// problems are the problems one file has on its own.
func (m *Model) problems() []Problem {
	var out []Problem
	for _, sm := range m.Stages {
		out = append(out, sm.userProblems(m)...)
		out = append(out, sm.copyProblems()...)
	}
	out = append(out, m.Final().accessProblems(m)...)
	out = append(out, m.distroPythonProblems()...)
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(p Problem) bool {
		k := p.Check + "\x00" + p.Subject
		dup := seen[k]
		seen[k] = true
		return dup
	})
}

// stageLabel names a stage in a problem's subject: by role, which a
// rewrite keeps, not by index.
func (m *Model) stageLabel(st *Stage) string {
	if st == m.d.Final() {
		return "the final stage"
	}
	if st.Name != "" {
		return "stage " + st.Name
	}
	return "stage " + strconv.Itoa(st.Index)
}

// ------------------------------------------------------------ users

// userProblems: every USER, --chown and chown names a user and group that
// exist where it runs.
func (sm *StageModel) userProblems(m *Model) []Problem {
	var out []Problem
	for _, in := range sm.St.Instrs {
		// useradd and package installs need root: a RUN as the stage's
		// USER, or the base's own (chainguard's nonroot), fails
		u := userOf(in.user)
		if in.user == "" {
			u = sm.Base.User
		}
		if in.Keyword != "RUN" || isRootUser(u) || strings.Contains(u, "$") {
			continue
		}
		for _, c := range in.calls() {
			n := c.Name()
			_, creates := userCreation(c)
			pc := pkgCommand(in, c)
			if creates || n == "groupadd" || pc != nil && pc.is("install", "add", "upgrade", "update") {
				out = append(out, Problem{Check: checkUser, Subject: "as " + u + ": " + n + " in " + m.stageLabel(sm.St), Line: in.StartLine,
					Msg: fmt.Sprintf("%s runs as %s, which cannot (it needs root)", n, u)})
				break
			}
		}
	}
	for _, r := range sm.Recreated {
		what := "user"
		if r.Group {
			what = "group"
		}
		out = append(out, Problem{Check: checkUser, Subject: "created again: " + what + " " + r.Name + " in " + m.stageLabel(sm.St), Line: r.In.StartLine,
			Msg: fmt.Sprintf("%s %s is created again where it exists (\"already exists\": the RUN fails)", what, r.Name)})
	}
	for _, in := range sm.St.Instrs {
		type use struct {
			spec string
			at   int // offset in the source: users created before it count
		}
		var uses []use
		switch in.Keyword {
		case "USER":
			uses = append(uses, use{in.Args[0], in.Start})
		case "COPY", "ADD":
			if v, ok := in.flag("chown"); ok {
				uses = append(uses, use{v, in.Start})
			}
		case "RUN":
			for _, c := range in.calls() {
				if owner, _, _, ok := chownCmd(c); ok {
					uses = append(uses, use{owner, c.Start})
				}
			}
		}
		for _, u := range uses {
			user, group, _ := strings.Cut(u.spec, ":")
			for k, name := range []string{user, group} {
				if name == "" || strings.Contains(name, "$") {
					continue
				}
				if !sm.userExists(m, name, in, u.at, k == 1) {
					what := "user"
					if k == 1 {
						what = "group"
					}
					out = append(out, Problem{Check: checkUser, Subject: what + " " + name + " in " + m.stageLabel(sm.St) + " " + in.Keyword, Line: in.StartLine,
						Msg: fmt.Sprintf("%s %s: no %s %s exists in %s there (\"unable to find user\")", in.Keyword, u.spec, what, name, m.stageLabel(sm.St))})
				}
			}
		}
	}
	return out
}

// userExists: the user (or group) exists at the offset at of in: created
// before it in the stage's chain, numeric, or the base image's. An
// unknown base may have it, unless the file creates it somewhere else
// (then the base has not).
func (sm *StageModel) userExists(m *Model, name string, in *Instruction, at int, group bool) bool {
	if _, err := strconv.Atoi(name); err == nil {
		return true
	}
	defs := sm.Users
	if group {
		defs = sm.Groups
	}
	if def := defs[name]; def.In != nil {
		if def.In.Stage != in.Stage || def.In.idx < in.idx || def.In == in && def.At < at {
			return true
		}
	}
	if sm.Base.Known {
		return sm.Base.hasUser(name)
	}
	for _, other := range m.Stages {
		if other.Users[name].In != nil || group && other.Groups[name].In != nil {
			return false
		}
	}
	return true
}

// ------------------------------------------------------------ COPY --from

// copyProblems: every COPY --from source is produced in its stage; stages
// that exchange Python packages share libc and Python X.Y, and a venv
// keeps its path.
func (sm *StageModel) copyProblems() []Problem {
	var out []Problem
	for _, c := range sm.Copies {
		if c.In.Stage != sm.St {
			continue
		}
		from := c.From
		label := "COPY --from=" + nameOr(from.St)
		if !strings.ContainsAny(c.Src, "*?[$") && !from.exists(c.Src) {
			out = append(out, Problem{Check: checkCopyFrom, Subject: label + " " + c.Src, Line: c.In.StartLine,
				Msg: fmt.Sprintf("%s %s: stage %s has no %s (the build fails)", label, c.Src, nameOr(from.St), c.Src)})
			continue
		}
		if !from.hasPackages(c.Src) {
			continue
		}
		switch {
		case from.Base.Libc != "" && sm.Base.Libc != "" && from.Base.Libc != sm.Base.Libc:
			out = append(out, Problem{Check: checkABI, Subject: label + " " + c.Src + " libc", Line: c.In.StartLine,
				Msg: fmt.Sprintf("%s copies Python packages built against %s into a %s image: their compiled extensions do not load", label, from.Base.Libc, sm.Base.Libc)})
		case from.Python.Version != "" && sm.Python.Version != "" && from.Python.Version != sm.Python.Version:
			out = append(out, Problem{Check: checkABI, Subject: label + " " + c.Src + " python", Line: c.In.StartLine,
				Msg: fmt.Sprintf("%s copies packages of Python %s into an image whose Python is %s: they are not imported", label, from.Python.Version, sm.Python.Version)})
		case sm.Base.Known && sm.Python.Prefix == "" && from.Python.Prefix != "":
			out = append(out, Problem{Check: checkABI, Subject: label + " " + c.Src + " python", Line: c.In.StartLine,
				Msg: fmt.Sprintf("%s copies Python packages into %s, which has no Python", label, sm.Base.Ref.String())})
		}
		for _, v := range from.Venvs {
			if c.Src == v && c.Dest != v {
				out = append(out, Problem{Check: checkABI, Subject: label + " " + c.Src + " path", Line: c.In.StartLine,
					Msg: fmt.Sprintf("%s moves the venv %s to %s: a venv cannot be moved (its scripts name %s/bin/python)", label, v, c.Dest, v)})
			}
		}
	}
	return out
}

func nameOr(st *Stage) string {
	if st.Name != "" {
		return st.Name
	}
	return strconv.Itoa(st.Index)
}

// ------------------------------------------------------------ access

var systemDirs = []string{"/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "/proc", "/sys", "/dev", "/boot", "/var/lib/apt", "/var/cache", "/root", "/tmp", "/var/tmp", "/run", "/var/run"}

// accessProblems: what the app writes is writable by the user it runs as,
// and what it reads (packages, shell startup files) is readable.
func (sm *StageModel) accessProblems(m *Model) []Problem {
	spec, userIn := sm.St.User()
	if isRootUser(spec) || sm.Base.Family == "scratch" {
		return nil
	}
	u := userOf(spec)
	var out []Problem
	need := func(p, why string, in *Instruction) {
		if sm.canWrite(u, p) {
			return
		}
		out = append(out, Problem{Check: checkWritable, Subject: "write " + p, Line: in.StartLine,
			Msg: fmt.Sprintf("%s, which user %s (USER, line %d) cannot write", why, u, userIn.StartLine)})
	}
	for i, w := range sm.Writes {
		switch w.Kind {
		case "volume":
			if !isSystemPath(w.Path) && !strings.Contains(w.Path, "$") {
				need(w.Path, fmt.Sprintf("VOLUME %s is where the app writes its data", w.Path), w.In)
			}
		case "mkdir":
			if !isSystemPath(w.Path) && !sm.filledLater(i) && !isHome(sm, w.Path) {
				need(w.Path, fmt.Sprintf("the directory %s that line %d makes is where the app writes", w.Path, w.In.StartLine), w.In)
			}
		case "sqlite":
			need(w.Path, fmt.Sprintf("%s (the SQLite database manage.py migrate made at build time)", w.Path), w.In)
			need(path.Dir(w.Path), fmt.Sprintf("%s, where SQLite writes its journal next to the database", path.Dir(w.Path)), w.In)
		}
	}
	if c := sm.Cmd; c != nil && c.Runner == "uv" && !slices.Contains(c.RunnerArgs, "--no-sync") && !envTrue(sm, "UV_NO_SYNC") {
		if env := sm.commandEnv(); env != "" && sm.uvInstallsAtStart(env) {
			need(env, fmt.Sprintf("uv run (line %d) installs the project into %s when the container starts", c.inst().StartLine, env), c.inst())
		}
	}
	for _, inst := range sm.Installs {
		if inst.Env != "" && underDir(inst.Env, "/root") && inst.Tool != "pipx" {
			out = append(out, Problem{Check: checkWritable, Subject: "read " + inst.Env, Line: inst.In.StartLine,
				Msg: fmt.Sprintf("line %d installs into %s, in root's home (mode 0700): user %s cannot import from it", inst.In.StartLine, inst.Env, u)})
		}
	}
	env := sm.commandEnv()
	for _, w := range sm.Writes {
		if underDir(w.Path, "/root/.cache") || underDir(w.Path, "/root/.local") && env != "" && !underDir(env, "/root") && sm.envHasPackages(env) {
			continue // a cache, or packages the app also has elsewhere
		}
		if (w.Kind == "copy" || w.Kind == "workdir" || w.Kind == "packages") && w.In.Stage == sm.St && underDir(w.Path, "/root") && w.Path != "/root" || w.Kind == "workdir" && w.Path == "/root" {
			what := "the app"
			if w.Kind == "packages" || underDir(w.Path, "/root/.local") {
				what = "Python packages"
			}
			out = append(out, Problem{Check: checkWritable, Subject: "read " + w.Path, Line: w.In.StartLine,
				Msg: fmt.Sprintf("line %d puts %s in %s, in root's home (mode 0700): user %s cannot read them", w.In.StartLine, what, w.Path, u)})
		}
	}
	if wd := sm.St.wdEnd; underDir(wd, "/root") {
		out = append(out, Problem{Check: checkWritable, Subject: "read " + wd, Line: userIn.StartLine,
			Msg: fmt.Sprintf("the working directory %s is in root's home (mode 0700): user %s cannot enter it", wd, u)})
	}
	if sm.RootRC != nil && loginShell(sm.Shell) {
		out = append(out, Problem{Check: checkWritable, Subject: "read /root/.bashrc", Line: sm.RootRC.StartLine,
			Msg: fmt.Sprintf("line %d sets up the environment in root's shell startup file, which the login shell of user %s does not read", sm.RootRC.StartLine, u)})
	}
	return out
}

func (c *Command) inst() *Instruction {
	if c.Cmd != nil {
		return c.Cmd
	}
	return c.Entrypoint
}

func envTrue(sm *StageModel, name string) bool {
	v, _ := sm.St.Env(name, nil)
	return isTrue(v)
}

// uvInstallsAtStart: uv sync left the project out of env (or nothing
// installed it): uv run installs it.
func (sm *StageModel) uvInstallsAtStart(env string) bool {
	for _, inst := range sm.Installs {
		if inst.Tool == "uv-sync" && inst.Env == env && inst.Project {
			return false
		}
	}
	return true
}

func loginShell(shell []string) bool {
	for _, a := range shell {
		if a == "--login" || a == "-l" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "l") {
			return true
		}
	}
	return false
}

func isSystemPath(p string) bool {
	for _, s := range systemDirs {
		if underDir(p, s) {
			return true
		}
	}
	return p == "/"
}

func isHome(sm *StageModel, p string) bool { return underDir(p, "/home") && strings.Count(p, "/") <= 2 }

// filledLater: something is put below the directory written by
// sm.Writes[i] after it (a COPY, an install, one of the next RUNs naming
// it): a build-time directory, not a data directory.
func (sm *StageModel) filledLater(i int) bool {
	w := sm.Writes[i]
	if last, ok := sm.idx.lastIn[w.Path]; ok && last > i {
		return true
	}
	// the next RUNs of its stage (a few: the RUN that fills a directory
	// comes soon after the mkdir, and scanning all would be quadratic)
	runs := 0
	for k := w.In.idx + 1; k < len(w.In.Stage.Instrs) && runs < 16; k++ {
		in := w.In.Stage.Instrs[k]
		if in.Keyword != "RUN" {
			continue
		}
		runs++
		if !strings.Contains(in.Original, w.Path) {
			continue
		}
		for _, c := range in.calls() {
			if n := c.Name(); n != "chown" && n != "chmod" && n != "mkdir" && strings.Contains(c.wordsText(), w.Path) {
				return true
			}
		}
	}
	return false
}

// ------------------------------------------------------------ OS packages

// distroPythonProblems: the python3.X packages a stage installs with apt
// exist on its release (deadsnakes counted when the file adds the PPA).
func (m *Model) distroPythonProblems() []Problem {
	var out []Problem
	re := distroPythonPkgRe
	for _, sm := range m.Stages {
		if sm.St.BaseStage != nil || sm.Base.Release == "" || (sm.Base.Distro != "ubuntu" && sm.Base.Distro != "debian") || sm.Base.Family == "python" {
			continue
		}
		for _, in := range sm.St.Instrs {
			for _, p := range pkgCommands(in) {
				if p.manager != "apt" || !p.is("install") {
					continue
				}
				for _, n := range p.names() {
					mm := re.FindStringSubmatch(n)
					if mm == nil {
						continue
					}
					if has, ok := distroHasPython(sm.Base.Distro, sm.Base.Release, mm[1], sm.Deadsnakes); ok && !has {
						out = append(out, Problem{Check: checkTag, Subject: n + " on " + sm.Base.Ref.String(), Line: in.StartLine,
							Msg: fmt.Sprintf("%s installs %s, which %s %s does not have (its Python is %s)", in.Keyword, n, sm.Base.Distro, sm.Base.Release, distroPython[sm.Base.Distro+":"+sm.Base.Release])})
					}
				}
			}
		}
	}
	return out
}

// ------------------------------------------------------------ relational checks

// compareCommands: the final stage's command keeps its argv, and the
// programs, tools and Python environment it needs are still there.
func compareCommands(before, after *Model) []Problem {
	b, a := before.Final(), after.Final()
	if b.Cmd == nil {
		return nil
	}
	line := 0
	if a.Cmd != nil {
		line = a.Cmd.inst().StartLine
	}
	if a.Cmd == nil || !slices.Equal(b.Cmd.Argv, a.Cmd.Argv) {
		got := "nothing"
		if a.Cmd != nil {
			got = jsonArray(a.Cmd.Argv)
		}
		return []Problem{{Check: checkArgv, Subject: "command", Line: line,
			Msg: fmt.Sprintf("the container would run %s instead of %s", got, jsonArray(b.Cmd.Argv))}}
	}
	var out []Problem
	if !a.Cmd.ShellForm && b.Cmd.ShellForm && shellBuiltins[a.Cmd.Program] {
		out = append(out, Problem{Check: checkArgv, Subject: "command builtin", Line: line,
			Msg: fmt.Sprintf("%s is a shell builtin: in exec form there is no shell to run it (\"executable file not found\")", a.Cmd.Program)})
	}
	needs := []string{a.Cmd.Program}
	if r := a.Cmd.Runner; r == "uv" || r == "conda" && b.Cmd.Runner == "conda" {
		needs = append(needs, r)
	}
	for _, prog := range needs {
		pb, pa := b.provides(prog), a.provides(prog)
		if pa < pb && pa != provUnknown {
			out = append(out, Problem{Check: checkCommand, Subject: "program " + prog, Line: line,
				Msg: fmt.Sprintf("the command runs %s, which the final stage no longer has", prog)})
		}
	}
	eb, ea := b.commandEnv(), a.commandEnv()
	if eb != "" && b.envHasPackages(eb) && (ea == "" || !a.envHasPackages(ea)) {
		where := ea
		if ea == "system" {
			where = "the system's Python"
		}
		out = append(out, Problem{Check: checkCommand, Subject: "python environment", Line: line,
			Msg: fmt.Sprintf("the command runs in %s, which holds none of the packages the file installs", nonEmptyName(where, "an environment slimpy cannot tell"))})
	}
	return out
}

// mergedRunProblems: a RUN of the rewrite made of the commands of several
// RUNs of the original keeps their exit status: none of them may hold an
// || list or a ";" list at the top level (a failure would pass the build,
// or the next RUN's commands would run after one), and none but the last
// may change the shell's state (cd, export, set...) for those after it.
func mergedRunProblems(before, after *Dockerfile) []Problem {
	// Matched by their simple commands: merging changes the lists
	// around them, not them.
	byCall := map[string][]*Instruction{}
	for _, in := range before.Instructions {
		if in.Keyword != "RUN" || in.Shell == nil || !in.Shell.Editable {
			continue
		}
		for _, c := range in.Shell.Calls {
			k := foldSpace(c.Text(before))
			if os := byCall[k]; len(os) == 0 || os[len(os)-1] != in {
				byCall[k] = append(byCall[k], in)
			}
		}
	}
	// A command in many RUNs (apt-get update) tells nothing of where a
	// merged one came from, and would make the matching quadratic.
	for k, os := range byCall {
		if len(os) > maxOrigins {
			delete(byCall, k)
		}
	}
	var out []Problem
	for _, in := range after.Instructions {
		if in.Keyword != "RUN" || in.Shell == nil || in.Shell.File == nil {
			continue
		}
		// The fewest original RUNs whose commands, in runs of consecutive
		// commands, make this RUN's.
		var from []*Instruction
		var cur []*Instruction
		for _, c := range in.Shell.Calls {
			cands := byCall[foldSpace(c.Text(after))]
			if len(cands) == 0 {
				continue
			}
			next := intersect(cur, cands)
			if cur == nil {
				next = cands
			}
			if len(next) == 0 {
				from = append(from, cur[0])
				next = cands
			}
			cur = next
		}
		if cur != nil {
			from = append(from, cur[0])
		}
		if len(from) < 2 {
			continue
		}
		for k, o := range from {
			why := ""
			for _, s := range o.Shell.Segments {
				switch {
				case s.Or:
					why = "an || list, whose failure the merged && chain would pass or skip"
				case s.Sep == ";":
					why = "a \";\" list, which runs on after a failure"
				}
			}
			if why == "" && k < len(from)-1 && changesShellState(o) {
				why = "cd, export, set or source, which would carry into the commands merged after it"
			}
			if why == "" && k < len(from)-1 && len(o.Flags) > 0 {
				why = "RUN flags"
			}
			if why != "" {
				out = append(out, Problem{Check: checkStatus, Subject: "merge of line " + strconv.Itoa(o.StartLine), Line: in.StartLine,
					Msg: fmt.Sprintf("line %d, merged into the RUN at line %d, holds %s", o.StartLine, in.StartLine, why)})
				break
			}
		}
	}
	return out
}

const maxOrigins = 8

// intersect keeps the instructions of a that are in b.
func intersect(a, b []*Instruction) []*Instruction {
	var out []*Instruction
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// shellBuiltins are commands only a shell runs.
var shellBuiltins = map[string]bool{"source": true, ".": true, "cd": true, "export": true, "set": true, "ulimit": true, "umask": true,
	"alias": true, "trap": true, "eval": true, "unset": true, "shopt": true, "declare": true, "local": true, "readonly": true}

func foldSpace(s string) string {
	s = strings.NewReplacer("\\\r\n", " ", "\\\n", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// newTagProblems: every base image the rewrite names that the original
// did not is spelled as its registry publishes it and built at now (a
// tag no longer built is let pass when an original tag had the very same
// problem: the rewrite did not make it worse).
func newTagProblems(before, after *Model, now time.Time) []Problem {
	had := map[string]bool{}
	stale := map[string]bool{}
	for _, st := range before.d.Stages {
		had[st.Base] = true
		if why, spelling := tagProblem(parseRef(st.Base), now); why != "" && !spelling {
			stale[why] = true
		}
	}
	var out []Problem
	for _, st := range after.d.Stages {
		if had[st.Base] || st.BaseStage != nil || strings.Contains(st.Base, "$") {
			continue
		}
		if why, spelling := tagProblem(parseRef(st.Base), now); why != "" && (spelling || !stale[why]) {
			out = append(out, Problem{Check: checkTag, Subject: "FROM " + st.Base, Line: st.From.StartLine,
				Msg: fmt.Sprintf("FROM %s: %s", st.Base, why)})
		}
	}
	return out
}

// tagProblem says why an image tag is not one its registry publishes and
// builds at now ("" when it is, or slimpy cannot tell); spelling: no such
// tag was ever published.
func tagProblem(r imageRef, now time.Time) (why string, spelling bool) {
	if r.digest != "" {
		return "", false
	}
	switch r.name() {
	case "python":
		return pythonTagProblem(r.tag, now)
	case "debian":
		rel, variant, _ := strings.Cut(r.tag, "-")
		if c, ok := numericDebian(rel); ok {
			rel = c
		}
		if variant != "" && variant != "slim" && variant != "backports" {
			return "no debian tag is spelled " + strconv.Quote(r.tag), true
		}
		if d, ok := debianRelease(rel); ok && ended(d, now) {
			return d.Name + " is past its end of support", false
		}
	case "ubuntu":
		v := r.tag
		if n, ok := ubuntuCodenames[v]; ok {
			v = n
		}
		if u, ok := ubuntuRelease(v); ok && ended(u, now) {
			return u.Name + " is past its end of standard support", false
		}
	case "alpine":
		if end, ok := alpineEnd(minorOf(r.tag)); ok && now.After(end) {
			return "Alpine " + minorOf(r.tag) + " is past its end of support", false
		}
	}
	return "", false
}

// checkRewrite runs the safety check on a rewrite of before into the
// source after: nil when it passes.
func checkRewrite(before *Dockerfile, after []byte, now time.Time) ([]Problem, error) {
	ad, err := parse(after)
	if err != nil {
		return nil, err
	}
	return newProblems(before, ad, now), nil
}
