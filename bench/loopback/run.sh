#!/usr/bin/env bash
# Loopback comparison of MeshCore and js-libp2p 3.x, measured in the same run on the same machine:
#   1. perf throughput, one stream, upload and download, for every client/server pair (mesh→mesh, js→js, mesh→js,
#      js→mesh), each peer a separate process;
#   2. sequential connection setup rate (TCP + multistream-select + Noise + yamux + close), same four pairs;
#   3. server memory per idle connection with IDLE_CONNECTIONS (default 5000) connections held open.
# Prints a markdown table. Usage (from the repository root):
#   bash bench/loopback/run.sh                 # defaults: 256 MiB per direction, 300 connections, 5000 idle
#   BYTES=1073741824 CONNS=1000 bash bench/loopback/run.sh
#   PARTS=idle IDLE_CONNECTIONS=5000 bash bench/loopback/run.sh   # only some parts: perf, conn, idle (comma-separated)
# mesh is the native-AOT binary `build.ps1 publish` ships (MESH_BUILD=jit for a framework-dependent build instead).
# Needs the .NET SDK and interop/js/node_modules (npm ci in interop/js).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BYTES=${BYTES:-268435456}
CONNS=${CONNS:-300}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-5000}
PARTS=${PARTS:-perf,conn,idle}
MESH_BUILD=${MESH_BUILD:-aot}
has_part() { case ",$PARTS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
OUT=${OUT:-$ROOT/artifacts/loopback}
NODE=$ROOT/interop/js/node_modules/.bin/node
JS_PEER=$ROOT/interop/js/peer.mjs
mkdir -p "$OUT"

[ -x "$NODE" ] || { echo "interop/js/node_modules missing: run 'npm ci' in interop/js" >&2; exit 1; }

echo "== building mesh ($MESH_BUILD) and the benchmark tool (Release)" >&2
if [ "$MESH_BUILD" = aot ]; then
  dotnet publish -c Release -r linux-x64 -p:PublishAot=true "$ROOT/src/Mesh.Node" -o "$OUT/mesh" -nologo -v q >&2
else
  dotnet build -c Release "$ROOT/src/Mesh.Node" -o "$OUT/mesh" -nologo -v q >&2
fi
dotnet build -c Release "$ROOT/bench/Mesh.Benchmarks" -o "$OUT/bench" -nologo -v q >&2
MESH=$OUT/mesh/mesh
HOLDER=$OUT/bench/Mesh.Benchmarks

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

json_field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" | tail -1; }

# Starts a server; prints its first /p2p/ multiaddr on 127.0.0.1.
start_mesh_server() {
  local log=$1; shift
  "$MESH" perf --run-server --host-maddrs /ip4/127.0.0.1/tcp/0 "$@" >"$log" 2>"$log.err" &
  PIDS+=($!)
  echo $! >"$log.pid"
  for _ in $(seq 1 200); do grep -q '/p2p/' "$log" 2>/dev/null && break; sleep 0.05; done
  grep -m1 '/p2p/' "$log"
}
start_js_server() {
  local log=$1
  "$NODE" "$JS_PEER" perf-server --listen /ip4/127.0.0.1/tcp/0 >"$log" 2>"$log.err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do grep -q 'listening' "$log" 2>/dev/null && break; sleep 0.05; done
  sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$log" | head -1
}

echo "== starting servers" >&2
MESH_ADDR=$(start_mesh_server "$OUT/mesh-server.log")
JS_ADDR=$(start_js_server "$OUT/js-server.log")
echo "mesh server: $MESH_ADDR" >&2
echo "js server:   $JS_ADDR" >&2

# perf CLIENT SERVER_ADDR UP DOWN -> MB/s
perf_run() {
  local client=$1 addr=$2 up=$3 down=$4 line secs
  if [ "$client" = mesh ]; then
    line=$("$MESH" perf --server-address "$addr" --upload-bytes "$up" --download-bytes "$down" | grep '"final"' || true)
  else
    line=$("$NODE" "$JS_PEER" perf-client --server-address "$addr" --upload-bytes "$up" --download-bytes "$down" 2>>"$OUT/js-client.err" | grep '"final"' || true)
  fi
  secs=$(echo "$line" | json_field timeSeconds)
  # No final line means the client failed: say so instead of dividing by nothing.
  if [ -z "$secs" ]; then echo "failed"; return; fi
  awk -v b=$((up + down)) -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }'
}
conn_rate() {
  local client=$1 addr=$2 line
  if [ "$client" = mesh ]; then
    line=$("$MESH" perf --server-address "$addr" --connections "$CONNS")
  else
    line=$("$NODE" "$JS_PEER" conn-rate --server-address "$addr" --count "$CONNS" 2>/dev/null)
  fi
  echo "$line" | json_field perSecond | awk '{ printf "%.0f", $1 }'
}

