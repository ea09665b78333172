#!/usr/bin/env bash
# Run `molecule test` on every scenario, PYWEB_MOLECULE_LANES of them at a time (default 2).
# Usage: scripts/molecule-lanes.sh [SCENARIO ...]   (default: every scenario under molecule/)
# PYWEB_LANES_MAKE="installed" also runs those make targets in the lanes, queued as make:TARGET
# among the scenarios, so that a lane that would otherwise wait for the other one does them.
#
# Most of a scenario's time is spent waiting on containers (apt, pip, reloads, health checks), so
# two lanes on two cores finish well before one. A third lane only helps while the CPU is not
# busy: the CPU use printed at the end says whether it is (measured here: 98 % with three lanes,
# which then took as long as two). Each lane has a HOME of its own: molecule
# installs the collection under ~/.ansible and keeps its state under ~/.cache, and two scenarios
# starting at once must not share either. Every scenario's output goes to its own log, printed
# whole if the scenario fails; a failure stops the lanes from starting more scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."

lanes=${PYWEB_MOLECULE_LANES:-2}
work=$PWD/.cache/molecule-lanes
rm -rf "$work"
mkdir -p "$work/logs"

# Longest first (times of a full run), so the lanes end close together; new scenarios go last.
# The order is that of the fresh-clone CI run of ae6b423 (releases 665 s, cluster 501, default 392,
# platforms 333, apps 314, sources 305, roles 236, socket 177, installed 75): the lanes then end
# within 40 s of each other, where the order before left one idle for 80 s.
known=(releases cluster default platforms apps sources roles socket make:installed)
extra=()
for target in ${PYWEB_LANES_MAKE:-}; do
  extra+=("make:$target")
done
if [ $# -gt 0 ]; then
  scenarios=("$@" "${extra[@]}")
else
  scenarios=()
  for name in "${known[@]}"; do
    if [ -f "molecule/$name/molecule.yml" ] || [[ " ${extra[*]} " == *" $name "* ]]; then
      scenarios+=("$name")
    fi
  done
  found=()
  for file in molecule/*/molecule.yml; do
    found+=("$(basename "$(dirname "$file")")")
  done
  for name in "${found[@]}" "${extra[@]}"; do
    [[ " ${known[*]} " == *" $name "* ]] || scenarios+=("$name")
  done
fi
printf '%s\n' "${scenarios[@]}" >"$work/queue"

next_scenario() {
  # The queue's path is the inner shell's $1, not this one's.
  # shellcheck disable=SC2016
  flock "$work/lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$work/queue"
}

lane() {
  local lane=$1 name start seconds
  export HOME=$work/home$lane
  mkdir -p "$HOME"
  while [ ! -e "$work/failed" ]; do
    name=$(next_scenario)
    [ -n "$name" ] || return 0
    start=$(date +%s)
    echo "molecule-lanes: $name started (lane $lane)"
    case $name in
      make:*) command=(make --no-print-directory "${name#make:}") ;;
      *) command=(molecule test -s "$name") ;;
    esac
    if "${command[@]}" >"$work/logs/$name.log" 2>&1; then
      seconds=$(($(date +%s) - start))
      echo "$name $seconds passed" >>"$work/times"
      echo "molecule-lanes: $name passed in ${seconds}s"
    else
      seconds=$(($(date +%s) - start))
      echo "$name $seconds FAILED" >>"$work/times"
      echo "molecule-lanes: $name FAILED after ${seconds}s"
      touch "$work/failed"
    fi
  done
}

# Busy and total CPU time (in clock ticks) of the whole machine, from /proc/stat.
cpu_ticks() {
  awk '/^cpu /{total=0; for (i=2; i<=NF; i++) total+=$i; print total-$5-$6, total}' /proc/stat
}

trap 'kill 0' INT TERM
begin=$(date +%s)
read -r busy_begin total_begin < <(cpu_ticks)
for lane_number in $(seq "$lanes"); do
  lane "$lane_number" &
done
wait

for name in "${scenarios[@]}"; do
  if grep -qx "$name [0-9]* FAILED" "$work/times" 2>/dev/null; then
    echo "===== molecule test -s $name: its whole output ====="
    cat "$work/logs/$name.log"
  fi
done
read -r busy_end total_end < <(cpu_ticks)
echo "molecule-lanes: seconds per scenario ($lanes lanes, $(($(date +%s) - begin))s in all," \
  "CPU busy $(((busy_end - busy_begin) * 100 / (total_end - total_begin)))% of $(nproc) cores):"
sort -k2 -n -r "$work/times" | sed 's/^/  /'
# Last, because a CI log is often read from its end: what failed, in a few lines per scenario.
for name in "${scenarios[@]}"; do
  if grep -qx "$name [0-9]* FAILED" "$work/times" 2>/dev/null; then
    echo "molecule-lanes: $name failed at:"
    sed 's/\x1b\[[0-9;]*m//g; s/^ *│ *//' "$work/logs/$name.log" |
      grep -E '^(FAILED|ERROR) |^E  |^fatal: |Executed: Failed|^check-installed: ' | head -n 40 | cut -c1-300 | sed 's/^/  /'
  fi
done
[ ! -e "$work/failed" ] && [ "$(wc -l <"$work/times")" -eq "${#scenarios[@]}" ]
