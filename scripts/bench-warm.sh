#!/usr/bin/env bash
# Cold against warm on each transport: `slimpy inspect --format json`,
# cold (--no-cache) and warm (a cache directory filled by one run first),
# alternating, so both see the same load. Prints each run's wall and CPU
# time (user+sys) and the medians, and warm as a share of cold (issue 18
# asks for ≤ 5% on every transport).
#
#   scripts/bench-warm.sh [-n RUNS] [REF...]
#
# Without REF: the 200k-file image of internal/bigimage as a docker save
# archive and as an OCI layout (scripts/bench-dive.sh writes both), the
# same layout pushed to a registry on 127.0.0.1 (go-containerregistry's,
# `crane registry serve`, installed as a Go program at the version go.mod
# pins), and, when an engine runs, the Debian-built naive image from the
# engine (docker-daemon:local/slimpy-test:full) and as full.tar.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
refs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    -*) echo "usage: $0 [-n RUNS] [REF...]" >&2; exit 2 ;;
    *) refs+=("$1"); shift ;;
  esac
done

. scripts/bench-lib.sh
build_slimpy

pids=()
tmps=()
cleanup() {
  local p
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${tmps[@]:-}"; do [ -n "$p" ] && rm -rf "$p"; done
  return 0
}
trap cleanup EXIT

if [ ${#refs[@]} -eq 0 ]; then
  name=$(go run ./internal/bigimage/cmd -name)
  [ -f "$bench/$name.docker.tar" ] && [ -d "$bench/$name" ] ||
    { echo "$bench/$name(.docker.tar) is missing: run scripts/bench-dive.sh first" >&2; exit 1; }
  refs+=("docker-archive:$bench/$name.docker.tar" "oci:$bench/$name")

  install_pinned crane github.com/google/go-containerregistry/cmd/crane \
    "$(go list -m -f '{{.Version}}' github.com/google/go-containerregistry)"
  port=$((20000 + RANDOM % 20000))
  "$bench/bin/crane" registry serve --address "127.0.0.1:$port" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  log "pushing the layout to the registry on 127.0.0.1:$port"
  "$bench/bin/crane" push --insecure "$bench/$name" "127.0.0.1:$port/bigimage:bench" >/dev/null 2>&1
  refs+=("docker://127.0.0.1:$port/bigimage:bench")

  if docker image inspect local/slimpy-test:full >/dev/null 2>&1; then
    refs+=("docker-daemon:local/slimpy-test:full")
  fi
  testimages="${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}"
  [ -f "$testimages/full.tar" ] && refs+=("docker-archive:$testimages/full.tar")
fi

# run REF [CACHE]: one run, cold without CACHE; prints "wall_s cpu_s".
run() {
  local ref=$1 cache=${2:-} out args=(--no-cache)
  out=$(mktemp)
  [ -n "$cache" ] && args=(--cache-dir "$cache")
  /usr/bin/time -f '%e %U %S' -o "$out.time" "$bench/bin/slimpy" inspect --format json --insecure "${args[@]}" \
    "$ref" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; rm -f "$out"*; return 1; }
  tail -1 "$out.time" | awk '{printf "%s %.2f\n", $1, $2 + $3}'
  rm -f "$out" "$out.time" "$out.err"
}

for ref in "${refs[@]}"; do
  log "$ref: $runs runs each, alternating"
  cache=$(mktemp -d "$bench/.cache-XXXXXX")
  tmps+=("$cache")
  run "$ref" "$cache" >/dev/null # fills the cache
  cw=() cc=() ww=() wc=()
  for i in $(seq "$runs"); do
    for kind in $( ((i % 2)) && echo "cold warm" || echo "warm cold"); do
      if [ "$kind" = cold ]; then read -r w c < <(run "$ref"); cw+=("$w") cc+=("$c")
      else read -r w c < <(run "$ref" "$cache"); ww+=("$w") wc+=("$c"); fi
      printf '  run %d %-4s %7.2f s %7.2f s CPU\n' "$i" "$kind" "$w" "$c"
    done
  done
  rm -rf "$cache"
  m() { printf '%s\n' "$@" | median; }
  awk -v ref="$ref" -v n="$runs" -v cw="$(m "${cw[@]}")" -v cc="$(m "${cc[@]}")" \
    -v ww="$(m "${ww[@]}")" -v wc="$(m "${wc[@]}")" 'BEGIN {
    printf "%s, medians of %d: cold %.2f s (%.2f s CPU), warm %.2f s (%.2f s CPU): warm = %.1f%% of cold wall, %.1f%% of CPU — %s\n",
      ref, n, cw, cc, ww, wc, 100*ww/cw, 100*wc/cc, (ww <= 0.05*cw) ? "≤ 5% holds" : "≤ 5% does not hold" }'
done
