#!/usr/bin/env bash
# The one command that shows Corsair at work: installs libzmq when missing, builds, runs the demo.
# Arguments go to `corsair demo`, such as --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh
corsair_require_libzmq
echo "==> swift build -c release --product corsair"
swift build -c release --product corsair >/dev/null
exec .build/release/corsair demo "$@"
