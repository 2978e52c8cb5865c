#!/usr/bin/env bash
# Instructions per warm execute, counted by valgrind's callgrind (stable on
# noisy machines, unlike wall time): for each runtime and snippet, a session
# runs the snippet WARM times, then again WARM+EXTRA times in a second
# process; the difference of the two totals over EXTRA is what one more
# execute costs, host included.
#   bench/instructions.sh NAME=COMPONENT...   (default: eryx-as-preinit and the peer)
# SNIPPETS=pass,await,seq100,gather100,cold chooses the snippets (default: pass,await);
# `cold` is a start: every execute in a new session (instantiate + "pass").
# WARM and EXTRA override the run counts (the 100-callback snippets and cold need fewer).
# HOST=eryx05 counts in the eryx 0.5.0 host (eryx-host/, npm run bench builds it)
# instead of the reference host, e.g. on build/eryx05-bench/eryx-rust-runtime.wasm.
# Needs valgrind and a built host (npm test or npm run sandbox builds it). Takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
if [ "${HOST:-rust}" = eryx05 ]; then host=target/release/eryx05-host; else host=target/release/eryx-as-host; fi
[ -x "$host" ] || { echo "instructions.sh: $host is missing: run npm run sandbox -- -c pass once (HOST=eryx05: npm run bench -- --host eryx05)" >&2; exit 1; }
[ $# -gt 0 ] || set -- eryx-as-preinit=dist/runtime-preinit.wasm componentize-py=build/peer.wasm
WARM=${WARM:-20}
EXTRA=${EXTRA:-50}
SNIPPETS=${SNIPPETS:-pass,await}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

requests() { # CODE COUNT FRESH (1: a new session per execute)
  python3 -c 'import json, sys
for i in range(int(sys.argv[2])): print(json.dumps({"id": i, "op": "execute", "code": sys.argv[1], "session": f"s{i}" if sys.argv[3] == "1" else "s"}))' "$1" "$2" "$3"
}

instructions() { # COMPONENT CODE COUNT FRESH
  requests "$2" "$3" "$4" >"$work/requests"
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$host" --serve --runtime "$1" --stdlib dist/python-stdlib "${load[@]}" \
    <"$work/requests" >"$work/stdout" 2>"$work/stderr"
  grep -q '"ok":false' "$work/stdout" && { echo "instructions.sh: an execute failed: $(grep -m1 '"ok":false' "$work/stdout")" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/stderr"
}

printf '| runtime | snippet | instructions per execute |\n|---|---|---|\n'
for spec in "$@"; do
  name=${spec%%=*}
  component=${spec#*=}
  # Fill the compiled-component cache first, so both counted runs load it alike.
  # Under valgrind: it reports other CPU features, and the cache key holds them
  # (filled natively, the first counted run would compile the component).
  # The eryx 0.5.0 host has no cache of its own: compile it ahead under valgrind for --precompiled.
  load=()
  if [ "${HOST:-rust}" = eryx05 ]; then
    valgrind --tool=none "$host" precompile "$component" "$work/component.cwasm" >/dev/null 2>&1
    load=(--precompiled "$work/component.cwasm")
  else
    echo '{"op":"execute","code":"pass"}' | valgrind --tool=none "$host" --serve --runtime "$component" --stdlib dist/python-stdlib >/dev/null 2>&1
  fi
  IFS=, read -ra names <<<"$SNIPPETS"
  for snippet in "${names[@]}"; do
    fresh=0
    case $snippet in
      pass) code='pass' ;;
      cold) code='pass' fresh=1 ;;
      await) code="await echo(message='x')" ;;
      seq100) code=$'for i in range(100):\n    await echo(message=\'x\')' ;;
      gather100) code=$'import asyncio\nawait asyncio.gather(*[echo(message=\'x\') for i in range(100)])' ;;
      *) echo "instructions.sh: unknown snippet $snippet" >&2; exit 1 ;;
    esac
    a=$(instructions "$component" "$code" $WARM $fresh)
    b=$(instructions "$component" "$code" $((WARM + EXTRA)) $fresh)
    printf '| %s | `%s` | %s |\n' "$name" "${code//$'\n'/⏎}" $(( (b - a) / EXTRA ))
  done
done
