#!/usr/bin/env bash
# Proves README's quick start on a clean clone: runs the start command exactly as the README writes it, checks
# that it prints what the README shows (the URL and the admin token), and that the portal, the reports page and
# the demo data are served. Run by .ci/run after `npm test`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
# npm start runs the server as a grandchild, so signal the whole process group, not just npm.
stop() { [ -n "${pid:-}" ] && kill -TERM -- "-$pid" 2>/dev/null; wait "${pid:-}" 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT
fail() { echo "readme-commands: $*"; exit 1; }

readme="$repo/README.md"
# The first two ```sh blocks of the README are its two commands: start, then test.
mapfile -t commands < <(awk '/^```sh$/ { inblock = 1; next } /^```/ { inblock = 0 } inblock' "$readme")
[ "${commands[0]:-}" = "npm install && npm start" ] || fail "README's first command is '${commands[0]:-}', not 'npm install && npm start'"
[ "${commands[1]:-}" = "npm test" ] || fail "README's second command is '${commands[1]:-}', not 'npm test'"
# What the README says `npm start` prints, with its default port.
listening_line=$(grep -m1 '^Onramp listening on http://127.0.0.1:8787$' "$readme") || fail "README does not show the 'Onramp listening on' line"
token_prefix=$(grep -m1 -o '^Admin token (generated for this run; set ONRAMP_ADMIN_TOKEN to keep one): ' "$readme") ||
  fail "README does not show the generated admin token line"

git clone -q "$repo" "$work/onramp"
cd "$work/onramp"
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# The README's command as written; npm settings only make the install quieter and use the local cache.
PORT=$port npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false \
  setsid bash -c "${commands[0]}" >"$work/start.log" 2>&1 &
pid=$!
# Install (which may compile better-sqlite3), build and start share this wait.
for _ in $(seq 1 1800); do
  grep -q "Onramp listening on" "$work/start.log" && break
  kill -0 "$pid" 2>/dev/null || { tail -60 "$work/start.log"; fail "'${commands[0]}' exited early"; }
  sleep 1
done
grep -qxF "${listening_line/8787/$port}" "$work/start.log" || { tail -60 "$work/start.log"; fail "no '${listening_line/8787/$port}' line"; }
token=$(grep -m1 -F "$token_prefix" "$work/start.log" | grep -o 'onr_admin_[A-Za-z0-9_-]*' || true)
[ -n "$token" ] || { tail -60 "$work/start.log"; fail "no admin token printed as the README shows"; }
[ -f data/onramp.db ] || fail "data/onramp.db was not created"

# Read whole bodies before matching: `curl | grep -q` fails under pipefail when grep exits early.
home=$(curl -fsS "http://127.0.0.1:$port/")
grep -qi "<html" <<<"$home" || fail "portal home not served"
reports=$(curl -fsSL "http://127.0.0.1:$port/reports/")
grep -qi "<html" <<<"$reports" || fail "reports page not served"
events=$(curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/events?limit=5")
grep -q '"uuid"' <<<"$events" || fail "no demo events: $events"
stop
# The server drains for up to 10 s after SIGTERM (graceful shutdown); it must be gone by then.
for _ in $(seq 1 20); do pgrep -f "$work/onramp/node_modules/" >/dev/null || break; sleep 0.5; done
pgrep -f "$work/onramp/node_modules/" >/dev/null && fail "server still running 10 s after SIGTERM"
pid=""
echo "readme-commands: 1 passed, 0 failed"
