package suggest

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/words"
)

// Suggestions about layers and the final stage: ownership, cleanup, the
// user, the command form, merging RUNs and the build context.

var copyChownKind = &kind{
	ID: "SG301", Name: "copy-chown",
	Title:   "COPY --chown instead of a chown -R layer",
	Doc:     "chown -R after COPY stores every copied file a second time with new owners",
	Answers: []string{"SP503"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var chowns []*Instruction
		for _, st := range c.d.Stages {
			if !c.d.Shipped(st) {
				continue
			}
			for _, in := range st.Instrs {
				if in.Keyword != "RUN" || !in.editable() {
					continue
				}
				for k, seg := range in.Shell.Segments {
					if len(seg.Calls) != 1 || seg.Calls[0].Nested {
						continue
					}
					owner, rec, paths, ok := chownCmd(seg.Calls[0])
					if !ok || !rec {
						continue
					}
					// RUN useradd web && chown -R web /app: the users are
					// created before the COPY instead
					// a directory that was there before the COPY (its
					// WORKDIR) keeps its owner under COPY --chown: chown -R
					// gave it to the owner too
					var dirs []string
					for _, p := range paths {
						if existedBeforeCopy(st, resolvePath(st.Workdir(in), p), in) {
							dirs = append(dirs, p)
						}
					}
					keep := ""
					if len(dirs) > 0 {
						keep = "chown " + owner + " " + strings.Join(dirs, " ")
					}
					users := ownUserSegments(c.d, in, k)
					moved := users
					if users != "" && keep != "" {
						moved += " && " + keep // before the COPY, which keeps it
					}
					eds, lines, ok := chownToCopy(c.d, in, owner, paths, moved)
					if !ok {
						continue
					}
					ch.edits = append(ch.edits, eds...)
					switch {
					case len(in.Shell.Segments) == 1 && keep != "":
						ch.edits = append(ch.edits, replaceInstr(in, "RUN "+keep+"\n"))
					case len(in.Shell.Segments) == 1 || users != "":
						ch.edits = append(ch.edits, c.d.deleteInstr(in))
					case keep != "":
						call := seg.Calls[0]
						ch.edits = append(ch.edits, edit{start: call.Start, end: call.End, text: keep})
					default:
						ch.edits = append(ch.edits, removeSegment(in.Shell, k))
					}
					ch.lines = append(ch.lines, lines...)
					ch.line(in)
					chowns = append(chowns, in)
					ch.say("line %d: chown -R %s %s rewrites what line %s copied", in.StartLine, owner, strings.Join(paths, " "), joinInts(lines))
					break // one chown per RUN: segment offsets shift after a removal
				}
			}
		}
		ch.measure = func(img *Image) Savings {
			return img.metadataRewrites(chowns, "bytes the chown layers store again with new owners (SP503)")
		}
		return nonEmpty(ch)
	},
}

// existedBeforeCopy: the directory abs was there before the COPY that
// last writes it before in (made by WORKDIR, mkdir or an earlier COPY),
// so that COPY --chown does not change its owner.
func existedBeforeCopy(st *Stage, abs string, in *Instruction) bool {
	x := st.index()
	cp := x.lastCopyTo(abs, in)
	if cp == nil {
		return false
	}
	if st.Workdir(cp) == abs {
		return true
	}
	for _, i := range x.named[abs] {
		if i < cp.idx {
			return true
		}
	}
	return false
}

// ownUserSegments is the text of the commands of in, all but its segment
// k, when they all create users or groups ("" otherwise).
func ownUserSegments(d *Dockerfile, in *Instruction, k int) string {
	var out []string
	for i, seg := range in.Shell.Segments {
		if i == k {
			continue
		}
		if len(seg.Calls) != 1 || seg.Calls[0].Nested || seg.Or || seg.Sep == ";" {
			return ""
		}
		if _, ok := userCreation(seg.Calls[0]); !ok {
			return ""
		}
		out = append(out, strings.TrimSpace(string(d.Src[seg.Start:seg.End])))
	}
	return strings.Join(out, " && ")
}

// chownToCopy finds the COPY/ADD before in whose destinations are the
// chowned paths and returns the edits that add --chown to them (moving a
// user-creating RUN, or the users in's own commands create, before the
// first COPY when needed).
func chownToCopy(d *Dockerfile, in *Instruction, owner string, paths []string, ownUsers string) ([]edit, []int, bool) {
	st := in.Stage
	x := st.index()
	var eds []edit
	var lines []int
	var firstCopy *Instruction
	for _, p := range paths {
		abs := resolvePath(st.Workdir(in), p)
		cp := x.lastCopyTo(abs, in)
		if cp == nil || cp.JSON {
			return nil, nil, false
		}
		if _, has := cp.flag("chown"); has {
			return nil, nil, false
		}
		// nothing in between may write there (it would keep root owners)
		if between(x.named[abs], cp.idx, in.idx) || between(x.workdir[abs], cp.idx, in.idx) || between(x.users, cp.idx, in.idx) {
			return nil, nil, false
		}
		kw := keywordEnd(d, cp)
		eds = append(eds, edit{start: kw, end: kw, text: " --chown=" + owner})
		lines = append(lines, cp.StartLine)
		if firstCopy == nil || cp.StartLine < firstCopy.StartLine {
			firstCopy = cp
		}
	}
	// The owner must exist when the COPY runs.
	user, _, _ := strings.Cut(owner, ":")
	if _, err := strconv.Atoi(user); err != nil && user != "root" {
		def := d.Model().Stages[st.Index].Users[user] // its first creation
		known := def.In != nil && (def.In.Stage != st || def.In.idx < firstCopy.idx)
		var mover *Instruction
		if def.In != nil && def.In.Stage == st && def.In.idx > firstCopy.idx && def.In.idx <= in.idx {
			mover = userRunAfter(def.In, in)
		}
		switch {
		case known:
		case mover == in && ownUsers != "":
			eds = append(eds, insertBefore(firstCopy, "RUN "+ownUsers+"\n"))
		case mover == nil || mover == in:
			return nil, nil, false
		default:
			eds = append(eds, d.moveOut(mover), insertBefore(firstCopy, d.withComments(mover)))
			lines = append(lines, mover.StartLine)
		}
	}
	return eds, lines, true
}

// onlyInstalls: a RUN whose commands only install OS packages or
// requirements (it writes nothing into the working directory).
func onlyInstalls(in *Instruction) bool {
	if refersToCwdProject(in) || in.Shell == nil {
		return false
	}
	for _, c := range in.calls() {
		if pkgCommand(in, c) == nil && pipCommand(in, c) == nil {
			return false
		}
	}
	return true
}

// userRunAfter is x, the RUN that first creates the user after the COPY,
// when it can move before the COPY: it only creates users and groups, or
// it is in, the chown's own RUN.
func userRunAfter(x, in *Instruction) *Instruction {
	if x.Keyword != "RUN" || !x.editable() || len(x.Flags) > 0 {
		return nil
	}
	if x == in {
		return x
	}
	for _, c := range x.calls() {
		if _, ok := userCreation(c); !ok {
			return nil
		}
	}
	return x
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, ", ")
}

