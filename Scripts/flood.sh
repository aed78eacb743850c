#!/usr/bin/env bash
# Floods a `corsair serve` process with random malformed messages (`corsair flood`), then checks it
# still serves and prints its resident memory before and after. The test suite sends 20,000
# messages (Tests/EndToEndTests/MalformedFloodTests.swift; CORSAIR_FLOOD_MESSAGES changes it), so
# as not to starve the tests running alongside it on a 2-core machine; this sends 100,000 or more.
#
#   Scripts/flood.sh                 # 100,000 messages
#   MESSAGES=5000000 SEED=9 Scripts/flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES=${MESSAGES:-100000}
SEED=${SEED:-1}
MAX_MESSAGE_SIZE=${MAX_MESSAGE_SIZE:-4KiB}

CORSAIR=${CORSAIR:-}
if [ -z "$CORSAIR" ]; then
    . Scripts/lib.sh
    corsair_require_libzmq
    swift build -c release --product corsair >/dev/null
    CORSAIR="$(swift build -c release --show-bin-path)/corsair"
fi

WORK=$(mktemp -d /tmp/corsair-flood.XXXXXX)
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill -KILL "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ENDPOINT="ipc://$WORK/flood.sock"
CORSAIR_LOG_LEVEL=warning "$CORSAIR" serve --bind "$ENDPOINT" --handler kv --max-message-size "$MAX_MESSAGE_SIZE" \
    --statistics-on-exit >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
for _ in $(seq 1 200); do
    grep -q '^listening ' "$WORK/server.out" 2>/dev/null && break
    sleep 0.05
done

rss() { awk -v page="$(getconf PAGESIZE)" '{ print $2 * page / 1024 }' "/proc/$SERVER/statm"; }

"$CORSAIR" flood --endpoint "$ENDPOINT" --messages 5000 --max-message-size "$MAX_MESSAGE_SIZE" --seed 7 >/dev/null
before=$(rss)
echo "==> flooding with $MESSAGES messages (seed $SEED)"
"$CORSAIR" flood --endpoint "$ENDPOINT" --messages "$MESSAGES" --max-message-size "$MAX_MESSAGE_SIZE" --seed "$SEED"
after=$(rss)
reply=$("$CORSAIR" request --endpoint "$ENDPOINT" --timeout 2s "INCR alive")
kill -TERM "$SERVER"
wait "$SERVER" || true
SERVER=""
echo "server: $(grep '^statistics ' "$WORK/server.out" || echo 'no statistics')"
echo "RSS before ${before} KiB, after ${after} KiB; INCR after the flood answered: $reply"
[ "$reply" = "1" ] || { echo "flood: FAILED: the server no longer serves"; exit 1; }
echo "flood: PASSED"
