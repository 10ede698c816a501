package suggest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/words"
)

// The multistage split: a single-stage Dockerfile that compiles (build
// dependencies installed, or a full python:3.X base that carries the
// toolchain) and installs Python packages becomes a builder stage that
// installs them into /opt/venv and a runtime stage that gets the venv, the
// runtime libraries the extensions link, the app and a user of its own.

const venvDir = "/opt/venv"

var multistageKind = &kind{
	ID: "SG001", Name: "multistage",
	Title:   "build in a builder stage, run from a lean runtime stage",
	Doc:     "compilers, headers and caches stay in a builder stage; the runtime stage gets the venv, the libraries the extensions link and the app",
	Answers: append([]string{packageTestsRule}, builderOnlyRules...),
	derive:  deriveMultistage,
}

// buildOnlyPkgs are OS packages needed to build, never to run.
var buildOnlyPkgs = map[string]bool{
	"build-essential": true, "build-base": true, "gcc": true, "g++": true, "cpp": true, "clang": true, "gfortran": true,
	"make": true, "cmake": true, "ninja-build": true, "meson": true, "autoconf": true, "automake": true, "libtool": true,
	"pkg-config": true, "pkgconf": true, "pkgconfig": true, "binutils": true, "cargo": true, "rustc": true, "rust": true,
	"swig": true, "git": true, "musl-dev": true, "linux-headers": true, "dpkg-dev": true, "patch": true,
	"python3-pip": true, "python3-setuptools": true, "python3-wheel": true, "python3-venv": true, "python3-virtualenv": true,
	"py3-pip": true, "py3-setuptools": true, "py3-wheel": true, "py3-virtualenv": true, "python3-distutils": true,
}

var versionedToolRe = regexp.MustCompile(`^(gcc|g\+\+|cpp|clang|gfortran|llvm)-\d+$|^(python|py)[23]?(\.\d+)?-(dev|venv|distutils|pip|setuptools|wheel|virtualenv|poetry|pipenv)$|^lib.*-dev$|^pipenv$|^poetry$`)

func isBuildPkg(name string) bool {
	return buildOnlyPkgs[name] || strings.HasSuffix(name, "-dev") || strings.HasSuffix(name, "-devel") || versionedToolRe.MatchString(name)
}

// devToRuntime maps -dev packages to the runtime library package (Debian
// bookworm names), used only when no image tells what the extensions link.
var devToRuntime = map[string]string{
	"libpq-dev": "libpq5", "default-libmysqlclient-dev": "libmariadb3", "libmariadb-dev": "libmariadb3", "libmariadb-dev-compat": "libmariadb3",
	"libxml2-dev": "libxml2", "libxslt1-dev": "libxslt1.1", "libxslt-dev": "libxslt1.1", "libjpeg-dev": "libjpeg62-turbo",
	"libjpeg62-turbo-dev": "libjpeg62-turbo", "libffi-dev": "libffi8", "libssl-dev": "libssl3", "libpng-dev": "libpng16-16",
	"libfreetype6-dev": "libfreetype6", "libfreetype-dev": "libfreetype6", "libgeos-dev": "libgeos-c1v5", "libsqlite3-dev": "libsqlite3-0",
	"libcurl4-openssl-dev": "libcurl4", "libldap2-dev": "libldap-2.5-0", "libsasl2-dev": "libsasl2-2", "libyaml-dev": "libyaml-0-2",
	"libblas-dev": "libblas3", "liblapack-dev": "liblapack3", "libopenblas-dev": "libopenblas0", "libsnappy-dev": "libsnappy1v5",
	"libzmq3-dev": "libzmq5", "libmagic-dev": "libmagic1", "unixodbc-dev": "libodbc2", "libkrb5-dev": "libgssapi-krb5-2",
	"libcairo2-dev": "libcairo2", "libwebp-dev": "libwebp7", "libtiff-dev": "libtiff6", "libtiff5-dev": "libtiff6", "liblcms2-dev": "liblcms2-2",
	"libopenjp2-7-dev": "libopenjp2-7", "libgmp-dev": "libgmp10", "libsodium-dev": "libsodium23", "libhdf5-dev": "libhdf5-103-1",
	"libgdal-dev": "libgdal32", "libproj-dev": "libproj25", "libharfbuzz-dev": "libharfbuzz0b", "libfribidi-dev": "libfribidi0",
	"libcap-dev": "libcap2", "libsystemd-dev": "libsystemd0", "libuv1-dev": "libuv1", "libev-dev": "libev4", "libpcre3-dev": "libpcre3",
	"libgirepository1.0-dev": "libgirepository-1.0-1", "libdbus-1-dev": "libdbus-1-3", "libbz2-dev": "libbz2-1.0", "liblzma-dev": "liblzma5",
	// Alpine
	"postgresql-dev": "libpq", "openssl-dev": "libssl3", "jpeg-dev": "libjpeg-turbo", "zlib-dev": "zlib", "libxml2-dev@apk": "libxml2",
	"libxslt-dev@apk": "libxslt", "libffi-dev@apk": "libffi", "mariadb-dev": "mariadb-connector-c", "freetype-dev": "freetype",
}

// runtimeNames are where another release names the runtime library
// otherwise than bookworm: "" where slimpy does not know the name there
// (the runtime then keeps the -dev package, which depends on it). Trixie
// renamed the libraries whose ABI has a time_t (the t64 transition).
var runtimeNames = map[string]map[string]string{
	"debian:trixie": {"libssl-dev": "libssl3t64", "libgeos-dev": "libgeos-c1t64", "libpng-dev": "libpng16-16t64",
		"libcurl4-openssl-dev": "libcurl4t64", "libldap2-dev": "libldap2", "libmagic-dev": "libmagic1t64", "libuv1-dev": "libuv1t64",
		"libev-dev": "libev4t64", "libhdf5-dev": "", "libgdal-dev": "", "libproj-dev": "", "libpcre3-dev": ""},
	"debian:bullseye": {"libffi-dev": "libffi7", "libssl-dev": "libssl1.1", "libtiff-dev": "libtiff5", "libtiff5-dev": "libtiff5",
		"libwebp-dev": "libwebp6", "libldap2-dev": "libldap-2.4-2", "libhdf5-dev": "", "libgdal-dev": "", "libproj-dev": "", "libmariadb-dev": "libmariadb3"},
	"debian:buster": {"libffi-dev": "libffi6", "libssl-dev": "libssl1.1", "libtiff-dev": "libtiff5", "libtiff5-dev": "libtiff5",
		"libwebp-dev": "libwebp6", "libldap2-dev": "libldap-2.4-2", "libhdf5-dev": "", "libgdal-dev": "", "libproj-dev": ""},
}

// ubuntuRuntimeNames are the runtime libraries slimpy knows by the same
// name on the Ubuntu LTS releases since 22.04 (with the t64 renames of
// 24.04 on; libssl3 and libffi8 are not in 18.04 and 20.04); the others
// are kept as their -dev package.
var ubuntuRuntimeNames = map[string]string{
	"libpq-dev": "libpq5", "default-libmysqlclient-dev": "libmariadb3", "libmariadb-dev": "libmariadb3", "libxml2-dev": "libxml2",
	"libxslt1-dev": "libxslt1.1", "libjpeg-dev": "libjpeg-turbo8", "libjpeg-turbo8-dev": "libjpeg-turbo8", "libffi-dev": "libffi8",
	"libsqlite3-dev": "libsqlite3-0", "libyaml-dev": "libyaml-0-2", "libzmq3-dev": "libzmq5", "libssl-dev": "libssl3",
}

// runtimeName is the runtime library of the -dev package dev on the
// runtime stage's distro and release; known is false when slimpy does
// not know it there (then the -dev package itself is the safe choice).
func runtimeName(dev, distro, release string) (name string, known bool) {
	switch distro {
	case "ubuntu":
		name, known = ubuntuRuntimeNames[dev]
		if known && release >= "24.04" && dev == "libssl-dev" {
			name = "libssl3t64"
		}
		if release < "22.04" && (dev == "libssl-dev" || dev == "libffi-dev") {
			// libssl1.1, libffi6/7 before 22.04: the -dev package is safe
			return "", false
		}
		return name, known
	case "debian":
		if over, ok := runtimeNames["debian:"+release][dev]; ok {
			return over, over != ""
		}
	}
	name, known = devToRuntime[dev]
	return name, known
}

// sourceBuiltDevs are distributions pip builds (or loads) against a
// library of the full python image (buildpack-deps' -dev packages) that
// -slim lacks: psycopg2 and mysqlclient have no wheels (their -binary
// forms bundle the library), python-magic loads libmagic, uwsgi links
// libxml2 when its headers are there.
var sourceBuiltDevs = map[string]string{"psycopg2": "libpq-dev", "mysqlclient": "default-libmysqlclient-dev",
	"python-magic": "libmagic-dev", "uwsgi": "libxml2-dev"}

// wheelLoadedLibs are runtime libraries of the full image (by the same
// name on every Debian and Ubuntu release) that a wheel loads without
// bundling them: LightGBM's wheels link the system's OpenMP runtime.
var wheelLoadedLibs = map[string]string{"lightgbm": "libgomp1"}

// fullImageDevs are the -dev packages of the full image that names (what
// the installs name on the command line and in the context's requirements
// files: installedNames) build against, and the runtime libraries of it they load,
// when the runtime moves to -slim and there is no image to read the
// extensions' libraries from.
func (p *msPlan) fullImageDevs(c *ctx, names []string) (devs, libs, builtBy []string) {
	if !p.fullBase || p.apk || c.opts.Facts != nil && c.opts.Facts.Runtime != nil {
		return nil, nil, nil
	}
	for _, name := range names {
		if dev, ok := sourceBuiltDevs[name]; ok {
			devs = appendUnique(devs, dev)
			builtBy = append(builtBy, name+" ("+dev+")")
		}
		if lib, ok := wheelLoadedLibs[name]; ok {
			libs = appendUnique(libs, lib)
			builtBy = append(builtBy, name+" ("+lib+")")
		}
	}
	return devs, libs, builtBy
}

