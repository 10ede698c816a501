package suggest

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
)

// What a stage's container runs and what that needs at run time.

// setCommand records a CMD or ENTRYPOINT. ENTRYPOINT clears a CMD the
// stage inherited (not one set earlier in the same stage), as BuildKit does.
func (sm *StageModel) setCommand(in *Instruction) {
	c := &Command{}
	if sm.Cmd != nil {
		*c = *sm.Cmd
	}
	if in.Keyword == "ENTRYPOINT" {
		c.Entrypoint = in
		if c.Cmd != nil && c.Cmd.Stage != in.Stage {
			c.Cmd = nil
		}
		if len(in.Args) == 0 {
			c.Entrypoint = nil // ENTRYPOINT []
		}
	} else {
		c.Cmd = in
	}
	c.derive(sm.Shell)
	sm.Cmd = c
	if c.Entrypoint == nil && c.Cmd == nil {
		sm.Cmd = nil
	}
}

// derive works out the normalised argv, the program and its runner.
func (c *Command) derive(shell []string) {
	c.Trap, c.ShellForm = false, false
	var argv []string
	if e := c.Entrypoint; e != nil {
		ep, form, trap := instrArgv(e, shell)
		c.Trap, c.ShellForm = trap, form
		argv = ep
		if !form && c.Cmd != nil {
			if c.Cmd.JSON {
				argv = append(append([]string(nil), argv...), c.Cmd.Args...)
			} else {
				argv = append(append([]string(nil), argv...), append(append([]string(nil), shellOr(shell)...), c.Cmd.Args[0])...)
			}
		}
	} else if c.Cmd != nil {
		argv, c.ShellForm, c.Trap = instrArgv(c.Cmd, shell)
	}
	i, runner := programIndex(argv)
	c.Runner = runner
	c.RunnerArgs = nil
	if runner != "" && i > 0 {
		k := 0
		for k < i && path.Base(argv[k]) != runner && !(runner == "conda" && (path.Base(argv[k]) == "mamba" || path.Base(argv[k]) == "micromamba")) {
			k++
		}
		c.RunnerArgs = argv[min(k+2, i):i]
	}
	if runner == "poetry" || runner == "pipenv" {
		// they only select the environment: the program is what runs
		k := 0
		for k < i && path.Base(argv[k]) != runner {
			k++
		}
		argv = append(append([]string(nil), argv[:k]...), argv[i:]...)
		i = k
	}
	c.Argv = argv
	c.Program = ""
	if i < len(argv) {
		c.Program = argv[i]
	}
}

func shellOr(shell []string) []string {
	if len(shell) == 0 {
		return []string{"/bin/sh", "-c"}
	}
	return shell
}

// instrArgv is what a CMD or ENTRYPOINT runs, normalised (Command.Argv),
// whether it is shell form, and whether it is the single-quote trap.
func instrArgv(in *Instruction, shell []string) (argv []string, shellForm, trap bool) {
	if in.JSON {
		a := in.Args
		if len(a) == 3 && isShellProgram(a[0]) && a[1] == "-c" && len(shell) == 0 {
			return shellWords(a[2]), false, false
		}
		return a, false, false
	}
	text := strings.TrimSpace(in.Args[0])
	if meant, ok := singleQuotedArray(text); ok {
		return meant, true, true
	}
	if len(shell) > 0 && !(len(shell) == 2 && isShellProgram(shell[0]) && shell[1] == "-c") {
		return append(append([]string(nil), shell...), text), true, false
	}
	return shellWords(text), true, false
}

func isShellProgram(p string) bool {
	switch p {
	case "/bin/sh", "sh", "/bin/bash", "bash", "/bin/dash", "/usr/bin/env sh":
		return true
	}
	return false
}

