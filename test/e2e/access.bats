#!/usr/bin/env bats
# Closed rooms and registered names through the real websocketd and the built handler:
# a chatter without access is refused before it joins (docs/design.md, access), a
# registered name is only for whoever proved it, and the operators' commands.

setup_file() {
  # Hashes are slow (scrypt): made once, with the project's own code.
  local js
  js=$(
    cat <<'JS'
const { hashPassword, sealOf } = await import('./src/store/passwords.ts');
for (const [v, p] of [['KEY1', 'first-room-key'], ['KEY2', 'second-room-key'], ['BOBPW', 'bob-password'], ['BOBPW2', 'bob-password-2']]) {
  const h = await hashPassword(p);
  console.log(`export ${v}='${h}' ${v}_SEAL='${sealOf(h)}'`); // a hash holds $ signs
}
JS
  )
  eval "$(cd "$BATS_TEST_DIRNAME/../.." && node --import tsx --input-type=module -e "$js")"
}

setup() {
  load helpers
  load named
  start_server
  mkdir -p "$DATA/rooms" "$DATA/names"
}

teardown() {
  stop_bg
  cleanup_server
}

# session_with NAME JSON: a session for NAME holding JSON's fields too (a proof, grants), as
# the pages write one; prints the Cookie value.
session_with() {
  local id now
  id=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  mkdir -p "$DATA/sessions"
  node -e 'const [n, now, extra] = process.argv.slice(1); console.log(JSON.stringify({ name: n, color: "", created: now, seen: now, ...JSON.parse(extra) }))' \
    "$1" "$now" "$2" >"$DATA/sessions/$id"
  echo "tailroom_session=$id"
}

room_ini() { printf '%s\n' "${@:2}" >"$DATA/rooms/$1.ini"; }
register_bob() { printf '{"hash":"%s","created":"2024-01-01T00:00:00.000Z"}\n' "${1:-$BOBPW}" >"$DATA/names/bob"; }
you() { grep '"type":"welcome"' | head -1 | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).you.name)'; }

# refused ROOM COOKIE REASON: the connection gets error forbidden (REASON), then is closed;
# nothing of the room was sent, nothing logged, no presence.
refused() {
  local before
  before=$(cat "$DATA/rooms/$1.log" 2>/dev/null | wc -l)
  run ws "$URL/$1" --cookie "$2" --timeout 4000 --wait '"code":"forbidden"' --wait 'never sent'
  assert_failure
  assert_output --partial "$3"
  assert_output --partial 'closed while waiting'
  refute_output --partial '"type":"welcome"'
  refute_output --partial 'earlier secret'
  [ "$(cat "$DATA/rooms/$1.log" 2>/dev/null | wc -l)" -eq "$before" ] # no join, nothing at all
  [ -z "$(ls -A "$DATA/users/$1" 2>/dev/null)" ]
}

@test "a password room refuses a chatter without a grant before it joins; the right grant gets in" {
  room_ini den "key = $KEY1"
  printf '{"id":"00000000a-x-0","t":"2024-01-01T00:00:00.000Z","type":"msg","from":"x","color":"#000000","text":"earlier secret"}\n' >"$DATA/rooms/den.log"
  refused den "$(session bob)" 'needs a password'
  refused den "$(session_with bob "{\"grants\":{\"attic\":\"$KEY1_SEAL\"}}")" 'needs a password' # another room's grant
  run ws "$URL/den" --cookie "$(session_with bob "{\"grants\":{\"den\":\"$KEY1_SEAL\"}}")" --wait '"type":"welcome"' --wait 'earlier secret'
  assert_success
  # the key changes: the grant made under the old one is void
  room_ini den "key = $KEY2"
  refused den "$(session_with bob "{\"grants\":{\"den\":\"$KEY1_SEAL\"}}")" 'needs a password'
  run ws "$URL/den" --cookie "$(session_with bob "{\"grants\":{\"den\":\"$KEY2_SEAL\"}}")" --wait '"type":"welcome"'
  assert_success
}

@test "a settings file with errors closes the room to everyone, its operators too" {
  register_bob
  room_ini den 'operators = bob' 'visibility = secret'
  refused den "$(session bob)" 'settings file has errors'
  refused den "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW_SEAL\"}}")" 'settings file has errors'
}

@test "a private room admits a member with proof and a grant holder, not an outsider or a member without proof" {
  register_bob
  room_ini den 'visibility = private' 'members = bob'
  refused den "$(session carol)" 'private'
  refused den "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW2_SEAL\"}}")" 'private' # proof of an older password
  run ws "$URL/den" --cookie "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW_SEAL\"}}")" --wait '"type":"welcome"'
  assert_success
  [ "$(you <<<"$output")" = bob ]
  run ws "$URL/den" --cookie "$(session_with carol '{"grants":{"den":""}}')" --wait '"type":"welcome"'
  assert_success
}

@test "a registered name: bob1 for another session or an old proof, bob for the proof; free again once unregistered" {
  register_bob "$BOBPW2"
  run as bob
  [ "$(you <<<"$output")" = bob1 ]
  run ws "$URL/lobby" --cookie "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW_SEAL\"}}")" --wait '"type":"welcome"'
  [ "$(you <<<"$output")" = bob1 ]
  run ws "$URL/lobby" --cookie "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW2_SEAL\"}}")" --wait '"type":"welcome"'
  [ "$(you <<<"$output")" = bob ]
  rm "$DATA/names/bob"
  run as bob
  [ "$(you <<<"$output")" = bob ]
}

