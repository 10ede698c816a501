#!/usr/bin/env bash
# Computes, independently of slimpy, the bytes that slimpy's rules must find
# in the real Debian test images, with find, stat, dpkg-query, dpkg -L and
# awk run inside a container of each image. The definitions are the ones
# docs/rules.md states; slimpy's Go code is never used.
#
#   scripts/rules-figures.sh              both images (local/slimpy-test:full, :slim)
#   scripts/rules-figures.sh --if-stale   only when OUT/NAME.rules.json is missing
#                                         or older than this script or the image
#
# Output: OUT/NAME.rules.json (OUT = ${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}):
#   {"imageID": ..., "stamp": ..., "rules": {"SP101": {"bytes": N, "files": N}, ...},
#    "categories": {"python-tests": N, ...}}
# Each file's content (inode) counts once per rule and per category; a file
# with hardlinks counts only when all its links are flagged (find's %n).
# scripts/debian-images.sh runs this after building the images; e2e/rules_test.go
# compares slimpy's findings with it.
set -euo pipefail
export LC_ALL=C

OUT=${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}
IMAGES=("local/slimpy-test:full full" "local/slimpy-test:slim slim")
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
STAMP=$(sha256sum < "$SELF" | cut -c1-64)

log() { printf '%s rules-figures: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

IF_STALE=0
[ "${1:-}" = "--if-stale" ] && IF_STALE=1

# The part that runs inside the image: prints RULE<TAB>INODE<TAB>SIZE<TAB>NLINK<TAB>PATH
# for every regular file each rule flags. POSIX sh, mawk, findutils, coreutils, dpkg.
read -r -d '' IN_IMAGE <<'SH' || true
set -eu
# find_rule RULE DIR... : every regular file below the existing DIRs.
find_rule() {
  r=$1; shift
  for d in "$@"; do
    [ -d "$d" ] && [ ! -L "$d" ] && find "$d" -xdev -type f -printf "$r\t%i\t%s\t%n\t%p\n"
  done
  return 0
}
# stat_rule RULE < paths : the regular files (not symlinks) among the paths.
stat_rule() {
  while IFS= read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\n' "$f"
  done | xargs -r -d '\n' stat --printf "$1\t%i\t%s\t%h\t%n\n"
}

# Standard libraries: PREFIX/lib/python3.N holding os.py, encodings, lib-dynload or __pycache__.
LIBS=""
for d in /usr/lib/python3.* /usr/local/lib/python3.*; do
  [ -d "$d" ] || continue
  case "${d##*/}" in python3.[0-9]|python3.[0-9][0-9]) ;; *) continue ;; esac
  if [ -e "$d/os.py" ] || [ -e "$d/encodings" ] || [ -e "$d/lib-dynload" ] || [ -e "$d/__pycache__" ]; then LIBS="$LIBS $d"; fi
done

# SP101 stdlib-tests
for L in $LIBS; do
  find_rule SP101 "$L/test" "$L/idlelib/idle_test" "$L/tkinter/test" "$L/lib2to3/tests" "$L/ctypes/test" \
    "$L/unittest/test" "$L/distutils/tests" "$L/sqlite3/test" "$L/email/test" "$L/json/tests" "$L/bsddb/test" "$L/lib-tk/test"
done

# SP102 package-tests: tests/test directories in site-packages/dist-packages
# holding a test module, not django/test, _pytest, pytest; outermost only.
find / -xdev -type d \( -name site-packages -o -name dist-packages \) | while IFS= read -r S; do
  find "$S" -mindepth 1 -type d \( -name tests -o -name test \)
