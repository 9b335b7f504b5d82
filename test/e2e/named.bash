# Named chatters for the end-to-end tests of commands, whispers and the CLI.
# Load after helpers (needs DATA, URL, ws).

# session NAME: write a session for NAME into the data dir; prints the Cookie value.
session() {
  local id now
  id=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  mkdir -p "$DATA/sessions"
  printf '{"name":"%s","color":"","created":"%s","seen":"%s"}\n' "$1" "$now" "$now" >"$DATA/sessions/$id"
  echo "tailroom_session=$id"
}

CLIENT_PIDS=()

# present NAME [SECONDS]: NAME connects to the lobby and stays (default 15 s) or until
# stopped; everything it receives goes to $DATA/NAME.out. Returns once welcomed.
present() {
  local name=$1 secs=${2:-15}
  # node itself, not the ws function: $! must be the client's pid, for stop_clients.
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --cookie "$(session "$name")" --out "$DATA/$name.out" --sleep "$((secs * 1000))" >/dev/null 3>&- &
  CLIENT_PIDS+=($!)
  wait_until grep -qs '"type":"welcome"' "$DATA/$name.out"
}

stop_clients() {
  local p
  for p in "${CLIENT_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${CLIENT_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  CLIENT_PIDS=()
}

# as NAME STEP...: a short-lived client named NAME running ws.mjs steps.
as() {
  local name=$1
  shift
  ws "$URL/lobby" --cookie "$(session "$name")" --wait '"type":"welcome"' "$@"
}

# received NAME: what NAME's long-lived client has received so far.
received() { cat "$DATA/$1.out"; }

# in_any_log TEXT: TEXT appears in some room log.
in_any_log() { cat "$DATA"/rooms/*.log 2>/dev/null | grep -qF -- "$1"; }

# logged TEXT: TEXT is in the lobby's log.
logged() { log_lines | grep -qF -- "$1"; }

# never CMD...: CMD must fail. (A bare `! cmd` never fails a bats test: errexit ignores it.)
never() {
  if "$@"; then
    echo "expected to fail: $*" >&2
    return 1
  fi
}
