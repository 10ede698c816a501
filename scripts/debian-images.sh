#!/usr/bin/env bash
# Builds two realistic Python images from real Debian packages, with no
# container registry, and computes the figures slimpy must report for them
# with tar, find, awk sums and sha256sum only (never with slimpy):
#
#   local/slimpy-bookworm:base  debootstrap --variant=minbase bookworm, imported
#   local/slimpy-test:full      python3 + pip, build-essential, numpy/scipy, a
#                               pip-built C extension, chown -R, rm -rf
#   local/slimpy-test:slim      python3 only, apt lists removed in the same RUN
#
# Output (in ${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}):
#   full.tar, slim.tar                      docker save of each image
#   full.expected.json, slim.expected.json  the independent figures
#   upgradable.txt                          `apt list --upgradable` right after
#                                           the first apt-get update of :full
#   upgradable-final.txt                    the same, run in the final :full
#   full.rules.json, slim.rules.json        the rules' bytes, by scripts/rules-figures.sh
#   debootstrap.log, full.build.log, slim.build.log
#
# Usage: scripts/debian-images.sh [--force | --figures-only]
#   --force         build everything again (the base too if it changed)
#   --figures-only  keep the images in the engine, recompute the figures
#
# The Debian mirror is read at run time from this machine's apt sources; no
# host name is written in this repository. Re-running is quick ("cached")
# while VERSION and the files under scripts/debian-images/ are unchanged and
# the images are still in the engine. The first run takes about 7 minutes.
#
# Needs: root, docker (the classic builder is used: every step leaves an
# intermediate image, which is how the cumulative figures are measured),
# debootstrap (installed with apt-get when missing), python3 (JSON only).
set -euo pipefail
export LC_ALL=C

# Bump when the way images are built or figures are computed changes.
VERSION=2
# Bump when the base root file system must be bootstrapped again.
BASE_VERSION=1

HERE=$(cd "$(dirname "$0")" && pwd)
CTX="$HERE/debian-images"
OUT=${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}
BASE_IMAGE=local/slimpy-bookworm:base
FULL_IMAGE=local/slimpy-test:full
SLIM_IMAGE=local/slimpy-test:slim
# Paths that a container (and `docker export`) shows but the image layers
# may not have: the engine's per-container init layer, mount points and
# empty placeholders. Their regular-file bytes are taken from the layers.
INIT_PATHS=".dockerenv etc/hosts etc/hostname etc/resolv.conf etc/mtab dev/console"

FORCE=0       # --force: build again even when cached
FIGURES_ONLY=0 # --figures-only: keep the images in the engine, recompute the rest
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --figures-only) FIGURES_ONLY=1 FORCE=1 ;;
    *) echo "usage: $0 [--force | --figures-only]" >&2; exit 2 ;;
  esac
done