var sameRunCleanupKind = &kind{
	ID: "SG302", Name: "same-run-cleanup",
	Title:   "delete and chown in the RUN that made the files",
	Doc:     "a later RUN that deletes or chowns files cannot shrink the layers below it: it adds whiteouts or copies",
	Answers: []string{"SP502", "SP503"},
	derive: func(c *ctx) *change {
		ch := &change{}
		type move struct{ from, to *Instruction }
		var moves []move
		for _, st := range c.d.Stages {
			if !c.d.Shipped(st) {
				continue
			}
			var target *Instruction
			var pending []*Instruction
			flush := func() {
				if target != nil && len(pending) > 0 && target.editable() && !target.Shell.background() {
					have := map[string]bool{}
					for _, sg := range target.Shell.Segments {
						have[foldSpace(string(c.d.Src[sg.Start:sg.End]))] = true
					}
					var text string
					for _, p := range pending {
						ch.edits = append(ch.edits, c.d.moveOut(p))
						ch.line(p)
						moves = append(moves, move{p, target})
						ch.say("line %d only deletes or chowns: fold it into the RUN at line %d", p.StartLine, target.StartLine)
						part := c.d.segmentsText(p.Shell, 0, len(p.Shell.Segments)-1)
						if have[foldSpace(part)] {
							continue // the RUN does it already
						}
						have[foldSpace(part)] = true
						text += joinerWith(c.d.joiner(target), c.d.comments(p)) + part
					}
					last := target.Shell.Segments[len(target.Shell.Segments)-1]
					ch.edits = append(ch.edits, edit{start: last.End, end: last.End, text: text})
					ch.line(target)
				}
				pending = nil
			}
			for _, in := range st.Instrs {
				switch {
				case in.Keyword == "RUN" && cleanupOnly(in) && len(in.Flags) == 0 && target != nil && !hasDynamicWord(in) && !underCopyDest(st, in) && !in.Shell.background():
					if c.foldSavesNothing(in, target) {
						// The files came from an earlier layer (an apt-get
						// install three RUNs up): folding here would only
						// move the waste. Keep the order of what follows.
						flush()
						target = nil
						continue
					}
					pending = append(pending, in)
				case in.Keyword == "RUN":
					flush()
					target = nil
					if in.editable() && len(in.Shell.Segments) > 0 && !cleanupOnly(in) {
						target = in
					}
				case in.makesLayer() || in.Keyword == "USER" || in.Keyword == "WORKDIR" || in.Keyword == "ONBUILD":
					flush()
					target = nil
				}
			}
			flush()
		}
		ch.measure = func(img *Image) Savings {
			var total int64
			for _, m := range moves {
				s := img.hiddenOrRewritten(m.from, m.to)
				if !s.Measured {
					return s
				}
				total += s.Bytes
			}
			return Savings{Bytes: total, Measured: true, Note: "bytes the target RUNs' layers stored that the later RUNs deleted (whiteouts) or stored again (chown/chmod)"}
		}
		return nonEmpty(ch)
	},
}

// foldSavesNothing: the image shows that the target's layer stored none of
// what the cleanup hides, so folding it there would save nothing.
func (c *ctx) foldSavesNothing(cleanup, target *Instruction) bool {
	if c.opts.Image == nil {
		return false
	}
	s := c.opts.Image.hiddenOrRewritten(cleanup, target)
	return s.Measured && s.Bytes == 0
}

// underCopyDest: the cleanup acts on what a COPY or ADD put there (no RUN
// made it: see SG301 and SG501).
func underCopyDest(st *Stage, in *Instruction) bool {
	for _, p := range cleanupPaths(in) {
		if st.index().copiedUnder(p, in) {
			return true
		}
	}
	return false
}

func hasDynamicWord(in *Instruction) bool {
	for _, c := range in.calls() {
		for _, w := range c.Words {
			if w.Dynamic {
				return true
			}
		}
	}
	return false
}

var nonRootKind = &kind{
	ID: "SG401", Name: "non-root-user", Hadolint: "DL3002",
	Title:   "run as a non-root user",
	Doc:     "the final stage runs as root; a user of its own (the venv staying owned by root) limits what a compromised app can change",
	Answers: []string{"SP601"},
	derive: func(c *ctx) *change {
		st := c.d.Final()
		u, userIn := st.User()
		if !isRootUser(u) {
			return nil
		}
		model := c.d.Model().Final()
		if f := c.opts.Facts; f != nil && u == "" && !isRootUser(f.ConfigUser) {
			return nil // the base image already sets a non-root user
		}
		if u == "" && model.Base.User != "" {
			return nil // so does this base (jupyter: jovyan, micromamba: mambauser)
		}
		ch := &change{note: "no size change: security"}
		if userIn != nil {
			ch.say("line %d: USER %s: the app runs as root", userIn.StartLine, u)
			ch.line(userIn)
		} else {
			ch.say("the final stage has no USER: the app runs as root")
		}
		if why := baseImageReason(c.d, model); why != "" {
			// A base image: its USER is the user of every RUN of the
			// images built on it (apt-get install would fail).
			ch.advise("%s; set USER in the images built on it, after their installs", why)
			return ch
		}
		if line, why := startsAsRoot(c.d, model); why != "" {
			ch.advise("line %d: %s: the container starts as root and drops to its user itself; a USER would make that fail", line, why)
			return ch
		}
		if where, why := needsRoot(c, model); why != "" {
			ch.advise("%s: %s: a USER would make that fail", where, why)
			return ch
		}
		if where, why := userCannot(c, model); why != "" {
			ch.advise("%s: %s; give the user what it needs by hand", where, why)
			return ch
		}
		if tool, home := runEnvInRootHome(model); tool != "" {
			// (the split moves the environment to /opt/venv, which
			// poetry and pipenv run use as the active one)
			ch.advise("the command runs %s run, whose environment %s made below root's home (%s; /root is 0700): the new user would not find it, and %s would run the command in a new, empty one; move the environment out of $HOME (SG001's split does)", tool, tool, home, tool)
			return ch
		}
		if line := commentedUser(c.d, st); line > 0 {
			ch.advise("line %d: the authors left USER commented out there: see why before adding one", line)
			return ch
		}
		var last *Instruction
		for _, in := range st.Instrs {
			if in.makesLayer() || in.Keyword == "USER" {
				last = in
			}
		}
		if last == nil {
			last = st.From
		}
		for _, in := range st.Instrs {
			for _, p := range pipCommands(in) {
				if p.hasOpt("--user") {
					ch.advise("line %d installs with pip --user as root, into /root/.local, which another user cannot read: install into a venv first (the multistage split, SG001, does where it applies)", in.StartLine)
					ch.line(in)
					return ch
				}
			}
		}
		var lines string
		var siteEdits []edit
		switch {
		case model.Base.Family == "distroless":
			// no shell to run useradd; the image has the user
			lines = "USER nonroot\n"
			ch.say("%s has no shell for useradd; its nonroot user (65532) is there", model.Base.Ref.String())
		case model.Base.Family == "scratch" || model.Base.NoShell:
			lines = "USER 10001:10001\n"
			ch.say("scratch has no shell for useradd nor a passwd file: a numeric user needs neither")
		case model.Base.User != "":
			lines = "USER " + model.Base.User + "\n"
			ch.say("the base image's own user is %s", model.Base.User)
		case fileOwner(model) != "":
			// the file gives its files to a user of the base (977:977,
			// unit): that is the app's user
			owner := fileOwner(model)
			lines = "USER " + owner + "\n"
			ch.say("the file gives its files to %s: the app runs as that user", owner)
		case !model.Base.Known && !distroKnown(st):
			ch.advise("slimpy cannot tell the base's distro (useradd or adduser?): create a user and switch to it by hand")
			return ch
		default:
			// A user named "0" or "root" is root again for USER.
			users := slices.DeleteFunc(createdUsers(st, nil), isRootUser)
			name := "app"
			if len(users) > 0 {
				name = users[len(users)-1]
				ch.say("the Dockerfile creates user %s but never switches to it", name)
			} else {
				cmd := addUserCmd(isAlpine(st), name)
				var chown string
				if vols, dirs := appWrites(model, last, contextDatabases(c, model)); len(dirs) > 0 {
					if len(vols) > 0 {
						// a new volume takes the owner of its directory in
						// the image: made and given to the user before VOLUME
						chown = "mkdir -p " + strings.Join(vols, " ") + " && "
					}
					chown += "chown " + name + " " + strings.Join(dirs, " ")
					owner := "its owner"
					if len(dirs) > 1 {
						owner = "their owner"
					}
					ch.say("the app may write in %s: user %s becomes %s", strings.Join(dirs, ", "), name, owner)
				}
				if eds, moved, refs := moveUserSite(c.d, st, name, cmd); len(moved) > 0 {
					// the user is made before the COPY that gives it the
					// packages; what the app writes is given to it at the
					// end (after the USER line: edits at one offset apply
					// in order)
					siteEdits = eds
					for _, in := range slices.Concat(moved, refs) {
						ch.line(in)
					}
					ch.say("line %d copies a pip --user tree to /root/.local, root's home (mode 0700) and root's user site: it goes to /home/%s/.local, user %s's own, with PATH and the other references to it", moved[0].StartLine, name, name)
					if chown != "" {
						lines = "RUN " + chown + "\n"
					}
				} else if chown != "" {
					lines = "RUN " + cmd + " && " + chown + "\n"
				} else {
					lines = "RUN " + cmd + "\n"
				}
			}
			lines += "USER " + name + "\n"
		}
		ch.edits = append(append(ch.edits, c.d.insertAfter(last, lines)), siteEdits...)
		ch.line(last)
		if venv := venvPath(st); venv != "" {
			ch.say("%s stays owned by root: the app can import from it, not change it", venv)
		}
		for _, s := range st.chain() {
			for _, in := range s.Instrs {
				if in.Keyword != "EXPOSE" {
					continue
				}
				for _, a := range in.Args {
					port, _, _ := strings.Cut(a, "/")
					if n, err := strconv.Atoi(port); err == nil && n < 1024 {
						ch.say("line %d exposes port %d: a non-root user cannot bind below 1024 without CAP_NET_BIND_SERVICE", in.StartLine, n)
					}
				}
			}
		}
		return ch
	},
}

