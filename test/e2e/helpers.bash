# Shared setup for the end-to-end tests: a real websocketd on a free loopback port,
# a temp data dir, and the scriptable client test/helpers/ws.mjs.

ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)"
load "$ROOT/node_modules/bats-support/load"
load "$ROOT/node_modules/bats-assert/load"

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_server [extra tailroom start flags...]: sets PORT, DATA, SERVER_PID, URL.
# The STUN server stays off: it has a fixed port, and tests run servers side by side.
start_server() {
  DATA="${DATA_DIR:-$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom.XXXXXX")}"
  PORT="$(free_port)"
  URL="ws://127.0.0.1:$PORT"
  node "$ROOT/dist/tailroom.mjs" start --port "$PORT" --data-dir "$DATA" \
    --set chat.presence_stale_ms=3000 --set stun.enabled=false "$@" >"$DATA.server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    grep -q 'chat at' "$DATA.server.log" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$DATA.server.log" >&2
  return 1
}

stop_server() {
  [[ -n "${SERVER_PID:-}" ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

cleanup_server() {
  stop_server
  [[ -n "${DATA:-}" ]] && rm -rf "$DATA" "$DATA.server.log"
}

ws() { node "$ROOT/test/helpers/ws.mjs" "$@"; }

# handler_pids: pids of room handlers serving this test's data dir
handler_pids() {
  local p
  for p in $(pgrep -f "dist/room.cjs" || true); do
    [[ "$(cat /proc/$p/comm 2>/dev/null)" == node ]] || continue
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "$DATA" && echo "$p"
  done
  return 0
}

# wait_until CMD...: retry for up to 5 s
wait_until() {
  local i
  for i in $(seq 1 50); do "$@" && return 0; sleep 0.1; done
  return 1
}

log_lines() { cat "$DATA/rooms/${1:-lobby}.log" 2>/dev/null; }
