#!/usr/bin/env bash
# Builds Examples/KeyValueService with zero warnings and runs it: three kv-server processes on free
# loopback ports, kv-client SET and GET through the shard map, then SIGTERM and exit status 0 from
# every server. Every wait is bounded. Run by Scripts/test.sh after the main build (it uses the
# `corsair` binary to find free ports).
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh

example=Examples/KeyValueService
corsair=.build/debug/corsair

echo "==> swift build --package-path $example"
started=$SECONDS
# SwiftPM keeps a path dependency's list of source files in the example's build description and
# does not notice files added to Corsair since: a stale one fails with "cannot find type" errors.
# Dropping the description makes it plan again (a second or two); the objects stay.
rm -f "$example"/.build/*/debug/description.json
corsair_build_without_warnings --package-path "$example"
echo "example built in $((SECONDS - started)) s"
bin=$(swift build --package-path "$example" --show-bin-path)

work=$(mktemp -d)
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Waits up to $2 seconds for process $1 to end; 1 when it is still running.
wait_for_exit() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Waits up to $3 seconds for process $1 to print a line starting with `listening` into file $2;
# 1 when the process ended or the time ran out first.
wait_for_listening() {
    local deadline=$((SECONDS + $3))
    until grep -q "^listening " "$2" 2>/dev/null; do
        kill -0 "$1" 2>/dev/null || return 1
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Prints three TCP ports on 127.0.0.1 that were free a moment ago: libzmq picks them for a
# `corsair serve` on wildcard ports, which then stops.
free_ports() {
    local out=$work/ports.out
    "$corsair" serve --bind 'tcp://127.0.0.1:*' --bind 'tcp://127.0.0.1:*' --bind 'tcp://127.0.0.1:*' > "$out" 2> "$work/ports.err" &
    local pid=$!
    local deadline=$((SECONDS + 60))
    local count=0
    while [ "$count" -lt 3 ]; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            kill -KILL "$pid" 2>/dev/null || true
            echo "error: corsair serve did not report three wildcard ports" >&2
            cat "$work/ports.err" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.1
        # The background job creates the file, perhaps only after this loop first looks.
        count=$(grep -cs '^listening ' "$out" || true)
        count=${count:-0}
    done
    kill -TERM "$pid"
    wait_for_exit "$pid" 30 || { kill -KILL "$pid"; echo "error: corsair serve did not stop on SIGTERM" >&2; return 1; }
    sed -n 's|^listening tcp://127.0.0.1:\([0-9]*\)$|\1|p' "$out"
}

# Starts one kv-server per shard of a copy of the example's map whose endpoints are free ports.
# A port taken between free_ports and the bind ends that server at once; then all start again on
# other ports, three times at most.
config=$work/shards.yaml
for try in 1 2 3; do
    mapfile -t ports < <(free_ports)
    [ "${#ports[@]}" -eq 3 ] || { echo "error: expected three free ports, got: ${ports[*]}" >&2; exit 1; }
    sed -e "s|tcp://127.0.0.1:5701|tcp://127.0.0.1:${ports[0]}|" \
        -e "s|tcp://127.0.0.1:5702|tcp://127.0.0.1:${ports[1]}|" \
        -e "s|tcp://127.0.0.1:5703|tcp://127.0.0.1:${ports[2]}|" "$example/shards.yaml" > "$config"
    servers=()
    for shard in s0 s1 s2; do
        "$bin/kv-server" "$config" "$shard" > "$work/$shard.out" 2> "$work/$shard.err" &
        servers+=($!)
    done
    up=0
    for i in 0 1 2; do
        wait_for_listening "${servers[$i]}" "$work/s$i.out" 60 && up=$((up + 1))
    done
    [ $up -eq 3 ] && break
    for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for i in 0 1 2; do
        [ -s "$work/s$i.err" ] && { echo "kv-server s$i (try $try):" >&2; tail -3 "$work/s$i.err" >&2; }
    done
    if [ $try -eq 3 ]; then
        echo "error: the example's servers did not all start" >&2
        exit 1
    fi
done
echo "kv-server s0, s1, s2 listening on ports ${ports[*]}"

# One key per shard: b is in s0's slots, c in s1's, a in s2's.
client() { timeout 60 "$bin/kv-client" "$config" "$@"; }
for key in a b c; do
    reply=$(client set "$key" "value of $key")
    [ "$reply" = "OK" ] || { echo "error: kv-client set $key answered '$reply', expected OK" >&2; exit 1; }
done
expected=$'a value of a\nb value of b\nc value of c\nnowhere (unset)'
reply=$(client get a b c nowhere)
if [ "$reply" != "$expected" ]; then
    echo "error: kv-client get answered:" >&2
    echo "$reply" >&2
    echo "expected:" >&2
    echo "$expected" >&2
    exit 1
fi
echo "kv-client set and got a key on each shard"

# SIGTERM: each server drains and exits 0.
for pid in "${servers[@]}"; do kill -TERM "$pid"; done
for i in 0 1 2; do
    pid=${servers[$i]}
    if ! wait_for_exit "$pid" 30; then
        echo "error: kv-server s$i did not stop within 30 s of SIGTERM" >&2
        exit 1
    fi
    status=0
    wait "$pid" || status=$?
    if [ $status -ne 0 ]; then
        echo "error: kv-server s$i exited $status after SIGTERM, expected 0" >&2
        tail -5 "$work/s$i.err" >&2
        exit 1
    fi
done
servers=()
echo "kv-server s0, s1, s2 stopped on SIGTERM with status 0"

# With every server gone, a request fails loudly: exit 1 and a typed error, within its deadline.
status=0
reply=$(client get a 2>&1) || status=$?
if [ $status -ne 1 ] || ! grep -qE "^error: (abandoned|deadline exceeded) after " <<< "$reply"; then
    echo "error: kv-client get without servers exited $status and printed: $reply" >&2
    exit 1
fi
echo "kv-client without servers: $reply"
