# Shared by the Scripts: makes sure libzmq's development files are installed.
# Sourced, not run.

corsair_require_libzmq() {
    # grep without -q reads all of ldconfig's output: with -q it would stop early, ldconfig would die
    # of SIGPIPE, and under pipefail the check would fail although libzmq is there.
    if [ -f /usr/include/zmq.h ] && ldconfig -p 2>/dev/null | grep 'libzmq\.so' >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing libzmq3-dev (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq libzmq3-dev >/dev/null
        return 0
    fi
    echo "error: libzmq is missing; install Debian's libzmq3-dev (apt-get install libzmq3-dev) and run again" >&2
    return 1
}

# Runs `swift build` with the given arguments, showing progress, errors and warnings, and fails when
# the build fails or prints a warning or error in a Sources/ or Tests/ file of ours (dependencies'
# checkouts, under .build, do not count).
corsair_build_without_warnings() {
    local log status=0
    log=$(mktemp)
    swift build "$@" 2>&1 | tee "$log" | grep -E "error|warning:|Compiling|Build complete" | grep -v "^\[" || true
    if grep -E "^/.*/(Sources|Tests)/.*: (warning|error):" "$log" | grep -v "/.build" | sort -u | grep . ; then
        echo "error: the build printed warnings or errors in Sources/ or Tests/" >&2
        status=1
    elif ! grep -q "Build complete" "$log"; then
        tail -50 "$log" >&2
        status=1
    fi
    rm -f "$log"
    return $status
}
