#!/usr/bin/env bash
# Keeps the code in README.md and the DocC articles identical to files that a build compiles.
#
# A block of code in a document is written as a marker naming the file, then a fenced block:
#
#     <!-- code: Examples/KeyValueService/Sources/kv-server/main.swift -->
#     ```swift
#     …the file's text…
#     ```
#
# `Scripts/doc-code.sh write` copies each named file into the block after its marker;
# `Scripts/doc-code.sh check` (run by Scripts/test.sh) fails when a block differs from its file, when a
# marker names a missing file or has no block after it, or when a ```swift block has no marker: Swift
# in the documents is the examples' Swift, which Scripts/test.sh builds and runs.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-check}
case "$mode" in
    check|write) ;;
    *) echo "usage: Scripts/doc-code.sh [check|write]" >&2; exit 64 ;;
esac

# Prints `document` with every marked block replaced by its file; a problem goes to stderr as
# `error: FILE:LINE: …` and makes awk exit 1.
render() {
    awk -v document="$1" '
        function fail(message) {
            printf "error: %s:%d: %s\n", document, NR, message > "/dev/stderr"
            failed = 1
        }
        state == "marker" {
            if ($0 !~ /^```[a-z]+$/) { fail("a code marker must be followed by a ``` fence"); state = ""; print; next }
            print
            while ((getline line < source) > 0) print line
            close(source)
            state = "skip"
            next
        }
        state == "skip" {
            if ($0 == "```") { print; state = "" }
            next
        }
        /^<!-- code: [^ ]+ -->$/ {
            source = $3
            if ((getline probe < source) < 0) fail("no such file: " source)
            close(source)
            state = "marker"
            print
            next
        }
        /^ *```swift/ { fail("Swift code without a <!-- code: FILE --> marker: move it into an example that the build compiles") }
        { print }
        END {
            if (state != "") fail("the document ends inside a marked block")
            exit failed
        }
    ' "$1"
}

documents=(README.md)
while IFS= read -r -d '' file; do documents+=("$file"); done < <(find Sources -path '*/Documentation.docc/*' -name '*.md' -print0 | sort -z)

status=0
for document in "${documents[@]}"; do
    rendered=$(mktemp)
    if ! render "$document" > "$rendered"; then
        status=1
    elif ! cmp -s "$document" "$rendered"; then
        if [ "$mode" = write ]; then
            cp "$rendered" "$document"
            echo "updated $document"
        else
            echo "error: $document: a block differs from the file its marker names (Scripts/doc-code.sh write copies them in):" >&2
            diff -u "$document" "$rendered" | head -40 >&2 || true
            status=1
        fi
    fi
    rm -f "$rendered"
done
exit $status