// moveUserSite moves the pip --user trees the final stage copies to
// /root/.local (from a builder: COPY --from=build /root/.local /root/.local)
// to the new user's own: the user is made first (RUN useradd, before the
// first such COPY), each COPY goes to /home/USER/.local owned by the user,
// and the stage's ENV, RUN and HEALTHCHECK lines name /home/USER/.local
// instead (PATH=/root/.local/bin:$PATH). /root is 0700 and a user site is
// its user's: nothing else lets another user import those packages. moved
// are the COPYs (none: nothing to move, a COPY slimpy cannot rewrite, or a
// CMD or ENTRYPOINT that names /root/.local: its argv would change), refs
// the other lines rewritten.
func moveUserSite(d *Dockerfile, st *Stage, user, useradd string) (eds []edit, moved, refs []*Instruction) {
	const site = "/root/.local"
	home := "/home/" + user + "/.local"
	for _, in := range st.Instrs {
		if in.Keyword == "CMD" || in.Keyword == "ENTRYPOINT" {
			if strings.Contains(d.Text(in), site) {
				return nil, nil, nil // its argv would change
			}
			continue
		}
		if in.Keyword != "COPY" && in.Keyword != "ADD" {
			if len(moved) > 0 && slices.Contains([]string{"ENV", "RUN", "HEALTHCHECK"}, in.Keyword) && strings.Contains(d.Text(in), site) {
				eds = append(eds, replaceInstr(in, strings.ReplaceAll(d.Text(in), site, home)))
				refs = append(refs, in)
			}
			continue
		}
		_, dest := in.copySources()
		if !underDir(path.Clean(dest), site) {
			continue
		}
		text := d.Text(in)
		i := strings.LastIndex(text, dest)
		if _, has := in.flag("chown"); has || i < 0 || in.Keyword != "COPY" {
			return nil, nil, nil
		}
		if len(moved) == 0 {
			eds = append(eds, insertBefore(in, "RUN "+useradd+"\n"))
		}
		kw := keywordEnd(d, in) - in.Start
		text = text[:kw] + " --chown=" + user + text[kw:i] + strings.Replace(dest, site, home, 1) + text[i+len(dest):]
		eds = append(eds, replaceInstr(in, text))
		moved = append(moved, in)
	}
	return eds, moved, refs
}

// rootStarters are programs that start as root and drop privileges (or
// need root) themselves.
var rootStarters = map[string]bool{"gosu": true, "su-exec": true, "s6-setuidgid": true, "setpriv": true, "supervisord": true,
	"/init": true, "jupyterhub": true, "nginx": true, "httpd": true, "apache2": true, "sshd": true, "cron": true, "crond": true,
	"runsvdir": true, "s6-svscan": true, "chpst": true}

// startsAsRoot: the image starts as root to drop privileges itself (gosu,
// su-exec, s6-overlay's /init, supervisord...): the line that says so.
func startsAsRoot(d *Dockerfile, sm *StageModel) (int, string) {
	if c := sm.Cmd; c != nil {
		// the program, or one a wrapper entrypoint runs (CMD ["crond", "-f"])
		for _, p := range append([]string{c.Program}, c.Argv...) {
			if rootStarters[p] || rootStarters[path.Base(p)] {
				return c.inst().StartLine, p + " needs root to start"
			}
		}
	}
	for _, name := range []string{"gosu", "su-exec", "supervisor", "s6-overlay", "sudo", "openssh-server", "cron"} {
		if in := sm.Programs[name]; in != nil {
			return in.StartLine, "the image installs " + name
		}
	}
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			for _, w := range []string{"gosu", "su-exec", "s6-setuidgid", "s6-overlay"} {
				if strings.Contains(in.Original, w) {
					return in.StartLine, "it uses " + w
				}
			}
		}
	}
	return 0, ""
}

// baseImageReason says why the final stage looks like an image for others
// to build FROM, "" when it does not: it has no CMD or ENTRYPOINT, ONBUILD
// triggers that run in its children, or a command that only starts an
// interpreter or a shell (the official python image's CMD ["python3"]).
func baseImageReason(d *Dockerfile, sm *StageModel) string {
	for _, st := range sm.St.chain() {
		if in := onbuildIn(st); in != nil {
			return fmt.Sprintf("line %d: ONBUILD triggers run in the images built on it: this is a base image for others", in.StartLine)
		}
	}
	c := sm.Cmd
	if c == nil {
		return "no CMD or ENTRYPOINT: this looks like a base image for others"
	}
	if len(c.Argv) == 1 && c.Entrypoint == nil && bareInterpreter.MatchString(path.Base(c.Argv[0])) {
		return fmt.Sprintf("line %d: CMD only starts %s: this looks like a base image for others", c.Cmd.StartLine, c.Argv[0])
	}
	return ""
}

// onbuildIn is the stage's first ONBUILD instruction, nil when none.
func onbuildIn(st *Stage) *Instruction {
	for _, in := range st.Instrs {
		if in.Keyword == "ONBUILD" {
			return in
		}
	}
	return nil
}

