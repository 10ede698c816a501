#!/usr/bin/env bash
# Side by side with dive: slimpy's `inspect --format json`, cold and warm,
# against dive's CI mode on the same docker save archives, run in rounds of
# three (slimpy cold, slimpy warm, dive; the order rotates) so that all
# three see the same load. Prints one row per run — wall time, CPU time
# (user+sys), peak RSS — and the medians and ratios; docs/performance.md
# quotes them.
#
#   scripts/bench-dive.sh [-n ROUNDS] [-load] [-dive-timeout SECONDS] [ARCHIVE...]
#
# Without ARCHIVE: the real Debian-built naive Python image of
# scripts/debian-images.sh (full.tar) and the 0.8 GB / 200k-file image of
# internal/bigimage, written once as the engine's docker save writes it
# (uncompressed layers; `docker load` and `docker save` give the same bytes
# back), with its OCI layout beside it under the name the Go benchmarks use.
# "Cold" is --no-cache; "warm" uses a cache directory filled by one run
# before the rounds. dive has no cache: its every run is cold.
# -load runs a second copy of each measured run at the same time: the
# figures under load.
# -dive-timeout stops a dive run after that long (default 1200 s) and
# reports "> SECONDS": dive's CI mode stacks every lower layer again for
# each whiteout (docs/performance.md), which takes it hours on some images.
#
# dive is installed as any Go program, at a pinned version, into the
# bench directory. Needs go, GNU time and coreutils' timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

DIVE_VERSION=v0.13.1
rounds=5
load=0
dive_timeout=1200
archives=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -load) load=1; shift ;;
    -dive-timeout) dive_timeout="$2"; shift 2 ;;
    -*) echo "usage: $0 [-n ROUNDS] [-load] [-dive-timeout SECONDS] [ARCHIVE...]" >&2; exit 2 ;;
    *) archives+=("$1"); shift ;;
  esac
done

. scripts/bench-lib.sh
install_pinned dive github.com/wagoodman/dive "$DIVE_VERSION"
build_slimpy

if [ ${#archives[@]} -eq 0 ]; then
  testimages="${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}"
  [ -f "$testimages/full.tar" ] || { echo "$testimages/full.tar is missing: run scripts/debian-images.sh" >&2; exit 1; }
  archives+=("$testimages/full.tar")
  # The name carries the generator's version: an archive of an older
  # generator is never reused.
  name=$(go run ./internal/bigimage/cmd -name)
  big="$bench/$name.docker.tar"
  if [ ! -f "$big" ]; then
    log "writing the 200k-file image ($name)"
    tmp=$(mktemp -d "$bench/.tmp-XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    go run ./internal/bigimage/cmd -out "$tmp/oci" -docker-archive "$tmp/big.tar" >/dev/null
    mv "$tmp/big.tar" "$big"
    [ -e "$bench/$name" ] || mv "$tmp/oci" "$bench/$name"
    rm -rf "$tmp"
    trap - EXIT
  fi
  archives+=("$big")
fi

# run TOOL ARCHIVE [CACHE]: one run; prints "wall_s cpu_s maxrss_kb" and
# "timeout" after them when dive was stopped.
run() {
  local tool=$1 archive=$2 cache=${3:-} out rc=0
  out=$(mktemp)
  case "$tool" in
    cold)
      /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$bench/bin/slimpy" inspect --format json --no-cache \
        "docker-archive:$archive" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; return 1; } ;;
    warm)
      /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$bench/bin/slimpy" inspect --format json --cache-dir "$cache" \
        "docker-archive:$archive" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; return 1; } ;;
    dive)
      # --ci: no TUI; its rules may fail the image, which is not an error here.
      /usr/bin/time -f '%e %U %S %M' -o "$out.time" timeout -s KILL "$dive_timeout" "$bench/bin/dive" --ci \
        --source docker-archive "$archive" >/dev/null 2>"$out.err" || rc=$? ;;
  esac
  tail -1 "$out.time" | awk -v t=$((rc == 137)) '{printf "%s %.2f %s%s\n", $1, $2 + $3, $4, t ? " timeout" : ""}'
  rm -f "$out" "$out.time" "$out.err"
}

for archive in "${archives[@]}"; do
  size=$(du -h "$archive" | cut -f1)
  log "$archive ($size): $rounds rounds$([ $load = 1 ] && echo ', under load')"
  cache=$(mktemp -d "$bench/.cache-XXXXXX")
  run warm "$archive" "$cache" >/dev/null # fills the cache
  declare -A wall=() cpu=() rss=()
  timedout=0
  for i in $(seq "$rounds"); do
    # Rotate the order, so that none always gets the warmest page cache.
    case $((i % 3)) in
      1) order="cold warm dive" ;;
      2) order="warm dive cold" ;;
      0) order="dive cold warm" ;;
    esac
    for tool in $order; do
      if [ $load = 1 ]; then
        run "$tool" "$archive" "$cache" >/dev/null &
        bg=$!
      fi
      read -r secs cpus kb flag < <(run "$tool" "$archive" "$cache")
      [ $load = 1 ] && wait "$bg"
      printf '  round %d %-5s %7.2f s %7.2f s CPU %6d MB %s\n' "$i" "$tool" "$secs" "$cpus" $((kb / 1024)) "${flag:-}"
      [ "${flag:-}" = timeout ] && timedout=1
      wall[$tool]+="$secs " cpu[$tool]+="$cpus " rss[$tool]+="$kb "
    done
  done
  rm -rf "$cache"
  m() { printf '%s\n' $1 | median; }
  awk -v n="$(basename "$archive")" -v r="$rounds" -v t="$timedout" \
    -v cw="$(m "${wall[cold]}")" -v cc="$(m "${cpu[cold]}")" -v cm="$(m "${rss[cold]}")" \
    -v ww="$(m "${wall[warm]}")" -v wc="$(m "${cpu[warm]}")" -v wm="$(m "${rss[warm]}")" \
    -v dw="$(m "${wall[dive]}")" -v dc="$(m "${cpu[dive]}")" -v dm="$(m "${rss[dive]}")" 'BEGIN {
    gt = t ? "> " : ""
    printf "%s, medians of %d rounds:\n", n, r
    printf "  slimpy cold %.2f s, %.2f s CPU, %d MB\n", cw, cc, cm/1024
    printf "  slimpy warm %.2f s, %.2f s CPU, %d MB (%.1f%% of cold)\n", ww, wc, wm/1024, 100*ww/cw
    printf "  dive        %s%.2f s, %s%.2f s CPU, %d MB%s\n", gt, dw, gt, dc, dm/1024, t ? " (stopped by -dive-timeout)" : ""
    printf "  dive/slimpy cold: %s%.2f wall, %s%.2f CPU; dive/slimpy warm: %s%.1f wall\n", gt, dw/cw, gt, dc/cc, gt, dw/ww }'
  unset wall cpu rss
done
