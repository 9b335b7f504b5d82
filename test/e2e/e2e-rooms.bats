#!/usr/bin/env bats
# End-to-end rooms (e2e = true in rooms/<room>.ini) through the real websocketd and the
# built handler: plain text refused with e2e_required (a terminal gets a clear error),
# commands the server computes still run, a box is stored as it is, every reader shows
# "encrypted message", a delete blanks the box. The browsers' side: test/browser/e2eroom.test.ts.

setup() {
  load helpers
  load named
  start_server --set chat.rate_per_sec=0
  BASE="http://127.0.0.1:$PORT"
  mkdir -p "$DATA/rooms" && touch "$DATA/rooms/vault.log"
  tailroom room set vault --e2e --data-dir "$DATA" >/dev/null
}

teardown() {
  stop_bg
  cleanup_server
}

tailroom() { node "$ROOT/dist/tailroom.mjs" "$@"; }
b64() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('base64'))"; }
in_vault() { ws "$URL/vault" --cookie "$(session "$1")" --wait '"type":"welcome"' "${@:2}"; }

@test "tailroom room set --e2e; the welcome says e2e; a terminal's plain text is refused with a clear error, /dice still works" {
  grep -qx 'e2e = true' "$DATA/rooms/vault.ini"
  run ws "$URL/vault?format=text" --cookie "$(session tess)" --wait 'welcome to vault' \
    --send 'top SECRET words' --wait '!!! e2e_required: this room is end-to-end encrypted: use the chat page, which encrypts; a terminal cannot take part' \
    --send '/me SECRET waves' --wait '!!! e2e_required' \
    --send '/dice 2 6' --wait 'tess rolls 2d6'
  assert_success
  run in_vault alice --send '{"type":"msg","text":"SECRET json"}' --wait '"code":"e2e_required"'
  assert_success
  run ws "$URL/vault" --cookie "$(session bob)" --wait '"type":"welcome".*"e2e":true'
  assert_success
  run grep -c SECRET "$DATA/rooms/vault.log"
  assert_output 0
}

@test "a box is stored as it is; ?format=text, tailroom history and the history page say 'encrypted message'; a delete blanks the box" {
  local iv ct ct2 id
  iv=$(b64 12)
  ct=$(b64 48)
  ct2=$(b64 48)
  run in_vault alice --send "{\"type\":\"msg\",\"e2e\":{\"v\":1,\"iv\":\"$iv\",\"ct\":\"$ct\"}}" --wait '"type":"msg".*"e2e"'
  assert_success
  grep -qF "\"from\":\"alice\",\"color\":\"" "$DATA/rooms/vault.log"
  grep -qF "\"e2e\":{\"v\":1,\"iv\":\"$iv\",\"ct\":\"$ct\"}" "$DATA/rooms/vault.log"
  # An ordinary room takes no box: its history stays readable.
  run ws "$URL/lobby" --cookie "$(session alice)" --wait welcome --send "{\"type\":\"msg\",\"e2e\":{\"v\":1,\"iv\":\"$iv\",\"ct\":\"$ct\"}}" --wait '"code":"bad_request".*not end-to-end'
  assert_success
  run ws "$URL/vault?format=text" --cookie "$(session tess)" --wait 'alice> encrypted message'
  assert_success
  refute_output --partial "$ct"
  run tailroom history vault --data-dir "$DATA"
  assert_success
  assert_output --partial 'alice> encrypted message'
  refute_output --partial "$ct"
  run curl -s "$BASE/history?room=vault"
  assert_success
  assert_output --regexp '<li class="event msg e2e"[^>]*>.*alice</span> <span class="note">encrypted message</span>'
  refute_output --partial "$ct"
  refute_output --partial "${ct:0:20}"
  # Edit, then delete: both boxes blanked in the log, the same length.
  id=$(grep -F "$ct" "$DATA/rooms/vault.log" | grep -o '^{"id":"[^"]*"' | cut -d'"' -f4)
  [ -n "$id" ]
  run in_vault alice --send "{\"type\":\"edit\",\"ref\":\"$id\",\"e2e\":{\"v\":1,\"iv\":\"$iv\",\"ct\":\"$ct2\"}}" --wait '"type":"edit".*"e2e"' \
    --send "{\"type\":\"edit\",\"ref\":\"$id\",\"text\":\"plain edit\"}" --wait '"code":"e2e_required"'
  assert_success
  local size
  size=$(stat -c %s "$DATA/rooms/vault.log")
  run in_vault alice --send "{\"type\":\"delete\",\"ref\":\"$id\"}" --wait '"type":"delete"'
  assert_success
  wait_until sh -c "! grep -qF -- '$ct' '$DATA/rooms/vault.log' && ! grep -qF -- '$ct2' '$DATA/rooms/vault.log'"
  grep -qF "\"e2e\":{\"v\":1,\"iv\":\"$iv\",\"ct\":\"                                                                \"}" "$DATA/rooms/vault.log"
  [ "$(grep -c '"type":"delete"' "$DATA/rooms/vault.log")" -eq 1 ]
  [ "$(stat -c %s "$DATA/rooms/vault.log")" -gt "$size" ]
  run curl -s "$BASE/history?room=vault"
  assert_output --partial 'message deleted'
}
