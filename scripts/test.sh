#!/usr/bin/env bash
# `npm test`: type-check every layer, enforce the layer table, then run the whole suite
# inside a private D-Bus session that has an unlocked gnome-keyring (keychain tests) and
# a notification daemon on a virtual display (desktop popup tests). Real parts, no mocks.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in xvfb-run dbus-run-session gnome-keyring-daemon notify-send dbus-monitor nats-server; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/lib/notification-daemon/notification-daemon ] || missing+=(notification-daemon)
# The PostgreSQL tests start a throwaway cluster with the server's own initdb (test/helpers/postgres-cluster.ts).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || [ -n "${HERALD_PG_BINDIR:-}" ] || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "npm test needs: ${missing[*]}"
  echo "install: sudo apt-get install xvfb xauth dbus-x11 gnome-keyring libsecret-1-dev libnotify-bin notification-daemon chromium nats-server postgresql"
  exit 1
fi

npm run --silent build
npm run --silent typecheck
npm run --silent lint:layers
exec xvfb-run -a dbus-run-session -- bash scripts/test-session.sh "$@"