// installedNames are the distributions the installs name on their command
// lines and in the requirements files they read that the build context
// holds (lowercase, "-" for "_").
func (p *msPlan) installedNames(c *ctx, installs []*Instruction) []string {
	var out []string
	add := func(spec string) {
		name := strings.ToLower(strings.TrimSpace(spec))
		if i := strings.IndexAny(name, "=<>!~[;@ \t"); i >= 0 {
			name = name[:i]
		}
		if name != "" && !strings.HasPrefix(name, "-") && !strings.HasPrefix(name, "#") {
			out = appendUnique(out, strings.ReplaceAll(name, "_", "-"))
		}
	}
	for _, in := range installs {
		for _, pc := range pipCommands(in) {
			for _, sp := range pc.specs {
				add(sp.Value)
			}
			for _, r := range pc.reqs {
				text, ok := p.contextFileAt(c, resolvePath(p.st.Workdir(in), r), in)
				if !ok {
					continue
				}
				for _, line := range strings.Split(text, "\n") {
					add(line)
				}
			}
		}
	}
	return out
}

// contextFileAt reads the build context's file that the last COPY or ADD
// before in that can have put it at abs in the stage did put there.
func (p *msPlan) contextFileAt(c *ctx, abs string, before *Instruction) (string, bool) {
	for i := len(p.st.Instrs) - 1; i >= 0; i-- {
		in := p.st.Instrs[i]
		if in.idx >= before.idx || (in.Keyword != "COPY" && in.Keyword != "ADD") || !in.fromContext() {
			continue
		}
		srcs, dest := in.copySources()
		dst := resolvePath(p.st.Workdir(in), dest)
		for k, f := range copiedFiles(srcs, dest, dst) {
			if f == abs {
				return c.contextFile(path.Clean(srcs[k]))
			}
		}
		for _, s := range srcs {
			if rel, ok := strings.CutPrefix(abs, strings.TrimRight(dst, "/")+"/"); ok && !strings.ContainsAny(s, "*?[") {
				if text, ok := c.contextFile(path.Clean(path.Join(s, rel))); ok {
					return text, true // (a directory's copy may not hold it)
				}
			}
		}
	}
	return "", false
}

// msPlan is the split worked out for one Dockerfile.
type msPlan struct {
	venv     string // the venv: the file's own, or /opt/venv
	ownVenv  bool
	d        *Dockerfile
	st       *Stage
	builder  string // the builder stage's name
	runtime  string // the runtime stage's base
	fullBase bool
	apk      bool
	pyexe    string
	sysSite  bool
}

