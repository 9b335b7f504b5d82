#!/usr/bin/env bats
# Whispers and WebRTC signaling: private by construction (docs/design.md, sections 2 and 4).
# alice speaks, bob is addressed, carol is the third chatter who must see nothing.

setup() {
  load helpers
  load named
}

teardown() {
  stop_bg
  cleanup_server
}

# never_leaked TEXT: carol never got it, and no room log holds it. Call it once carol
# has the marker the sender sent after TEXT (got_marker carol).
never_leaked() {
  never grep -qF -- "$1" "$DATA/carol.out"
  never in_any_log "$1"
}

@test "a whisper reaches its addressee and the sender's echo only, and is never logged" {
  start_server
  present bob
  present carol
  mark_for carol
  run as alice --send '{"type":"whisper","to":"bob","text":"json secret"}' --wait '"type":"whisper".*"json secret"' \
    --send '/msg bob slash secret' --wait '"type":"whisper".*"slash secret"' "${MARK[@]}"
  assert_success
  assert_output --partial '"from":"alice","to":"bob","text":"json secret"'
  wait_until grep -q 'slash secret' "$DATA/bob.out"
  grep -q '"type":"whisper".*"from":"alice","to":"bob","text":"json secret"' "$DATA/bob.out"
  grep -q 'json secret' "$DATA/users/lobby/bob/inbox"
  wait_until got_marker carol
  never_leaked 'json secret'
  never_leaked 'slash secret'
  never grep -q secret "$DATA/users/lobby/carol/inbox"
}

@test "a whisper is not replayed as history to a newcomer" {
  start_server
  present bob
  run as alice --send '/msg bob not for later' --wait '"type":"whisper"'
  assert_success
  # dave's own join is the last line of his history: all of it has arrived by then.
  run as dave --wait '"type":"join","from":"dave".*"replay":true'
  assert_success
  refute_output --partial 'not for later'
}

@test "\"bob: hi\" whispers to a present bob; to an absent bob it is a public message" {
  start_server
  present bob
  present carol
  mark_for carol
  run as alice --send 'bob: hi there' --wait '"type":"whisper".*"to":"bob"' --send 'zed: anyone seen zed?' --wait '"type":"msg".*zed: anyone seen zed' \
    "${MARK[@]}"
  assert_success
  wait_until grep -q '"text":"hi there"' "$DATA/bob.out"
  wait_until got_marker carol
  never_leaked 'hi there'
  grep -q 'zed: anyone seen zed' "$DATA/carol.out"
  log_lines | grep -q '"type":"msg","from":"alice".*"text":"zed: anyone seen zed?"'
}

@test "a whisper or signal to somebody absent is no_such_user, and nothing is written" {
  start_server
  run as alice --send '/msg zed hello' --wait '"code":"no_such_user"' \
    --send '{"type":"whisper","to":"zed","text":"x"}' --wait '"code":"no_such_user"' \
    --send '{"type":"signal","to":"zed","data":{"type":"offer"}}' --wait '"code":"no_such_user"' \
    --send '{"type":"whisper","to":"../../../tmp","text":"x"}' --wait '"code":"no_such_user"' \
    --send 'still here' --wait '"text":"still here"'
  assert_success
  [ ! -e "$DATA/users/lobby/zed" ]
  [ "$(ls "$DATA/users/lobby" | grep -v '^\.' || true)" = "" ]
}

@test "a WebRTC signal reaches only its addressee, with the sender's name, and is never logged" {
  start_server
  present bob
  present carol
  offer='{"type":"signal","to":"bob","data":{"type":"offer","sdp":"v=0 o=- 4611731400430051336 2 IN IP4 127.0.0.1 sigmark"}}'
  ice='{"type":"signal","to":"bob","data":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host icemark","sdpMid":"0"}}'
  mark_for carol
  run as alice --send "$offer" --send "$ice" "${MARK[@]}"
  assert_success
  refute_output --partial sigmark # no echo of signaling to the sender
  wait_until grep -q icemark "$DATA/bob.out"
  grep -q '"type":"signal".*"from":"alice","data":{"type":"offer","sdp":"v=0 .*sigmark"}' "$DATA/bob.out"
  wait_until got_marker carol
  never_leaked sigmark
  never_leaked icemark
}