// shellWords is a shell text as the argv it runs: its words when it is
// one simple command without expansions, assignments or redirections
// (exec dropped), else /bin/sh -c and the text (spacing folded, a leading
// exec dropped).
func shellWords(text string) []string {
	d := &Dockerfile{Src: []byte("FROM x\nCMD " + strings.ReplaceAll(text, "\n", " ") + "\n")}
	in := &Instruction{Keyword: "CMD", Start: len("FROM x\n"), End: len(d.Src)}
	sh, err := d.parseShell(in)
	folded := strings.Join(strings.Fields(text), " ")
	folded = strings.TrimPrefix(folded, "exec ")
	if err == nil && sh.File != nil && len(sh.Calls) == 1 && !sh.Calls[0].Nested && len(sh.File.Stmts) == 1 && len(sh.File.Stmts[0].Redirs) == 0 && sh.Calls[0].Assigns == 0 {
		var out []string
		for _, w := range sh.Calls[0].Words {
			if w.Dynamic {
				return []string{"/bin/sh", "-c", folded}
			}
			out = append(out, w.Value)
		}
		if len(out) > 1 && out[0] == "exec" {
			out = out[1:]
		}
		return out
	}
	return []string{"/bin/sh", "-c", folded}
}

// singleQuotedArray reads the shell-form text ['python', 'app.py']: what
// its author meant as exec form, which Docker runs as a shell command.
func singleQuotedArray(text string) ([]string, bool) {
	if !strings.HasPrefix(text, "[") || !strings.HasSuffix(text, "]") || !strings.Contains(text, "'") {
		return nil, false
	}
	var b strings.Builder
	inS, inD := false, false
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case ch == '\\' && i+1 < len(text):
			b.WriteByte(ch)
			i++
			b.WriteByte(text[i])
			continue
		case ch == '\'' && !inD:
			inS = !inS
			b.WriteByte('"')
			continue
		case ch == '"' && !inS:
			inD = !inD
		case ch == '"' && inS:
			b.WriteString(`\"`)
			continue
		}
		b.WriteByte(ch)
	}
	var out []string
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil || len(out) == 0 {
		return nil, false
	}
	return out, true
}

// ------------------------------------------------------------------ needs

// Provision levels of a program, from surest to none.
const (
	provNone    = iota
	provUnknown // the base is unknown: it may have it
	provMaybe   // a Python install's console scripts, an installer run by curl | sh
	provExact   // a COPY, an OS package or a Python install named so, the base image
)

// provides says how surely the stage has the program (a name looked up on
// the PATH, or a path).
func (sm *StageModel) provides(prog string) int {
	if prog == "" {
		return provExact
	}
	if strings.Contains(prog, "$") {
		return provUnknown
	}
	if strings.HasPrefix(prog, "/") {
		for _, w := range sm.Writes {
			if w.Path == prog || underDir(prog, w.Path) && w.Kind == "copy" {
				return provExact
			}
		}
		for _, inst := range sm.Installs {
			if inst.Env != "" && underDir(prog, inst.Env) {
				return provMaybe
			}
		}
		if w := sm.packageWriteAbove(prog); w != nil {
			return provMaybe
		}
		if sm.baseProgram(path.Base(prog)) == provExact && sm.baseHas(path.Dir(prog)) {
			return provExact
		}
		if !sm.Base.Known || sm.Fetches {
			return provUnknown
		}
		return provNone
	}
	if sm.Programs[prog] != nil {
		return provExact
	}
	if lvl := sm.baseProgram(prog); lvl != provNone {
		return lvl
	}
	if sm.Fetches {
		return provMaybe
	}
	if env := sm.pathVenv(nil); env != "" && sm.packagesAt(env) != nil {
		return provMaybe
	}
	for _, inst := range sm.Installs {
		if inst.System || inst.Env != "" && onPATH(sm.St, nil, inst.Env+"/bin") {
			return provMaybe
		}
	}
	for _, w := range sm.Writes {
		if w.Kind == "packages" && onPATH(sm.St, nil, w.Path+"/bin") {
			return provMaybe
		}
	}
	if !sm.Base.Known {
		return provUnknown
	}
	return provNone
}

func (sm *StageModel) packageWriteAbove(p string) *Write {
	for i := range sm.Writes {
		if w := &sm.Writes[i]; w.Kind == "packages" && underDir(p, w.Path) {
			return w
		}
	}
	return nil
}

// commonPrograms are what every Debian, Ubuntu or Alpine base has.
var commonPrograms = map[string]bool{"sh": true, "env": true, "echo": true, "cat": true, "ls": true, "sleep": true, "true": true,
	"test": true, "[": true, "mkdir": true, "rm": true, "cp": true, "mv": true, "chmod": true, "chown": true, "id": true, "tail": true}