func deriveMultistage(c *ctx) *change {
	d := c.d
	if len(d.Stages) != 1 {
		return nil
	}
	st := d.Stages[0]
	if st.BaseStage != nil || st.Base == "scratch" {
		return nil
	}
	p := &msPlan{d: d, st: st, builder: "builder", pyexe: "python3", venv: venvDir}
	if st.Name != "" {
		p.builder = st.Name
	}
	var installs []*Instruction
	var buildPkgs, allPkgs []string
	for _, in := range st.Instrs {
		if in.Keyword != "RUN" {
			continue
		}
		if buildsPython(in) {
			return nil // the interpreter itself is built here: see SG205
		}
		for _, call := range in.calls() {
			if _, ok := toolCmd(call, "conda", "install", "create", "env", "update"); ok {
				return nil // conda environments are not venvs
			}
			if pc := pipCommand(in, call); pc != nil && pc.hasOpt("--target", "-t", "--prefix", "--root") {
				return nil // installs outside any venv on purpose
			}
		}
		if pythonInstall(in) {
			installs = append(installs, in)
		}
		for _, pc := range pkgCommands(in) {
			if pc.is("install", "add") {
				if pc.manager == "apk" {
					p.apk = true
				}
				for _, n := range pc.names() {
					allPkgs = append(allPkgs, n)
					if isBuildPkg(n) {
						buildPkgs = append(buildPkgs, n)
					}
				}
			}
		}
	}
	if len(installs) == 0 || nonToolInstall(installs) == nil {
		return nil // no application packages: only pip, poetry … themselves
	}
	allPkgs, buildPkgs = uniq(allPkgs), uniq(buildPkgs)
	ref := parseRef(st.Base)
	p.runtime = st.Base
	if ref.name() == "python" && !strings.Contains(st.Base, "$") {
		ver, variant := splitPythonTag(ref.tag)
		if !strings.Contains(variant, "slim") && !strings.Contains(variant, "alpine") && !strings.Contains(variant, "windows") && ref.digest == "" {
			p.fullBase = true
			nr := ref
			nr.tag = joinPythonTag(ver, strings.TrimPrefix("slim-"+variant, "-"))
			if variant == "" || variant == "latest" {
				nr.tag = joinPythonTag(ver, "slim")
			}
			p.runtime = nr.String()
		}
	}
	if len(buildPkgs) == 0 && !p.fullBase {
		return nil
	}
	for _, n := range allPkgs {
		if m := pythonPkgRe.FindStringSubmatch(n); m != nil && ref.name() != "python" {
			p.pyexe = "python" + m[1]
		}
		if strings.HasPrefix(n, "python3-") && !isBuildPkg(n) && !strings.HasPrefix(n, "python3-minimal") {
			p.sysSite = true // Python libraries from the OS: keep them importable
		}
	}
	if isAlpine(st) {
		p.apk = true
	}
	noIsolation := false
	for _, in := range installs {
		for _, pc := range pipCommands(in) {
			noIsolation = noIsolation || pc.hasOpt("--no-build-isolation")
		}
	}

	ch := &change{}
	ch.line(st.From)
	ch.line(installs...)
	if p.fullBase {
		ch.say("%s is a full image: gcc, make and the -dev packages come with it; the runtime stage uses %s", st.Base, p.runtime)
	}
	if len(buildPkgs) > 0 {
		ch.say("build dependencies installed in the only stage: %s", strings.Join(firstN(buildPkgs, 10), ", "))
	}
	if noIsolation && !p.sysSite {
		p.sysSite = true
		ch.say("pip --no-build-isolation builds with the setuptools and wheel of its environment, here the system's: the venv is created with --system-site-packages")
	}

	// The file's own venv, when it installs into one: the split keeps it
	// (a venv cannot move) and adds none.
	model := d.Model().Final()
	if strings.HasPrefix(model.Python.Version, "2.") || python2OSPackage(st) != "" && model.Base.Python.Version == "" && !slices.ContainsFunc(st.Instrs, installsInterpreter) {
		return nil // Python 2 has no venv module
	}
	if why := baseImageReason(d, model); why != "" && (model.Cmd == nil || hasOnbuild(st)) {
		// its children may build with the tools it installs (an image
		// whose CMD only starts an interpreter is split, without a USER)
		ch.advise("%s: the images built on it may need the build tools it installs; split it by hand where they do not", why)
		return ch
	}
	for _, inst := range model.Installs {
		if slices.Contains(model.Venvs, inst.Env) {
			p.venv, p.ownVenv = inst.Env, true
			ch.say("the file installs into its own venv %s: the runtime stage gets it", inst.Env)
			break
		}
	}
	for _, inst := range model.Installs {
		// a project venv the tool makes (poetry in-project, uv's .venv)
		// that the command runs from: kept at its path
		if p.ownVenv || path.Base(inst.Env) != ".venv" || inst.Tool != "poetry" && inst.Tool != "uv-sync" && inst.Tool != "pipenv" {
			continue
		}
		if commandUsesVenv(st, model.Cmd, inst.Env) {
			p.venv, p.ownVenv = inst.Env, true
			ch.say("the command runs from %s, the venv %s makes in the project: the runtime stage gets it", inst.Env, inst.Tool)
		}
	}

	if !p.ownVenv {
		if why := venvUnseen(c, model); why != "" {
			ch.advise("%s: the packages a venv holds would not reach it; split it by hand", why)
			return ch
		}
	}

	// --- classify
	installSet := map[*Instruction]bool{}
	projectInstall := map[*Instruction]bool{}
	projectAt := map[string][]*Instruction{} // project installs by working directory
	for _, in := range installs {
		installSet[in] = true
		if refersToCwdProject(in) {
			projectInstall[in] = true
			projectAt[in.wd] = append(projectAt[in.wd], in)
		}
	}
	lastInstall := installs[len(installs)-1]
	firstVenvUser := firstNonToolInstall(installs)
	if model.Base.Python.Version == "" && !p.ownVenv && installsInterpreter(firstVenvUser) {
		// the venv would be made before the RUN that installs python
		ch.advise("line %d installs the interpreter and the packages in one RUN: the venv cannot be made before it; split it by hand", firstVenvUser.StartLine)
		return ch
	}
	needProject := false
	var depFiles, depDirs []string
	for _, in := range installs {
		wd := st.Workdir(in)
		nf, nd, pj := installNeeds(in, wd)
		depFiles = append(depFiles, nf...)
		depDirs = append(depDirs, nd...)
		needProject = needProject || pj
	}
	depFiles, depDirs = uniq(depFiles), uniq(depDirs)
	builderEdits := []edit{}
	moved := map[*Instruction]bool{} // out of the builder
	moveOut := func(in *Instruction) {
		builderEdits = append(builderEdits, d.moveOut(in))
		moved[in] = true
	}
	var runtimeInstrs []*Instruction
	var runtimeEarly []*Instruction // ARG, ENV: before the system packages
	var sysRuns []*Instruction
	var userCmds []string                                         // users created in RUNs that do more
	var userMixed []*Instruction                                  // those RUNs
	var fetched []string                                          // what the builder's downloads wrote
	var userRuns []*Instruction                                   // RUNs that only create users
	users := slices.DeleteFunc(createdUsers(st, nil), isRootUser) // USER 0 is root again
	var builderFiles []string                                     // dependency files only the builder copies
	toolCopies, toolLines := p.commandTools(model)
	if in := model.Programs["uv"]; len(toolLines) > 0 && in != nil && in.Keyword == "RUN" &&
		(in.idx > firstVenvUser.idx || in == firstVenvUser && leadingToolInstalls(in) == 0) {
		// pip puts uv in the venv with the app's packages, where the
		// command's uv sync may remove it again: not at the system path
		// the runtime would copy it from
		ch.advise("line %d installs uv with the application's packages, into the venv the split makes: the command's uv would not be where the runtime stage copies it from; split it by hand", in.StartLine)
		return ch
	}
	beforeLast := true
	for _, in := range st.Instrs {
		if in == lastInstall {
			beforeLast = false
		}
		switch in.Keyword {
		case "ARG", "ENV", "SHELL":
			runtimeEarly = append(runtimeEarly, in)
		case "WORKDIR":
			runtimeInstrs = append(runtimeInstrs, in)
		case "LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "VOLUME", "STOPSIGNAL", "ONBUILD", "MAINTAINER", "USER":
			runtimeInstrs = append(runtimeInstrs, in)
			moveOut(in)
		case "COPY", "ADD":
			srcs, dest := in.copySources()
			_, hasFrom := in.flag("from")
			abs := resolvePath(st.Workdir(in), dest)
			usedByInstall := false
			for _, x := range st.index().naming(st, abs, in) {
				if installSet[x] && (abs != "/" && abs != x.wd || projectInstall[x] && abs == x.wd) {
					usedByInstall = true
				}
			}
			for _, x := range projectAt[abs] {
				usedByInstall = usedByInstall || x.idx > in.idx
			}
			whole := false
			allDeps := true
			for _, s := range srcs {
				if s == "." || s == "./" || s == "*" {
					whole = true
				}
				if !isDependencyFile(s) {
					allDeps = false
				}
			}
			switch {
			case hasFrom && slices.Contains(toolCopies, in):
				// a tool from another image the command runs (uv): both's
				runtimeInstrs = append(runtimeInstrs, in)
			case hasFrom:
				// a tool from another image (uv, ...): the builder's
			case allDeps && in.StartLine < lastInstall.StartLine:
				// dependency files: the builder's
				builderFiles = append(builderFiles, copiedFiles(srcs, dest, abs)...)
			case whole && in.StartLine < lastInstall.StartLine && !needProject && !slices.Contains(depDirs, abs):
				// the whole context before the install: the builder needs only
				// the dependency files, copied before the source
				runtimeInstrs = append(runtimeInstrs, in)
				// the local directories pip installs from come along,
				// each as a COPY of its own (COPY DIR copies its content)
				var copies, copied []string
				if len(depFiles) > 0 {
					copies = append(copies, "COPY "+strings.Join(relFiles(depFiles, abs), " ")+" "+copyDest(dest))
					copied = append(copied, relFiles(depFiles, abs)...)
				}
				for _, dir := range depDirs {
					if rel, ok := strings.CutPrefix(dir, strings.TrimRight(abs, "/")+"/"); ok {
						copies = append(copies, "COPY "+rel+"/ "+copyDest(dest)+rel+"/")
						copied = append(copied, rel+"/")
					}
				}
				if len(copies) > 0 {
					builderEdits = append(builderEdits, replaceInstr(in, strings.Join(copies, "\n")+"\n"))
					ch.say("line %d copies the whole context before installing: the builder copies %s first, for the layer cache", in.StartLine, strings.Join(copied, " "))
				} else {
					moveOut(in)
				}
			case usedByInstall && whole:
				runtimeInstrs = append(runtimeInstrs, in)
			case usedByInstall && installInputOnly(srcs, dest, abs, allDeps, depFiles, depDirs, projectAt[abs]):
				// what pip installs from: the builder's
				builderFiles = append(builderFiles, copiedFiles(srcs, dest, abs)...)
			case usedByInstall:
				// a directory that holds the app beside the file the
				// install reads (ADD ./app /app; pip install -r
				// /app/requirements.txt): both stages get it
				runtimeInstrs = append(runtimeInstrs, in)
			case in.StartLine < lastInstall.StartLine:
				// the builder's RUNs before the last install may read it
				// (the project pip installs, an archive a RUN unpacks)
				runtimeInstrs = append(runtimeInstrs, in)
			default:
				runtimeInstrs = append(runtimeInstrs, in)
				moveOut(in)
			}
		case "RUN":
			isInstall := installSet[in]
			hasPkgs := false
			for _, pc := range pkgCommands(in) {
				hasPkgs = hasPkgs || pc.is("install", "add")
			}
			userOnly := len(in.calls()) > 0
			for _, call := range in.calls() {
				if _, ok := userCreation(call); !ok {
					userOnly = false
				}
			}
			if !userOnly {
				userMixed = append(userMixed, in)
			}
			switch {
			case isInstall || hasPkgs:
				if hasPkgs {
					sysRuns = append(sysRuns, in)
				}
			case venvOnly(in):
				// the file's own venv: the builder makes it, the runtime gets it
			case configuresRepos(in):
				// a repository the runtime's packages may come from
				sysRuns = append(sysRuns, in)
			case userOnly:
				// the builder keeps it when something there is the user's
				runtimeInstrs = append(runtimeInstrs, in)
				userRuns = append(userRuns, in)
			case aptHousekeeping(in):
				// the runtime stage updates and cleans in its own RUN
			case cleanupOnly(in):
				if touchesApp(st, in) {
					runtimeInstrs = append(runtimeInstrs, in)
					moveOut(in)
				}
			case beforeLast && len(namedIn(in, builderFiles)) > 0:
				// prepares the dependency files (sed, poetry export): the
				// builder's, which alone has them
			case beforeLast:
				if !fetchesTools(in) {
					runtimeInstrs = append(runtimeInstrs, in)
				} else {
					fetched = append(fetched, fetchedPaths(in)...)
				}
			default:
				runtimeInstrs = append(runtimeInstrs, in)
				moveOut(in)
			}
		}
	}

	for _, in := range userRuns {
		if !builderUses(st, in, moved) {
			moveOut(in)
		}
	}
	// What a download of the builder wrote that the runtime's command or
	// instructions name (git clone of the app, a model's weights): copied.
	for _, f := range fetched {
		if underAny(f, fetched) || !namedByRuntime(f, model.Cmd, runtimeInstrs) {
			continue
		}
		toolLines = append(toolLines, fmt.Sprintf("COPY --from=%s %s %s", p.builder, f, f))
		ch.say("the runtime stage gets %s, which the builder downloads and the app uses", f)
	}
	// The users a RUN that does more creates: the runtime creates them
	// itself, unless that RUN (or, for a RUN of system packages, its
	// commands) is there already.
	for _, in := range userMixed {
		if !slices.Contains(runtimeInstrs, in) && !(slices.Contains(sysRuns, in) && in.Shell != nil && in.Shell.File != nil && !in.Heredoc) {
			userCmds = append(userCmds, userSegments(d, in)...)
		}
	}

	// --- builder: FROM ... AS builder, the venv, pip flags, tests removed
	if st.Name == "" {
		ch.edits = append(ch.edits, edit{start: fromArgsEnd(d, st.From), end: fromArgsEnd(d, st.From), text: " AS " + p.builder})
	}
	ch.edits = append(ch.edits, builderEdits...)
	venvEnv := fmt.Sprintf(`ENV VIRTUAL_ENV=%s PATH="%s/bin:$PATH"`, p.venv, p.venv)
	builderEnv := venvEnv
	usesPoetry, usesUVSync := false, false
	for _, in := range installs {
		for _, call := range in.calls() {
			if _, ok := toolCmd(call, "poetry", "install", "sync"); ok {
				usesPoetry = true
			}
			if _, ok := toolCmd(call, "uv", "sync"); ok {
				usesUVSync = true
			}
		}
	}
	if usesPoetry {
		builderEnv += " POETRY_VIRTUALENVS_CREATE=false"
	}
	if usesUVSync {
		builderEnv += " UV_PROJECT_ENVIRONMENT=" + p.venv
	}
	venvCmd := p.pyexe + " -m venv "
	if p.sysSite {
		venvCmd += "--system-site-packages "
	}
	venvCmd += p.venv
	if !p.apk && ref.name() != "python" && !hasPkg(allPkgs, p.pyexe+"-venv") {
		venvCmd = "apt-get update && apt-get install -y --no-install-recommends " + p.pyexe + "-venv && " + venvCmd
	}
	venvLines := "RUN " + venvCmd + "\n" + builderEnv + "\n"
	toolEnd := -1 // the tool installs moved before the venv end here
	if n := leadingToolInstalls(firstVenvUser); n > 0 && !p.ownVenv {
		// (the file's own venv is made by the file: no venv lines to put
		// the tool before, and the tool install stays where it is)
		// pip install poetry && poetry install: the tool goes to the
		// builder's system Python, before the venv
		segs := firstVenvUser.Shell.Segments
		venvLines = "RUN " + d.segmentsText(firstVenvUser.Shell, 0, n-1) + "\n" + venvLines
		ch.edits = append(ch.edits, edit{start: segs[0].Start, end: segs[n].Start})
		toolEnd = segs[n].Start
		ch.say("line %d installs its packaging tool and the project in one RUN: the tool is installed before the venv, which it does not go into", firstVenvUser.StartLine)
	}
	if !p.ownVenv {
		ch.edits = append(ch.edits, insertBefore(firstVenvUser, venvLines))
	}
	for _, in := range installs {
		if !in.editable() || in.StartLine < firstVenvUser.StartLine {
			continue
		}
		for _, call := range in.calls() {
			if setupPyInstall(call) != nil {
				for _, x := range call.Words {
					if x.Value == "--user" {
						ch.edits = append(ch.edits, edit{start: x.Start - 1, end: x.End})
					}
				}
			}
			if w, ok := toolCmd(call, "pipenv", "install", "sync"); ok && w.Start >= 0 {
				for _, x := range call.Words {
					if x.Value == "--system" {
						// pipenv installs into the active venv (VIRTUAL_ENV)
						ch.edits = append(ch.edits, edit{start: x.Start - 1, end: x.End})
					}
				}
			}
		}
		for _, pc := range pipCommands(in) {
			if pc.in.StartLine < firstVenvUser.StartLine || pc.call.Start < toolEnd {
				continue
			}
			opt := "--no-cache-dir"
			if pc.tool == "uv" {
				opt = "--no-cache"
			}
			if !pc.hasOpt(opt) {
				ch.edits = append(ch.edits, insertWord(pc.sub, opt))
			}
			for _, o := range pc.opts {
				if o.Value == "--user" || pc.tool == "uv" && o.Value == "--system" {
					ch.edits = append(ch.edits, edit{start: o.Start - 1, end: o.End})
				}
			}
		}
	}
	cleanup := fmt.Sprintf("find %s -depth -type d -name tests -exec rm -rf '{}' +", p.venv)
	if e, ok := d.appendCommand(lastInstall, cleanup); ok {
		ch.edits = append(ch.edits, e)
	} else {
		ch.edits = append(ch.edits, d.insertAfter(lastInstall, "RUN "+cleanup+"\n"))
	}

	// --- runtime stage
	// The venv comes from the builder before the runtime's own RUNs: one
	// that makes its directory with a plain mkdir would fail there.
	for _, in := range runtimeInstrs {
		named := slices.DeleteFunc(namedIn(in, builderFiles), func(f string) bool { return copiedBy(f, runtimeInstrs) })
		if in.Keyword == "RUN" && len(named) > 0 {
			ch.edits = nil
			ch.advise("line %d, which the runtime stage gets, reads %s, which only the builder copies (for the install): split it by hand", in.StartLine, strings.Join(named, " "))
			return ch
		}
		if tool := buildToolRun(in); tool != "" && (len(buildPkgs) > 0 || p.fullBase) {
			ch.edits = nil
			ch.advise("line %d, which the runtime stage gets, runs %s, a build tool only the builder has: split it by hand", in.StartLine, tool)
			return ch
		}
		if dir := mkdirOf(in, p.venv); dir != "" {
			ch.edits = nil
			ch.advise("line %d makes %s with mkdir (no -p), where the runtime stage's COPY --from=%s puts %s first: it would fail there (File exists); split it by hand", in.StartLine, dir, p.builder, p.venv)
			return ch
		}
	}
	// A directory an install RUN also makes for the app (mkdir -p
	// /vol/web/media after pip install): the builder keeps that RUN, so
	// the runtime stage would not have it.
	for _, w := range model.Writes {
		if w.Kind != "mkdir" || !installSet[w.In] || w.In.Stage != st || underDir(w.Path, p.venv) || underDir(p.venv, w.Path) ||
			isSystemPath(w.Path) || isHome(model, w.Path) || strings.ContainsAny(w.Path, "$*?[ ") {
			continue
		}
		ch.edits = nil
		ch.advise("line %d installs the packages and also makes %s, which the runtime stage would not get (the builder keeps that RUN): split it by hand", w.In.StartLine, w.Path)
		return ch
	}
	// An install RUN that also runs a program of the app (python manage.py
	// collectstatic, python -c "nltk.download(…)", ./build.sh): the builder
	// keeps that RUN, where the app's files may not be, and what it makes
	// would not reach the runtime stage.
	for _, in := range installs {
		if c := appProgramRun(in); c != nil {
			ch.edits = nil
			ch.advise("line %d installs the packages and also runs %s, which the builder would keep (its output would not reach the runtime stage, and the builder may lack the files it reads): split it by hand", in.StartLine, strings.Join(c.wordValues(), " "))
			return ch
		}
	}
	// Its system RUN comes first: a RUN that also works on files a COPY
	// before it brought (unzip, make) cannot move there.
	for _, in := range sysRuns {
		if cp := copiedBefore(in, runtimeInstrs); cp != nil && appCommands(in) {
			ch.edits = nil
			ch.advise("line %d installs packages and works on files line %d copies before it: the runtime stage, which installs its packages first, cannot keep their order; split it by hand", in.StartLine, cp.StartLine)
			return ch
		}
	}
	sysCmds, kept := p.runtimeSystemCommands(sysRuns)
	// (the requirements files are read once, for both uses below)
	names := p.installedNames(c, installs)
	devs, loaded, builtBy := p.fullImageDevs(c, names)
	if len(builtBy) > 0 {
		ch.say("the installs build against or load libraries of the full image that %s lacks: %s", p.runtime, strings.Join(builtBy, ", "))
	}
	libs, libNote := p.runtimeLibs(c, append(slices.Clone(buildPkgs), devs...))
	libs = append(libs, loaded...)
	ch.evidence = append(ch.evidence, libNote...)
	if py := p.distroPython(model, kept); py != "" {
		libs = append([]string{py}, libs...)
		ch.say("the interpreter is the distro's: the runtime stage installs %s", py)
		if v := model.Python.Version; v != "" && !p.apk && slices.Contains(names, "uwsgi") {
			// uwsgi embeds the interpreter: it links the distro's
			// libpython3.X.so, a package python3 does not depend on
			libs = append(libs, "libpython"+v)
			ch.say("uwsgi links the distro's libpython%s (Py_ENABLE_SHARED): the runtime stage installs it", v)
		}
	}
	kept = uniq(append(kept, libs...))
	sysCmds = p.fetchersFirst(sysCmds, runtimeInstrs, allPkgs, ch)
	sysCmds = p.finishSystemCommands(sysCmds, libs)
	sysCmds = append(sysCmds, userCmds...)
	if len(kept) > 0 {
		ch.say("runtime OS packages: %s", strings.Join(kept, " "))
	}
	rtEnv := venvEnv
	if c := model.Cmd; usesUVSync && c != nil && (c.Runner == "uv" || path.Base(c.Program) == "uv") {
		rtEnv += " UV_PROJECT_ENVIRONMENT=" + p.venv // uv run finds the venv
	}
	userName := ""
	if u, _ := st.User(); !isRootUser(u) || model.Cmd == nil {
		// the original USER comes along with the runtime instructions; a
		// base image (no CMD) gets none: its children install as root
		userName = ""
	} else if _, why := needsRoot(c, model); why != "" || baseImageReason(d, model) != "" {
		userName = "" // the app starts as root (gosu, an entrypoint script that installs …)
	} else if where, why := userCannot(c, model); why != "" {
		ch.say("%s: %s: the runtime stage runs as root, as the original did", where, why)
		userName = "" // the new user could not run or write what the app needs
	} else if _, why := startsAsRoot(d, model); why != "" {
		userName = "" // the app starts as root (gosu, an entrypoint script that installs …)
	} else if len(users) > 0 {
		userName = users[len(users)-1]
	} else {
		userName = "app"
	}
	runtime := func(user string) string {
		cmds := sysCmds
		if user != "" && len(users) == 0 {
			cmds = append(cmds[:len(cmds):len(cmds)], addUserCmd(p.apk, user))
		}
		rt := []string{"", "FROM " + p.runtime}
		for _, in := range runtimeEarly {
			rt = append(rt, strings.TrimRight(d.withComments(in), "\n"))
		}
		if len(cmds) > 0 {
			rt = append(rt, "RUN "+strings.Join(cmds, " \\\n && "))
		}
		rt = append(rt, fmt.Sprintf("COPY --from=%s %s %s", p.builder, p.venv, p.venv), rtEnv)
		rt = append(rt, toolLines...)
		lastLayer := -1
		for i, in := range runtimeInstrs {
			if in.makesLayer() || in.Keyword == "WORKDIR" || in.Keyword == "USER" {
				lastLayer = i
			}
		}
		switchUser := func(after *Instruction) {
			// what the app writes is the user's (SG401 does the same)
			if vols, dirs := runtimeAppWrites(model, runtimeInstrs, after, contextDatabases(c, model)); len(dirs) > 0 {
				cmd := "chown " + user + " " + strings.Join(dirs, " ")
				if len(vols) > 0 {
					cmd = "mkdir -p " + strings.Join(vols, " ") + " && " + cmd
				}
				rt = append(rt, "RUN "+cmd)
			}
			rt = append(rt, "USER "+user)
		}
		if lastLayer < 0 && user != "" {
			switchUser(nil)
		}
		for i, in := range runtimeInstrs {
			rt = append(rt, strings.TrimRight(runtimeText(d, in), "\n"))
			if i == lastLayer && user != "" {
				switchUser(in)
			}
		}
		end := len(d.Src)
		text := strings.Join(rt, "\n") + "\n"
		if end > 0 && d.Src[end-1] != '\n' {
			text = "\n" + text
		}
		return text
	}
	end := len(d.Src)
	if userName != "" {
		// without the user, when the app would write what it cannot
		fb := *ch
		fb.edits = append(ch.edits[:len(ch.edits):len(ch.edits)], edit{start: end, end: end, text: runtime("")})
		fb.evidence = append(ch.evidence[:len(ch.evidence):len(ch.evidence)], fmt.Sprintf("the runtime stage gets %s from the builder (test directories removed) and the app, and runs as root, as the original did", p.venv))
		ch.fallback = &fb
	}
	ch.edits = append(ch.edits, edit{start: end, end: end, text: runtime(userName)})
	ch.say("the runtime stage gets %s from the builder (test directories removed), the app and user %s", p.venv, nonEmptyName(userName, "of the Dockerfile"))

	fullBase := p.fullBase
	keptPkgs := append([]string(nil), kept...)
	ch.measure = func(img *Image) Savings {
		first := img.FirstLayer
		if first < 0 {
			return Savings{Note: notMeasured("the Dockerfile's instructions were not found in the image history")}
		}
		paths, n := img.findingPaths(builderOnlyRules, func(l int) bool {
			return l >= first || fullBase && l >= 0
		})
		tests, _ := img.findingPaths([]string{packageTestsRule}, func(l int) bool { return l >= first })
		for _, t := range tests {
			if path.Base(t) == "tests" && !strings.HasPrefix(t, "/usr/lib/python3/dist-packages") {
				paths = append(paths, t)
			}
		}
		note := fmt.Sprintf("the files of %s (compilers, headers, -dev packages, caches) and package tests the runtime stage does not get", words.Count(n, "finding", "findings"))
		if fullBase {
			note += "; the slim base's own size is not in this image"
		}
		// Files of the OS packages the runtime stage installs again, and of
		// everything they depend on, stay.
		keep := map[string]bool{}
		closure := img.dependencyClosure(keptPkgs)
		for _, pk := range img.A.Inventory.OS {
			if closure[pk.Name] {
				for _, f := range pk.Files {
					keep[f] = true
				}
			}
		}
		return Savings{Bytes: img.unionBytesExcept(paths, keep), Measured: true, Note: note}
	}
	if ch.fallback != nil {
		ch.fallback.measure = ch.measure
	}
	return ch
}

