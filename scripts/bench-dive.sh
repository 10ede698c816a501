#!/usr/bin/env bash
# Side by side with dive: slimpy's cold `inspect --format json` against
# dive's CI mode on the same docker save archives, run in alternating pairs
# so that both halves of a pair see the same load. Prints one row per run
# and the medians, wall time and peak RSS; docs/performance.md quotes them.
#
#   scripts/bench-dive.sh [-n PAIRS] [-load] [ARCHIVE...]
#
# Without ARCHIVE: the real Debian-built naive Python image of
# scripts/debian-images.sh (full.tar) and the 0.8 GB / 200k-file image of
# internal/bigimage, written once as a docker save archive (uncompressed
# layers, as `docker save` writes them).
# -load runs a second pair at the same time as each measured pair (two
# slimpys, two dives): the figures under load.
#
# dive is installed as any Go program, at a pinned version, into the
# bench directory. Needs go and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

DIVE_VERSION=v0.13.1
pairs=5
load=0
archives=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) pairs="$2"; shift 2 ;;
    -load) load=1; shift ;;
    -*) echo "usage: $0 [-n PAIRS] [-load] [ARCHIVE...]" >&2; exit 2 ;;
    *) archives+=("$1"); shift ;;
  esac
done

bench="${SLIMPY_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/slimpy-bench}"
mkdir -p "$bench/bin"
log() { echo "$(date +%H:%M:%S) bench-dive: $*" >&2; }

if [ ! -x "$bench/bin/dive" ] || [ "$(cat "$bench/bin/dive.version" 2>/dev/null)" != "$DIVE_VERSION" ]; then
  log "installing dive $DIVE_VERSION"
  GOBIN="$bench/bin" go install "github.com/wagoodman/dive@$DIVE_VERSION"
  echo "$DIVE_VERSION" > "$bench/bin/dive.version"
fi
log "building slimpy"
go build -o "$bench/bin/slimpy" ./cmd/slimpy

if [ ${#archives[@]} -eq 0 ]; then
  testimages="${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}"
  [ -f "$testimages/full.tar" ] || { echo "$testimages/full.tar is missing: run scripts/debian-images.sh" >&2; exit 1; }
  archives+=("$testimages/full.tar")
  big="$bench/bigimage-200k.tar"
  if [ ! -f "$big" ]; then
    log "writing the 200k-file image"
    tmp=$(mktemp -d "$bench/.tmp-XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    go run ./internal/bigimage/cmd -out "$tmp/oci" -docker-archive "$tmp/big.tar" >/dev/null
    mv "$tmp/big.tar" "$big"
    rm -rf "$tmp"
    trap - EXIT
  fi
  archives+=("$big")
fi

# run TOOL ARCHIVE: one cold run; prints "seconds maxrss_kb".
run() {
  local tool=$1 archive=$2 out
  out=$(mktemp)
  case "$tool" in
    slimpy)
      /usr/bin/time -f '%e %M' -o "$out.time" "$bench/bin/slimpy" inspect --format json --no-cache \
        "docker-archive:$archive" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; return 1; } ;;
    dive)
      # --ci: no TUI; its rules may fail the image, which is not an error here.
      /usr/bin/time -f '%e %M' -o "$out.time" "$bench/bin/dive" --ci --source docker-archive \
        "$archive" >/dev/null 2>"$out.err" || true ;;
  esac
  tail -1 "$out.time"
  rm -f "$out" "$out.time" "$out.err"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

for archive in "${archives[@]}"; do
  size=$(du -h "$archive" | cut -f1)
  log "$archive ($size): $pairs pairs$([ $load = 1 ] && echo ', under load')"
  ts=() td=() ms=() md=()
  for i in $(seq "$pairs"); do
    # Alternate which goes first, so neither always gets the warmer page cache.
    for tool in $( ((i % 2)) && echo "slimpy dive" || echo "dive slimpy"); do
      if [ $load = 1 ]; then
        run "$tool" "$archive" >/dev/null &
        bg=$!
      fi
      read -r secs rss < <(run "$tool" "$archive")
      [ $load = 1 ] && wait "$bg"
      printf '  pair %d %-6s %6.2f s %6d MB\n' "$i" "$tool" "$secs" $((rss / 1024))
      if [ "$tool" = slimpy ]; then ts+=("$secs"); ms+=("$rss"); else td+=("$secs"); md+=("$rss"); fi
    done
  done
  s=$(printf '%s\n' "${ts[@]}" | median) d=$(printf '%s\n' "${td[@]}" | median)
  sm=$(printf '%s\n' "${ms[@]}" | median) dm=$(printf '%s\n' "${md[@]}" | median)
  awk -v n="$(basename "$archive")" -v s="$s" -v d="$d" -v sm="$sm" -v dm="$dm" -v p="$pairs" 'BEGIN {
    printf "%s: slimpy %.2f s, %d MB; dive %.2f s, %d MB; dive/slimpy %.2f (medians of %d pairs)\n", n, s, sm/1024, d, dm/1024, d/s, p }'
done
