#!/usr/bin/env bats
# Edit and delete through the real websocketd and the built handler: who may, what every
# reader shows afterwards, and that a deleted text is gone from the disk.

setup() {
  load helpers
  load named
  start_server --set chat.rate_per_sec=0
}

teardown() {
  stop_bg
  cleanup_server
}

tailroom() { node "$ROOT/dist/tailroom.mjs" "$@"; }

# msg_id TEXT: the id of the lobby msg whose text is TEXT
msg_id() { log_lines | grep -F "\"type\":\"msg\"" | grep -F "\"text\":\"$1\"" | grep -o '^{"id":"[^"]*"' | cut -d'"' -f4; }

# said NAME TEXT: NAME says TEXT (and sees it come back); prints its id
said() {
  as "$1" --send "$2" --wait "\"text\":\"$2\"" >/dev/null
  msg_id "$2"
}

edit_of() { printf '{"type":"edit","ref":"%s","text":"%s"}' "$1" "$2"; }
delete_of() { printf '{"type":"delete","ref":"%s"}' "$1"; }

@test "the author edits a message: everyone gets the edit, the log keeps both" {
  present bob
  id=$(said alice "first draft")
  [ -n "$id" ]
  run as alice --send "$(edit_of "$id" "final text")" --wait '"type":"edit".*"text":"final text"'
  assert_success
  wait_until grep -qs "\"type\":\"edit\",\"from\":\"alice\",\"ref\":\"$id\",\"text\":\"final text\"" "$DATA/bob.out"
  logged '"text":"first draft"'
  [ "$(log_lines | grep -c '"type":"edit"')" -eq 1 ]
}

@test "someone else's message cannot be edited or deleted: not_yours, nothing logged" {
  id=$(said alice "mine alone")
  run as bob --send "$(edit_of "$id" "hijacked")" --wait '"code":"not_yours"' --send "$(delete_of "$id")" --wait '"code":"not_yours"' --send 'marker-done' --wait 'marker-done'
  assert_success
  ! logged '"type":"edit"'
  ! logged '"type":"delete"'
  logged '"text":"mine alone"'
}

@test "an unknown id, a join's id, a malformed ref and an empty edit are refused" {
  said alice "hello" >/dev/null
  join_id=$(log_lines | grep '"type":"join"' | head -1 | grep -o '^{"id":"[^"]*"' | cut -d'"' -f4)
  unknown=$(node -e 'process.stdout.write(Date.now().toString(36).padStart(9,"0")+"-zz999-0")')
  id=$(msg_id hello)
  run as alice \
    --send "$(edit_of "$unknown" "x")" --wait '"code":"no_such_message"' \
    --send "$(delete_of "$join_id")" --wait '"code":"no_such_message".*not a chat message' \
    --send '{"type":"edit","ref":"../../etc","text":"x"}' --wait '"code":"bad_request"' \
    --send "$(edit_of "$id" "   ")" --wait '"code":"bad_request".*needs some text'
  assert_success
  ! logged '"type":"edit"'
  ! logged '"type":"delete"'
}

