#!/usr/bin/env bats
# End-to-end whispers as the server sees them (docs/design.md, "End-to-end whispers"):
# keys kept in presence and shown in users lists, ciphertext relayed as it is, a terminal
# shown a placeholder. The browsers' side is test/browser/e2e.test.ts.

setup() {
  load helpers
  load named
}

teardown() {
  stop_bg
  cleanup_server
}

# new_key: a raw uncompressed P-256 public key in standard base64, as a browser exports it
new_key() { node -e 'process.stdout.write(require("crypto").createECDH("prime256v1").generateKeys().toString("base64"))'; }
# b64 N: N random bytes in standard base64
b64() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('base64'))"; }
# as_regex TEXT: TEXT with base64's + and / matching themselves in a ws.mjs --wait
as_regex() { printf '%s' "$1" | sed 's/[+/]/\\&/g'; }

@test "keys reach the users lists; an e2e whisper is relayed as it is, and a terminal sees a placeholder" {
  start_server
  local akey bkey iv ct box
  akey=$(new_key)
  bkey=$(new_key)
  iv=$(b64 12)
  ct=$(b64 48)
  box="{\"v\":1,\"iv\":\"$iv\",\"ct\":\"$ct\"}"
  wsbg "$URL/lobby" --cookie "$(session bob)" --out "$DATA/bob.out" --wait welcome --send "{\"type\":\"key\",\"pub\":\"$bkey\"}" --sleep 15000 >/dev/null
  wsbg "$URL/lobby?format=text" --cookie "$(session carol)" --out "$DATA/carol.out" --sleep 15000 >/dev/null
  wait_until grep -qs 'welcome to lobby, carol' "$DATA/carol.out"
  wait_until grep -qsF "\"pub\":\"$bkey\"" "$DATA/users/lobby/bob/info"
  run as alice --send "{\"type\":\"key\",\"pub\":\"$akey\"}" \
    --wait "\"type\":\"users\".*\"name\":\"bob\",\"color\":\"[^\"]*\",\"pub\":\"$(as_regex "$bkey")\"" \
    --send '{"type":"key","pub":"BAAA"}' --wait '"code":"bad_request".*65 bytes' \
    --send "{\"type\":\"whisper\",\"to\":\"bob\",\"e2e\":$box}" --wait '"type":"whisper".*"to":"bob".*"e2e"' \
    --send "{\"type\":\"whisper\",\"to\":\"carol\",\"e2e\":$box}" --wait '"type":"whisper".*"to":"carol".*"e2e"' \
    --send '{"type":"whisper","to":"carol","text":"plain to carol"}' --wait '"type":"whisper".*"plain to carol"' \
    --send "{\"type\":\"whisper\",\"to\":\"bob\",\"text\":\"both\",\"e2e\":$box}" --wait '"code":"bad_request".*carries no' \
    --sleep 1500 # users lists come at most once a second: bob's next one, with alice's key, before she leaves
  assert_success
  # bob gets the box byte for byte, and alice's key in a users list.
  wait_until grep -qF "\"from\":\"alice\",\"to\":\"bob\",\"e2e\":$box" "$DATA/bob.out"
  wait_until grep -qF "\"pub\":\"$akey\"" "$DATA/bob.out"
  grep -qF "\"e2e\":$box" "$DATA/users/lobby/bob/inbox"
  # The terminal: a placeholder, never the ciphertext; a plain whisper as before.
  wait_until grep -qF 'alice -> carol: plain to carol' "$DATA/carol.out"
  grep -qF 'alice -> carol: (end-to-end encrypted whisper)' "$DATA/carol.out"
  run grep -cF -- "$ct" "$DATA/carol.out"
  assert_output 0
  # A key is no room event, and no whisper is.
  never in_any_log "$akey"
  never in_any_log "$ct"
}

@test "a changed key reaches those present; an e2e box past chat.max_message_bytes is refused" {
  start_server --set chat.max_message_bytes=200
  local k1 k2
  k1=$(new_key)
  k2=$(new_key)
  present alice
  run as bob --send "{\"type\":\"key\",\"pub\":\"$k1\"}" --wait "\"type\":\"users\".*\"pub\":\"$(as_regex "$k1")\"" \
    --send "{\"type\":\"key\",\"pub\":\"$k2\"}" --wait "\"type\":\"users\".*\"pub\":\"$(as_regex "$k2")\"" \
    --send "{\"type\":\"whisper\",\"to\":\"alice\",\"e2e\":{\"v\":1,\"iv\":\"$(b64 12)\",\"ct\":\"$(b64 120)\"}}" --wait '"type":"whisper".*"e2e"' \
    --send "{\"type\":\"whisper\",\"to\":\"alice\",\"e2e\":{\"v\":1,\"iv\":\"$(b64 12)\",\"ct\":\"$(b64 150)\"}}" --wait '"code":"too_long"'
  assert_success
  # The last key always arrives (two changes within a second may make one list).
  wait_until grep -qF "\"pub\":\"$k2\"" "$DATA/alice.out"
  # One whisper delivered: the one within the limit.
  run grep -c '"type":"whisper"' "$DATA/alice.out"
  assert_output 1
}
