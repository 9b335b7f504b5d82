#!/usr/bin/env bats
# The admin verbs of closed rooms and registered names (tailroom names, room, invite,
# and what prune removes of them), through the real bin/tailroom on a temp data dir.

setup() {
  load helpers
  DATA="$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom.XXXXXX")"
  mkdir -p "$DATA/rooms"
  touch "$DATA/rooms/cafe.log"
}

teardown() { rm -rf "$DATA"; }

admin() { "$ROOT/bin/tailroom" "$@" --data-dir "$DATA"; }
# with_password PASSWORD VERB ARGS...: a verb reading its password from stdin
with_password() {
  local pw=$1
  shift
  printf '%s\n' "$pw" | admin "$@" --password-stdin
}

@test "names: add, list, reset and remove a registered name; --json says what was done" {
  run with_password 'correct horse' names add alice
  assert_success
  assert_output 'registered alice'
  grep -q '"hash":"scrypt\$' "$DATA/names/alice"
  [ "$(stat -c %a "$DATA/names/alice")" = 600 ]
  run with_password 'battery staple' names add bob --json
  assert_success
  assert_output --regexp '^\{"name":"bob","created":"20[0-9-]+T[0-9:.]+Z"\}$'
  run admin names list
  assert_success
  assert_line --index 0 --regexp '^NAME +CREATED +CHANGED$'
  assert_line --index 1 --regexp '^alice +20[0-9-]+T[0-9:.]+Z +-$'
  refute_output --partial 'scrypt'
  hash=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).hash' "$DATA/names/alice")
  run with_password 'a new password' names reset alice --json
  assert_success
  assert_output --regexp '^\{"name":"alice","changed":"20[0-9-]+T[0-9:.]+Z"\}$'
  [ "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).hash' "$DATA/names/alice")" != "$hash" ]
  run admin names reset bob --random --json
  assert_success
  assert_output --regexp '^\{"name":"bob","changed":"[^"]+","password":"[A-Za-z0-9_-]{24}"\}$'
  run admin names reset bob --random
  assert_output --regexp '^new password for bob: [A-Za-z0-9_-]{24}$'
  run admin names list --json
  assert_line --index 1 --regexp '^\{"name":"bob","created":"[^"]+","changed":"[^"]+"\}$'
  run admin names remove bob --json
  assert_success
  assert_output '{"name":"bob","removed":true,"stillIn":[]}'
  [ ! -e "$DATA/names/bob" ]
  run admin names list
  refute_output --partial bob
}

@test "names refuses a taken or look-alike name, a short password, a bad name and a missing one" {
  with_password 'correct horse' names add alice
  run with_password 'another one' names add alice
  assert_failure 1
  assert_output --partial 'alice is already registered'
  # A Cyrillic a: looks like alice, so it would pass for her.
  run with_password 'another one' names add "$(printf '\xd0\xb0lice')"
  assert_failure 1
  assert_output --partial 'looks like the registered name alice'
  run with_password 'short' names add carol
  assert_failure 1
  assert_output --partial 'at least 8 characters'
  [ ! -e "$DATA/names/carol" ]
  run with_password "$(head -c 2000 /dev/zero | tr '\0' x)" names add carol
  assert_failure 1
  assert_output --partial 'at most 1024 bytes'
  run with_password 'correct horse' names add ../etc
  assert_failure 2
  assert_output --partial 'bad user name "../etc"'
  [ ! -e "$DATA/etc" ]
  run admin names add carol </dev/null
  assert_failure 2
  assert_output --partial 'give --password-stdin'
  run admin names remove zed
  assert_failure 1
  assert_output --partial 'zed is not registered'
  run admin names reset zed --random
  assert_failure 1
  assert_output --partial 'zed is not registered'
  run with_password 'short' names reset alice
  assert_failure 1
  run admin names frobnicate
  assert_failure 2
}

@test "room set writes rooms/<room>.ini, logs a topic change, never shows the key's hash" {
  with_password 'correct horse' names add alice
  run admin room show cafe
  assert_success
  assert_line --regexp '^visibility +public$'
  assert_line --regexp '^password +no$'
  assert_line --regexp '^invites +0 open$'
  run admin room set cafe --visibility private --members alice,bob --add-operator alice --topic 'Coffee, mostly'
  assert_success
  assert_output --partial 'warning: bob is not a registered name'
  grep -qx 'visibility = private' "$DATA/rooms/cafe.ini"
  grep -qx 'members = alice, bob' "$DATA/rooms/cafe.ini"
  grep -qx 'operators = alice' "$DATA/rooms/cafe.ini"
  grep -q '"type":"topic","from":"admin","text":"Coffee, mostly"' "$DATA/rooms/cafe.log"
  run with_password 'room secret' room set cafe --key --remove-member bob --e2e --json
  assert_success
  assert_output '{"room":"cafe","file":"'"$DATA"'/rooms/cafe.ini","exists":true,"visibility":"private","password":true,"members":["alice"],"operators":["alice"],"topic":"Coffee, mostly","e2e":true,"invites":0,"problems":[]}'
  grep -q '^key = scrypt\$' "$DATA/rooms/cafe.ini"
  run admin room show cafe
  assert_line --regexp '^password +yes$'
  assert_line --regexp '^members +alice$'
  refute_output --partial scrypt
  # The same topic again is no news: one topic line in the log.
  admin room set cafe --topic 'Coffee, mostly' --no-key --no-e2e >/dev/null
  [ "$(grep -c '"type":"topic"' "$DATA/rooms/cafe.log")" -eq 1 ]
  ! grep -q '^key' "$DATA/rooms/cafe.ini"
  ! grep -q '^e2e' "$DATA/rooms/cafe.ini"
  run admin room set cafe --members '' --operators '' --visibility public --topic '' --json
  assert_success
  assert_output --partial '"visibility":"public","password":false,"members":[],"operators":[],"e2e":false'
}

