#!/usr/bin/env bash
# Runs a local cluster in the background: one `corsair serve --config FILE --shard ID` per shard.
#
#   Scripts/cluster.sh start    build corsair (release) and start every shard of the config
#   Scripts/cluster.sh status   each shard's pid and whether it is alive
#   Scripts/cluster.sh stop     SIGTERM every shard and wait (at most 10 s each) for it to drain
#
# Pid and log files go in run/ (run/<shard>.pid, run/<shard>.log). Environment:
#   CORSAIR_CONFIG  the shard map (default Configs/cluster.yaml)
#   CORSAIR_BIN     a corsair binary to use instead of building one
#   CORSAIR_RUN     the run folder (default run)
# Then, for instance:  .build/release/corsair load --config Configs/cluster.yaml --requests 10000 --concurrency 32
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh

config="${CORSAIR_CONFIG:-Configs/cluster.yaml}"
run_dir="${CORSAIR_RUN:-run}"

corsair_binary() {
    if [ -n "${CORSAIR_BIN:-}" ]; then
        echo "$CORSAIR_BIN"
        return
    fi
    corsair_require_libzmq
    swift build -c release --product corsair >/dev/null
    echo ".build/release/corsair"
}

shard_ids() {
    "$1" shards ids "$config"
}

is_alive() {
    [ -f "$run_dir/$1.pid" ] && kill -0 "$(cat "$run_dir/$1.pid")" 2>/dev/null
}

start() {
    local bin id pid
    bin=$(corsair_binary)
    mkdir -p "$run_dir"
    for id in $(shard_ids "$bin"); do
        if is_alive "$id"; then
            echo "$id: already running (pid $(cat "$run_dir/$id.pid"))"
            continue
        fi
        "$bin" serve --config "$config" --shard "$id" >"$run_dir/$id.log" 2>&1 &
        pid=$!
        echo "$pid" >"$run_dir/$id.pid"
        # Wait (at most 5 s) for the "listening" line, or report why the server stopped.
        for _ in $(seq 50); do
            grep -q '^listening ' "$run_dir/$id.log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q '^listening ' "$run_dir/$id.log"; then
            echo "$id: pid $pid, $(grep -m1 '^listening ' "$run_dir/$id.log"), log $run_dir/$id.log"
        else
            echo "error: shard $id did not start; $(grep -m1 '^error: ' "$run_dir/$id.log" || tail -1 "$run_dir/$id.log")" >&2
            rm -f "$run_dir/$id.pid"
            return 1
        fi
    done
}

status() {
    local found=0 file id
    for file in "$run_dir"/*.pid; do
        [ -e "$file" ] || continue
        found=1
        id=$(basename "$file" .pid)
        if is_alive "$id"; then
            echo "$id: pid $(cat "$file") alive"
        else
            echo "$id: pid $(cat "$file") not running (see $run_dir/$id.log)"
        fi
    done
    [ "$found" = 1 ] || echo "no shards started (no pid files in $run_dir/)"
}

stop() {
    local file id pid
    for file in "$run_dir"/*.pid; do
        [ -e "$file" ] || continue
        id=$(basename "$file" .pid)
        pid=$(cat "$file")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then
                echo "$id: pid $pid still running after 10 s; left alone (kill -KILL $pid to force)" >&2
                continue
            fi
            echo "$id: stopped (pid $pid)"
        else
            echo "$id: was not running"
        fi
        rm -f "$file"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: Scripts/cluster.sh start|stop|status" >&2
        exit 64
        ;;
esac
