#!/usr/bin/env bash
# Chaos across hosts, simulated with network namespaces: each shard server of a 3-shard cluster runs
# in a network namespace of its own, reached over a veth pair with addresses private to the test
# (10.231.N.1/30 on the host side, 10.231.N.2/30 inside). `corsair load --op incr` runs in the root
# namespace; mid-run, one shard's link is cut (`ip link set … down`) and restored. Then it checks the
# accounting: every request succeeded, none lost, and the servers' counters add up to exactly the
# successes (no loss, no double execution).
#
# Needs root and iproute2 (installed with apt-get when missing). Where namespaces cannot be made it
# says so and exits 77 (the usual "skipped" status), so that callers report a skip, not a pass.
# Cleans up on every exit path.
#
#   Scripts/netns-test.sh                       # builds corsair (debug) if needed
#   CORSAIR=.build/release/corsair Scripts/netns-test.sh
#   REQUESTS=20000 CONCURRENCY=64 CUT_SECONDS=3 Scripts/netns-test.sh
#   MODE=pipelined ATTEMPT_TIMEOUT=5s HEARTBEAT_INTERVAL=100ms Scripts/netns-test.sh
#
# MODE is the retry section's mode (recreate, resend, pipelined). HEARTBEAT_INTERVAL sets
# heartbeat_interval (pipelined connections; `off` turns heartbeats off); with an ATTEMPT_TIMEOUT far
# longer than the cut, only the heartbeats can find the cut connection dead before the link returns.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-6000}
CONCURRENCY=${CONCURRENCY:-32}
KEYS=${KEYS:-30}
CUT_SECONDS=${CUT_SECONDS:-1.5}
CUT_SHARD=${CUT_SHARD:-1}
MODE=${MODE:-recreate}
ATTEMPT_TIMEOUT=${ATTEMPT_TIMEOUT:-300ms}
HEARTBEAT_INTERVAL=${HEARTBEAT_INTERVAL:-}
TAG="cn$$"            # short: interface names have at most 15 characters
NET=${NET:-10.231.$(( $$ % 250 ))}

SKIPPED=77
skip() {
    echo "netns-test: SKIPPED: $*"
    exit $SKIPPED
}

if [ "$(id -u)" != "0" ]; then
    skip "needs root to make network namespaces (run as root, or in a privileged container)"
fi
if ! command -v ip >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "==> installing iproute2 (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null 2>&1 || true
    fi
    command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is missing and could not be installed"
fi

WORK=$(mktemp -d /tmp/corsair-netns.XXXXXX)
PIDS=()
NAMESPACES=()
ROUTED=0
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # Deleting a namespace deletes the veth pair in it, and with it the host side.
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    for i in 0 1 2; do
        ip link del "${TAG}h$i" 2>/dev/null || true
    done
    [ "$ROUTED" = 1 ] && ip route del unreachable "$NET.0/24" 2>/dev/null || true
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT INT TERM HUP

if ! ip netns add "${TAG}s0" 2>"$WORK/netns.err"; then
    skip "cannot make a network namespace: $(cat "$WORK/netns.err")"
fi
NAMESPACES+=("${TAG}s0")

CORSAIR=${CORSAIR:-}
if [ -z "$CORSAIR" ]; then
    . Scripts/lib.sh
    corsair_require_libzmq
    echo "==> swift build --product corsair"
    swift build --product corsair >/dev/null
    CORSAIR="$(swift build --show-bin-path)/corsair"
fi
CORSAIR=$(realpath "$CORSAIR")
"$CORSAIR" load --help >/dev/null 2>&1 || { echo "netns-test: FAILED: $CORSAIR has no load command"; exit 1; }

echo "==> namespaces and links ($NET.0/30, $NET.4/30, $NET.8/30)"
for i in 0 1 2; do
    ns="${TAG}s$i"
    if [ "$i" != 0 ]; then
        ip netns add "$ns"
        NAMESPACES+=("$ns")
    fi
    ip link add "${TAG}h$i" type veth peer name "${TAG}n$i"
    ip link set "${TAG}n$i" netns "$ns"
    ip addr add "$NET.$((4 * i + 1))/30" dev "${TAG}h$i"
    ip link set "${TAG}h$i" up
    ip -n "$ns" addr add "$NET.$((4 * i + 2))/30" dev "${TAG}n$i"
    ip -n "$ns" link set "${TAG}n$i" up
    ip -n "$ns" link set lo up
done

# While a link is down its /30 route is gone, and a connect to the shard would follow the default
# route, where some hosts (and sandboxes with a transparent proxy) accept any TCP connection and
# then fail the ZMTP handshake. A cut link answers nothing: this route makes the block unreachable
# whenever a shard's own route is missing.
ip route add unreachable "$NET.0/24"
ROUTED=1