@test "behind the SSO proxy the header's name counts as proved: its registered name and its operator rights" {
  cleanup_server
  start_server --set server.trusted_user_header=X-Remote-User --set server.origin=127.0.0.1
  mkdir -p "$DATA/rooms" "$DATA/names"
  register_bob
  room_ini den 'visibility = private' 'operators = bob'
  run ws "$URL/den" --origin http://127.0.0.1 --header 'X-Remote-User: bob' --wait '"type":"welcome"' --send '/topic set by sso' --wait '"type":"topic"'
  assert_success
  assert_output --partial '"you":{"name":"bob"'
  assert_output --partial '"operator":true'
  grep -q 'topic = set by sso' "$DATA/rooms/den.ini"
  run ws "$URL/den" --origin http://127.0.0.1 --header 'X-Remote-User: carol' --timeout 4000 --wait '"code":"forbidden"' --wait 'never sent'
  assert_output --partial 'closed while waiting'
}

@test "whispers and signals reach only the sender's room: someone in a private room is no_such_user from the lobby" {
  room_ini den 'visibility = private'
  wsbg "$URL/den" --cookie "$(session_with bob '{"grants":{"den":""}}')" --out "$DATA/bob.out" --sleep 15000 >/dev/null
  wait_until grep -qs '"type":"welcome"' "$DATA/bob.out"
  run as alice --send '/msg bob psst' --wait '"code":"no_such_user"' \
    --send '{"type":"signal","to":"bob","data":{"type":"offer"}}' --wait '"code":"no_such_user"' \
    --send '/private bob' --wait '"code":"no_such_user"' --send 'marker' --wait '"text":"marker"'
  assert_success
  never grep -q psst "$DATA/users/den/bob/inbox" "$DATA/bob.out"
  never grep -q '"type":"signal"' "$DATA/bob.out"
}

@test "an operator's /kick: the chatter is told by whom and why and closed, its leave logged once; /key is never echoed or logged" {
  register_bob
  room_ini den 'operators = bob'
  present carol
  wsbg "$URL/lobby" --cookie "$(session dave)" --out "$DATA/dave.out" --sleep 15000 >/dev/null
  wait_until grep -qs '"type":"welcome"' "$DATA/dave.out"
  # a non-operator is refused
  run as carol --send '/kick dave' --wait '"code":"forbidden"'
  assert_success
  room_ini lobby 'operators = bob'
  run ws "$URL/lobby" --cookie "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW_SEAL\"}}")" --wait '"type":"welcome"' \
    --send '/kick dave spamming' --wait '"text":"kicked dave"' --send '/key a-secret-room-key' --wait 'password of lobby is changed'
  assert_success
  refute_output --partial 'a-secret-room-key'
  wait_until grep -q '"code":"forbidden","message":"kicked by bob: spamming"' "$DATA/dave.out"
  [ "$(log_lines | grep -c '"type":"leave","from":"dave"')" -eq 1 ]
  log_lines | grep -q '"type":"leave","from":"dave".*"reason":"kicked"'
  never in_any_log 'a-secret-room-key'
  never grep -rq 'a-secret-room-key' "$DATA" "$DATA.server.log"
  grep -q '^key = scrypt\$' "$DATA/rooms/lobby.ini"
}

@test "/private through websocketd: a private room for the two, a Switch link for each, the room closed to a third" {
  present bob
  run as alice --send '/private bob' --wait '"type":"invite"'
  assert_success
  line=$(grep '"type":"invite"' <<<"$output")
  room=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).room)' "$line")
  [[ $room =~ ^alice-bob-[0-9a-f]{4}$ ]]
  [[ $line == *'"href":"join?room='"$room"'&invite='* ]]
  wait_until grep -q "\"type\":\"invite\".*\"room\":\"$room\".*\"private\":true" "$DATA/bob.out"
  grep -q '^visibility = private' "$DATA/rooms/$room.ini"
  [ "$(ls "$DATA/rooms/$room.invites" | wc -l)" -eq 2 ]
  refused "$room" "$(session carol)" 'private'
}

@test "an operator deletes someone else's message; a non-operator of the same name unproved cannot" {
  register_bob
  room_ini lobby 'operators = bob'
  run as carol --send 'carol says something rude' --wait 'something rude'
  assert_success
  id=$(log_lines | grep 'something rude' | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).id)')
  run ws "$URL/lobby" --cookie "$(session bob)" --wait '"type":"welcome"' --send "{\"type\":\"delete\",\"ref\":\"$id\"}" --wait '"code":"not_yours"'
  assert_success
  run ws "$URL/lobby" --cookie "$(session_with bob "{\"proved\":{\"name\":\"bob\",\"seal\":\"$BOBPW_SEAL\"}}")" --wait '"type":"welcome"' \
    --send "{\"type\":\"delete\",\"ref\":\"$id\"}" --wait '"type":"delete"'
  assert_success
  [ "$(log_lines | grep -c '"type":"delete"')" -eq 1 ]
  never grep -rq 'something rude' "$DATA/rooms"
}
