#!/usr/bin/env bash
# The interactive view's first useful screen against the cold analysis:
# `slimpy inspect REF` in tmux until its summary shows "Biggest wins",
# against `slimpy inspect REF --format json` in tmux until it has written
# its report (a marker line after it), each with a fresh cache directory
# (a user's first run), in alternating rounds. Both go through tmux and the
# same polling, so what differs is what slimpy does. Prints each round and
# the median of the ratios; docs/performance.md quotes them.
#
#   scripts/bench-tui.sh [-n ROUNDS] REF...
#
# Without REF: full.tar of scripts/debian-images.sh. Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

rounds=5
refs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    -*) echo "usage: $0 [-n ROUNDS] [REF...]" >&2; exit 2 ;;
    *) refs+=("$1"); shift ;;
  esac
done
command -v tmux >/dev/null || { echo "$0: needs tmux" >&2; exit 1; }
if [ ${#refs[@]} -eq 0 ]; then
  testimages="${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}"
  refs=("docker-archive:$testimages/full.tar")
fi
build_slimpy
session="slimpy-bench-tui-$$"
work=$(mktemp -d "$bench/.tui-XXXXXX")
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -rf "$work"' EXIT

# until_shown COMMAND PATTERN: seconds from starting COMMAND in a 120x40
# tmux session until its screen shows PATTERN.
until_shown() {
  tmux kill-session -t "$session" 2>/dev/null || true
  local start end
  start=$(date +%s.%N)
  tmux new-session -d -s "$session" -x 120 -y 40 "$1; sleep 600"
  until tmux capture-pane -p -t "$session" 2>/dev/null | grep -q "$2"; do sleep 0.05; done
  end=$(date +%s.%N)
  tmux kill-session -t "$session"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}

for ref in "${refs[@]}"; do
  log "$ref: $rounds rounds"
  ratios=()
  for i in $(seq "$rounds"); do
    rm -rf "$work"/c1 "$work"/c2
    tui=$(until_shown "'$bench/bin/slimpy' inspect '$ref' --cache-dir '$work/c1'" "Biggest wins")
    cli=$(until_shown "'$bench/bin/slimpy' inspect '$ref' --cache-dir '$work/c2' --format json >/dev/null; echo CLI-DONE" "CLI-DONE")
    ratio=$(awk -v t="$tui" -v c="$cli" 'BEGIN { printf "%.2f", t / c }')
    ratios+=("$ratio")
    printf '  round %d  first screen %6.2f s  cold JSON %6.2f s  ratio %s  (load %s)\n' "$i" "$tui" "$cli" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  echo "$ref: median ratio $(printf '%s\n' "${ratios[@]}" | median) of $rounds rounds"
done
