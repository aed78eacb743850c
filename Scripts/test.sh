#!/usr/bin/env bash
# The one test command: installs what is missing, builds with zero warnings, checks that the
# documents' code is the examples' code, builds and runs the examples, builds the documentation
# without warnings, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/lib.sh
corsair_require_libzmq

echo "==> no two tracked paths differ only in case (a clone on macOS's default file system would merge them)"
if git rev-parse --git-dir >/dev/null 2>&1; then
    clash=$(git ls-files | awk -F/ '{p=""; for (i = 1; i <= NF; i++) { p = (p == "" ? $i : p "/" $i); print p } }' \
        | sort -u | awk '{ k = tolower($0); if (k in seen && seen[k] != $0) { print seen[k] " and " $0 } seen[k] = $0 }')
    if [ -n "$clash" ]; then
        echo "error: tracked paths that differ only in case: $clash" >&2
        exit 1
    fi
fi

echo "==> swift build (warnings are errors for our own sources)"
corsair_build_without_warnings --build-tests

echo "==> code in README.md and the DocC articles is the examples' code"
bash Scripts/doc-code.sh check

bash Scripts/examples.sh

echo "==> DocC: Corsair, ShardMap, ZeroMQ (warnings are errors)"
started=$SECONDS
log=$(mktemp)
if ! swift package generate-documentation --target Corsair --target ShardMap --target ZeroMQ --warnings-as-errors > "$log" 2>&1; then
    grep -vE "^\[[0-9]+/[0-9]+\]" "$log" | tail -60 >&2
    echo "error: the documentation did not build without warnings" >&2
    exit 1
fi
rm -f "$log"
echo "documentation built in $((SECONDS - started)) s"

echo "==> swift test"
swift test --skip-build --parallel "$@"