func hasOnbuild(st *Stage) bool { return onbuildIn(st) != nil }

var bareInterpreter = regexp.MustCompile(`^(python[0-9.]*|ipython3?|bash|sh|ash|dash|zsh)$`)

// needsRoot says where and why the container's command needs to start as
// root, besides the wrappers startsAsRoot knows: it is told to run as
// root (jupyter --allow-root), or its entrypoint script, a file of the
// build context, installs packages or changes users at start.
func needsRoot(c *ctx, sm *StageModel) (where, why string) {
	if name, ok := dockerAction(c); ok {
		return name, "a GitHub Docker action runs as the image's default user, root: GitHub's docs say USER would lose the workspace"
	}
	cmd := sm.Cmd
	if cmd == nil {
		return "", ""
	}
	in := cmd.Cmd
	if cmd.Entrypoint != nil {
		in = cmd.Entrypoint
	}
	if slices.Contains(cmd.Argv, "--allow-root") {
		return fmt.Sprintf("line %d", in.StartLine), "the command is told to run as root (--allow-root)"
	}
	if len(cmd.Argv) == 0 {
		return "", ""
	}
	for _, prog := range cmd.Argv {
		if where, why := scriptNeedsRoot(c, sm, prog); why != "" {
			return where, why
		}
	}
	return "", ""
}

// userCannot says where and why a new non-root user could not do what
// the app needs, in ways slimpy cannot fix by chowning a directory ("" for
// none): run the command's script that a chmod left executable by its
// owner (root) only, write the output file the command names into the
// root-owned working directory, run Django's manage.py commands that
// write into the app's directory at start, or read what a RUN as root
// downloaded into root's home (0700: models, browsers, corpora).
func userCannot(c *ctx, sm *StageModel) (where, why string) {
	cmd := sm.Cmd
	if cmd == nil || len(cmd.Argv) == 0 {
		return "", ""
	}
	at := cmd.Cmd
	if cmd.Entrypoint != nil {
		at = cmd.Entrypoint
	}
	wd := sm.St.Workdir(at)
	if prog := cmd.Argv[0]; strings.Contains(prog, "/") && !cmd.ShellForm {
		script := resolvePath(wd, prog)
		for _, st := range sm.St.chain() {
			for _, in := range st.Instrs {
				for _, call := range in.calls() {
					if mode, ok := chmodOf(call, in.wd, script); ok && !othersMayRun(mode) {
						return fmt.Sprintf("line %d", in.StartLine), fmt.Sprintf("chmod %s leaves %s executable by its owner, root, only: the command could not start", mode, prog)
					}
				}
			}
		}
	}
	for i, a := range cmd.Argv {
		flag, val, _ := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "-") || !outputFlags[flag] {
			if f, v, ok := strings.Cut(a, " "); ok && outputFlags[f] {
				flag, val = f, strings.TrimSpace(v) // "-O ./out.json" as one word
			} else {
				continue
			}
		}
		if val == "" && i+1 < len(cmd.Argv) {
			val = cmd.Argv[i+1]
		}
		if val != "" && !strings.HasPrefix(val, "-") && !strings.HasPrefix(val, "$") && !strings.HasPrefix(val, "/") {
			return fmt.Sprintf("line %d", at.StartLine), fmt.Sprintf("the command writes %s %s into its working directory %s, which is root's", flag, val, wd)
		}
	}
	for _, prog := range cmd.Argv {
		name, text, _ := entrypointScript(c, sm, prog)
		if text == "" {
			continue
		}
		for _, call := range scriptCalls(text) {
			if sub := manageWrites(call); sub != "" {
				return name, "it runs manage.py " + sub + " when the container starts, which writes in the app's directory (static files, migrations, a SQLite database)"
			}
		}
	}
	if line, what := rootHomeDownload(sm); line > 0 {
		return fmt.Sprintf("line %d", line), what + " into root's home as root (/root is 0700): the new user would not find it"
	}
	if where, why := composeUserCannot(c); why != "" {
		return where, why
	}
	if wd == "/" {
		if in := copiedIntoRoot(sm); in != nil {
			return fmt.Sprintf("line %d", in.StartLine), "it copies the app's files into /, the command's working directory, which a new user cannot own: the files the app writes there or next to them (its state, a config it saves, logs) would fail"
		}
	}
	return "", ""
}

// copiedIntoRoot is a COPY or ADD of the stage that puts build-context
// files other than dependency lists and start scripts into / itself
// (ADD bot.py /, COPY . /), owned by root; nil for none.
func copiedIntoRoot(sm *StageModel) *Instruction {
	for _, in := range sm.St.Instrs {
		if _, own := in.flag("chown"); own || !in.fromContext() {
			continue
		}
		srcs, dest := in.copySources()
		if resolvePath(in.Stage.Workdir(in), dest) == "/" && slices.ContainsFunc(srcs, func(s string) bool { return !isDependencyFile(s) && !isScript(s) }) {
			return in
		}
	}
	return nil
}

// isScript: a start script by its name (entrypoint.sh, docker-entrypoint).
func isScript(p string) bool {
	base := path.Base(p)
	return strings.HasSuffix(base, ".sh") || strings.HasSuffix(base, ".bash") || strings.Contains(base, "entrypoint")
}

// outputFlags are command-line options that name a file or directory the
// program writes.
var outputFlags = map[string]bool{"-o": true, "-O": true, "--output": true, "--out": true, "--output-dir": true, "--outdir": true, "--log-file": true, "--logfile": true}

// chmodOf is the mode a chmod call gives the file target (resolved from
// the working directory wd), ok when it names it.
func chmodOf(call *Call, wd, target string) (string, bool) {
	if call.Name() != "chmod" {
		return "", false
	}
	var mode string
	for _, w := range call.Args() {
		switch {
		case w.Dynamic:
			return "", false
		case strings.HasPrefix(w.Value, "-") && mode == "":
			continue // -R, -v
		case mode == "":
			mode = w.Value
		case resolvePath(wd, w.Value) == target:
			return mode, true
		}
	}
	return "", false
}

// othersMayRun: a chmod mode after which a user who is neither the owner
// nor in the group may read and execute the file (a symbolic mode that
// names no other-users class only adds to the file's unknown mode: not
// known to).
func othersMayRun(mode string) bool {
	if n, err := strconv.ParseUint(mode, 8, 32); err == nil {
		return n&5 == 5
	}
	for _, clause := range strings.Split(mode, ",") {
		who := strings.TrimRight(clause[:strings.IndexAny(clause+"+", "+-=")], " ")
		if (who == "" || strings.ContainsAny(who, "ao")) && strings.Contains(clause, "x") && !strings.Contains(clause, "-") {
			return true
		}
	}
	return false
}

// manageWrites is the Django management command a call runs that writes
// in the project's directory ("" for none).
func manageWrites(call *Call) string {
	words := call.wordStrings()
	for i, w := range words {
		if path.Base(w) != "manage.py" || i+1 >= len(words) {
			continue
		}
		switch sub := words[i+1]; sub {
		case "collectstatic", "makemigrations", "migrate", "compilemessages", "compress":
			return sub
		}
	}
	return ""
}

