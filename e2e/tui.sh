#!/usr/bin/env bash
# Drives `slimpy inspect` in a real terminal (tmux) as a person would, and
# keeps a text capture of every screen in OUT (NAME.txt): the summary, each
# layer's own changes stepped through with one key each, the tree as of each
# layer, a regex filter, a removed directory opened, and the same screens at
# 60, 80 and 200 columns. e2e/tui_test.go runs it and checks the captures;
# docs/tui.md shows them.
#
#   e2e/tui.sh SLIMPY IMAGE LAYERS OUT   (LAYERS: how many the image has)
#
# It uses a tmux server of its own (never the user's) and stops it at the end.
set -euo pipefail
slimpy=$1 image=$2 layers=$3 out=$4
mkdir -p "$out"
sock="slimpy-e2e-$$"
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT


# Every capture waits for what the screen must show first: the program
# redraws asynchronously, and a loaded machine is slow.
wait_for() { # TEXT...
  local i screen ok
  for i in $(seq 1 600); do
    screen=$(tm capture-pane -p -t e2e)
    ok=1
    for want in "$@"; do
      grep -qF -- "$want" <<<"$screen" || { ok=0; break; }
    done
    [ $ok = 1 ] && return 0
    sleep 0.1
  done
  echo "tui.sh: the screen never showed: $*" >&2
  printf '%s\n' "$screen" >&2
  return 1
}
shot() { tm capture-pane -p -t e2e > "$out/$1.txt"; }
keys() { tm send-keys -t e2e "$@"; }

# A 120x40 terminal: the split view.
tm new-session -d -s e2e -x 120 -y 40 \
  "TERM=xterm-256color '$slimpy' inspect --no-cache '$image'; echo \"slimpy exited \$?\" > '$out/exit'; sleep 600"
wait_for "Biggest wins"
shot summary

# The files view, then every layer's own changes: one key each.
keys 3
wait_for "[Files]" "final ·"
shot final
for ((i = 0; i < layers; i++)); do
  keys ']'
  wait_for "layer $i of $((layers - 1)) only" "#$i "
  shot "layer-$i"
done

# The tree as of each layer, stepping back down.
keys a
wait_for "as of layer $((layers - 1)) of"
shot "asof-$((layers - 1))"
for ((i = layers - 2; i >= 0; i--)); do
  keys '['
  wait_for "as of layer $i of"
  shot "asof-$i"
done

# Back to the last layer's own changes; a regex filter.
keys a
wait_for "layer 0 of $((layers - 1)) only"
for ((i = 1; i < layers; i++)); do keys ']'; done
wait_for "layer $((layers - 1)) of $((layers - 1)) only"
keys / Tab
wait_for "regex /"
keys -l 'tests$'
keys Enter
wait_for 'regex: tests$'
shot regex

# Open a removed path: close everything, then walk down the largest branch
# with l (open) and j (down), opening the removed directory on the way, to
# the first removed file.
keys C
wait_for "▸ usr/"
for _ in $(seq 1 12); do
  screen=$(tm capture-pane -p -t e2e)
  if grep -qE '(^|│)› .*✗' <<<"$screen"; then break; fi
  keys l j
  sleep 0.3
done
wait_for "removed by layer $((layers - 1))"
shot removed

# The same at other widths: the layer view keeps its bytes column.
for size in 60x20 80x24 200x45; do
  tm resize-window -t e2e -x "${size%x*}" -y "${size#*x}"
  wait_for "removed by layer"
  sleep 0.3
  shot "removed-$size"
done
tm resize-window -t e2e -x 120 -y 40

# The layers view of the split: j/k steps, the tree follows.
# (a pause after each escape: ESC and a key at once read as alt+key)
keys Escape
wait_for "layer $((layers - 1)) of $((layers - 1)) only · writes 0 B in 0 files ·"
sleep 0.3
keys Escape
wait_for "final ·"
sleep 0.3
keys 2
wait_for "Layers · j/k steps, the tree follows"
keys k
wait_for "layer $((layers - 2)) of $((layers - 1)) only"
shot split-layers

keys q
for _ in $(seq 1 100); do [ -s "$out/exit" ] && break; sleep 0.1; done
cat "$out/exit"