// baseProgram says whether the base image (and an interpreter the file
// installed) has the program.
func (sm *StageModel) baseProgram(prog string) int {
	b := sm.Base
	switch {
	case prog == "python3" || prog == "python" || prog == "pip" || prog == "pip3" || pythonName.MatchString(prog) || pipName.MatchString(prog):
		v := strings.TrimPrefix(strings.TrimPrefix(prog, "python"), "pip")
		switch {
		case sm.Python.Prefix == "":
		case v == "" && sm.Python.Prefix == "/usr" && sm.Base.Family != "distroless":
			// Debian's python3 has no "python" or "pip" command of its own
			if prog == "python3" || prog == "pip3" && sm.OSPkgs["python3-pip"] != nil {
				return provExact
			}
		case v == "" || v == "3" || v == sm.Python.Version || sm.Python.Version == "":
			return provExact
		}
		if env := sm.pathVenv(nil); env != "" {
			return provExact // a venv has python, python3 and pip
		}
	case b.Family == "scratch" || b.Family == "distroless":
	case commonPrograms[prog] && b.Known:
		return provExact
	case prog == "bash" && (b.Distro == "debian" || b.Distro == "ubuntu"):
		return provExact
	case (prog == "apt-get" || prog == "apt") && (b.Distro == "debian" || b.Distro == "ubuntu"), prog == "apk" && b.Distro == "alpine":
		return provExact
	case prog == "conda" && (b.Family == "conda" || b.Family == "jupyter"), prog == "micromamba" && b.Family == "micromamba":
		return provExact
	}
	if !b.Known || b.Family == "jupyter" || b.Family == "conda" || b.Family == "micromamba" {
		return provUnknown
	}
	return provNone
}

// commandEnv is the Python environment the stage's command runs in: a
// venv or prefix directory, "system" (the interpreter's own prefix), or
// "" when it cannot be told (no command, a conda env, a shell script).
func (sm *StageModel) commandEnv() string {
	c := sm.Cmd
	if c == nil {
		return ""
	}
	wd := sm.St.wdEnd
	env := func(name string) (string, bool) { return sm.St.Env(name, nil) }
	switch c.Runner {
	case "uv":
		if slices.Contains(c.RunnerArgs, "--active") {
			v, _ := env("VIRTUAL_ENV")
			return v
		}
		if v, ok := env("UV_PROJECT_ENVIRONMENT"); ok && v != "" {
			return resolvePath(wd, v)
		}
		return resolvePath(wd, ".venv")
	case "poetry":
		create, _ := env("POETRY_VIRTUALENVS_CREATE")
		inProject, _ := env("POETRY_VIRTUALENVS_IN_PROJECT")
		switch {
		case isFalse(create):
			if v, ok := env("VIRTUAL_ENV"); ok && v != "" {
				return v
			}
			return "system"
		case isTrue(inProject):
			return resolvePath(wd, ".venv")
		}
		return "poetry"
	case "pipenv":
		if v, _ := env("PIPENV_VENV_IN_PROJECT"); isTrue(v) {
			return resolvePath(wd, ".venv")
		}
		return "pipenv"
	case "conda", "pdm", "hatch", "pixi":
		return ""
	}
	p := c.Program
	if strings.HasPrefix(p, "/") {
		if dir := path.Dir(p); strings.HasSuffix(dir, "/bin") && !sm.baseHas(dir) {
			return path.Dir(dir)
		}
		return ""
	}
	if strings.HasSuffix(p, ".sh") {
		return ""
	}
	if v := sm.pathVenv(nil); v != "" {
		return v
	}
	return "system"
}

// envHasPackages: the file installs Python packages into env (a
// commandEnv value), or copies them there.
func (sm *StageModel) envHasPackages(env string) bool {
	switch env {
	case "system":
		for _, inst := range sm.Installs {
			if inst.System {
				return true
			}
		}
		if site := sm.Python.SitePackages(); site != "" {
			for _, w := range sm.Writes {
				if w.Kind == "packages" && (underDir(w.Path, sm.Python.Prefix) && w.Path != "/usr" || underDir(site, w.Path)) {
					return true
				}
			}
		}
		return false
	case "poetry", "pipenv":
		for _, inst := range sm.Installs {
			if inst.Tool == env && inst.Env == "" {
				return true
			}
		}
		return false
	}
	return sm.packagesAt(env) != nil
}
