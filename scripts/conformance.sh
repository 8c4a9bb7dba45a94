#!/usr/bin/env bash
# Runs the official MCP conformance suite (server mode) against `connvo-mcp --demo --http`.
#
# Passes only if every in-scope scenario in conformance-baseline.json passes (no failure, no
# warning), every out-of-scope one still fails as expected (the suite calls a now-passing entry
# stale), every scenario that ran is classified, and the server then shuts down cleanly (exit 0).
# The suite needs Node 22, which npx fetches (`-p node@22`), so this runs on a Node 20 machine.
# Its own summary is followed by this script's one-line verdict, which is always the last line.
set -uo pipefail
cd "$(dirname "$0")/.."

BASELINE=conformance-baseline.json
HELPER=scripts/conformance-baseline.mjs

verdict() {
  echo "conformance: $*"
}

SUITE=$(node "$HELPER" suite "$BASELINE") || { verdict "FAILED (unreadable $BASELINE)"; exit 1; }
read -r IN_SCOPE OUT_OF_SCOPE < <(node "$HELPER" counts "$BASELINE")

# Build when dist/ is missing or older than the sources the bundle is made from.
if [ ! -f dist/cli.js ] || [ -n "$(find src package.json scripts/build.mjs -newer dist/cli.js -print -quit)" ]; then
  echo "== build"
  npm run build || { verdict "FAILED (build)"; exit 1; }
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== start: connvo-mcp --demo --http --port 0"
node dist/cli.js --demo --http --port 0 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 150); do
  url=$(sed -n 's#.*listening on \(http://[^ ]*/mcp\).*#\1#p' "$work/server.log" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$work/server.log" >&2
  verdict "FAILED (the server did not start)"
  exit 1
fi
echo "server: $url"

node "$HELPER" yaml "$BASELINE" >"$work/expected-failures.yml"

echo "== suite: $SUITE (expected failures: the outOfScope list in $BASELINE)"
npx -y -p node@22 -p "$SUITE" -- conformance server \
  --url "$url" \
  --expected-failures "$work/expected-failures.yml" \
  --output-dir "$work/results"
suite_status=$?

echo "== in-scope scenarios"
node "$HELPER" verify "$BASELINE" "$work/results"
verify_status=$?

kill -TERM "$server_pid"
wait "$server_pid"
server_status=$?
server_pid=""
if [ "$server_status" -ne 0 ]; then
  echo "server log:" && cat "$work/server.log"
fi

if [ "$suite_status" -eq 0 ] && [ "$verify_status" -eq 0 ] && [ "$server_status" -eq 0 ]; then
  verdict "PASSED: $IN_SCOPE in-scope scenarios passed, $OUT_OF_SCOPE out of scope (reasons in $BASELINE)"
  exit 0
fi
verdict "FAILED (suite exit $suite_status, in-scope check exit $verify_status, server exit $server_status)"
exit 1