@test "the author deletes a message: the delete is logged, the text is blanked on disk, a second delete finds nothing" {
  present bob
  id=$(said alice $'oops caf\u00e9 secret')
  as alice --send "$(edit_of "$id" "edited secret too")" --wait '"type":"edit"' >/dev/null
  size=$(stat -c %s "$DATA/rooms/lobby.log")
  msg_len=$(log_lines | grep "^{\"id\":\"$id\"" | wc -c)
  edit_len=$(log_lines | grep "\"type\":\"edit\".*\"ref\":\"$id\"" | wc -c)
  run as alice --send "$(delete_of "$id")" --wait "\"type\":\"delete\",\"from\":\"alice\",\"ref\":\"$id\"" \
    --send "$(delete_of "$id")" --wait '"code":"no_such_message".*was deleted' \
    --send "$(edit_of "$id" "back again")" --wait '"code":"no_such_message"'
  assert_success
  wait_until grep -qs "\"type\":\"delete\".*\"ref\":\"$id\"" "$DATA/bob.out"
  ! grep -rq 'secret' "$DATA/rooms"
  # Blanked in place: the lines are still there, as long as before, id and author kept; the log has only grown.
  log_lines | grep -q "^{\"id\":\"$id\".*\"from\":\"alice\".*\"text\":\" *\"}$"
  [ "$(log_lines | grep "^{\"id\":\"$id\"" | wc -c)" -eq "$msg_len" ]
  [ "$(log_lines | grep "\"type\":\"edit\".*\"ref\":\"$id\"" | wc -c)" -eq "$edit_len" ]
  [ "$(stat -c %s "$DATA/rooms/lobby.log")" -gt "$size" ]
  log_lines | node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(Boolean).forEach((l)=>JSON.parse(l))'
}

@test "replay and ?since carry the edit and the delete after the msg; ?format=text shows the latest" {
  before=$(said carol "before it all")
  id=$(said alice "draft one")
  gone=$(said alice "to be removed")
  as alice --send "$(edit_of "$id" "draft two")" --wait '"type":"edit"' --send "$(delete_of "$gone")" --wait '"type":"delete"' >/dev/null
  run ws "$URL/lobby" --cookie "$(session dave)" --wait '"type":"welcome"' --wait '"type":"delete".*"replay":true'
  assert_success
  replay=$(printf '%s\n' "$output" | grep '"replay":true')
  printf '%s\n' "$replay" | grep -n "\"id\":\"$id\"" | cut -d: -f1 >"$DATA/at_msg"
  printf '%s\n' "$replay" | grep -n "\"type\":\"edit\".*\"ref\":\"$id\"" | cut -d: -f1 >"$DATA/at_edit"
  [ "$(cat "$DATA/at_msg")" -lt "$(cat "$DATA/at_edit")" ]
  run ws "$URL/lobby?since=$before" --cookie "$(session erin)" --wait '"type":"welcome"' --wait "\"type\":\"delete\".*\"ref\":\"$gone\""
  assert_success
  printf '%s\n' "$output" | grep -q "\"type\":\"edit\".*\"ref\":\"$id\".*\"text\":\"draft two\""
  run ws "$URL/lobby?format=text" --cookie "$(session frank)" --wait 'alice> \(edited\) draft two' --wait 'alice: message deleted'
  assert_success
  ! printf '%s\n' "$output" | grep -q 'draft one'
  ! printf '%s\n' "$output" | grep -q 'to be removed'
}

@test "tailroom delete: an admin deletes anyone's message, in the log and in a rotated segment; tail shows the latest" {
  id=$(said alice "rotated secret")
  kept=$(said bob "kept words")
  as bob --send "$(edit_of "$kept" "kept words, edited")" --wait '"type":"edit"' >/dev/null
  mv "$DATA/rooms/lobby.log" "$DATA/rooms/lobby.log-20261120"
  said bob "after rotation" >/dev/null
  run tailroom delete lobby "$id" --json --data-dir "$DATA"
  assert_success
  [ "$output" = "{\"room\":\"lobby\",\"ref\":\"$id\",\"logged\":true,\"redacted\":true}" ]
  grep -q "\"type\":\"delete\",\"from\":\"admin\",\"ref\":\"$id\"" "$DATA/rooms/lobby.log"
  ! grep -rq 'rotated secret' "$DATA"
  run tailroom history lobby --data-dir "$DATA"
  assert_success
  printf '%s\n' "$output" | grep -q 'alice: message deleted'
  printf '%s\n' "$output" | grep -q 'bob> (edited) kept words, edited'
  run tailroom delete lobby "$(node -e 'process.stdout.write(Date.now().toString(36).padStart(9,"0")+"-zz999-0")')" --data-dir "$DATA"
  assert_failure
}