log() { printf '%s debian-images: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup: containers and temporary directories this run created.
CONTAINERS=()
TMPDIRS=()
cleanup() {
  local c d
  for c in "${CONTAINERS[@]:-}"; do
    if [ -n "$c" ]; then docker rm -f "$c" >/dev/null 2>&1 || true; fi
  done
  for d in "${TMPDIRS[@]:-}"; do
    if [ -n "$d" ]; then rm -rf --one-file-system "$d" || true; fi
  done
  return 0 # under set -e a failing EXIT trap would replace the exit status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# The cache key: VERSION plus every file the images are built from.
stamp() {
  {
    echo "VERSION=$VERSION BASE_VERSION=$BASE_VERSION"
    (cd "$CTX" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-64
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

is_cached() {
  local f
  [ "$FORCE" = 0 ] || return 1
  [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ] || return 1
  for f in full.tar slim.tar full.expected.json slim.expected.json upgradable.txt full.id slim.id; do
    [ -s "$OUT/$f" ] || return 1
  done
  # The e2e test also reads the images from the engine.
  [ "$(image_id "$FULL_IMAGE")" = "$(cat "$OUT/full.id")" ] || return 1
  [ "$(image_id "$SLIM_IMAGE")" = "$(cat "$OUT/slim.id")" ] || return 1
}

# ---------------------------------------------------------------------------
# This machine's apt sources as "URI<TAB>SUITE<TAB>COMPONENTS" lines, from
# deb822 *.sources files and classic "deb URI SUITE COMPONENTS" lines.
apt_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk '
      function flush(  n, m, i, j, U, S) {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
          n = split(uris, U, /[ \t]+/); m = split(suites, S, /[ \t]+/)
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (U[i] != "" && S[j] != "") print U[i] "\t" S[j] "\t" comps
        }
        types = uris = suites = comps = enabled = ""; key = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { next }   # continuation of a multi-line field (Signed-By keys)
      {
        c = index($0, ":"); if (c == 0) next
        key = tolower(substr($0, 1, c - 1)); val = substr($0, c + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "components") comps = val
        else if (key == "enabled") enabled = val
      }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk '$1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }   # [ options ]
      c = ""; for (j = i + 2; j <= NF; j++) c = c (c == "" ? "" : " ") $j
      if ($(i + 1) != "") print $i "\t" $(i + 1) "\t" c
    }' "$f"
  done
}

# ---------------------------------------------------------------------------
# The base: debootstrap minbase, cleaned like the official images, with apt
# sources for bookworm, bookworm-updates and bookworm-security, imported as
# one layer.
build_base() {
  local sources mirror rootfs list val
  sources=$(apt_sources | awk -F'\t' '$2 == "bookworm" || $2 == "bookworm-updates" || $2 == "bookworm-security"' | awk '!seen[$0]++')
  mirror=$(printf '%s\n' "$sources" | awk -F'\t' '$2 == "bookworm" { print $1; exit }')
  [ -n "$mirror" ] || die "no 'bookworm' suite in this machine's apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list)"
  for s in bookworm-updates bookworm-security; do
    printf '%s\n' "$sources" | awk -F'\t' -v s="$s" '$2 == s { f = 1 } END { exit !f }' ||
      log "warning: no $s suite in this machine's apt sources: fewer packages will be upgradable"
  done
  list=$(printf '%s\n' "$sources" | awk -F'\t' '{ print "deb " $1 " " $2 " " ($3 == "" ? "main" : $3) }')

  if [ -s "$OUT/base.stamp" ] && [ "$(cat "$OUT/base.stamp")" = "$BASE_VERSION $(printf '%s' "$list" | sha256sum | cut -c1-64)" ] &&
     [ -n "$(image_id "$BASE_IMAGE")" ] && [ "$(image_id "$BASE_IMAGE")" = "$(cat "$OUT/base.id" 2>/dev/null)" ]; then
    log "base image $BASE_IMAGE is current"
    return
  fi
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

  rootfs=$(mktemp -d /var/tmp/slimpy-rootfs.XXXXXX); TMPDIRS+=("$rootfs")
  log "debootstrap --variant=minbase bookworm (mirror from the apt sources)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$OUT/debootstrap.log" 2>&1 ||
    { tail -n 30 "$OUT/debootstrap.log" >&2; die "debootstrap failed (log: $OUT/debootstrap.log)"; }

  # Like the official images: no host files, no package lists or .debs.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  mkdir -p "$rootfs/var/lib/apt/lists/partial"
  printf '%s\n' "$list" > "$rootfs/etc/apt/sources.list"
  # A snapshot mirror's Release files are past their Valid-Until: do as the
  # host does.
  : > "$rootfs/etc/apt/apt.conf.d/99slimpy-mirror"
  for opt in Check-Valid-Until Check-Date; do
    val=$(apt-config dump "Acquire::$opt" | awk -F'"' 'NR == 1 { print $2 }')
    if [ -n "$val" ]; then echo "Acquire::$opt \"$val\";" >> "$rootfs/etc/apt/apt.conf.d/99slimpy-mirror"; fi
  done

  log "docker import $BASE_IMAGE"
  old=$(image_id "$BASE_IMAGE")
  tar --numeric-owner -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
  image_id "$BASE_IMAGE" > "$OUT/base.id"
  echo "$BASE_VERSION $(printf '%s' "$list" | sha256sum | cut -c1-64)" > "$OUT/base.stamp"
  rm -rf --one-file-system "$rootfs"
  [ -n "$old" ] && [ "$old" != "$(cat "$OUT/base.id")" ] && docker rmi "$old" >/dev/null 2>&1 || true
}

build_image() { # NAME DIR
  local name=$1 dir=$2 old
  old=$(image_id "$name")
  log "docker build $name (classic builder, --network host for the Debian mirror)"
  # --no-cache: every intermediate image must exist for the figures below.
  DOCKER_BUILDKIT=0 docker build --no-cache --network host -t "$name" "$dir" > "$OUT/$(basename "$dir").build.log" 2>&1 ||
    { tail -n 40 "$OUT/$(basename "$dir").build.log" >&2; die "docker build $name failed (log: $OUT/$(basename "$dir").build.log)"; }
  # Drop the previous build and its intermediate images.
  [ -n "$old" ] && [ "$old" != "$(image_id "$name")" ] && docker rmi "$old" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------
# Figures.
#
# Listings: `tar --quoting-style=literal -tv` of each layer tarball and of
# `docker export`, and `find / -xdev -type f -printf '%i\t%s\t%P\n'` run in a
# container of each step image. The visible figures come from find, because
# on this engine (fuse-overlayfs storage) `docker export` writes the
# hardlinks of some layers as separate regular files ('-', not 'h'), so its
# '-' sum counts perl, gunzip... twice. The export is kept as a cross-check
# of the paths and sizes, and as the content that sha256sum reads.

# The awk helper that takes the path out of a `tar -tv` line: what follows
# the date and time, without "./" or "/" in front, without " link to X"
# (hardlinks) or " -> X" (symlinks). Sets TN.
AWK_TNAME='
function tname(   s) {
  if (!match($0, / [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9] /)) { TN = ""; return }
  s = substr($0, RSTART + RLENGTH)
  if ($0 ~ /^h/) sub(/ link to .*$/, "", s)
  else if ($0 ~ /^l/) sub(/ -> .*$/, "", s)
  sub(/^\.\//, "", s); sub(/^\//, "", s); TN = s
}
function tlink(   s) {   # the target of an h line
  s = $0; sub(/^.* link to /, "", s); sub(/^\.\//, "", s); sub(/^\//, "", s); return s
}
function isinit(p) { return (p in INIT) }
function loadinit(   n, i, a) { n = split(INITS, a, " "); for (i = 1; i <= n; i++) INIT[a[i]] = 1 }'

tlist() { tar --numeric-owner --quoting-style=literal -tvf "$@"; }

# Regular-file bytes and count stored in a layer listing: lines starting
# with '-' (hardlinks 'h' carry no bytes), whiteout markers left out.
stored_of() {
  awk "$AWK_TNAME"'
    /^-/ { tname(); b = TN; sub(/^.*\//, "", b); if (b ~ /^\.wh\./) next; s += $3; n++ }
    END { printf "%d %d\n", s, n }' "$1"
}

# Visible regular-file bytes and count from a find listing: each inode once,
# INIT_PATHS left out (the engine's placeholders and bind mounts).
visible_of_find() {
  awk -F'\t' -v INITS="$INIT_PATHS" "$AWK_TNAME"'
    BEGIN { loadinit() }
    !isinit($3) && !seen[$1]++ { s += $2; c++ }
    END { printf "%d %d\n", s, c }' "$1"
}

# The regular-file bytes and count that layers 0..k give the INIT_PATHS
# (a container shows the engine's files there instead). Args: listings of
# layers 0..k in order.
init_paths_from_layers() {
  awk -v INITS="$INIT_PATHS" "$AWK_TNAME"'
    BEGIN { loadinit()
            for (p in INIT) {
              d = p; b = p; if (sub(/\/[^\/]*$/, "", d)) { b = substr(p, length(d) + 2); d = d "/" } else d = ""
              wh[d ".wh." b] = p; opq[d ".wh..wh..opq"] = opq[d ".wh..wh..opq"] " " p } }
    FNR == 1 && NR > 1 { apply() }
    { tname(); q = TN
      if (q in wh) gone[wh[q]] = 1
      else if (q in opq) { m = split(opq[q], o, " "); for (i = 1; i <= m; i++) gone[o[i]] = 1 }
      else if (q in INIT) { if ($0 ~ /^-/) ent[q] = $3; else ent[q] = "x" } }
    function apply(  p) {
      # Whiteouts and opaque markers act on the layers below only.
      for (p in gone) delete size[p]
      for (p in ent) if (ent[p] == "x") delete size[p]; else size[p] = ent[p]
      split("", gone); split("", ent)
    }
    END { apply(); for (p in size) { s += size[p]; c++; printf "note: %s is a %d-byte file in the layers\n", p, size[p] > "/dev/stderr" }
          printf "%d %d\n", s, c }' "$@"
}

# Regular files as a container of IMAGE sees them: inode, size, path.
find_image() { # IMAGE OUTFILE
  local c="slimpy-figures-$$-$RANDOM"
  CONTAINERS+=("$c")
  docker run --name "$c" --network none --entrypoint /usr/bin/find "$1" / -xdev -type f -printf '%i\t%s\t%P\n' > "$2"
  docker rm "$c" >/dev/null
}

# `docker create` + `docker export` of IMAGE into a tar file.
export_image() { # IMAGE TARFILE
  local c
  c=$(docker create "$1" true); CONTAINERS+=("$c")
  docker export "$c" > "$2"
  docker rm "$c" >/dev/null
}

# Cross-check of the find listing with the export listing: the same regular
# paths with the same sizes (INIT_PATHS aside).
check_export() { # NAME K FINDLIST EXPORTLIST
  awk -F'\t' -v INITS="$INIT_PATHS" "$AWK_TNAME"' BEGIN { loadinit() } !isinit($3) { print $3 "\t" $2 }' "$3" | sort > "$3.paths"
  # An h entry of the export has the size of the path it links to.
  awk -v INITS="$INIT_PATHS" "$AWK_TNAME"'
    BEGIN { loadinit() }
    /^-/ { tname(); sz[TN] = $3; if (!isinit(TN)) print TN "\t" $3 }
    /^h/ { tname(); hl[TN] = tlink() }
    END { for (p in hl) if (!isinit(p)) print p "\t" sz[hl[p]] }' "$4" | sort > "$4.paths"
  if ! cmp -s "$3.paths" "$4.paths"; then
    diff "$3.paths" "$4.paths" | head -20 >&2
    die "$1 layer $2: the regular files that find sees in a container differ from docker export's"
  fi
  rm -f "$3.paths" "$4.paths"
}

# Sanity of the inode view: paths sharing an inode have one size, and are
# hardlinks in the layers (an 'h' entry or the target of one).
check_inodes() { # NAME FINDLIST LISTINGS...
  local name=$1 findlist=$2; shift 2
  cat "$@" | awk "$AWK_TNAME"' /^h/ { tname(); print TN; print tlink() }' | sort -u > "$findlist.hl"
  awk -F'\t' 'FNR == NR { hl[$0] = 1; next }
    { n[$1]++; if (($1 in s) && s[$1] != $2) { print "inode " $1 ": sizes " s[$1] " and " $2 > "/dev/stderr"; bad = 1 }; s[$1] = $2; p[$1] = p[$1] "\t" $3 }
    END { for (i in n) if (n[i] > 1) { g++; k = split(substr(p[i], 2), a, "\t")
            for (j = 1; j <= k; j++) if (!(a[j] in hl)) { print "inode " i ": " a[j] " is no hardlink in the layers" > "/dev/stderr"; bad = 1 } }
          printf "%d\n", g; exit bad }' "$findlist.hl" "$findlist"
}

# For each layer count 1..N, the oldest image in IMAGE's history with that
# many layers (the classic builder's intermediate image for the step that
# added the layer), and that step's created_by. Prints
# "IMAGEID<TAB>CREATEDBY" per layer, bottom first.
layer_images() {
  local img=$1 want id cb n got=0
  want=$(docker image inspect -f '{{len .RootFS.Layers}}' "$img")
  while IFS=$'\t' read -r id cb; do
    [ "$id" = "<missing>" ] && die "$img: an intermediate image is missing from docker history; rerun with --force"
    n=$(docker image inspect -f '{{len .RootFS.Layers}}' "$id")
    if [ "$n" -gt "$got" ]; then
      [ "$n" -eq $((got + 1)) ] || die "$img: history image $id jumps from $got to $n layers"
      printf '%s\t%s\n' "$id" "$cb"
      got=$n
    fi
  done < <(docker history --no-trunc --format "{{.ID}}"$'\t'"{{.CreatedBy}}" "$img" | tac)
  [ "$got" -eq "$want" ] || die "$img: history has images for $got of $want layers"
}

# All the figures of one image: saves it to OUT/NAME.tar and writes
# OUT/NAME.expected.json.
figures() { # IMAGE NAME
  local img=$1 name=$2 work archive k n id cb ltar diff top
  work=$(mktemp -d /var/tmp/slimpy-figures.XXXXXX); TMPDIRS+=("$work")
  archive="$OUT/$name.tar"
  log "$name: docker save"
  docker save -o "$archive.tmp" "$img" && mv "$archive.tmp" "$archive"
  (cd "$work" && tar -xf "$archive" manifest.json)
  # Layer tar paths in manifest order (engine 20.10 writes <id>/layer.tar).
  python3 -c 'import json,sys; [print(l) for l in json.load(open(sys.argv[1]))[0]["Layers"]]' "$work/manifest.json" > "$work/layers"
  n=$(wc -l < "$work/layers"); top=$((n - 1))
  mapfile -t DIFFIDS < <(docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$img" | sed '/^$/d')
  [ "${#DIFFIDS[@]}" -eq "$n" ] || die "$name: manifest has $n layers, the engine ${#DIFFIDS[@]}"
  layer_images "$img" > "$work/steps"
  [ "$(wc -l < "$work/steps")" -eq "$n" ] || die "$name: $n layers but $(wc -l < "$work/steps") history steps"

  : > "$work/rows"
  local cum=0 prevwaste=0 visible vfiles ibytes ifiles waste sbytes sfiles listings=()
  for ((k = 0; k < n; k++)); do
    ltar=$(sed -n "$((k + 1))p" "$work/layers")
    IFS=$'\t' read -r id cb < <(sed -n "$((k + 1))p" "$work/steps")
    # The layer as stored: its tar -tv listing and its sha256 (= diffID).
    (cd "$work" && tar -xf "$archive" "$ltar")
    tlist "$work/$ltar" > "$work/layer.$k"
    diff="sha256:$(sha256sum < "$work/$ltar" | cut -c1-64)"
    rm -f "$work/$ltar"
    [ "$diff" = "${DIFFIDS[$k]}" ] || die "$name layer $k: sha256 of $ltar is $diff, the engine says ${DIFFIDS[$k]}"
    listings+=("$work/layer.$k")
    read -r sbytes sfiles < <(stored_of "$work/layer.$k")
    cum=$((cum + sbytes))
    # The image whose top layer is k, as a container sees it.
    [ "$(docker image inspect -f '{{len .RootFS.Layers}}' "$id")" -eq $((k + 1)) ] || die "$name: step image $id is not layer $k"
    log "$name layer $k: find in a container of ${id:7:12}, docker export"
    find_image "$id" "$work/find.$k"
    export_image "$id" "$work/export.tar"
    tlist "$work/export.tar" > "$work/export.$k"
    check_export "$name" "$k" "$work/find.$k" "$work/export.$k"
    [ "$k" -eq "$top" ] || rm -f "$work/export.tar"
    read -r visible vfiles < <(visible_of_find "$work/find.$k")
    read -r ibytes ifiles < <(init_paths_from_layers "${listings[@]}")
    visible=$((visible + ibytes)); vfiles=$((vfiles + ifiles))
    waste=$((cum - visible))
    printf '%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n' "$k" "$diff" "$ltar" "$id" \
      "$sbytes" "$sfiles" "$cum" "$visible" "$vfiles" "$waste" "$((waste - prevwaste))" "$cb" >> "$work/rows"
    prevwaste=$waste
  done

  # What the export adds: regular files that no layer has. Anything beyond
  # INIT_PATHS would make the visible figures wrong.
  cat "${listings[@]}" | awk "$AWK_TNAME"' /^[-h]/ { tname(); print TN }' | sort -u > "$work/inlayers"
  awk "$AWK_TNAME"' /^[-h]/ { tname(); print TN }' "$work/export.$top" | sort -u | comm -23 - "$work/inlayers" > "$work/added"
  log "$name: docker export adds these regular files: $(tr '\n' ' ' < "$work/added")"
  local extra hlgroups
  extra=$(printf '%s\n' $INIT_PATHS | sort | comm -23 "$work/added" -)
  [ -z "$extra" ] || die "$name: docker export has regular files that no layer has and INIT_PATHS misses: $extra"
  hlgroups=$(check_inodes "$name" "$work/find.$top" "${listings[@]}") || die "$name: the inode view does not match the layers' hardlinks"
  log "$name: $hlgroups visible inodes have several paths (hardlinks)"

  # Duplicates: one path per distinct inode of a non-empty file (from find in
  # the container), its content hashed in the extracted export.
  log "$name: extract the export, sha256sum for the duplicates"
  mkdir "$work/root"
  tar --numeric-owner -xpf "$work/export.tar" -C "$work/root"
  rm -f "$work/export.tar"
  awk -F'\t' -v INITS="$INIT_PATHS" "$AWK_TNAME"' BEGIN { loadinit() } !isinit($3) && !seen[$1]++ && $2 > 0 { print $2 "\t" $3 }' \
    "$work/find.$top" > "$work/distinct"
  cut -f2 "$work/distinct" | tr '\n' '\0' | (cd "$work/root" && xargs -0 -r sha256sum) > "$work/sums"
  local dwasted dgroups
  read -r dwasted dgroups < <(awk -F'\t' 'FNR == NR { size[$2] = $1; next }
      { h = substr($0, 1, 64); p = substr($0, 67)
        if ($0 ~ /^\\/) { h = substr($0, 2, 64); p = substr($0, 68); gsub(/\\n/, "\n", p); gsub(/\\\\/, "\\", p) }
        if (!(p in size)) { print "no size for " p > "/dev/stderr"; bad = 1 }
        cnt[h]++; sz[h] = size[p] }
      END { if (bad) exit 1
            for (h in cnt) if (cnt[h] > 1) { w += sz[h] * (cnt[h] - 1); g++ }
            printf "%d %d\n", w, g }' "$work/distinct" "$work/sums")
  rm -rf --one-file-system "$work/root"

  python3 - "$work/rows" "$OUT/$name.expected.json.tmp" "$img" "$(image_id "$img")" "$name.tar" "$VERSION" "$dwasted" "$dgroups" <<'PY'
# Writes the JSON only; every number comes from the shell tools above.
import json, sys
rows, out, ref, image_id, archive, version, dwasted, dgroups = sys.argv[1:9]
layers = []
for line in open(rows):
    f = line.rstrip("\n").split("\t", 11)
    layers.append({
        "index": int(f[0]), "diffID": f[1], "layerTar": f[2], "stepImage": f[3],
        "size": int(f[4]), "files": int(f[5]),
        "storedCumulative": int(f[6]), "visible": int(f[7]), "visibleFiles": int(f[8]),
        "waste": int(f[9]), "wastedBytes": int(f[10]), "createdBy": f[11],
    })
top = layers[-1]
doc = {
    "scriptVersion": int(version),
    "image": ref, "imageID": image_id, "archive": archive,
    "method": "stored: tar -tv '-' entries of each layer.tar, whiteouts excluded; "
              "visible: find / -xdev -type f -printf %i/%s in a container of the step "
              "image, each inode once, the engine's init paths taken from the layers; "
              "paths and sizes cross-checked with docker export (whose hardlinks are "
              "unreliable on fuse-overlayfs); duplicates: sha256sum of one path per "
              "distinct non-empty inode, content from the export",
    "totals": {"size": top["visible"], "storedSize": top["storedCumulative"],
               "files": top["visibleFiles"], "wastedBytes": top["storedCumulative"] - top["visible"]},
    "layers": layers,
    "duplicates": {"wastedBytes": int(dwasted), "groups": int(dgroups)},
}
assert sum(l["wastedBytes"] for l in layers) == doc["totals"]["wastedBytes"]
json.dump(doc, open(out, "w"), indent=2)
open(out, "a").write("\n")
PY
  mv "$OUT/$name.expected.json.tmp" "$OUT/$name.expected.json"
  image_id "$img" > "$OUT/$name.id"

  # A readable summary for the log.
  printf '%s (%s)\n' "$img" "$name.tar"
  printf '  %-5s %12s %7s %12s %12s %12s  %s\n' layer stored files visible waste hides createdBy
  awk -F'\t' '{ printf "  %-5d %12d %7d %12d %12d %12d  %.60s\n", $1, $5, $6, $8, $10, $11, $12 }' "$work/rows"
  printf '  duplicates: %d bytes in %d groups\n' "$dwasted" "$dgroups"
  rm -rf --one-file-system "$work"
}

# ---------------------------------------------------------------------------
# main runs once the whole file is read, so editing the script while it runs
# cannot change what it does.
main() {
  mkdir -p "$OUT"
  exec 9> "$OUT/.lock"
  flock 9

  STAMP=$(stamp)
  if is_cached; then
    log "cached: $OUT (VERSION=$VERSION, stamp ${STAMP:0:12})"
    # The rules' figures have their own stamp (scripts/rules-figures.sh).
    "$HERE/rules-figures.sh" --if-stale || log "warning: scripts/rules-figures.sh failed; the rules e2e test will say so"
    exit 0
  fi
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'"
  [ "$(id -u)" = 0 ] || die "run as root (debootstrap)"
  START=$SECONDS
  rm -f "$OUT/stamp"

  if [ "$FIGURES_ONLY" = 1 ]; then
    [ -n "$(image_id "$FULL_IMAGE")" ] && [ -n "$(image_id "$SLIM_IMAGE")" ] || die "--figures-only: build the images first"
  else
    build_base
    build_image "$FULL_IMAGE" "$CTX/full"
    build_image "$SLIM_IMAGE" "$CTX/slim"
  fi

  # The upgradable list as apt saw it right after the first update, and as the
  # final image's apt sees it.
  docker run --rm --network none "$FULL_IMAGE" cat /var/lib/slimpy/upgradable.txt > "$OUT/upgradable.txt"
  docker run --rm --network none "$FULL_IMAGE" sh -c 'apt list --upgradable 2>/dev/null' > "$OUT/upgradable-final.txt"
  log "upgradable after the first apt-get update: $(grep -c upgradable "$OUT/upgradable.txt" || true) packages"

  figures "$FULL_IMAGE" full
  figures "$SLIM_IMAGE" slim
  "$HERE/rules-figures.sh"

  echo "$STAMP" > "$OUT/stamp"
  log "done in $((SECONDS - START))s: $OUT"
}

main "$@"
exit
