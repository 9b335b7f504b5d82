#!/usr/bin/env bats
# What chatters send, through the real websocketd and handler: control characters in
# text, lines a message might forge, room names in URLs, the STUN host in the welcome,
# and the inbox cap with its rotation.

setup() {
  load helpers
  load named
}

teardown() {
  stop_bg
  cleanup_server
}

tailroom() { node "$ROOT/dist/tailroom.mjs" "$@"; }

@test "a message with ESC, CR or a bidi override is refused with bad_request and never logged" {
  start_server
  run ws "$URL/lobby" --wait welcome \
    --send '{"type":"msg","text":"red \u001b[31malert"}' --wait 'U\+001B is not allowed' \
    --send "$(printf 'typed\033]0;title\007')" --wait 'U\+001B is not allowed' \
    --send "$(printf 'one\rtwo')" --wait 'U\+000D is not allowed' \
    --send '{"type":"msg","text":"evil\u202etxt.exe"}' --wait 'U\+202E is not allowed' \
    --send '{"type":"whisper","to":"Anonymous","text":"\u009b2J"}' --wait 'U\+009B is not allowed' \
    --send 'still here' --wait '"text":"still here"'
  assert_success
  [ "$(grep -c '"code":"bad_request"' <<<"$output")" -eq 5 ]
  never grep -qE 'alert|title|two|txt.exe' "$DATA/rooms/lobby.log"
  never grep -q $'\e' "$DATA/rooms/lobby.log"
  # A typed line's own CR (a terminal's CR LF) is its end, not its text.
  run ws "$URL/lobby" --wait welcome --send $'typed with crlf\r' --wait '"text":"typed with crlf"'
  assert_success
  refute_output --partial 'not allowed'
}

@test "?format=text indents a multi-line message's continuation, so it cannot forge a line" {
  start_server
  run ws "$URL/lobby?format=text" --wait welcome \
    --send '{"type":"msg","text":"hi\n[12:00:00] *** alice is now known as admin\ncode\tblock"}' --wait 'code'
  assert_success
  assert_output --regexp '(^|'$'\n'')\[[0-9:]{8}\] Anonymous> hi'$'\n''    \[12:00:00\] \*\*\* alice is now known as admin'$'\n''    code'$'\t''block'
  refute_line --regexp '^\[12:00:00\]'
  # The log keeps the message as sent: one JSON line with the newlines escaped.
  [ "$(grep -c 'known as admin' "$DATA/rooms/lobby.log")" -eq 1 ]
  grep -qF '"text":"hi\n[12:00:00] *** alice' "$DATA/rooms/lobby.log"
}

@test "an old log line holding ESC or CR is shown escaped by tail, history, connect and ?format=text" {
  start_server
  mkdir -p "$DATA/rooms"
  printf '%s\n' '{"id":"00000000a-1-1","t":"2026-01-01T12:00:00.000Z","type":"msg","from":"old","color":"#123456","text":"\u001b[2J\u001b]0;pwned\u0007gone\rover\nnext"}' >"$DATA/rooms/lobby.log"
  for verb in tail history; do
    run tailroom "$verb" lobby --data-dir "$DATA"
    assert_success
    never grep -q $'[\e\r\a]' <<<"$output"
    assert_output --partial 'old> <U+001B>[2J<U+001B>]0;pwned<U+0007>gone<U+000D>over'
    assert_output --partial $'\n    next'
  done
  run ws "$URL/lobby?format=text" --wait 'next'
  assert_success
  never grep -q $'[\e\r\a]' <<<"$output"
  assert_output --partial '<U+001B>[2J'
  run timeout 10 node "$ROOT/dist/tailroom.mjs" connect "$URL/lobby" --data-dir "$DATA" </dev/null
  never grep -q $'[\e\r\a]' <<<"$output"
  assert_output --partial '<U+001B>[2J'
}