@test "room set refuses bad input and an unknown room, and leaves the file as it was" {
  admin room set cafe --visibility unlisted >/dev/null
  cp "$DATA/rooms/cafe.ini" "$DATA/before"
  run admin room set cafe
  assert_failure 2
  assert_output --partial 'nothing to change'
  run admin room set cafe --visibility secret
  assert_failure 2
  run admin room set cafe --add-member ../etc
  assert_failure 2
  assert_output --partial 'bad user name "../etc"'
  run admin room set cafe --topic "$(printf 'two\nlines')"
  assert_failure 2
  assert_output --partial 'one line'
  run with_password 'short' room set cafe --key
  assert_failure 1
  assert_output --partial 'at least 8 characters'
  run admin room set cafe --key </dev/null
  assert_failure 2
  cmp "$DATA/rooms/cafe.ini" "$DATA/before"
  run admin room set ../etc --visibility private
  assert_failure 2
  assert_output --partial 'bad room name'
  run admin room show lobbby
  assert_failure 1
  assert_output --partial 'no room called lobbby'
  [ ! -e "$DATA/rooms/lobbby.ini" ]
}

@test "a damaged .ini: room show exits 1 naming each problem, room set and invite refuse and change nothing" {
  printf 'visibility = secret\nmembers = alice, ../etc\n[extra]\nkey = 1\n' >"$DATA/rooms/cafe.ini"
  cp "$DATA/rooms/cafe.ini" "$DATA/before"
  run admin room show cafe
  assert_failure 1
  assert_output --partial 'visibility must be one of public, unlisted, private'
  assert_output --partial '"../etc" is not a valid user name'
  assert_output --partial '[extra]: sections are not used'
  assert_output --partial 'the room is closed to everyone until the file is fixed'
  run admin room show cafe --json
  assert_failure 1
  assert_output --partial '"closed":true'
  run admin room set cafe --visibility public
  assert_failure 1
  assert_output --partial 'visibility must be one of'
  assert_output --partial 'not changed'
  run with_password 'correct horse' room set cafe --key
  assert_failure 1
  run admin invite cafe
  assert_failure 1
  assert_output --partial 'damaged'
  cmp "$DATA/rooms/cafe.ini" "$DATA/before"
  [ ! -e "$DATA/rooms/cafe.invites" ] || [ -z "$(ls "$DATA/rooms/cafe.invites")" ]
}

@test "invite prints the join link, lists and revokes; refuses bad --uses and --expires" {
  admin room set cafe --visibility private >/dev/null
  run admin invite cafe
  assert_success
  assert_line --index 0 --regexp '^http://127\.0\.0\.1:8089/join\?room=cafe&invite=[A-Za-z0-9_-]{32}$'
  assert_line --index 1 --regexp '^tailroom: admits 1 session\(s\) until 20[0-9-]+T'
  run admin invite 'caf é' --set server.public_url=https://chat.example.org/c
  assert_failure 1 # no such room
  touch "$DATA/rooms/caf é.log"
  admin room set 'caf é' --visibility private >/dev/null
  run admin invite 'caf é' --uses 3 --expires 12h --json --set server.public_url=https://chat.example.org/c
  assert_success
  assert_output --regexp '^\{"room":"caf é","token":"[A-Za-z0-9_-]{32}","link":"https://chat\.example\.org/c/join\?room=caf%20%C3%A9&invite=[A-Za-z0-9_-]{32}","uses":3,"expires":"[^"]+"\}$'
  token=$(node -p 'JSON.parse(process.argv[1]).token' "$output")
  grep -q '"left":3' "$DATA/rooms/caf é.invites/$token"
  # 12 h from now, give or take the run
  node -e 'const e=Date.parse(JSON.parse(process.argv[1]).expires)-Date.now(); process.exit(Math.abs(e-12*3600e3)<60e3?0:1)' "$output"
  run admin room show 'caf é'
  assert_line --regexp '^invites +1 open$'
  for uses in 0 -1 10001 99999999999 1.5 many; do
    run admin invite cafe --uses="$uses"
    assert_failure 2
    assert_output --partial '--uses wants a whole number from 1 to 10000'
  done
  for exp in garbage 0d 30 400d 5y -1h ''; do
    run admin invite cafe --expires="$exp"
    assert_failure 2
    assert_output --partial '--expires wants a duration'
  done
  [ "$(ls "$DATA/rooms/cafe.invites" | wc -l)" -eq 1 ]
  run admin invite cafe --list
  assert_success
  assert_line --index 0 --regexp '^TOKEN +STATE +LEFT +EXPIRES +BY$'
  assert_line --index 1 --regexp '^[A-Za-z0-9_-]{32} +open +1 +20[0-9-]+T[0-9:.]+Z +admin$'
  token=$(admin invite cafe --list --json | node -p 'JSON.parse(require("fs").readFileSync(0)).token')
  run admin invite cafe --revoke "$token" --json
  assert_success
  assert_output "{\"room\":\"cafe\",\"token\":\"$token\",\"revoked\":true}"
  [ ! -e "$DATA/rooms/cafe.invites/$token" ]
  run admin invite cafe --revoke "$token"
  assert_failure 1
  run admin invite cafe --revoke ../../names/alice
  assert_failure 2
  run admin invite ../etc
  assert_failure 2
}