// runEnvRootHome are where poetry and pipenv keep the environments they
// make by default, and what moves them out of $HOME (or stops poetry
// making one).
var runEnvRootHome = map[string]struct {
	home  string
	moved *regexp.Regexp
}{
	"poetry": {"~/.cache/pypoetry/virtualenvs", regexp.MustCompile(`(?i)virtualenvs[._]create[ =]+"?(false|0)|virtualenvs[._]in[._-]project[ =]+"?(true|1)|virtualenvs[._]path|POETRY_CACHE_DIR|\bHOME=`)},
	"pipenv": {"~/.local/share/virtualenvs", regexp.MustCompile(`PIPENV_VENV_IN_PROJECT|WORKON_HOME|PIPENV_CUSTOM_VENV_NAME|\bHOME=`)},
}

// runEnvInRootHome is the tool whose `TOOL run` the command is when the
// stage leaves that tool's environment where it makes it by default,
// below root's home, and that place; "" for none.
func runEnvInRootHome(sm *StageModel) (tool, home string) {
	runner := sm.Cmd.Runner
	where, ok := runEnvRootHome[runner]
	if !ok {
		return "", ""
	}
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			if (in.Keyword == "ENV" || in.Keyword == "ARG" || in.Keyword == "RUN") && where.moved.MatchString(in.Original) {
				return "", ""
			}
		}
	}
	return runner, where.home
}

var rootHomeDownloadRe = regexp.MustCompile(`playwright install|nltk\.download|nltk\.downloader|huggingface-cli download|hf_hub_download|snapshot_download|from_pretrained\(|SentenceTransformer\(|torch\.hub\.load|whisper\.load_model|easyocr\.Reader`)

// cacheHomeEnv are the variables that move those downloads out of $HOME.
var cacheHomeEnv = []string{"HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_CACHE", "SENTENCE_TRANSFORMERS_HOME", "TORCH_HOME", "PLAYWRIGHT_BROWSERS_PATH", "NLTK_DATA"}

// rootHomeDownload is the line of a RUN that downloads models, browsers
// or corpora into the cache below $HOME (root's: no ENV moves it), and
// what it downloads; 0 for none.
func rootHomeDownload(sm *StageModel) (int, string) {
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			if in.Keyword == "ENV" || in.Keyword == "ARG" {
				for _, v := range cacheHomeEnv {
					if strings.Contains(in.Original, v) {
						return 0, ""
					}
				}
			}
			if in.Keyword == "RUN" {
				if m := rootHomeDownloadRe.FindString(in.Original); m != "" {
					return in.StartLine, "it downloads (" + strings.TrimRight(m, "(") + ")"
				}
			}
		}
	}
	return 0, ""
}

// scriptNeedsRoot reads the entrypoint or command script prog (a build
// context file the stage copies) and says where and why it needs root.
func scriptNeedsRoot(c *ctx, sm *StageModel, prog string) (where, why string) {
	name, text, unread := entrypointScript(c, sm, prog)
	if unread {
		return name, "slimpy cannot read this script of the command (not in the build context, or from another stage): if it needs root at start (gosu, chown, a port below 1024)"
	}
	if text == "" {
		return "", ""
	}
	for _, call := range scriptCalls(text) {
		args := call.Args()
		n := call.Name()
		switch {
		case rootStarters[n] || n == "sudo" || n == "service" || n == "chown":
			return name, "it runs " + n + " when the container starts, which needs root"
		case (n == "pip" || strings.HasPrefix(n, "pip3") || n == "uv") && len(args) > 0 && slices.ContainsFunc(args, func(w Word) bool { return w.Value == "install" }) &&
			!slices.ContainsFunc(args, func(w Word) bool {
				return w.Value == "--user" || strings.HasPrefix(w.Value, "--target") || strings.HasPrefix(w.Value, "--prefix")
			}):
			return name, "it runs " + n + " install when the container starts, into the system's packages"
		case n == "apt-get" || n == "apt" || n == "apk" || n == "yum" || n == "dnf" || n == "usermod" || n == "groupmod" || n == "useradd" || n == "adduser":
			return name, "it runs " + n + " when the container starts"
		}
	}
	return "", ""
}

// entrypointScript finds the build-context file the stage copied to the
// program path prog (an absolute path, or one relative to the working
// directory), and reads it: its name and text ("" when there is none).
//
// A shell script the stage copies there that the context does not hold
// (another build context, a builder stage) is its name with no text and
// unread set.
func entrypointScript(c *ctx, sm *StageModel, prog string) (name, text string, unread bool) {
	var abs string
	switch {
	case strings.Contains(prog, "/") || strings.HasSuffix(prog, ".sh") || strings.HasSuffix(prog, ".bash"):
		// a path, or a script given to a shell by its name (bash start.sh)
		at := sm.Cmd.Entrypoint
		if at == nil {
			at = sm.Cmd.Cmd
		}
		abs = resolvePath(sm.St.Workdir(at), prog)
	case sm.Programs[prog] != nil && (sm.Programs[prog].Keyword == "COPY" || sm.Programs[prog].Keyword == "ADD"):
		// a script copied into a PATH directory, run by its name
		in := sm.Programs[prog]
		srcs, dest := in.copySources()
		abs = resolvePath(in.Stage.Workdir(in), dest)
		if strings.HasSuffix(dest, "/") || len(srcs) > 1 {
			abs = path.Join(abs, prog)
		}
	default:
		return "", "", false
	}
	script := isScript(abs)
	for _, st := range sm.St.chain() {
		for _, in := range st.Instrs {
			if in.Keyword != "COPY" && in.Keyword != "ADD" {
				continue
			}
			srcs, dest := in.copySources()
			dst := resolvePath(st.Workdir(in), dest)
			if _, ok := in.flag("from"); ok {
				if script && (dst != "/" && underDir(abs, dst) || path.Join(dst, path.Base(abs)) == abs && slices.ContainsFunc(srcs, func(s string) bool { return path.Base(s) == path.Base(abs) })) {
					name, unread = path.Base(abs), true // a builder's file, or in a directory from a builder
				}
				continue
			}
			for _, s := range srcs {
				var rel string
				switch {
				case s == "." || s == "./":
					r, ok := strings.CutPrefix(abs, strings.TrimSuffix(dst, "/")+"/")
					if !ok {
						continue
					}
					rel = r
				case (strings.HasSuffix(dest, "/") || len(srcs) > 1 || dest == "." || dst == st.Workdir(in)) && path.Join(dst, path.Base(s)) == abs:
					// into a directory (COPY start.sh . names the WORKDIR)
					rel = s
				case dst == abs:
					rel = s
				case underDir(abs, dst) && path.Ext(s) == "" && !contextHas(c, s):
					// a directory of the context copied to dst: its content
					rel = path.Join(s, strings.TrimPrefix(abs, strings.TrimSuffix(dst, "/")+"/"))
				default:
					continue
				}
				if text, ok := c.contextFile(path.Clean(rel)); ok {
					return path.Clean(rel), text, false
				}
				if script {
					name, unread = path.Clean(rel), true
				}
			}
		}
	}
	return name, "", unread
}

// contextHas: the build context has the file name (not a directory).
func contextHas(c *ctx, name string) bool {
	_, ok := c.contextFile(path.Clean(name))
	return ok
}

