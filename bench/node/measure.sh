#!/usr/bin/env bash
# Node footprint of a published `mesh` binary: its size, the time from process start to the node listening (the
# "Running a DHT instance" line of `mesh server --no_blockchain_rpc --new_swarm`), and the memory of the idle node
# (VmRSS and VmHWM after it has run for IDLE_SECONDS). RUNS repetitions; prints a markdown table for bench/RESULTS.md.
#   bash bench/node/measure.sh [path/to/mesh]     (default: artifacts/publish/linux-x64/mesh)
#   RUNS=10 IDLE_SECONDS=30 bash bench/node/measure.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(realpath "${1:-$root/artifacts/publish/linux-x64/mesh}")"
runs="${RUNS:-5}"
idle="${IDLE_SECONDS:-10}"
[ -x "$bin" ] || { echo "measure.sh: $bin is not an executable (run: dotnet pwsh ./build.ps1 publish)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

size_bytes=$(stat -c %s "$bin")
starts=()
rss=()
hwm=()
for i in $(seq 1 "$runs"); do
  dir="$work/run$i"; mkdir -p "$dir"
  start=$(date +%s%N)
  (cd "$dir" && exec "$bin" server --no_blockchain_rpc --new_swarm --update_period 60 > out.log 2> err.log) &
  pid=$!
  listening=""
  for _ in $(seq 1 600); do
    if grep -q "Running a DHT instance" "$dir/err.log" 2>/dev/null; then listening=$(date +%s%N); break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.01
  done
  if [ -z "$listening" ]; then
    kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    echo "measure.sh: run $i did not start listening:" >&2; cat "$dir/err.log" >&2; exit 1
  fi
  starts+=("$(( (listening - start) / 1000000 ))")
  sleep "$idle"
  rss+=("$(awk '/^VmRSS/{print $2}' /proc/$pid/status)")
  hwm+=("$(awk '/^VmHWM/{print $2}' /proc/$pid/status)")
  kill -TERM "$pid"; wait "$pid" || { echo "measure.sh: run $i exited non-zero after SIGTERM" >&2; exit 1; }
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
echo "| measurement | value |"
echo "| --- | --- |"
echo "| binary size ($(basename "$bin")) | $(awk -v b="$size_bytes" 'BEGIN{printf "%.1f", b/1048576}') MiB ($size_bytes bytes) |"
echo "| start → listening (median of $runs; all: ${starts[*]} ms) | $(median "${starts[@]}") ms |"
echo "| idle node RSS after ${idle} s (median; all: ${rss[*]} KiB) | $(( $(median "${rss[@]}") / 1024 )) MiB |"
echo "| idle node peak RSS (median; all: ${hwm[*]} KiB) | $(( $(median "${hwm[@]}") / 1024 )) MiB |"
echo
echo "machine: $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