// systemScriptRe finds a program named by its path in /usr/local/bin,
// where pip puts the scripts of what it installs into the system.
var systemScriptRe = regexp.MustCompile(`(^|[\s"'=:;(])/usr/local/bin/([A-Za-z0-9_.+-]+)`)

var systemInterpreterRe = regexp.MustCompile(`(^|[\s"'=:;(])/usr/(local/)?bin/python[0-9.]*([\s"';)]|$)`)

// venvUnseen says where the app runs Python without the environment the
// split gives it ("" for nowhere): a venv reaches programs through the
// image's PATH, not an interpreter named by its absolute path (in the
// command, a RUN, or the script the command runs), nor cron jobs, which
// start with cron's own environment.
func venvUnseen(c *ctx, sm *StageModel) string {
	for _, name := range []string{"cron", "cronie", "anacron"} {
		if in := sm.OSPkgs[name]; in != nil {
			return fmt.Sprintf("line %d installs %s, whose jobs run without the image's environment (PATH)", in.StartLine, name)
		}
	}
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			switch in.Keyword {
			case "RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK":
				if m := systemInterpreterRe.FindString(c.d.Text(in)); m != "" {
					return fmt.Sprintf("line %d runs %s, the system's interpreter", in.StartLine, strings.Trim(m, " \t\n\"'=:;()"))
				}
			}
		}
	}
	// A configuration file the stage copies from the context that starts a
	// program by its path in the system's script directory (supervisord's
	// command=/usr/local/bin/gunicorn): pip put it there, the venv will not.
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			if (in.Keyword != "COPY" && in.Keyword != "ADD") || !in.fromContext() {
				continue
			}
			srcs, _ := in.copySources()
			for _, src := range srcs {
				text, ok := c.contextFile(path.Clean(src))
				if !ok || strings.ContainsAny(src, "*?[") {
					continue
				}
				for _, m := range systemScriptRe.FindAllStringSubmatch(text, -1) {
					if p := sm.Programs[m[2]]; p == nil || p.Keyword == "RUN" {
						return fmt.Sprintf("%s (line %d copies it) runs /usr/local/bin/%s, where pip installed it into the system", path.Clean(src), in.StartLine, m[2])
					}
				}
			}
		}
	}
	// A venv's bin has python3.X in 3.11 (checked); one of 3.6 had only
	// python and python3: before 3.11 that name may run the system's
	// interpreter.
	oldVenv := sm.Python.Version == "" || compareVersions(sm.Python.Version, "3.11") < 0
	if cmd := sm.Cmd; cmd != nil {
		if len(cmd.Argv) > 0 && oldVenv && versionedPythonRe.MatchString(path.Base(cmd.Argv[0])) {
			return fmt.Sprintf("the command runs %s by its versioned name, which a venv of Python %s has not", cmd.Argv[0], nonEmptyName(sm.Python.Version, "before 3.11"))
		}
		for _, prog := range cmd.Argv {
			name, text, _ := entrypointScript(c, sm, prog)
			if m := systemInterpreterRe.FindString(text); m != "" {
				return fmt.Sprintf("%s runs %s, the system's interpreter", name, strings.Trim(m, " \t\n\"'=:;()"))
			}
			if !oldVenv || text == "" {
				continue
			}
			for _, call := range scriptCalls(text) {
				if versionedPythonRe.MatchString(call.Name()) {
					return fmt.Sprintf("%s runs %s by its versioned name, which a venv of Python %s has not", name, call.Name(), nonEmptyName(sm.Python.Version, "before 3.11"))
				}
			}
		}
	}
	return ""
}