// commentedUser is the line of a "# USER name" comment in the stage (the
// authors chose root on purpose), 0 when none.
func commentedUser(d *Dockerfile, st *Stage) int {
	start, end := st.From.End, len(d.Src)
	if st.Index+1 < len(d.Stages) {
		end = d.Stages[st.Index+1].From.Start
	}
	for l := 1; l < len(d.lineStart); l++ {
		off := d.lineStart[l-1]
		if off < start || off >= end {
			continue
		}
		t := strings.TrimSpace(string(d.Src[off:d.lineStart[l]]))
		if rest, ok := strings.CutPrefix(t, "#"); ok {
			if f := strings.Fields(rest); len(f) >= 2 && f[0] == "USER" && !isRootUser(f[1]) {
				return l
			}
		}
	}
	return 0
}

// fileOwner is the one non-root owner the final stage gives its files to
// (COPY --chown, chown), when it is not a user the file creates (that one
// is reused as such): "" for none or several.
func fileOwner(sm *StageModel) string {
	owner := ""
	for _, w := range sm.Writes {
		if (w.Kind != "copy" && w.Kind != "chown") || w.Owner == "" || isRootUser(w.Owner) || isSystemPath(w.Path) {
			continue
		}
		if owner != "" && userOf(owner) != userOf(w.Owner) {
			return ""
		}
		owner = w.Owner
	}
	u, g, _ := strings.Cut(owner, ":")
	if sm.Users[u].In != nil {
		return ""
	}
	if g == "root" || g == "0" {
		return u
	}
	return owner
}

// distroKnown: the stage's RUNs show its package manager (apt or apk), so
// which user tool it has.
func distroKnown(st *Stage) bool {
	for _, s := range st.chain() {
		for _, in := range s.Instrs {
			if len(pkgCommands(in)) > 0 {
				return true
			}
		}
	}
	return false
}

// dataDirs are the directories the final stage makes (mkdir) and leaves
// empty, where the app writes: a new user must own them.
func dataDirs(sm *StageModel) []string {
	var out []string
	for i, w := range sm.Writes {
		if w.Kind == "mkdir" && w.In.Stage == sm.St && !isSystemPath(w.Path) && !sm.filledLater(i) && !isHome(sm, w.Path) && !strings.ContainsAny(w.Path, "$*?[ ") {
			out = append(out, w.Path)
		}
	}
	return uniq(out)
}

// appWrites are what the app writes that a new user must own, for a
// user created right after the instruction after: the directories the
// stage makes and leaves empty, its VOLUMEs declared after that (vols,
// to be made first), the SQLite databases made at build time or copied
// from the build context (dbs) with their directories, and the command's
// working directory when WORKDIR made it (where a program writes its
// state; not recursively).
func appWrites(sm *StageModel, after *Instruction, dbs []string) (vols, all []string) {
	all = dataDirs(sm)
	vols = volumeDirs(sm, after)
	all = append(all, vols...)
	all = append(all, sqliteFiles(sm)...)
	for _, db := range dbs {
		all = append(all, path.Dir(db), db)
	}
	if wd, in := commandWorkdir(sm); wd != "" && (in.idx <= after.idx || madeBefore(sm, wd, in)) {
		// (a WORKDIR after the USER makes a missing directory the
		// user's, not one an earlier COPY or RUN made)
		all = append(all, wd)
	}
	return vols, uniq(all)
}

// madeBefore: an instruction of the stage before in made the directory
// dir or something below it (COPY app /app, mkdir -p /app/data), so it
// exists, root's, when in runs.
func madeBefore(sm *StageModel, dir string, in *Instruction) bool {
	for _, w := range sm.Writes {
		if w.In.Stage == sm.St && w.In.idx < in.idx && underDir(w.Path, dir) && w.Kind != "chmod" && w.Kind != "volume" {
			return true
		}
	}
	return false
}

// commandWorkdir is the final WORKDIR of the stage when the stage sets it
// ("" else, and for /, system paths and homes): the command's working
// directory, where programs create their state (logs, a SQLite database,
// the output they are told to write to ./out). The new user gets the
// directory itself, not what the COPYs put in it, which stays root's.
func commandWorkdir(sm *StageModel) (string, *Instruction) {
	wd := sm.St.Workdir(nil)
	appSrc := underDir(wd, "/usr/src") || underDir(wd, "/usr/local/src") // the python image docs' /usr/src/app
	if wd == "/" || isSystemPath(wd) && !appSrc || isHome(sm, wd) || strings.ContainsAny(wd, "$*?[ ") {
		return "", nil
	}
	var made *Instruction // the stage's WORKDIR, also of a directory a COPY made
	for _, in := range sm.St.Instrs {
		if in.Keyword == "WORKDIR" && len(in.Args) > 0 && resolvePath(in.wd, in.Args[0]) == wd {
			made = in
		}
	}
	if made == nil {
		return "", nil
	}
	return wd, made
}

// volumeDirs are the VOLUMEs the stage declares after the instruction
// after which the user is created (so that the RUN comes before them),
// that nothing in the image makes.
func volumeDirs(sm *StageModel, after *Instruction) []string {
	var out []string
	for _, w := range sm.Writes {
		if w.Kind == "volume" && w.In.Stage == sm.St && w.In.idx > after.idx && !isSystemPath(w.Path) && !strings.ContainsAny(w.Path, "$*?[ ") {
			out = append(out, w.Path)
		}
	}
	return uniq(out)
}

// sqliteNames are the names SQLite databases of an app usually have in
// its source tree (Django's default first).
var sqliteNames = []string{"db.sqlite3", "db.sqlite", "database.sqlite3", "database.db", "app.db", "data.db", "sqlite.db"}

// contextDatabases are the paths in the image of the SQLite databases the
// stage copies from the build context (COPY . of a context holding
// db.sqlite3, or the file itself): the app writes them, and SQLite its
// journal next to them.
func contextDatabases(c *ctx, sm *StageModel) []string {
	var out []string
	for _, in := range sm.St.Instrs {
		if _, own := in.flag("chown"); own || !in.fromContext() {
			continue
		}
		srcs, dest := in.copySources()
		dst := resolvePath(sm.St.Workdir(in), dest)
		for _, src := range srcs {
			switch {
			case src == "." || src == "./":
				for _, n := range sqliteNames {
					if _, ok := c.contextFile(n); ok {
						out = append(out, path.Join(dst, n))
					}
				}
			case slices.Contains(sqliteNames, path.Base(src)):
				if _, ok := c.contextFile(path.Clean(src)); !ok {
					continue
				}
				if strings.HasSuffix(dest, "/") || dest == "." || len(srcs) > 1 || dst == sm.St.Workdir(in) {
					out = append(out, path.Join(dst, path.Base(src)))
				} else {
					out = append(out, dst)
				}
			}
		}
	}
	return uniq(out)
}

// sqliteFiles are the SQLite databases the stage made at build time
// (manage.py migrate) and their directories, where SQLite writes its
// journal: the app's user must own them.
func sqliteFiles(sm *StageModel) []string {
	var out []string
	for _, w := range sm.Writes {
		if w.Kind == "sqlite" && w.In.Stage == sm.St && !strings.ContainsAny(w.Path, "$*?[ ") {
			out = append(out, path.Dir(w.Path), w.Path)
		}
	}
	return uniq(out)
}

func addUserCmd(alpine bool, name string) string {
	if alpine {
		return "adduser -D -u 10001 " + name
	}
	return "useradd --no-log-init --create-home --uid 10001 " + name
}

// isAlpine: the stage's base is Alpine, or it uses apk.
func isAlpine(st *Stage) bool {
	for _, s := range st.chain() {
		if strings.Contains(strings.ToLower(s.Base), "alpine") {
			return true
		}
		for _, in := range s.Instrs {
			for _, p := range pkgCommands(in) {
				if p.manager == "apk" {
					return true
				}
			}
		}
	}
	return false
}