declare -A UP DOWN RATE
for pair in "mesh mesh" "js js" "mesh js" "js mesh"; do
  set -- $pair
  client=$1 server=$2
  addr=$MESH_ADDR; [ "$server" = js ] && addr=$JS_ADDR
  echo "== $client -> $server" >&2
  UP[$pair]=-; DOWN[$pair]=-; RATE[$pair]=-
  if has_part perf; then
    UP[$pair]=$(perf_run "$client" "$addr" "$BYTES" 0)
    DOWN[$pair]=$(perf_run "$client" "$addr" 0 "$BYTES")
  fi
  if has_part conn; then
    RATE[$pair]=$(conn_rate "$client" "$addr")
  fi
done

SERVER_CONNS=0 RSS_BEFORE=0 RSS_AFTER=0 HEAP_BEFORE=0 HEAP_AFTER=0 PER_CONN_RSS=n/a PER_CONN_HEAP=n/a
if has_part idle; then
echo "== idle connections: $IDLE_CONNECTIONS held against a fresh mesh server" >&2
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
IDLE_ADDR=$(start_mesh_server "$OUT/idle-server.log" --stats)
IDLE_PID=$(cat "$OUT/idle-server.log.pid")
sleep 2
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
heap_bytes() { grep -a '"type":"stats"' "$OUT/idle-server.log" | tail -1 | json_field gcTotalMemoryBytes; }
RSS_BEFORE=$(rss_kib "$IDLE_PID"); HEAP_BEFORE=$(heap_bytes)
HOLD_FIFO=$OUT/hold.stdin; rm -f "$HOLD_FIFO"; mkfifo "$HOLD_FIFO"
"$HOLDER" hold-connections --server-address "$IDLE_ADDR" --count "$IDLE_CONNECTIONS" <"$HOLD_FIFO" >"$OUT/holder.log" 2>"$OUT/holder.err" &
HOLDER_PID=$!; PIDS+=($HOLDER_PID)
exec 9>"$HOLD_FIFO"
for _ in $(seq 1 1200); do grep -aq holding "$OUT/holder.log" 2>/dev/null && break; kill -0 $HOLDER_PID 2>/dev/null || break; sleep 0.1; done
sleep 3
RSS_AFTER=$(rss_kib "$IDLE_PID"); HEAP_AFTER=$(heap_bytes)
SERVER_CONNS=$(grep -a '"type":"stats"' "$OUT/idle-server.log" | tail -1 | json_field connections)
exec 9>&-
PER_CONN_RSS=$(awk -v a="$RSS_AFTER" -v b="$RSS_BEFORE" -v n="$SERVER_CONNS" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "n/a" }')
PER_CONN_HEAP=$(awk -v a="$HEAP_AFTER" -v b="$HEAP_BEFORE" -v n="$SERVER_CONNS" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n / 1024; else print "n/a" }')
fi

cat <<EOF

## Loopback: MeshCore vs js-libp2p ($(date -u +%Y-%m-%d), $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p' | head -1))

mesh: $MESH_BUILD build. Perf: one stream, $BYTES bytes per direction; connection rate: $CONNS sequential setups (TCP + mss + Noise + yamux + close).

| client → server | upload MB/s | download MB/s | connections/s |
| --- | ---: | ---: | ---: |
| mesh → mesh | ${UP[mesh mesh]} | ${DOWN[mesh mesh]} | ${RATE[mesh mesh]} |
| js → js | ${UP[js js]} | ${DOWN[js js]} | ${RATE[js js]} |
| mesh → js | ${UP[mesh js]} | ${DOWN[mesh js]} | ${RATE[mesh js]} |
| js → mesh | ${UP[js mesh]} | ${DOWN[js mesh]} | ${RATE[js mesh]} |

Idle connections: $SERVER_CONNS held on a mesh server: working set $((RSS_BEFORE / 1024)) → $((RSS_AFTER / 1024)) MiB
($PER_CONN_RSS KiB per connection), GC heap $((HEAP_BEFORE / 1048576)) → $((HEAP_AFTER / 1048576)) MiB ($PER_CONN_HEAP KiB per connection).
EOF