var versionedPythonRe = regexp.MustCompile(`^python[23]\.[0-9]+$`)

// buildTools are programs of the build packages (build-essential, cmake,
// the Rust toolchain…) that a RUN may call.
var buildTools = map[string]bool{"make": true, "gcc": true, "g++": true, "cc": true, "c++": true, "cmake": true, "ninja": true,
	"meson": true, "cargo": true, "rustc": true, "maturin": true, "autoreconf": true, "./configure": true, "ld": true}

// buildToolRun names the build tool a RUN calls ("" for none).
func buildToolRun(in *Instruction) string {
	if in.Keyword != "RUN" {
		return ""
	}
	for _, c := range in.calls() {
		if buildTools[c.Name()] {
			return c.Name()
		}
	}
	return ""
}

// commandTools are the COPY --from=IMAGE instructions that put on the PATH
// a program the final command runs (uv for "uv run"): the runtime stage
// needs them too.
// uv, a standalone binary pip installed into the system, is copied from
// the builder (toolLines).
func (p *msPlan) commandTools(sm *StageModel) (copies []*Instruction, lines []string) {
	c := sm.Cmd
	if c == nil {
		return nil, nil
	}
	for _, prog := range []string{path.Base(c.Program), c.Runner} {
		in := sm.Programs[prog]
		switch {
		case in == nil:
		case in.Keyword == "COPY":
			if from, ok := in.flag("from"); ok && p.d.Model().Stage(from) == nil {
				copies = appendUniqueInstr(copies, in)
			}
		case prog == "uv":
			for _, inst := range sm.Installs {
				if inst.In == in && inst.System && slices.Contains(inst.Names, "uv") {
					bin := inst.Env + "/bin/uv"
					lines = append(lines, fmt.Sprintf("COPY --from=%s %s %s", p.builder, bin, bin))
				}
			}
		}
	}
	return copies, lines
}

func appendUniqueInstr(s []*Instruction, in *Instruction) []*Instruction {
	if slices.Contains(s, in) {
		return s
	}
	return append(s, in)
}

// userSegments are the commands of a RUN that create users or groups
// (top-level commands of their own), for the runtime stage.
func userSegments(d *Dockerfile, in *Instruction) []string {
	if in.Shell == nil || in.Shell.File == nil || in.Heredoc {
		return nil
	}
	var out []string
	for _, seg := range in.Shell.Segments {
		if len(seg.Calls) != 1 || seg.Calls[0].Nested || seg.Or {
			continue
		}
		if u, ok := userCreation(seg.Calls[0]); ok && (u == "" || !isRootUser(u)) {
			out = append(out, strings.TrimSpace(string(d.Src[seg.Start:seg.End])))
		}
	}
	return out
}

// builderUses: what the builder keeps refers to a user the RUN creates
// (chown, --chown): it keeps the RUN too.
func builderUses(st *Stage, in *Instruction, moved map[*Instruction]bool) bool {
	var names []string
	for _, c := range in.calls() {
		if u, _, _ := userCreated(c); u != "" {
			names = append(names, u)
		}
	}
	for _, x := range st.Instrs {
		if x == in || moved[x] {
			continue
		}
		var owners []string
		if o, ok := x.flag("chown"); ok {
			owners = append(owners, o)
		}
		for _, c := range x.calls() {
			if o, _, _, ok := chownCmd(c); ok {
				owners = append(owners, o)
			}
		}
		for _, o := range owners {
			u, g, _ := strings.Cut(o, ":")
			if slices.Contains(names, u) || slices.Contains(names, g) {
				return true
			}
		}
	}
	return false
}

// copiedBefore is a COPY or ADD of the runtime stage that comes before in.
func copiedBefore(in *Instruction, runtime []*Instruction) *Instruction {
	for _, x := range runtime {
		if (x.Keyword == "COPY" || x.Keyword == "ADD") && x.StartLine < in.StartLine {
			return x
		}
	}
	return nil
}

// installerModules are what python -m runs to install or build the
// environment itself (spacy download pip-installs a model package).
var installerModules = map[string]bool{"pip": true, "venv": true, "ensurepip": true, "virtualenv": true, "compileall": true,
	"pipenv": true, "poetry": true, "uv": true, "build": true, "wheel": true, "spacy": true}

var pythonProgramRe = regexp.MustCompile(`^python[0-9.]*$`)

// appProgramRun is the first call of a RUN that runs a Python program
// other than an installer (a script, -c code, a module) or a script of
// the build context (./manage.py, ./build.sh); nil for none.
func appProgramRun(in *Instruction) *Call {
	for _, c := range in.calls() {
		i, name := c.program()
		if i >= len(c.Words) {
			continue
		}
		prog := c.Words[i].Value
		if strings.HasPrefix(prog, "./") || name == "manage.py" {
			return c
		}
		if !pythonProgramRe.MatchString(name) || pipCommand(in, c) != nil || venvCreated(c, in.wd) != "" || setupPyInstall(c) != nil {
			continue
		}
		args := c.Args()
		for k := 0; k < len(args); k++ {
			a := args[k].Value
			switch {
			case a == "-m" && k+1 < len(args):
				if !installerModules[strings.SplitN(args[k+1].Value, ".", 2)[0]] {
					return c
				}
			case a == "-c":
				return c
			case strings.HasPrefix(a, "-"):
				continue
			default:
				return c // a script
			}
			break
		}
	}
	return nil
}

// appCommands: a RUN that runs commands other than installing packages,
// creating users and adding repositories (unzip, make, a script).
func appCommands(in *Instruction) bool {
	for _, c := range in.calls() {
		if pkgCommand(in, c) != nil || pipCommand(in, c) != nil || rmOnlyUnder(c, "/var/lib/apt/lists") {
			continue
		}
		if _, ok := userCreation(c); ok {
			continue
		}
		switch c.Name() {
		case "add-apt-repository", "apt-key", "echo", "true", "set", "export", "curl", "wget", "gpg", "mkdir", "ln", "locale-gen", "update-ca-certificates":
			continue
		}
		if c.Name() == "sh" || c.Name() == "bash" {
			continue // a setup script piped in
		}
		return true
	}
	return false
}

// venvOnly: a RUN that only creates a venv.
func venvOnly(in *Instruction) bool {
	cs := in.calls()
	for _, c := range cs {
		if venvCreated(c, in.wd) == "" {
			return false
		}
	}
	return len(cs) > 0
}

// configuresRepos: a RUN that adds a package repository or its key
// (add-apt-repository, a setup script piped into a shell, a sources.list
// written): the packages installed after it may come from there.
func configuresRepos(in *Instruction) bool {
	if in.Shell == nil || in.Heredoc {
		return false
	}
	for _, c := range in.calls() {
		switch c.Name() {
		case "add-apt-repository", "apt-key":
			return true
		}
		for _, w := range c.Writes {
			if strings.HasPrefix(w, "/etc/apt/") || strings.HasPrefix(w, "/usr/share/keyrings/") {
				return true
			}
		}
	}
	return fetchPipeRe.MatchString(in.Original) && strings.Contains(in.Original, "setup")
}