// venvPath is the virtual environment the stage puts on PATH, if any.
func venvPath(st *Stage) string {
	if v, ok := st.Env("VIRTUAL_ENV", nil); ok && v != "" {
		return v
	}
	if p, ok := st.Env("PATH", nil); ok {
		for _, el := range strings.Split(p, ":") {
			if strings.HasSuffix(el, "/bin") && strings.Contains(el, "venv") {
				return strings.TrimSuffix(el, "/bin")
			}
		}
	}
	return ""
}

var jsonCmdKind = &kind{
	ID: "SG402", Name: "json-cmd", Hadolint: "DL3025",
	Title: "JSON (exec) form for CMD and ENTRYPOINT",
	Doc:   "the shell form runs the app under /bin/sh -c, which does not pass SIGTERM on: stops wait for the kill timeout",
	derive: func(c *ctx) *change {
		ch := &change{note: "no size change: signals reach the app"}
		st := c.d.Final()
		model := c.d.Model().Final()
		for _, in := range st.Instrs {
			if in.Keyword != "CMD" && in.Keyword != "ENTRYPOINT" || in.JSON || in.Shell == nil || !in.Shell.Editable {
				continue
			}
			if len(model.Shell) > 0 {
				continue // the shell form runs under the file's SHELL, which the exec form would bypass
			}
			if in.Keyword == "CMD" && execEntrypointBefore(st, in) {
				continue // the exec-form ENTRYPOINT gets /bin/sh -c CMD as its arguments: an exec-form CMD would change them
			}
			if shellBuiltins[firstWord(in.Shell)] {
				continue // source, cd...: only a shell runs them
			}
			if meant, ok := singleQuotedArray(strings.TrimSpace(in.Args[0])); ok {
				// ['python', 'app.py'] is no JSON: Docker runs it as a
				// shell command, "[python,", which is not found
				sh := in.Shell
				text := string(c.d.Src[sh.Start:sh.End])
				start := sh.Start + strings.Index(text, "[")
				end := sh.Start + strings.LastIndex(text, "]") + 1
				ch.edits = append(ch.edits, edit{start: start, end: end, text: jsonArray(meant)})
				ch.line(in)
				ch.say("line %d: %s %s is not JSON (single quotes): Docker runs it as a shell command, which fails with \"%s: not found\"", in.StartLine, in.Keyword, strings.TrimSpace(in.Args[0]), firstWord(sh))
				continue
			}
			if in.Keyword == "ENTRYPOINT" {
				hasCmd := false
				for _, x := range st.Instrs {
					if x.Keyword == "CMD" {
						hasCmd = true
					}
				}
				if hasCmd {
					continue // exec-form ENTRYPOINT would start taking CMD as arguments
				}
			}
			sh := in.Shell
			if len(sh.Segments) != 1 || len(sh.Calls) != 1 || sh.Calls[0].Nested || len(sh.File.Stmts) != 1 || len(sh.File.Stmts[0].Redirs) > 0 {
				continue
			}
			call := sh.Calls[0]
			var args []string
			dynamic := false
			for _, w := range call.Words {
				if w.Dynamic {
					dynamic = true
				}
				args = append(args, w.Value)
			}
			if dynamic || callHasAssigns(sh) {
				args = []string{"/bin/sh", "-c", "exec " + strings.TrimSpace(string(c.d.Src[call.Start:call.End]))}
			}
			js := jsonArray(args)
			seg := sh.Segments[0]
			// What follows the command must go too: after the JSON it would
			// turn the instruction back into shell form, running the array
			// as a command. A shell comment moves to the line above; other
			// bytes the shell ignores (a NUL), here or before the command,
			// leave the instruction alone.
			if strings.TrimSpace(string(c.d.Src[sh.Start:seg.Start])) != "" {
				continue
			}
			end := seg.End
			tail := string(c.d.Src[seg.End:sh.End])
			if rest := strings.TrimSpace(tail); rest != "" {
				if !strings.HasPrefix(rest, "#") || strings.ContainsAny(rest, "\n\x00") {
					continue
				}
				end += strings.Index(tail, rest) + len(rest)
				ch.edits = append(ch.edits, insertBefore(in, rest+"\n"))
			}
			ch.edits = append(ch.edits, edit{start: seg.Start, end: end, text: js})
			ch.line(in)
			ch.say("line %d: %s in shell form", in.StartLine, in.Keyword)
		}
		return nonEmpty(ch)
	},
}

func callHasAssigns(sh *Shell) bool { return sh.Calls[0].Assigns > 0 }

// firstWord is the first word the shell runs ("" for none).
func firstWord(sh *Shell) string {
	if len(sh.Calls) == 0 || len(sh.Calls[0].Words) == 0 {
		return ""
	}
	return sh.Calls[0].Words[0].Value
}

// execEntrypointBefore: an exec-form ENTRYPOINT is in effect for in (set
// before it in its stage or inherited).
func execEntrypointBefore(st *Stage, in *Instruction) bool {
	for _, s := range st.chain() {
		for i := len(s.Instrs) - 1; i >= 0; i-- {
			x := s.Instrs[i]
			if s == st && x.idx >= in.idx && x.Keyword != "ENTRYPOINT" {
				continue
			}
			if x.Keyword == "ENTRYPOINT" {
				return x.JSON && len(x.Args) > 0
			}
		}
	}
	return false
}

func (c *Call) wordStrings() []string {
	var s []string
	for _, w := range c.Words {
		s = append(s, w.Value)
	}
	return s
}

func (c *Call) wordsText() string {
	var s []string
	for _, w := range c.Words {
		s = append(s, w.Value)
	}
	return strings.Join(s, " ")
}

func jsonArray(args []string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		q, _ := json.Marshal(a)
		b.Write(q)
	}
	b.WriteString("]")
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())
}

var mergeRunsKind = &kind{
	ID: "SG303", Name: "merge-runs", Hadolint: "DL3059",
	Title:   "merge consecutive RUN instructions",
	Doc:     "each RUN is a layer; files a later RUN deletes or rewrites stay stored in the earlier one",
	Answers: []string{"SP502", "SP503"},
	derive: func(c *ctx) *change {
		ch := &change{}
		var groups [][]*Instruction
		for _, st := range c.d.Stages {
			if !c.d.Shipped(st) {
				continue
			}
			var group []*Instruction
			flush := func() {
				if len(group) > 1 {
					groups = append(groups, group)
				}
				group = nil
			}
			for _, in := range st.Instrs {
				if in.Keyword != "RUN" {
					flush()
					continue
				}
				if !mergeable(in) {
					flush()
					continue
				}
				if len(group) > 0 && (changesShellState(group[len(group)-1]) || strings.Join(group[0].Flags, " ") != strings.Join(in.Flags, " ")) {
					flush()
				}
				group = append(group, in)
			}
			flush()
		}
		for _, g := range groups {
			first := g[0]
			join := c.d.joiner(first)
			if first.StartLine == first.EndLine {
				join = " \\\n && "
			}
			var text string
			for _, in := range g[1:] {
				text += joinerWith(join, c.d.comments(in)) + c.d.segmentsText(in.Shell, 0, len(in.Shell.Segments)-1)
				ch.edits = append(ch.edits, c.d.moveOut(in))
			}
			last := first.Shell.Segments[len(first.Shell.Segments)-1]
			ch.edits = append(ch.edits, edit{start: last.End, end: last.End, text: text})
			ch.line(g...)
			ch.say("lines %s are %d RUNs in a row", joinInts(startLines(g)), len(g))
		}
		ch.measure = func(img *Image) Savings {
			var total int64
			for _, g := range groups {
				s := img.wasteWithin(g)
				if !s.Measured {
					return s
				}
				total += s.Bytes
			}
			return Savings{Bytes: total, Measured: true, Note: "bytes a RUN of a group stored that a later RUN of the same group deleted or rewrote"}
		}
		return nonEmpty(ch)
	},
}

