#!/usr/bin/env bash
# The one command that shows Corsair at work: installs libzmq when missing, builds, runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh
corsair_require_libzmq
swift build -c release --product corsair >/dev/null
exec .build/release/corsair --version
