#!/usr/bin/env bash
# Corsair against raw libzmq, in one run: builds release and runs `corsair bench`.
#   Scripts/bench.sh            the full run (what BENCHMARKS.md reports)
#   Scripts/bench.sh --quick    within a minute
#   Scripts/bench.sh --json     one JSON object on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh
corsair_require_libzmq

echo "==> swift build -c release" >&2
swift build -c release --product ZMQBaseline >&2
swift build -c release --product corsair >&2
exec .build/release/corsair bench "$@"
