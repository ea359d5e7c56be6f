#!/bin/bash
# How long a note saved through the CLI takes to appear in another open cockpit (issue 15:
# ≤ 1 s). Needs tmux and bc. Usage:
#   benches/note_visible.sh FILE MISMATCH-KEY [RUNS] [BINARY]
# It opens the cockpit on FILE in a detached 120x40 tmux session as jokafor, opens the
# first mismatch of the list (press 2, Enter: the key must be that mismatch), then RUNS
# times saves a note with a fresh marker as tlin (`closedesk mismatch FILE KEY note …`) and
# polls the cockpit's screen every 20 ms until the marker shows in the trail.
set -euo pipefail
F=$1; KEY=$2; N=${3:-5}
BIN=${4:-target/release/closedesk}
command -v tmux >/dev/null && command -v bc >/dev/null || { echo "needs tmux and bc" >&2; exit 2; }
tmux kill-session -t note-visible 2>/dev/null || true
tmux new-session -d -s note-visible -x 120 -y 40 "env NO_COLOR=1 USER=jokafor $BIN $F"
sleep 3
tmux send-keys -t note-visible 2; sleep 1; tmux send-keys -t note-visible Enter; sleep 2
ms() { echo "($1) * 1000" | bc | cut -d. -f1; }
for i in $(seq 1 "$N"); do
  marker="seen-$RANDOM-$i"
  t0=$(date +%s.%N)
  "$BIN" mismatch "$F" "$KEY" note "$marker" --user tlin >/dev/null
  t1=$(date +%s.%N)
  until tmux capture-pane -p -t note-visible | grep -q "$marker"; do
    sleep 0.02
    if (( $(echo "$(date +%s.%N) - $t0 > 10" | bc) )); then echo "run $i: not seen in 10 s"; break; fi
  done
  t2=$(date +%s.%N)
  echo "run $i: note saved in $(ms "$t1 - $t0") ms; visible in the other cockpit $(ms "$t2 - $t0") ms after the command started"
  sleep 0.7
done
tmux kill-session -t note-visible