// aptHousekeeping: a RUN that only updates or cleans apt (update, clean,
// rm of the lists): the runtime stage has its own.
func aptHousekeeping(in *Instruction) bool {
	cs := in.calls()
	if len(cs) == 0 || !in.editable() {
		return false
	}
	for _, c := range cs {
		if p := pkgCommand(in, c); p != nil && p.manager == "apt" && p.is("update", "clean", "autoclean", "autoremove") {
			continue
		}
		if rmOnlyUnder(c, "/var/lib/apt/lists") || rmOnlyUnder(c, "/var/cache/apt") {
			continue
		}
		return false
	}
	return true
}

// leadingToolInstalls is how many of the first top-level commands of a RUN
// only install packaging tools (pip install poetry), when others follow.
func leadingToolInstalls(in *Instruction) int {
	if !in.editable() {
		return 0
	}
	segs := in.Shell.Segments
	n := 0
	for n < len(segs)-1 {
		s := segs[n]
		// "pip install poetry ; poetry install" too: as a RUN of its
		// own, a failed tool install fails the build, as it should
		if s.Or || len(s.Calls) != 1 || s.Calls[0].Nested || !toolOnlyInstall(in, s.Calls[0]) {
			break
		}
		n++
	}
	return n
}

// toolOnlyInstall: a pip install of packaging tools only.
func toolOnlyInstall(in *Instruction, call *Call) bool {
	pc := pipCommand(in, call)
	if pc == nil || len(pc.reqs) > 0 || len(pc.editab) > 0 || len(pc.specs) == 0 {
		return false
	}
	for _, s := range pc.specs {
		if !isPackagingTool(specName(s)) {
			return false
		}
	}
	return true
}

// isPackagingTool: a distribution that installs or builds packages.
func isPackagingTool(name string) bool {
	switch normalizeDist(name) {
	case "pip", "setuptools", "wheel", "poetry", "pipenv", "uv", "pdm", "virtualenv", "pip-tools", "poetry-plugin-export", "hatch", "flit", "build":
		return true
	}
	return false
}

// specName is the distribution a pip argument names (quotes of a word
// with expansions dropped: "poetry==$POETRY_VERSION").
func specName(w Word) string {
	v := w.Value
	if w.Dynamic {
		v = strings.Trim(strings.ReplaceAll(v, "'", ""), "\"")
	}
	n, _ := reqName(v)
	return n
}

// distroPython is the OS package of the interpreter the venv links to,
// when it is the distro's and the runtime stage does not install it yet.
func (p *msPlan) distroPython(sm *StageModel, kept []string) string {
	if sm.Python.Prefix != "/usr" || sm.Base.Family == "distroless" {
		return ""
	}
	want := p.pyexe
	if p.apk || want == "" {
		want = "python3"
	}
	for _, k := range kept {
		if k == want || k == "python3" && want == "python3" || strings.HasPrefix(k, want+"-minimal") {
			return ""
		}
	}
	return want
}

// runtimeText is an instruction as the runtime stage gets it: with its
// comments, and a CMD or ENTRYPOINT without "poetry run"/"pipenv run",
// which only select the environment the venv on the PATH already is (the
// tool is not in the runtime stage).
func runtimeText(d *Dockerfile, in *Instruction) string {
	text := d.withComments(in)
	if in.Keyword != "CMD" && in.Keyword != "ENTRYPOINT" {
		return text
	}
	var words []string
	if in.JSON {
		words = in.Args
	} else if in.Shell != nil && len(in.Shell.Calls) == 1 && !in.Shell.Calls[0].Nested {
		words = in.Shell.Calls[0].wordStrings()
	}
	i, runner := programIndex(words)
	if runner != "poetry" && runner != "pipenv" {
		return text
	}
	k := 0
	for k < i && path.Base(words[k]) != runner {
		k++
	}
	comments := d.comments(in)
	if in.JSON {
		return comments + in.Keyword + " " + jsonArray(append(append([]string(nil), words[:k]...), words[i:]...)) + "\n"
	}
	call := in.Shell.Calls[0]
	return comments + string(d.Src[in.Start:call.Words[k].Start]) + string(d.Src[call.Words[i].Start:in.End])
}