@test "prune removes invites spent or expired over a day ago and day-old sign-in records, keeps the rest" {
  dir="$DATA/rooms/cafe.invites"
  mkdir -p "$dir" "$DATA/.attempts"
  tok() { printf "$1%.0s" $(seq 32); }
  future=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%S.000Z)
  printf '{"created":"x","by":"admin","left":0,"expires":"%s"}\n' "$future" >"$dir/$(tok a)" # spent 2 days ago
  touch -d '2 days ago' "$dir/$(tok a)"
  printf '{"created":"x","by":"admin","left":0,"expires":"%s"}\n' "$future" >"$dir/$(tok b)" # spent just now: kept
  printf '{"created":"x","by":"admin","left":5,"expires":"%s"}\n' "$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%S.000Z)" >"$dir/$(tok c)"
  printf '{"created":"x","by":"admin","left":5,"expires":"%s"}\n' "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000Z)" >"$dir/$(tok d)" # expired lately: kept
  printf '{"created":"x","by":"admin","left":5,"expires":"%s"}\n' "$future" >"$dir/$(tok e)" # open: kept
  touch -d '40 days ago' "$dir/$(tok e)"
  echo 'not json' >"$dir/$(tok f)"
  touch -d '2 days ago' "$dir/$(tok f)"
  echo 'an admin note' >"$dir/README"
  touch -d '40 days ago' "$dir/README"
  echo 1 >"$DATA/.attempts/0123456789abcdef0123456789abcdef"
  touch -d '2 days ago' "$DATA/.attempts/0123456789abcdef0123456789abcdef"
  echo 1 >"$DATA/.attempts/fedcba9876543210fedcba9876543210"
  run admin prune --dry-run --json
  assert_success
  assert_output --partial '"invites":3,"attempts":1}'
  [ "$(ls "$dir" | wc -l)" -eq 7 ]
  run admin prune
  assert_success
  assert_output --partial 'removed 3 spent or expired invite(s) and 1 old failed sign-in record(s)'
  for t in b d e; do [ -e "$dir/$(tok $t)" ]; done
  for t in a c f; do [ ! -e "$dir/$(tok $t)" ]; done
  [ -e "$dir/README" ]
  [ ! -e "$DATA/.attempts/0123456789abcdef0123456789abcdef" ]
  [ -e "$DATA/.attempts/fedcba9876543210fedcba9876543210" ]
  run admin prune --json
  assert_output --partial '"invites":0,"attempts":0}'
}

@test "prune keeps an idle room that has settings (a /private room nobody entered yet): its log, .ini and invites stay" {
  join='{"id":"0mwq00000-test-1","t":"2026-11-19T10:00:00.000Z","type":"join","from":"old","color":"#000000"}'
  for room in bare closed; do printf '%s\n' "$join" >"$DATA/rooms/$room.log"; done
  admin room set closed --visibility private >/dev/null
  admin invite closed >/dev/null
  touch -d '40 days ago' "$DATA"/rooms/*.log
  run admin prune --room-days 30 --json
  assert_success
  assert_output --partial '"rooms":["bare","cafe"]'
  [ ! -e "$DATA/rooms/bare.log" ]
  [ -e "$DATA/rooms/closed.log" ] && [ -e "$DATA/rooms/closed.ini" ]
  [ "$(ls "$DATA/rooms/closed.invites" | wc -l)" -eq 1 ]
}

@test "names remove warns when a room still lists the name: whoever registers it next gets in" {
  with_password 'correct horse' names add alice
  admin room set cafe --visibility private --members alice >/dev/null
  run admin names remove alice --json
  assert_success
  assert_output --partial 'warning: alice is still a member or operator of cafe'
  assert_output --partial '{"name":"alice","removed":true,"stillIn":["cafe"]}'
}