CONFIG="$WORK/cluster.yaml"
cat >"$CONFIG" <<EOF
cluster: netns
epoch: 1
routing: {strategy: slots, slots: 16384, hash: crc16}
shards:
  - {id: s0, endpoint: "tcp://$NET.2:5555", slots: ["0-5460"]}
  - {id: s1, endpoint: "tcp://$NET.6:5555", slots: ["5461-10922"]}
  - {id: s2, endpoint: "tcp://$NET.10:5555", slots: ["10923-16383"]}
retry:
  mode: $MODE
  attempt_timeout: $ATTEMPT_TIMEOUT
  attempts: 60
  deadline: 30s
  backoff: {initial: 10ms, max: 200ms, multiplier: 2, jitter: full}
  budget: {ratio: 100, min_per_second: 100000}
  circuit_breaker: {failures: 100000, open_for: 1s}
EOF
if [ -n "$HEARTBEAT_INTERVAL" ]; then
    echo "  heartbeat_interval: $HEARTBEAT_INTERVAL" >>"$CONFIG"
fi

echo "==> one server per namespace"
for i in 0 1 2; do
    CORSAIR_LOG_LEVEL=warning ip netns exec "${TAG}s$i" "$CORSAIR" serve --config "$CONFIG" --shard "s$i" --handler kv \
        >"$WORK/s$i.out" 2>"$WORK/s$i.err" &
    PIDS+=($!)
done
for i in 0 1 2; do
    for _ in $(seq 1 200); do
        grep -q '^listening ' "$WORK/s$i.out" 2>/dev/null && break
        sleep 0.05
    done
    grep -q '^listening ' "$WORK/s$i.out" || { echo "netns-test: FAILED: shard s$i did not start"; cat "$WORK/s$i.err"; exit 1; }
done

get() {
    "$CORSAIR" request --config "$CONFIG" --key "$1" --timeout 1s --attempts 5 "GET $1"
}

echo "==> corsair load: $REQUESTS INCRs, $CONCURRENCY at once, over $KEYS keys (mode $MODE, attempt timeout $ATTEMPT_TIMEOUT, heartbeat ${HEARTBEAT_INTERVAL:-default})"
start=$(date +%s.%N)
CORSAIR_LOG_LEVEL=error "$CORSAIR" load --config "$CONFIG" --requests "$REQUESTS" --concurrency "$CONCURRENCY" \
    --keys "$KEYS" --op incr --json >"$WORK/load.json" 2>"$WORK/load.err" &
LOAD=$!
PIDS+=($LOAD)
for _ in $(seq 1 200); do
    value=$(get key-0 2>/dev/null || true)
    [ -n "$value" ] && [ "$value" != "0" ] && break
    sleep 0.05
done

echo "==> cutting s$CUT_SHARD's link for ${CUT_SECONDS}s"
ip link set "${TAG}h$CUT_SHARD" down
sleep "$CUT_SECONDS"
ip link set "${TAG}h$CUT_SHARD" up
echo "==> link restored"

status=0
wait "$LOAD" || status=$?
end=$(date +%s.%N)
if [ "$status" != 0 ]; then
    echo "netns-test: FAILED: corsair load exited $status"
    cat "$WORK/load.err"
fi
report=$(tail -1 "$WORK/load.json")
# The run's own counts: the per-shard counts under "shards" use the same names (keys are sorted,
# so "stopped" follows "shards").
totals=$(echo "$report" | sed -E 's/"shards":\{.*\},"stopped"/"stopped"/')
field() {
    echo "$totals" | grep -oE "\"$1\" *: *[0-9]+" | grep -oE '[0-9]+$' || echo "-1"
}
sent=$(field sent)
succeeded=$(field succeeded)
failed=$(field failed)
lost=$(field lost)
retries=$(field retries)

total=0
for k in $(seq 0 $((KEYS - 1))); do
    value=$(get "key-$k") || { echo "netns-test: FAILED: cannot read key-$k"; exit 1; }
    total=$((total + ${value:-0}))
done

echo "load: $report"
printf 'mode %s: sent %s, succeeded %s, failed %s, lost %s, retries %s, server total %s, wall %.1fs\n' \
    "$MODE" "$sent" "$succeeded" "$failed" "$lost" "$retries" "$total" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
ok=1
[ "$sent" = "$REQUESTS" ] || { echo "FAIL: sent $sent, expected $REQUESTS"; ok=0; }
[ "$succeeded" = "$REQUESTS" ] || { echo "FAIL: succeeded $succeeded of $REQUESTS"; ok=0; }
[ "$failed" = "0" ] || { echo "FAIL: $failed failed"; ok=0; }
[ "$lost" = "0" ] || { echo "FAIL: $lost lost"; ok=0; }
[ "$total" = "$succeeded" ] || { echo "FAIL: servers counted $total increments for $succeeded successes (duplicated $((total - succeeded)))"; ok=0; }
if [ "$ok" = 1 ] && [ "$status" = 0 ]; then
    echo "netns-test: PASSED (lost 0, duplicated 0)"
else
    echo "netns-test: FAILED"
    exit 1
fi
