#!/usr/bin/env bash
# Where instantiate → first result of a component takes its page faults:
# records every page fault of three one-shot execute("pass") runs with perf
# and prints the faults per run by the wasm function that took them, then by
# the region of linear memory they hit (bench/page-faults-report.py).
#   bench/page-faults.sh [COMPONENT]   (default dist/runtime-preinit.wasm)
# Needs perf (Debian: linux-perf) and a built host (npm test or npm run sandbox builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
component=${1:-dist/runtime-preinit.wasm}
command -v perf >/dev/null || { echo "page-faults.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
host=target/release/eryx-as-host
[ -x "$host" ] || { echo "page-faults.sh: $host is missing: run npm run sandbox -- -c pass once" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=3
# A warm-up process fills the compiled-component cache, so the recorded one maps compiled code from it.
echo '{"op":"execute","code":"pass"}' | "$host" --serve --runtime "$component" --stdlib dist/python-stdlib >/dev/null 2>&1
for i in $(seq $runs); do echo '{"op":"execute","code":"pass"}'; done > "$work/requests"
perf record -q -d -c 1 -e page-faults -o "$work/perf.data" "$host" --serve --runtime "$component" --stdlib dist/python-stdlib <"$work/requests" >/dev/null 2>&1
# Regions: each library's static data from its memory base in the component and its dylink.0 size.
npx tsx bench/page-faults-libraries.ts "$component" .cache/vendor/*.so build/liberyx_runtime.so build/liberyx_bindings.so >"$work/libraries"
perf script -i "$work/perf.data" -F addr,ip,sym --show-mmap-events 2>/dev/null |
  python3 bench/page-faults-report.py "$runs" "$work/libraries"