@test "signaling: data must be an object under the size limit, and has its own rate limit" {
  start_server --set chat.max_signal_bytes=200 --set chat.signal_rate_per_sec=1 --set chat.signal_rate_burst=3
  present bob
  big=$(head -c 300 /dev/zero | tr '\0' a)
  args=(--send '{"type":"signal","to":"bob","data":"just a string"}' --wait '"code":"bad_request"'
    --send "{\"type\":\"signal\",\"to\":\"bob\",\"data\":{\"sdp\":\"$big\"}}" --wait '"code":"too_long"')
  for i in 1 2 3 4 5; do args+=(--send "{\"type\":\"signal\",\"to\":\"bob\",\"data\":{\"n\":$i}}"); done
  mark_for bob
  run as alice "${args[@]}" --wait '"code":"rate_limited".*signal' --send 'chat is still fine' --wait '"text":"chat is still fine"' "${MARK[@]}"
  assert_success
  wait_until got_marker bob
  never grep -q "$big" "$DATA/bob.out"
  n=$(grep -c '"type":"signal"' "$DATA/bob.out" || true)
  [ "$n" -ge 1 ] && [ "$n" -lt 5 ]
}

@test "a status (what a page connects for) reaches the others, or its one addressee, and is never logged" {
  start_server
  present bob
  present carol
  run as alice --send '{"type":"status","call":true,"preview":false}' --send '{"type":"status","to":"bob","call":false,"preview":true}' \
    --send '{"type":"status","call":"yes","preview":false}' --wait '"code":"bad_request"' \
    --send '{"type":"status","to":"zed","call":true,"preview":true}' --wait '"code":"no_such_user"' \
    --send 'done' --wait '"text":"done"'
  assert_success
  refute_output --partial '"type":"status"' # nothing back to the sender
  wait_until grep -q '"type":"status","from":"alice","call":false,"preview":true' "$DATA/bob.out"
  grep -q '"type":"status","from":"alice","call":true,"preview":false' "$DATA/bob.out"
  wait_until grep -q '"type":"status","from":"alice","call":true,"preview":false' "$DATA/carol.out"
  sleep 0.3
  never grep -q '"preview":true' "$DATA/carol.out"
  never in_any_log '"status"'
}

@test "status messages share the signaling rate limit" {
  start_server --set chat.signal_rate_per_sec=1 --set chat.signal_rate_burst=3
  present bob
  args=()
  for i in 1 2 3 4 5 6; do args+=(--send '{"type":"status","call":true,"preview":false}'); done
  run as alice "${args[@]}" --wait '"code":"rate_limited".*signal' --send 'chat is still fine' --wait '"text":"chat is still fine"'
  assert_success
  n=$(grep -c '"type":"status"' "$DATA/bob.out" || true)
  [ "$n" -ge 1 ] && [ "$n" -lt 6 ]
}

@test "the inbox goes with the presence when its chatter leaves" {
  start_server
  wsbg "$URL/lobby" --cookie "$(session bob)" --wait welcome --sleep 1500 >"$DATA/bob.out"
  bob=$BG
  wait_until grep -qs welcome "$DATA/bob.out"
  run as alice --send '/msg bob before leaving' --wait '"type":"whisper"'
  assert_success
  [ -s "$DATA/users/lobby/bob/inbox" ]
  wait "$bob"
  wait_until bash -c "[ ! -e '$DATA/users/lobby/bob' ]"
  run as alice --send '/msg bob after leaving' --wait '"code":"no_such_user"'
  assert_success
  never grep -rqs 'after leaving' "$DATA/users"
}