func startLines(ins []*Instruction) []int {
	var out []int
	for _, in := range ins {
		out = append(out, in.StartLine)
	}
	return out
}

// mergeable: a shell-form RUN that is one && chain without heredocs: no
// ";" list and no top-level || list, whose exit status a merged && chain
// would change (a || b && c || true passes when a and b fail).
func mergeable(in *Instruction) bool {
	if !in.editable() || len(in.Shell.Segments) == 0 || in.Heredoc {
		return false
	}
	for _, s := range in.Shell.Segments {
		if s.Sep == ";" || s.Or || s.Background {
			return false
		}
	}
	return true
}

var dockerignoreKind = &kind{
	ID: "SG501", Name: "dockerignore",
	Title:   "a .dockerignore for what COPY . should not take",
	Doc:     "without one, COPY . takes .git, virtualenvs, caches, bytecode and secrets into the image",
	Answers: []string{"SP103", "SP602", "SP603"},
	derive: func(c *ctx) *change {
		if _, ok := c.contextFile(".dockerignore"); ok {
			return nil
		}
		var copies []*Instruction
		for _, in := range c.d.Instructions {
			if in.Stage == nil || !in.fromContext() {
				continue
			}
			srcs, _ := in.copySources()
			for _, s := range srcs {
				if s == "." || s == "./" || s == "*" {
					copies = append(copies, in)
					break
				}
			}
		}
		if len(copies) == 0 {
			return nil
		}
		ch := &change{files: map[string]string{}}
		patterns := defaultIgnore
		var found []junk
		if f := c.opts.Facts; f != nil && f.fs != nil {
			for _, cp := range copies {
				if c.d.Shipped(cp.Stage) {
					_, dest := cp.copySources()
					found = append(found, f.junkUnder(resolvePath(cp.Stage.Workdir(cp), dest))...)
				}
			}
			if len(found) == 0 {
				return nil
			}
			patterns = nil
			seen := map[string]bool{}
			for _, j := range found {
				if !seen[j.pattern] {
					seen[j.pattern] = true
					patterns = append(patterns, j.pattern)
					ch.say("%s: %s in the image (%s)", j.pattern, words.Count(j.files, "file", "files"), humanize.Bytes(uint64(j.bytes)))
				}
			}
		} else {
			ch.say("line %d copies the whole build context and there is no .dockerignore", copies[0].StartLine)
			if removesTests(c.d) {
				patterns = append(append([]string(nil), patterns...), "tests")
			}
		}
		patterns = withoutNeeded(c, ch, patterns)
		if len(patterns) == 0 {
			return nil
		}
		for _, p := range patterns {
			// said where the file is there: in the image or the context
			_, inContext := c.contextFile(p)
			if (p == ".env" || strings.HasPrefix(p, ".env.")) && (len(found) > 0 || inContext) {
				ch.say("%s: an image must not carry it (SP602); give the app its settings at run time (docker run --env-file %s)", p, p)
			}
		}
		ch.line(copies...)
		ch.files[".dockerignore"] = "# Written by slimpy: what the build context need not send and COPY . need not take.\n" + strings.Join(patterns, "\n") + "\n"
		ch.measure = func(img *Image) Savings {
			if len(found) == 0 {
				return Savings{Note: notMeasured("nothing found below the COPY destinations")}
			}
			var total int64
			for _, j := range found {
				total += j.bytes
			}
			return Savings{Bytes: total, Measured: true, Note: "bytes of the files these patterns match below the COPY . destinations"}
		}
		return ch
	},
}

// withoutNeeded drops from patterns what the build needs, saying why: a
// path a COPY or ADD names itself, and .git where a RUN calls git (git
// describe, git rev-parse) or the project takes its version from the
// repository (setuptools-scm and the like fail without it).
func withoutNeeded(c *ctx, ch *change, patterns []string) []string {
	named := map[string]int{} // first path component → line that copies it
	gitRun := 0
	for _, in := range c.d.Instructions {
		if in.Stage == nil {
			continue
		}
		if in.fromContext() {
			srcs, _ := in.copySources()
			for _, src := range srcs {
				first, _, _ := strings.Cut(strings.TrimPrefix(path.Clean(src), "/"), "/")
				if _, seen := named[first]; !seen && first != "." {
					named[first] = in.StartLine
				}
			}
		}
		for _, call := range in.calls() {
			if call.Name() == "git" && gitRun == 0 {
				gitRun = in.StartLine
			}
		}
	}
	vcsVersion := ""
	for _, f := range []string{"pyproject.toml", "setup.cfg", "setup.py"} {
		text, ok := c.contextFile(f)
		if !ok {
			continue
		}
		if m := vcsVersioning.FindString(strings.ToLower(text)); m != "" {
			vcsVersion = f + " takes its version from git (" + m + ")"
		}
		if vcsVersion != "" {
			break
		}
	}
	var kept []string
	for _, p := range patterns {
		line := 0
		for first, l := range named {
			if ok, _ := path.Match(p, first); ok && !strings.HasPrefix(p, "**/") && (line == 0 || l < line) {
				line = l
			}
		}
		switch {
		case line > 0:
			ch.say("%s is not ignored: line %d copies it", p, line)
		case p == ".git" && gitRun > 0:
			ch.say(".git is not ignored: line %d runs git", gitRun)
		case p == ".git" && vcsVersion != "":
			ch.say(".git is not ignored: %s", vcsVersion)
		default:
			kept = append(kept, p)
		}
	}
	return kept
}

// vcsVersioning are the build plugins that read a project's version from
// its git repository, as they are written in its build configuration.
var vcsVersioning = regexp.MustCompile(`\b(setuptools[_-]scm|use_scm_version|hatch-vcs|versioneer|poetry-dynamic-versioning|uv-dynamic-versioning|dunamai|versioningit|pbr)\b`)

var defaultIgnore = []string{".git", ".gitignore", ".venv", "venv", "**/__pycache__", "**/*.py[cod]", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".coverage", "htmlcov", ".env", "node_modules", "Dockerfile*", ".dockerignore"}

// removesTests: the Dockerfile deletes a tests directory after copying it.
func removesTests(d *Dockerfile) bool {
	for _, in := range d.Instructions {
		for _, c := range in.calls() {
			for _, p := range rmPaths(c) {
				if strings.HasSuffix(strings.TrimRight(p, "/"), "tests") {
					return true
				}
			}
		}
	}
	return false
}

var dockerActionRe = regexp.MustCompile(`(?m)^\s*using:\s*['"]?docker['"]?\s*$`)

// dockerAction: the build context is a GitHub Docker container action
// (an action.yml that runs using: docker), whose name it returns.
func dockerAction(c *ctx) (string, bool) {
	for _, name := range []string{"action.yml", "action.yaml"} {
		if text, ok := c.contextFile(name); ok && dockerActionRe.MatchString(text) {
			return name, true
		}
	}
	return "", false
}
