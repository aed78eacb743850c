#!/usr/bin/env bash
# The one test command: installs what is missing, builds with zero warnings, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh
corsair_require_libzmq

echo "==> swift build (warnings are errors for our own sources)"
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning:|Compiling|Build complete" | grep -v "^\[" || true
if grep -E "^/.*/(Sources|Tests)/.*: (warning|error):" "$log" | grep -v "/.build" | sort -u | grep . ; then
    echo "error: the build printed warnings or errors in Sources/ or Tests/" >&2
    exit 1
fi
if ! grep -q "Build complete" "$log"; then
    tail -50 "$log" >&2
    exit 1
fi

echo "==> swift test"
swift test --skip-build --parallel "$@"
