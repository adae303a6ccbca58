#!/usr/bin/env bash
# Runs inside `xvfb-run dbus-run-session` (see test.sh): start the session's services, run vitest.
set -uo pipefail
# A keyring of its own for this run: a leftover login keyring with another password would prompt.
export XDG_DATA_HOME="$(mktemp -d)"
echo -n herald-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
/usr/lib/notification-daemon/notification-daemon &
daemon=$!
trap 'kill $daemon 2>/dev/null' EXIT
sleep 0.5
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
status=$?
# One plain closing line, the same in every runner's language.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