done | sort -u | while IFS= read -r d; do
  case "$d/" in */django/test/*|*/_pytest/*|*/pytest/*) continue ;; esac
  if find "$d" \( -type f -o -type l \) | grep -Eq '/(test_[^/]*|[^/]*_tests?|conftest)(\.cpython-[0-9]+(\.opt-[12])?)?\.pyc?$'; then
    printf '%s\n' "$d"
  fi
done | awk '{ for (k in kept) if (index($0 "/", kept[k] "/") == 1) next; kept[NR] = $0; print }' | while IFS= read -r d; do
  find_rule SP102 "$d"
done

# SP111 optimized-bytecode
find / -xdev -type f -path '*/__pycache__/*.opt-[12].pyc' -printf "SP111\t%i\t%s\t%n\t%p\n"

# SP201 build-toolchain and SP213 dev-packages, from dpkg's database.
TOOL='^((gcc|g[+][+]|cpp|gfortran|gccgo|gdc|gobjc|gobjc[+][+])(-[0-9]+)?(-[a-z0-9_]+-linux-[a-z0-9]+)?|lib(gcc|stdc[+][+]|gfortran|objc|go|phobos)-[0-9]+-dev(-[a-z0-9]+-cross)?|binutils(-.+)?|libbinutils|libctf0|libctf-nobfd0|libgprofng0|libsframe[0-9]+|build-essential|build-base|dpkg-dev|libdpkg-perl|make|make-guile|cmake|cmake-data|ninja-build|samurai|meson|autoconf|automake|libtool|libtool-bin|pkg-config|pkgconf|pkgconf-bin|libpkgconf[0-9]+|clang(-[0-9]+)?|clang[+][+](-[0-9]+)?|libclang-common-[0-9]+-dev|libclang-cpp[0-9.]+|libclang1-[0-9]+|llvm(-[0-9]+)?(-dev|-runtime|-linker-tools|-tools)?|libllvm[0-9]+|lld(-[0-9]+)?|rustc|cargo|libstd-rust-[0-9.]+|libstd-rust-dev|rust|rust-stdlib|golang(-[0-9.]+)?(-go|-src|-doc)?|go|gfortran)$'
PRIV='^(libisl[0-9]+|libmpc[0-9]+|libmpfr[0-9]+|isl[0-9]*|mpc1|mpfr[0-9]+|libcc1-0|libasan[0-9]+|libubsan[0-9]+|liblsan[0-9]+|libtsan[0-9]+|libhwasan[0-9]+|libitm[0-9]+|libquadmath[0-9]+|libgomp[0-9]+|libatomic[0-9]+|libgprofng[0-9]+|libjansson[0-9]+|patch|m4|libfile-fcntllock-perl|libalgorithm-.*-perl|perl|perl-modules-[0-9.]+|libperl[0-9.]+|libgdbm[0-9]+|libgdbm-compat[0-9]+|libz3-[0-9]+|libedit2|libxml2)$'
dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Depends}, ${Pre-Depends}\n' | awk -F'\t' -v TOOL="$TOOL" -v PRIV="$PRIV" '
  $2 ~ /^.i/ { pkg[$1] = 1; n = split($3, cl, ","); for (i = 1; i <= n; i++) { m = split(cl[i], alt, "|")
      for (j = 1; j <= m; j++) { a = alt[j]; gsub(/^[ \t]+/, "", a); sub(/[ (\[<].*$/, "", a); sub(/:.*$/, "", a); if (a != "") rdep[a] = rdep[a] " " $1 } } }
  END {
    for (p in pkg) if (p ~ TOOL) set[p] = 1
    nset = 0; for (p in set) nset++
    if (nset > 0) do { changed = 0
      for (p in pkg) { if ((p in set) || p !~ PRIV || !(p in rdep)) continue
        k = split(rdep[p], d, " "); all = 1
        for (i = 1; i <= k; i++) if (d[i] != "" && !(d[i] in set)) { all = 0; break }
        if (all) { set[p] = 1; changed = 1 } }
    } while (changed)
    for (p in set) print "SP201\t" p
    for (p in pkg) if (!(p in set) && (p ~ /-dev$/ || p ~ /-devel$/)) print "SP213\t" p
  }' | while IFS="$(printf '\t')" read -r r p; do
  dpkg -L "$p" 2>/dev/null | stat_rule "$r"
done

# SP211 header-files: /usr/include, /usr/local/include, PREFIX/include of
# every stdlib and of every site-packages' prefix, *.h/*.hh/*.hpp/*.hxx in
# site-packages/dist-packages.
{
  find_rule SP211 /usr/include /usr/local/include
  for L in $LIBS; do p=${L%/lib/python3.*}; [ "$p/include" = /usr/include ] || [ "$p/include" = /usr/local/include ] || find_rule SP211 "$p/include"; done
  find / -xdev -type d \( -name site-packages -o -name dist-packages \) | while IFS= read -r S; do
    p=$(dirname "$(dirname "$(dirname "$S")")")
    case "$p/include" in /usr/include|/usr/local/include|//include) ;; *) find_rule SP211 "$p/include" ;; esac
    find "$S" -type f \( -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.hxx' \) -printf "SP211\t%i\t%s\t%n\t%p\n"
  done
}

# SP212 static-libraries
find / -xdev -type f \( -name '*.a' -o -name '*.la' \) -printf "SP212\t%i\t%s\t%n\t%p\n"

# SP301 pip-cache
find / -xdev -type d -path '*/.cache/pip' | while IFS= read -r d; do find_rule SP301 "$d"; done