@test "a room name is decoded once from the raw path: %2F and %0A are refused, %25 is a per cent sign" {
  start_server
  for path in 'a%2Fb' 'ab%0Acd' 'what%3F' '%252e%252e/x%2F'; do
    run ws "$URL/$path" --wait '"type":"error"'
    echo "$path: $output"
    assert_output --partial '"code":"bad_request"'
    refute_output --partial welcome
  done
  [ -z "$(ls "$DATA/rooms")" ]
  [ -z "$(ls "$DATA/users")" ]
  run ws "$URL/100%25off" --wait welcome
  assert_success
  assert_output --partial '"room":"100%off"'
  [ -f "$DATA/rooms/100%off.log" ]
  run ws "$URL/caf%C3%A9" --wait welcome
  assert_output --partial '"room":"café"'
  # Decoded once: %2525 is the room "%25", not "%".
  run ws "$URL/x%2525" --wait welcome
  assert_output --partial '"room":"x%25"'
}

@test "with no ice_servers set, the welcome names the host the browser used for STUN" {
  start_server --set stun.port=3478
  run ws "ws://localhost:$PORT/lobby" --wait welcome
  assert_success
  assert_output --partial '"iceServers":[{"urls":"stun:localhost:3478"}]'
  run ws "ws://127.0.0.1:$PORT/lobby" --wait welcome
  assert_output --partial '"iceServers":[{"urls":"stun:127.0.0.1:3478"}]'
}

# whispers N PREFIX [SLEEP_MS]: ws.mjs steps whispering bob N numbered texts, each
# awaited (delivered or refused), SLEEP_MS apart
whispers() {
  local i
  STEPS=()
  for ((i = 1; i <= $1; i++)); do
    STEPS+=(--send "/msg bob $2-$i $(printf 'x%.0s' $(seq 1 150))" --wait "$2-$i|inbox_full")
    [[ -z ${3:-} ]] || STEPS+=(--sleep "$3")
  done
}

@test "a flood of whispers to one chatter stops at chat.max_inbox_bytes with inbox_full; what got in arrives" {
  start_server --set chat.max_inbox_bytes=4096 --set chat.inbox_rotate_bytes=1000000 \
    --set chat.rate_per_sec=1000 --set chat.rate_burst=1000
  present bob 90
  whispers 40 flood
  run as alice "${STEPS[@]}" --timeout 10000
  assert_success
  assert_output --partial '"code":"inbox_full"'
  assert_output --partial 'bob has 4096 bytes unread waiting already'
  local sent
  sent=$(grep -c '"type":"whisper".*"from":"alice"' <<<"$output")
  [ "$sent" -ge 10 ] && [ "$sent" -lt 40 ]
  [ "$(stat -c %s "$DATA/users/lobby/bob/inbox")" -le 4096 ]
  # bob got exactly what was accepted, in order.
  wait_until [ "$(grep -c '"type":"whisper"' "$DATA/bob.out")" -eq "$sent" ]
  diff <(grep -o 'flood-[0-9]*' <<<"$(grep '"type":"whisper"' <<<"$output")") <(grep -o 'flood-[0-9]*' "$DATA/bob.out")
  # A signal is capped the same way.
  run as alice --send '{"type":"signal","to":"bob","data":{"sdp":"x"}}' --wait inbox_full
  assert_success
}

@test "a chatter who reads its inbox rotates it: a long flood all arrives and the inbox stays small" {
  start_server --set chat.max_inbox_bytes=4096 --set chat.inbox_rotate_bytes=1024 \
    --set chat.rate_per_sec=1000 --set chat.rate_burst=1000
  present bob 90
  whispers 60 rot 20
  run as alice "${STEPS[@]}" --timeout 20000
  assert_success
  refute_output --partial inbox_full
  # 60 whispers of ~250 bytes: far past the cap, had the inbox not been emptied.
  wait_until [ "$(grep -c '"type":"whisper"' "$DATA/bob.out")" -eq 60 ]
  diff <(seq -f 'rot-%g' 1 60) <(grep -o 'rot-[0-9]*' "$DATA/bob.out")
  [ "$(stat -c %s "$DATA/users/lobby/bob/inbox")" -lt 2048 ]
  # And it is still bob's inbox: a whisper after the rotations arrives.
  run as alice --send '/msg bob after-rotation' --wait '"text":"after-rotation"'
  wait_until grep -q after-rotation "$DATA/bob.out"
}
