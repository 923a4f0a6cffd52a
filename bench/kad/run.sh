#!/usr/bin/env bash
# Kademlia put/get latency of MeshCore and js-libp2p (@libp2p/kad-dht 16.4.5) in the same run and the same shape: a
# swarm of NODES server nodes on 127.0.0.1, every node its own process, joined through the first one; then one more
# node of the same implementation joins and runs COUNT sequential PUT_VALUE + GET_VALUE pairs of VALUE_BYTES-byte
# values under /v/ keys (a test namespace every node accepts, libp2p-specs §5c). The put is timed until every nearest
# peer answered; the get until the first remote value arrived (MeshCore: quorum 1 after dropping its own copy; js:
# the first VALUE event). Prints a markdown table of p50 / p99 / mean for bench/RESULTS.md.
# Usage (from the repository root):
#   bash bench/kad/run.sh                        # NODES=8 COUNT=200 VALUE_BYTES=64
#   NODES=16 COUNT=1000 bash bench/kad/run.sh
# Needs the .NET SDK and interop/js/node_modules (npm ci in interop/js).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NODES=${NODES:-8}
COUNT=${COUNT:-200}
VALUE_BYTES=${VALUE_BYTES:-64}
OUT=${OUT:-$ROOT/artifacts/kad-bench}
NODE=$ROOT/interop/js/node_modules/.bin/node
JS_PEER=$ROOT/interop/js/peer.mjs
mkdir -p "$OUT"

[ -x "$NODE" ] || { echo "interop/js/node_modules missing: run 'npm ci' in interop/js" >&2; exit 1; }

echo "== building mesh (Release)" >&2
dotnet build -c Release "$ROOT/src/Mesh.Node" -o "$OUT/mesh" -nologo -v q >&2
MESH=$OUT/mesh/mesh

# Every node's pid goes to this file as well: nodes started inside $(...) run in a subshell whose PIDS the script never sees.
PIDFILE=$OUT/pids
: >"$PIDFILE"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}" $(cat "$PIDFILE" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  : >"$PIDFILE"
  wait 2>/dev/null || true
}
trap cleanup EXIT

# wait_for_line FILE PATTERN: up to 30 s.
wait_for_line() { for _ in $(seq 1 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "no '$2' in $1" >&2; cat "$1.err" >&2 || true; exit 1; }

start_mesh() { # LOG [BOOTSTRAP] -> first /p2p/ address
  local log=$1 boot=${2:-}
  if [ -n "$boot" ]; then "$MESH" kad serve --accept-namespace v --bootstrap "$boot" >"$log" 2>"$log.err" &
  else "$MESH" kad serve --accept-namespace v >"$log" 2>"$log.err" & fi
  PIDS+=($!); echo $! >>"$PIDFILE"
  wait_for_line "$log" '/p2p/'
  grep -m1 '/p2p/' "$log"
}
start_js() { # LOG [BOOTSTRAP] -> first address
  local log=$1 boot=${2:-}
  if [ -n "$boot" ]; then "$NODE" "$JS_PEER" kad-server --bootstrap "$boot" >"$log" 2>"$log.err" &
  else "$NODE" "$JS_PEER" kad-server >"$log" 2>"$log.err" & fi
  PIDS+=($!); echo $! >>"$PIDFILE"
  wait_for_line "$log" 'listening'
  sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$log" | head -1
}

# stats NAME JSONLINE -> "p50 p99 mean" of the NAME array (nearest-rank percentiles).
stats() {
  echo "$2" | sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" | tr ',' '\n' | sort -g | awk '
    { v[NR] = $1; s += $1 }
    END { p50 = v[int((NR * 50 + 99) / 100)]; p99 = v[int((NR * 99 + 99) / 100)]; printf "%.2f %.2f %.2f", p50, p99, s / NR }'
}

echo "== mesh swarm of $NODES" >&2
MESH0=$(start_mesh "$OUT/mesh-0.log")
for i in $(seq 1 $((NODES - 1))); do start_mesh "$OUT/mesh-$i.log" "$MESH0" >/dev/null; done
echo "== mesh bench ($COUNT pairs)" >&2
MESH_LINE=$("$MESH" kad bench --bootstrap "$MESH0" --count "$COUNT" --value-bytes "$VALUE_BYTES" 2>"$OUT/mesh-bench.err")
cleanup; PIDS=()

echo "== js swarm of $NODES" >&2
JS0=$(start_js "$OUT/js-0.log")
for i in $(seq 1 $((NODES - 1))); do start_js "$OUT/js-$i.log" "$JS0" >/dev/null; done
echo "== js bench ($COUNT pairs)" >&2
JS_LINE=$("$NODE" "$JS_PEER" kad-bench --bootstrap "$JS0" --count "$COUNT" --value-bytes "$VALUE_BYTES" 2>"$OUT/js-bench.err" | grep '"kad-bench"')

read -r MP50 MP99 MMEAN <<<"$(stats put "$MESH_LINE")"
read -r MG50 MG99 MGMEAN <<<"$(stats get "$MESH_LINE")"
read -r JP50 JP99 JMEAN <<<"$(stats put "$JS_LINE")"
read -r JG50 JG99 JGMEAN <<<"$(stats get "$JS_LINE")"

echo
echo "Kademlia put/get, $NODES-node swarm + 1 measuring node per implementation, $COUNT pairs, $VALUE_BYTES-byte values, 127.0.0.1 (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| Implementation | put p50 (ms) | put p99 (ms) | put mean (ms) | get p50 (ms) | get p99 (ms) | get mean (ms) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
echo "| MeshCore | $MP50 | $MP99 | $MMEAN | $MG50 | $MG99 | $MGMEAN |"
echo "| js-libp2p kad-dht 16.4.5 | $JP50 | $JP99 | $JMEAN | $JG50 | $JG99 | $JGMEAN |"