func nonEmptyName(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func hasPkg(pkgs []string, names ...string) bool {
	for _, p := range pkgs {
		for _, n := range names {
			if p == n {
				return true
			}
		}
	}
	return false
}

// firstNonToolInstall is the first install that is not only installing a
// packaging tool (poetry, pipenv, uv, pip itself): tools go to the
// builder's system Python, the project's dependencies to the venv.
func firstNonToolInstall(installs []*Instruction) *Instruction {
	if in := nonToolInstall(installs); in != nil {
		return in
	}
	return installs[len(installs)-1]
}

// nonToolInstall is the first install of something else than packaging
// tools (pip, poetry, uv …): the application's packages; nil when there
// is none.
func nonToolInstall(installs []*Instruction) *Instruction {
	for _, in := range installs {
		tool := true
		for _, call := range in.calls() {
			pc := pipCommand(in, call)
			if pc == nil {
				if _, ok := toolCmd(call, "poetry", "install", "sync"); ok {
					tool = false
				}
				if _, ok := toolCmd(call, "pipenv", "install", "sync"); ok {
					tool = false
				}
				if _, ok := toolCmd(call, "uv", "sync"); ok {
					tool = false
				}
				if _, ok := toolCmd(call, "pdm", "install", "sync"); ok || setupPyInstall(call) != nil {
					tool = false
				}
				continue
			}
			if !toolOnlyInstall(in, call) {
				tool = false
			}
		}
		if !tool {
			return in
		}
	}
	return nil
}

// installNeeds are the dependency files an install RUN reads (absolute),
// the local directories it installs from (--find-links DIR, the directory
// of a path such as dist/pkg-1.0.tar.gz) and whether it installs the
// project itself from the working directory.
func installNeeds(in *Instruction, wd string) ([]string, []string, bool) {
	var files, dirs []string
	project := false
	for _, call := range in.calls() {
		if pc := pipCommand(in, call); pc != nil {
			for _, r := range append(pc.reqs, pc.cons...) {
				files = append(files, resolvePath(wd, r))
			}
			for _, l := range pc.links {
				if isLocalPath(l) {
					dirs = appendUnique(dirs, resolvePath(wd, l))
				}
			}
			for _, s := range pc.specs {
				if s.Value == "." || strings.HasPrefix(s.Value, ".[") || s.Value == "./" {
					project = true
				} else if isLocalPath(s.Value) && strings.Contains(s.Value, "/") {
					dir := path.Dir(s.Value)
					if !archiveRe.MatchString(s.Value) {
						dir = s.Value // a project directory: pip builds it
					}
					if dir != "." && !strings.ContainsAny(dir, "*?[$") {
						dirs = appendUnique(dirs, resolvePath(wd, dir))
					}
				}
			}
			for _, e := range pc.editab {
				if e == "." || strings.HasPrefix(e, ".[") {
					project = true
				}
			}
		}
		if _, ok := toolCmd(call, "poetry", "install", "sync"); ok {
			files = append(files, resolvePath(wd, "pyproject.toml"), resolvePath(wd, "poetry.lock"))
			if !hasWord(call, "--no-root") && !hasWord(call, "--only-root") {
				project = true
			}
		}
		if _, ok := toolCmd(call, "pipenv", "install", "sync"); ok {
			files = append(files, resolvePath(wd, "Pipfile"), resolvePath(wd, "Pipfile.lock"))
		}
		if _, ok := toolCmd(call, "uv", "sync"); ok {
			files = append(files, resolvePath(wd, "pyproject.toml"), resolvePath(wd, "uv.lock"))
			if !hasWord(call, "--no-install-project") {
				project = true
			}
		}
		if setupPyInstall(call) != nil {
			project = true // setup.py and the package beside it
		}
	}
	return files, dirs, project
}

// isLocalPath: a pip argument that names a local path, not a URL, a VCS
// reference or a requirement specifier's extras.
func isLocalPath(v string) bool {
	return v != "" && !strings.Contains(v, "://") && !strings.Contains(v, "@") && !strings.HasPrefix(v, "$") &&
		(strings.HasPrefix(v, ".") || strings.HasPrefix(v, "/") || strings.Contains(v, "/") ||
			!strings.ContainsAny(v, "=<>![];~ "))
}

// refersToCwdProject: the install reads the project in the working
// directory ("pip install .", "poetry install").
func refersToCwdProject(in *Instruction) bool {
	_, _, p := installNeeds(in, "/")
	return p
}

// relFiles are the dependency files relative to the COPY destination dir.
func relFiles(files []string, dir string) []string {
	var out []string
	for _, f := range files {
		r, ok := strings.CutPrefix(f, strings.TrimRight(dir, "/")+"/")
		if !ok {
			r = path.Base(f)
		}
		if r != "" && r != "/" && r != "." {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

func copyDest(dest string) string {
	if strings.HasSuffix(dest, "/") {
		return dest
	}
	return dest + "/"
}

// touchesApp: a cleanup RUN acting on the working directory, a COPY
// destination or the system's configuration (it belongs with the app in
// the runtime stage).
func touchesApp(st *Stage, in *Instruction) bool {
	wd := st.Workdir(in)
	for _, p := range cleanupPaths(in) {
		if wd != "/" && underDir(p, wd) {
			return true
		}
		if underDir(p, "/etc") && !underDir(p, "/etc/apt") {
			// configuration of what the runtime installs again (rm
			// /etc/nginx/sites-enabled/default), not a build leftover
			return true
		}
		for _, x := range st.Instrs {
			if x.Keyword == "COPY" || x.Keyword == "ADD" {
				srcs, dest := x.copySources()
				dst := resolvePath(st.Workdir(x), dest)
				if dst != "/" && underDir(p, dst) {
					return true
				}
				// a file copied to / (COPY entrypoint.sh /), chmodded
				for _, f := range copiedFiles(srcs, dest, dst) {
					if f != "/" && underDir(p, f) {
						return true
					}
				}
			}
		}
	}
	return false
}

// fromContext: a COPY or ADD of files of the build context (not of
// another stage or image).
func (in *Instruction) fromContext() bool {
	if in.Keyword != "COPY" && in.Keyword != "ADD" {
		return false
	}
	_, from := in.flag("from")
	return !from
}

// copiedBy: a COPY or ADD from the build context among ins brings the
// file f (by its name, or in a whole-context copy).
func copiedBy(f string, ins []*Instruction) bool {
	for _, x := range ins {
		if !x.fromContext() {
			continue
		}
		srcs, dest := x.copySources()
		dst := resolvePath(x.Stage.Workdir(x), dest)
		for _, s := range srcs {
			if (s == "." || s == "./") && underDir(f, dst) {
				return true
			}
		}
		if slices.Contains(copiedFiles(srcs, dest, dst), f) {
			return true
		}
	}
	return false
}

// fetchesTools: a RUN that downloads or installs tools (the builder's).
// runtimeAppWrites are appWrites (what the app writes, for a user made
// after the instruction after; nil: before all) that the runtime stage
// has: written by an instruction it keeps, or a VOLUME it declares.
func runtimeAppWrites(sm *StageModel, runtime []*Instruction, after *Instruction, dbs []string) (vols, dirs []string) {
	if after == nil {
		after = &Instruction{idx: -1}
	}
	allVols, all := appWrites(sm, after, dbs)
	kept := map[string]bool{}
	for _, w := range sm.Writes {
		if slices.Contains(runtime, w.In) {
			kept[w.Path] = true
			if w.Kind == "sqlite" {
				kept[path.Dir(w.Path)] = true
			}
		}
	}
	for _, db := range dbs {
		kept[db], kept[path.Dir(db)] = true, true // (copied by the runtime's COPY .)
	}
	for _, p := range all {
		if slices.Contains(allVols, p) {
			vols = append(vols, p)
			dirs = append(dirs, p)
		} else if kept[p] {
			dirs = append(dirs, p)
		}
	}
	return vols, dirs
}

// installsInterpreter: the RUN installs the distro's python3 (or a
// python3.X) with apt or apk.
func installsInterpreter(in *Instruction) bool {
	for _, pc := range pkgCommands(in) {
		if !pc.is("install", "add") {
			continue
		}
		for _, n := range pc.names() {
			if n == "python3" || pythonPkgRe.MatchString(n) || strings.HasPrefix(n, "python3-") || strings.HasPrefix(n, "py3-") {
				return true
			}
		}
	}
	return false
}

// commandUsesVenv: the command runs a program of the venv by path
// (.venv/bin/gunicorn, relative to the working directory), or the venv's
// bin is on the stage's PATH.
func commandUsesVenv(st *Stage, cmd *Command, venv string) bool {
	if cmd == nil {
		return false
	}
	if len(cmd.Argv) > 0 {
		in := cmd.Cmd
		if cmd.Entrypoint != nil {
			in = cmd.Entrypoint
		}
		if underDir(resolvePath(st.Workdir(in), cmd.Argv[0]), venv) {
			return true
		}
	}
	return onPATH(st, nil, venv+"/bin")
}

// fetchedPaths are the paths a RUN's downloads write: the directory of a
// git clone, the file of wget -O and curl -o (not /tmp, not stdout).
func fetchedPaths(in *Instruction) []string {
	var out []string
	add := func(p string) {
		if p != "" && p != "-" && !strings.ContainsAny(p, "$*?") {
			if abs := resolvePath(in.wd, p); abs != "/" && !underDir(abs, "/tmp") {
				out = appendUnique(out, abs)
			}
		}
	}
	for _, call := range in.calls() {
		args := call.Args()
		switch call.Name() {
		case "git":
			var pos []string
			clone := false
			for i := 0; i < len(args); i++ {
				v := args[i].Value
				switch {
				case v == "clone" && !clone:
					clone = true
				case v == "-b" || v == "--branch" || v == "--depth" || v == "-c" || v == "--origin" || v == "-o":
					i++
				case strings.HasPrefix(v, "-"):
				case clone:
					pos = append(pos, v)
				}
			}
			switch {
			case len(pos) >= 2:
				add(pos[1])
			case len(pos) == 1:
				add(strings.TrimSuffix(path.Base(pos[0]), ".git"))
			}
		case "wget", "curl":
			for i, a := range args {
				v := a.Value
				out1, val, has := strings.Cut(v, "=")
				switch {
				case (call.Name() == "wget" && (v == "-O" || v == "--output-document")) || (call.Name() == "curl" && (v == "-o" || v == "--output")):
					if i+1 < len(args) {
						add(args[i+1].Value)
					}
				case has && (out1 == "--output-document" || out1 == "--output"):
					add(val)
				case call.Name() == "wget" && strings.HasPrefix(v, "-O") && len(v) > 2:
					add(v[2:])
				}
			}
		}
	}
	return out
}

// underAny: p is below another of the paths.
func underAny(p string, paths []string) bool {
	for _, q := range paths {
		if q != p && underDir(p, q) {
			return true
		}
	}
	return false
}

// namedByRuntime: the final command or an instruction the runtime stage
// keeps names the path or a path below it.
func namedByRuntime(p string, cmd *Command, runtime []*Instruction) bool {
	names := func(s string) bool {
		i := strings.Index(s, p)
		return i >= 0 && (i+len(p) == len(s) || strings.ContainsRune("/ \"'\n:", rune(s[i+len(p)])))
	}
	if cmd != nil {
		for _, a := range cmd.Argv {
			if names(a) {
				return true
			}
		}
	}
	for _, in := range runtime {
		if names(in.Original) {
			return true
		}
	}
	return false
}

func fetchesTools(in *Instruction) bool {
	for _, call := range in.calls() {
		switch call.Name() {
		case "curl", "wget", "pip", "pip3", "poetry", "pipenv", "uv", "conda", "git", "pipx":
			return true
		}
	}
	return false
}

// fromArgsEnd is the offset right after the image reference of a FROM
// without a stage name: after its last word, wherever continuations split
// it (a search for the image's name in the text would also find it inside
// a flag: --platform=linux/amd64 holds "a").
func fromArgsEnd(d *Dockerfile, from *Instruction) int {
	return from.Start + contentEnd(d.Text(from))
}

// runtimeSystemCommands derives the runtime stage's package commands from
// the original RUNs that install OS packages: the build-only packages
// leave the install commands, Python installs and purges go, the rest
// (repositories, keys, other commands) stays in order.
func (p *msPlan) runtimeSystemCommands(runs []*Instruction) ([]string, []string) {
	var cmds, kept []string
	for _, in := range runs {
		if in.Shell == nil || in.Shell.File == nil || in.Heredoc {
			continue
		}
		for _, seg := range in.Shell.Segments {
			text := strings.TrimSpace(string(p.d.Src[seg.Start:seg.End]))
			var nested bool
			var pkgc *pkgCmd
			python := false
			for _, call := range seg.Calls {
				if call.Nested {
					nested = true
				}
				if pc := pkgCommand(in, call); pc != nil {
					pkgc = pc
				}
				if pipCommand(in, call) != nil || call.Name() == "poetry" || call.Name() == "pipenv" || call.Name() == "uv" {
					python = true
				}
				if venvCreated(call, in.wd) != "" || strings.Contains(call.Name(), "/") && underDir(resolvePath(in.wd, call.Name()), p.venv) {
					python = true // the venv, and what runs from it, are the builder's
				}
				if rmOnlyUnder(call, "/var/lib/apt/lists") || call.Name() == "set" {
					text = "" // added once at the end; set: the original RUN's shell options
				}
			}
			switch {
			case python:
				continue
			case nested:
				cmds = append(cmds, text)
			case pkgc != nil && pkgc.is("install", "add"):
				var names []string
				for _, n := range pkgc.names() {
					if !isBuildPkg(n) {
						names = append(names, n)
						kept = append(kept, n)
					}
				}
				if len(names) > 0 {
					// DEBIAN_FRONTEND=noninteractive TZ=... stay with it
					prefix := ""
					if c := pkgc.call; c.Assigns > 0 {
						i, _ := c.program()
						prefix = string(p.d.Src[c.Start:c.Words[i].Start])
					}
					cmds = append(cmds, prefix+p.installCmd(names))
				}
			case pkgc != nil && pkgc.is("purge", "remove", "autoremove", "del", "clean", "autoclean"):
				continue
			case text != "":
				cmds = append(cmds, text)
			}
		}
	}
	return cmds, uniq(kept)
}

func (p *msPlan) installCmd(names []string) string {
	if p.apk {
		return "apk add --no-cache " + strings.Join(names, " ")
	}
	return "apt-get install -y --no-install-recommends " + strings.Join(names, " ")
}

// fetchersFirst installs the download tools the runtime's commands and
// RUNs use (curl … | bash to add a repository, git clone of the app) that
// its base lacks: where the runtime stage moves to -slim, which has none
// of them (the full image had them from buildpack-deps), and git, which
// the original installed but the split leaves to the builder as a build
// tool. They come before the first command that uses one (at the end
// when only a later RUN does).
func (p *msPlan) fetchersFirst(cmds []string, runs []*Instruction, installed []string, ch *change) []string {
	var need []string
	first := -1
	for _, tool := range []string{"curl", "wget", "git", "gpg"} {
		pkg := map[string]string{"gpg": "gnupg"}[tool]
		if pkg == "" {
			pkg = tool
		}
		if !(p.fullBase && !p.apk) && !(isBuildPkg(pkg) && slices.Contains(installed, pkg)) || installedBy(cmds, pkg) {
			continue
		}
		at := slices.IndexFunc(cmds, func(c string) bool { return runsProgram(c, tool) })
		used := at >= 0 || slices.ContainsFunc(runs, func(in *Instruction) bool {
			return in.Keyword == "RUN" && slices.ContainsFunc(in.calls(), func(c *Call) bool { return c.Name() == tool })
		})
		if !used {
			continue
		}
		need = append(need, pkg)
		if at < 0 {
			at = len(cmds)
		}
		if first < 0 || at < first {
			first = at
		}
	}
	if len(need) == 0 {
		return cmds
	}
	if p.fullBase && !p.apk {
		ch.say("the runtime's commands use %s, which %s has not: it installs them first", strings.Join(need, ", "), p.runtime)
	} else {
		ch.say("the runtime's commands use %s, which the builder alone would install (a build tool): the runtime stage installs it too", strings.Join(need, ", "))
	}
	if !p.apk {
		need = append(need, "ca-certificates") // a recommendation of each: https
	}
	return slices.Insert(slices.Clone(cmds), first, p.installCmd(need))
}

// fetcherRe finds curl, wget, git and gpg run as commands of a shell
// text (a word of their own at the start of a command).
var fetcherRe = regexp.MustCompile(`(?:^|[;&|(]\s*)(curl|wget|git|gpg)(?:\s|$)`)

// runsProgram: the shell text runs the program (one of fetcherRe's).
func runsProgram(text, prog string) bool {
	for _, m := range fetcherRe.FindAllStringSubmatch(text, -1) {
		if m[1] == prog {
			return true
		}
	}
	return false
}

// finishSystemCommands adds the runtime libraries to the last install
// (those it lacks), makes sure apt's lists are fetched before and removed
// after, keeps only the updates an install follows, and drops what
// installs nothing. A command may start with its environment
// (DEBIAN_FRONTEND=noninteractive apt-get install ...).
func (p *msPlan) finishSystemCommands(cmds, libs []string) []string {
	installs := 0
	last := -1
	for i, c := range cmds {
		if isInstallCmd(c) {
			installs++
			last = i
		}
	}
	if len(libs) > 0 {
		var missing []string
		for _, l := range libs {
			if !installedBy(cmds, l) {
				missing = append(missing, l)
			}
		}
		switch {
		case len(missing) == 0:
		case last >= 0:
			cmds = append([]string(nil), cmds...)
			cmds[last] += " " + strings.Join(missing, " ")
		default:
			cmds = append(cmds, p.installCmd(missing))
			installs++
		}
	}
	if installs == 0 {
		// nothing to install: keep only what is not about packages
		var out []string
		for _, c := range cmds {
			b := cmdBody(c)
			if !strings.HasPrefix(b, "apt-get") && !strings.HasPrefix(b, "apt ") && !strings.HasPrefix(b, "apk ") {
				out = append(out, c)
			}
		}
		return out
	}
	if p.apk {
		return cmds
	}
	updated := false
	var out []string
	for i, c := range cmds {
		if isUpdateCmd(c) {
			// only an update an install follows before the next update
			needed := false
			for _, n := range cmds[i+1:] {
				if isUpdateCmd(n) {
					break
				}
				if isInstallCmd(n) || strings.Contains(n, "add-apt-repository") || strings.Contains(n, "| bash") || strings.Contains(n, "| sh") {
					needed = true
					break
				}
			}
			if !needed && updated {
				continue
			}
			updated = true
		}
		if isInstallCmd(c) && !updated {
			out = append(out, "apt-get update")
			updated = true
		}
		out = append(out, c)
	}
	return append(out, "rm -rf /var/lib/apt/lists/*")
}

var envPrefixRe = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+`)

// cmdBody is a command without the variables set before it
// (DEBIAN_FRONTEND=noninteractive apt-get ... → apt-get ...).
func cmdBody(c string) string { return envPrefixRe.ReplaceAllString(c, "") }

func isInstallCmd(c string) bool {
	b := cmdBody(c)
	return strings.HasPrefix(b, "apt-get install") || strings.HasPrefix(b, "apt install") || strings.HasPrefix(b, "apk add")
}

func isUpdateCmd(c string) bool {
	b := cmdBody(c)
	return strings.HasPrefix(b, "apt-get update") || strings.HasPrefix(b, "apt update")
}

// installedBy: one of the install commands names the package.
func installedBy(cmds []string, pkg string) bool {
	for _, c := range cmds {
		if isInstallCmd(c) {
			if slices.Contains(strings.Fields(c), pkg) {
				return true
			}
		}
	}
	return false
}

// runtimeLibs are the packages the runtime stage must add for the
// extensions: from the image's ELF headers when there is an image, else
// from the table of -dev packages.
func (p *msPlan) runtimeLibs(c *ctx, buildPkgs []string) ([]string, []string) {
	var out, notes []string
	if f := c.opts.Facts; f != nil && f.Runtime != nil {
		rl := f.Runtime
		for _, pk := range rl.Packages {
			if !p.fullBase && f.BaseLayers > 0 && pk.Layer < f.BaseLayers {
				continue // in the base image, which the runtime stage keeps
			}
			out = append(out, pk.Name)
			notes = append(notes, fmt.Sprintf("runtime library from the image: %s (%s, linked by %s)", pk.Name, strings.Join(pk.Needed, ", "), strings.Join(firstN(shortPaths(pk.By), 3), ", ")))
		}
		if len(rl.Packages) == 0 {
			notes = append(notes, fmt.Sprintf("read from the image: %s in site-packages, linking no library beyond the C runtime", words.Count(rl.Objects, "ELF extension module", "ELF extension modules")))
		}
		if rl.NotELF > 0 {
			notes = append(notes, fmt.Sprintf("in site-packages, %s not readable as ELF", words.Count(rl.NotELF, "shared object is", "shared objects are")))
		}
		if len(rl.Unresolved) > 0 {
			notes = append(notes, "linked but owned by no package (check them): "+strings.Join(rl.Unresolved, ", "))
		}
		return out, notes
	}
	var mapped, kept []string
	distro, release := p.runtimeRelease(c.opts.now())
	for _, b := range buildPkgs {
		if p.apk {
			key := b
			if _, ok := devToRuntime[b+"@apk"]; ok {
				key = b + "@apk"
			}
			if r, ok := devToRuntime[key]; ok {
				out = appendUnique(out, r)
				mapped = append(mapped, b+" → "+r)
			}
			continue
		}
		if _, table := devToRuntime[b]; !table {
			continue // not a library's -dev package slimpy knows
		}
		if r, ok := runtimeName(b, distro, release); ok {
			out = appendUnique(out, r)
			mapped = append(mapped, b+" → "+r)
		} else {
			out = appendUnique(out, b)
			kept = append(kept, b)
		}
	}
	where := strings.TrimSpace(map[string]string{"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine"}[distro] + " " + release)
	if where == "" {
		where = "Debian bookworm" // the table's own names
	}
	if len(mapped) > 0 {
		notes = append(notes, "runtime libraries from slimpy's table of -dev packages for "+where+" (no image to read the extensions' ELF headers): "+strings.Join(mapped, ", "))
	}
	if len(kept) > 0 {
		notes = append(notes, "kept as -dev packages, whose runtime library slimpy does not know by name on "+where+": "+strings.Join(kept, ", "))
	}
	if len(mapped) == 0 && len(kept) == 0 {
		notes = append(notes, "no image: the libraries the extensions link are not known (wheels usually bundle theirs); give the image to read them")
	}
	return out, notes
}

// runtimeRelease is the distro and release of the runtime stage's base:
// from its tag, or for a python image without a codename the Debian it is
// built on at now (its newest), or was last built on for a minor whose
// images stopped (python:3.6-slim is bullseye: trixie's libssl3t64 is not
// there).
func (p *msPlan) runtimeRelease(now time.Time) (distro, release string) {
	b := baseOf(p.runtime)
	distro, release = b.Distro, b.Release
	if distro == "debian" && release == "" && b.Family == "python" {
		if last := lastDebianBuilt(b.Python.Version, now); last != "" {
			return distro, last
		}
	}
	if distro == "debian" && release == "" {
		if ds := pythonDebians(now); len(ds) > 0 && (b.Family == "python" || b.Family == "debian") {
			release = ds[len(ds)-1]
		}
	}
	return distro, release
}

func shortPaths(ps []string) []string {
	var out []string
	for _, p := range ps {
		if i := strings.Index(p, "-packages/"); i >= 0 {
			p = p[i+len("-packages/"):]
		}
		out = append(out, p)
	}
	return out
}

// namedIn are the paths that the RUN's commands name as arguments.
func namedIn(in *Instruction, paths []string) []string {
	var out []string
	for _, c := range in.calls() {
		for _, w := range c.Args() {
			if p := resolvePath(in.wd, w.Value); w.Value != "" && slices.Contains(paths, p) {
				out = appendUnique(out, p)
			}
		}
	}
	return out
}

// mkdirOf is the directory the RUN makes with a plain mkdir (no -p) that
// is target or one of its parents, "" when none.
func mkdirOf(in *Instruction, target string) string {
	if in.Keyword != "RUN" {
		return ""
	}
	for _, c := range in.calls() {
		if c.Name() != "mkdir" {
			continue
		}
		args := c.Args()
		if slices.ContainsFunc(args, func(w Word) bool {
			return w.Value == "--parents" || strings.HasPrefix(w.Value, "-") && !strings.HasPrefix(w.Value, "--") && strings.Contains(w.Value, "p")
		}) {
			continue
		}
		for _, w := range args {
			if dir := resolvePath(in.wd, w.Value); !strings.HasPrefix(w.Value, "-") && underDir(target, dir) {
				return dir
			}
		}
	}
	return ""
}

var archiveRe = regexp.MustCompile(`\.(whl|zip|egg|tar|tgz|tar\.gz|tar\.bz2|tar\.xz)$`)

// copiedFiles are the paths a COPY of srcs to dest (abs, resolved) makes
// installInputOnly: a COPY that brings only what the installs read —
// dependency files, the files at the paths they read, the directories
// they install from or the project a "pip install ." builds there — not
// a directory that also holds the app.
func installInputOnly(srcs []string, dest, abs string, allDeps bool, depFiles, depDirs []string, projects []*Instruction) bool {
	if allDeps || len(projects) > 0 {
		return true
	}
	for _, d := range depDirs {
		if abs == d || underDir(abs, d) {
			return true
		}
	}
	for _, f := range copiedFiles(srcs, dest, abs) {
		if !slices.Contains(depFiles, f) {
			return false
		}
	}
	return true
}

// (a source's own name below a directory destination).
func copiedFiles(srcs []string, dest, abs string) []string {
	var out []string
	for _, s := range srcs {
		f := abs
		if strings.HasSuffix(dest, "/") || len(srcs) > 1 || dest == "." {
			f = path.Join(abs, path.Base(s))
		}
		out = append(out, f)
	}
	return out
}
