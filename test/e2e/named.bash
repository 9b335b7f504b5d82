# Named chatters for the end-to-end tests of commands, whispers and the CLI.
# Load after helpers (needs DATA, URL, ws, wsbg, wait_until).

# session NAME: write a session for NAME into the data dir; prints the Cookie value.
session() {
  local id now
  id=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  mkdir -p "$DATA/sessions"
  printf '{"name":"%s","color":"","created":"%s","seen":"%s"}\n' "$1" "$now" "$now" >"$DATA/sessions/$id"
  echo "tailroom_session=$id"
}

# present NAME [SECONDS]: NAME connects to the lobby and stays (default 15 s) or until
# stopped; everything it receives goes to $DATA/NAME.out. Returns once welcomed.
present() {
  local name=$1 secs=${2:-15}
  wsbg "$URL/lobby" --cookie "$(session "$name")" --out "$DATA/$name.out" --sleep "$((secs * 1000))" >/dev/null
  wait_until grep -qs '"type":"welcome"' "$DATA/$name.out"
}

# as NAME STEP...: a short-lived client named NAME running ws.mjs steps.
as() {
  local name=$1
  shift
  ws "$URL/lobby" --cookie "$(session "$name")" --wait '"type":"welcome"' "$@"
}

# in_any_log TEXT: TEXT appears in some room log.
in_any_log() { cat "$DATA"/rooms/*.log 2>/dev/null | grep -qF -- "$1"; }

# logged TEXT: TEXT is in the lobby's log.
logged() { log_lines | grep -qF -- "$1"; }

# A check that something did NOT reach a chatter cannot wait a fixed time: slow delivery
# would pass it. The sender ends its script with a marker instead, sent down both roads
# a stray line could take (the room log and the listener's inbox); once the listener has
# both, whatever the sender sent before has arrived, or never will.

# new_marker: sets MARKER to a text nobody has said yet
new_marker() { MARKER="marker-$RANDOM$RANDOM"; }

# mark_for NAME: new_marker, and MARK: the ws.mjs steps that whisper it to NAME and say it
# to the room, each waiting for its echo. Put "${MARK[@]}" last in the sender's steps.
mark_for() {
  new_marker
  MARK=(--send "/msg $1 $MARKER" --wait "\"type\":\"whisper\".*\"text\":\"$MARKER\""
    --send "$MARKER" --wait "\"type\":\"msg\".*\"text\":\"$MARKER\"")
}

# got_marker NAME: NAME's long-lived client has received MARKER down both roads
got_marker() { [ "$(grep -c "\"text\":\"$MARKER\"" "$DATA/$1.out")" -ge 2 ]; }
