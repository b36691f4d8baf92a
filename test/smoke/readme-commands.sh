#!/usr/bin/env bash
# Proves README's quick start on a clean clone: `npm install && npm start` serves the portal with demo data,
# and prints the URL and the admin token. Run by .ci/run after `npm test`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
# npm start runs the server as a grandchild, so signal the whole process group, not just npm.
stop() { [ -n "${pid:-}" ] && kill -TERM -- "-$pid" 2>/dev/null; wait "${pid:-}" 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT

git clone -q "$repo" "$work/onramp"
cd "$work/onramp"
npm install --no-audit --no-fund --prefer-offline >"$work/install.log" 2>&1 || { tail -40 "$work/install.log"; exit 1; }

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
PORT=$port setsid npm start >"$work/start.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  grep -q "Onramp listening on" "$work/start.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/start.log"; echo "npm start exited early"; exit 1; }
  sleep 1
done
grep -q "Onramp listening on http://127.0.0.1:$port" "$work/start.log" || { cat "$work/start.log"; echo "no URL printed"; exit 1; }
token=$(grep -m1 -o 'onr_admin_[A-Za-z0-9_-]*' "$work/start.log" || true)
[ -n "$token" ] || { cat "$work/start.log"; echo "no admin token printed"; exit 1; }
[ -f data/onramp.db ] || { echo "data/onramp.db was not created"; exit 1; }

# Read whole bodies before matching: `curl | grep -q` fails under pipefail when grep exits early.
home=$(curl -fsS "http://127.0.0.1:$port/")
grep -qi "<html" <<<"$home" || { echo "portal home not served"; exit 1; }
events=$(curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/events?limit=5")
grep -q '"uuid"' <<<"$events" || { echo "no demo events: $events"; exit 1; }
stop
# The server drains for up to 10 s after SIGTERM (graceful shutdown); it must be gone by then.
for _ in $(seq 1 20); do pgrep -f "$work/onramp/node_modules/" >/dev/null || break; sleep 0.5; done
pgrep -f "$work/onramp/node_modules/" >/dev/null && { echo "server still running 10 s after SIGTERM"; exit 1; }
pid=""
echo "readme-commands: 1 passed, 0 failed"