# SP303 apt-lists, SP304 os-package-cache
find_rule SP303 /var/lib/apt/lists
find_rule SP304 /var/cache/apt /var/cache/apk /etc/apk/cache

# SP701 documentation, SP702 locales (locale.alias excepted)
find_rule SP701 /usr/share/doc /usr/share/man /usr/share/info /usr/local/share/doc /usr/local/share/man /usr/local/share/info
for d in /usr/share/locale /usr/local/share/locale; do
  [ -d "$d" ] && find "$d" -xdev -type f ! -name locale.alias -printf "SP702\t%i\t%s\t%n\t%p\n"
done
exit 0
SH

# Sums a listing: per rule and per category, each inode once, counted only
# when all its links (NLINK) are among the flagged paths. Prints JSON.
sum_json() { # LISTING IMAGEID
  awk -F'\t' -v IMG="$2" -v STAMP="$STAMP" '
    BEGIN { cat["SP101"] = "python-tests"; cat["SP102"] = "python-tests"; cat["SP111"] = "bytecode"
            cat["SP201"] = "compilers"; cat["SP211"] = "headers"; cat["SP212"] = "headers"; cat["SP213"] = "headers"
            cat["SP301"] = "caches"; cat["SP303"] = "caches"; cat["SP304"] = "caches"
            cat["SP701"] = "docs"; cat["SP702"] = "docs" }
    NF >= 5 {
      r = $1; i = $2; k = r SUBSEP i
      if (!((k SUBSEP $5) in seenpath)) { seenpath[k SUBSEP $5] = 1; links[k]++ }
      size[k] = $3; nlink[k] = $4; rules[r] = 1
      c = cat[r]; kc = c SUBSEP i
      if (!((kc SUBSEP $5) in cseen)) { cseen[kc SUBSEP $5] = 1; clinks[kc]++ }
      csize[kc] = $3; cnlink[kc] = $4; cats[c] = 1 }
    END {
      for (k in links) if (links[k] >= nlink[k]) { split(k, a, SUBSEP); b[a[1]] += size[k]; f[a[1]]++ }
      for (k in clinks) if (clinks[k] >= cnlink[k]) { split(k, a, SUBSEP); cb[a[1]] += csize[k] }
      printf "{\n  \"imageID\": \"%s\",\n  \"stamp\": \"%s\",\n  \"rules\": {", IMG, STAMP
      n = 0; for (r in cat) { printf "%s\n    \"%s\": {\"bytes\": %d, \"files\": %d}", (n++ ? "," : ""), r, b[r], f[r] }
      printf "\n  },\n  \"categories\": {"
      n = 0; for (r in cat) { c = cat[r]; if (c in done) continue; done[c] = 1; printf "%s\n    \"%s\": %d", (n++ ? "," : ""), c, cb[c] }
      printf "\n  }\n}\n" }' "$1"
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

for entry in "${IMAGES[@]}"; do
  read -r img name <<< "$entry"
  id=$(image_id "$img")
  [ -n "$id" ] || die "$img is not built: run scripts/debian-images.sh"
  out="$OUT/$name.rules.json"
  if [ "$IF_STALE" = 1 ] && [ -f "$out" ] && grep -q "\"stamp\": \"$STAMP\"" "$out" && grep -q "\"imageID\": \"$id\"" "$out"; then
    log "$name: cached ($out)"
    continue
  fi
  log "$name: find/stat/dpkg in a container of $img"
  listing=$(mktemp /var/tmp/slimpy-rules.XXXXXX)
  if ! printf '%s\n' "$IN_IMAGE" | docker run --rm -i --network none --entrypoint /bin/sh "$img" -s > "$listing"; then
    rm -f "$listing"; die "$name: the in-image computation failed"
  fi
  sum_json "$listing" "$id" > "$out.tmp" && mv "$out.tmp" "$out"
  rm -f "$listing"
  log "$name: $(tr -d '\n' < "$out" | sed 's/  */ /g' | cut -c1-400)"
done
