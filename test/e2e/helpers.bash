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

# wait_up_to SECONDS CMD...: retry CMD every 0.1 s until it succeeds, for up to SECONDS
wait_up_to() {
  local tries=$(($1 * 10)) i
  shift
  for ((i = 0; i < tries; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

# wait_until CMD...: wait_up_to 5 s, enough for anything on a machine that is not loaded
wait_until() { wait_up_to 5 "$@"; }

# never CMD...: CMD must fail. (A bare `! cmd` never fails a bats test: errexit ignores it.)
never() {
  if "$@"; then
    echo "expected to fail: $*" >&2
    return 1
  fi
}

BG_PIDS=()

# bg PROGRAM ARGS... [>FILE]: PROGRAM in the background with fd 3 closed (bats waits for
# fd 3 before it reports a test), its own pid in BG and in BG_PIDS for stop_bg. PROGRAM
# is a program, not a function: a backgrounded function is a subshell, and killing that
# leaves the program running, holding bats' output open until it ends on its own.
bg() {
  "$@" 3>&- &
  BG=$!
  BG_PIDS+=("$BG")
}

# wsbg ARGS... [>FILE]: the scriptable client, in the background as bg runs it
wsbg() { bg node "$ROOT/test/helpers/ws.mjs" "$@"; }

# stop_bg: ends every process bg started in this test (teardown calls it: a failed
# test leaves no client behind)
stop_bg() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  BG_PIDS=()
}

log_lines() { cat "$DATA/rooms/${1:-lobby}.log" 2>/dev/null; }

# Instances of `tailroom start` named A, B…, whose pids are in PID_<NAME> (twohosts.bats,
# gluster.bats start them).
# stop_instance NAME: stop it, by pid, with SIGKILL after 10 s
stop_instance() {
  local v="PID_$1" i
  local pid=${!v:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf -v "PID_$1" '%s' ''
}

# kill9_instance NAME: SIGKILL to websocketd's process group (websocketd and every
# handler) and to tailroom start: a host that lost power, as far as the files can tell.
kill9_instance() {
  local v="PID_$1"
  local pid=${!v} wsd
  wsd=$(pgrep -P "$pid" -x websocketd)
  [[ -n $wsd ]]
  kill -9 -- "-$wsd"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  printf -v "PID_$1" '%s' ''
}
