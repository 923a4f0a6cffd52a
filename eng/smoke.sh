#!/usr/bin/env bash
# Smoke test of a published `mesh` binary (build.ps1 publish -Smoke runs it): keygen, a two-node DHT (`mesh dht`
# twice, the second joined through the line the first printed), store and get through the DHT, then a subnet node
# (`mesh server --no_blockchain_rpc --new_swarm`, the README's first command) that must print the same line, publish
# its heartbeat and stop cleanly on SIGTERM. Everything runs in a temporary directory on 127.0.0.1; every wait is
# bounded; every process is stopped on exit. Exits non-zero, with the logs, on the first failure.
#   bash eng/smoke.sh artifacts/publish/linux-x64/mesh
set -euo pipefail
bin="$(realpath "${1:?usage: smoke.sh path/to/mesh}")"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "smoke: FAILED: $*" >&2
  for f in "$work"/*.log; do echo "----- $f" >&2; tail -n 40 "$f" >&2; done
  exit 1
}
# Waits up to $2 seconds for a line matching $3 in $1 and prints the first match.
wait_for() {
  local file="$1" seconds="$2" pattern="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    if grep -Eo "$pattern" "$file" 2>/dev/null | head -n 1; then return 0; fi
    sleep 0.1
  done
  return 1
}
cd "$work"
echo "smoke: $bin ($(stat -c %s "$bin") bytes)"

# 1. keygen writes three identities that keyview reads back.
"$bin" keygen --path node1.id --bootstrap_path boot.id --client_path client.id > keygen.log 2>&1 || fail "keygen"
peer1=$(sed -n 's/^Peer ID: //p' keygen.log)
[ -n "$peer1" ] || fail "keygen printed no peer id"
"$bin" keyview --path node1.id > keyview.log 2>&1 || fail "keyview"
grep -q "Peer ID: $peer1" keyview.log || fail "keyview does not show $peer1"
echo "smoke: keygen ok ($peer1)"

# 2. Two DHT nodes, the second joined through the first's printed address.
"$bin" dht --host_maddrs /ip4/127.0.0.1/tcp/0 --identity_path node1.id > dht1.log 2>&1 &
pids+=($!)
line=$(wait_for dht1.log 60 "use --initial_peers /ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/[A-Za-z0-9]+") || fail "dht 1 printed no address"
addr1="${line#use --initial_peers }"
[[ "$addr1" == *"/p2p/$peer1" ]] || fail "dht 1 printed $addr1, not its identity $peer1"
"$bin" dht --host_maddrs /ip4/127.0.0.1/tcp/0 --initial_peers "$addr1" > dht2.log 2>&1 &
pids+=($!)
line=$(wait_for dht2.log 60 "use --initial_peers /ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/[A-Za-z0-9]+") || fail "dht 2 did not start"
addr2="${line#use --initial_peers }"
echo "smoke: two DHT nodes up ($addr1, $addr2)"

# 3. Store through the swarm (a client joining through both nodes, so it can reach both replicas: the mesh DHT's
#    find results carry peer ids only, and a client learns no address for a peer it was not given), then get it back
#    through each node alone: both hold a replica.
"$bin" store --initial_peers "$addr1" "$addr2" --key smoke-key --value "smoke value" --expiration 300 > store.log 2>&1 || fail "store"
grep -q stored store.log || fail "store did not print stored"
"$bin" get --initial_peers "$addr2" --key smoke-key > get.log 2>&1 || fail "get through node 2"
grep -q "smoke value" get.log || fail "get through node 2 did not return the stored value"
"$bin" get --initial_peers "$addr1" --key smoke-key > get1.log 2>&1 || fail "get through node 1"
grep -q "smoke value" get1.log || fail "get through node 1 did not return the stored value"
if "$bin" get --initial_peers "$addr2" --key no-such-key > missing.log 2>&1; then fail "get of a missing key exited 0"; fi
echo "smoke: store/get ok"

# 4. The README's first command: a subnet node on the embedded local chain.
mkdir node
(cd node && exec "$bin" server --no_blockchain_rpc --new_swarm --update_period 1 > ../server.log 2>&1) &
server=$!
pids+=($server)
wait_for server.log 60 "Running a DHT instance\. To connect other peers to this one, use --initial_peers /ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/" > /dev/null || fail "server did not start"
wait_for server.log 30 "Declared node \[Heartbeat\]" > /dev/null || fail "server published no heartbeat"
kill -TERM "$server"
for ((i = 0; i < 300; i++)); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server" 2>/dev/null && fail "server did not stop within 30 s of SIGTERM"
wait "$server" || fail "server exited non-zero after SIGTERM"
grep -q "Server stopped" server.log || fail "server did not log its shutdown"
echo "smoke: server ok"

# 5. A bad flag is one line and exit 2.
set +e
"$bin" server --update_period -5 > bad.log 2>&1
code=$?
set -e
[ "$code" -eq 2 ] || fail "a bad flag exited $code, not 2"
[ "$(wc -l < bad.log)" -le 2 ] || fail "a bad flag printed more than a line: $(cat bad.log)"
echo "smoke: all passed"
