#!/usr/bin/env bats
# Closed rooms and registered names on the pages, through the real websocketd (a CGI
# process per page view); what the pages grant is what the room handler then admits.

load helpers

setup() {
  start_server --set chat.login_failures_per_name=2
  BASE="http://127.0.0.1:$PORT"
  OUT="$DATA.out"
  JAR="$OUT/jar"
  mkdir -p "$OUT" "$DATA/rooms"
}

teardown() {
  stop_bg
  cleanup_server
  rm -rf "$OUT"
}

# fetch PATH [curl args...]: body to $OUT/body, headers to $OUT/headers, prints the status
fetch() {
  local path=$1
  shift
  curl -s -o "$OUT/body" -D "$OUT/headers" -w '%{http_code}' "$@" "$BASE/$path"
}

header() { grep -i "^$1:" "$OUT/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
token() { grep -o 'name="csrf" value="[^"]*"' "$OUT/body" | head -1 | sed 's/.*value="//; s/"$//'; }
session_id() { awk '$6 == "tailroom_session" { print $7 }' "$JAR"; }
hash() { node --import tsx -e 'import("'"$ROOT"'/src/store/passwords.ts").then(async (p) => process.stdout.write(await p.hashPassword(process.argv[1])))' "$1"; }
invite() {
  node --import tsx -e 'Promise.all([import("'"$ROOT"'/src/store/datadir.ts"), import("'"$ROOT"'/src/store/invites.ts")]).then(([d, m]) =>
    process.stdout.write(m.makeInvite(d.dataDir(process.argv[1]), process.argv[2], { by: "admin", uses: Number(process.argv[3]) }).token))' "$DATA" "$1" "${2:-1}"
}

@test "a name registered on the settings page is proved in the room; another browser cannot take it; guesses stop at the limit" {
  run fetch settings -c "$JAR"
  assert_output 200
  run fetch settings -b "$JAR" -c "$JAR" --data-urlencode action=register --data-urlencode name=alice \
    --data-urlencode 'password=correct horse' --data-urlencode 'confirm=correct horse' -d "csrf=$(token)"
  assert_output 303
  [[ -f "$DATA/names/alice" ]]
  run ws "$URL/lobby" --cookie "tailroom_session=$(session_id)" --wait '"type":"welcome"'
  assert_success
  assert_output --partial '"you":{"name":"alice"'

  local other="$OUT/other"
  curl -s -c "$other" -o "$OUT/body" "$BASE/settings"
  run fetch settings -b "$other" -d "name=alice&color=%23000000&csrf=$(token)"
  assert_output 400
  grep -q 'That name is registered: enter its password to use it' "$OUT/body"
  curl -s -b "$other" -c "$other" -o "$OUT/body" "$BASE/settings" # no session file yet: a fresh id and its token
  local t
  t=$(token)
  run fetch settings -b "$other" -d "action=signin&name=alice&password=guess+one&csrf=$t"
  assert_output 403
  run fetch settings -b "$other" -d "action=signin&name=alice&password=guess+two&csrf=$t"
  assert_output 403
  run fetch settings -b "$other" -d "action=signin&name=alice&password=correct+horse&csrf=$t"
  assert_output 429
  grep -q 'Too many wrong passwords. Try again in 15 minutes' "$OUT/body"
  [[ "$(header Retry-After)" -gt 800 ]]
}

@test "a password room asks for its password on the chat page; the grant is what lets the WebSocket in" {
  printf 'key = %s\ntopic = Behind the door\n' "$(hash 'room password')" >"$DATA/rooms/vault.ini"
  run ws "$URL/vault" --wait '"code":"forbidden"'
  assert_success
  run fetch "chat?room=vault" -c "$JAR"
  assert_output 403
  grep -q 'type="password"' "$OUT/body"
  ! grep -q 'Behind the door' "$OUT/body"
  local t
  t=$(token)
  run fetch "chat?room=vault" -b "$JAR" -d "password=wrong+one&csrf=$t"
  assert_output 403
  grep -q 'Wrong password' "$OUT/body"
  run fetch "chat?room=vault" -b "$JAR" -c "$JAR" -d "password=room+password&csrf=$t"
  assert_output 303
  [[ "$(header Location)" == "chat?room=vault" ]]
  run fetch "chat?room=vault" -b "$JAR"
  assert_output 200
  grep -q '<p class="topic" id="topic">Behind the door</p>' "$OUT/body"
  run ws "$URL/vault" --cookie "tailroom_session=$(session_id)" --wait '"type":"welcome"'
  assert_success
  # A forged grant in a session file opens nothing.
  local forged=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
  printf '{"name":"eve","color":"#000000","created":"","seen":"","grants":{"vault":"AAAAAAAAAAAAAAAAAAAAAA"}}\n' >"$DATA/sessions/$forged"
  run fetch "chat?room=vault" -b "tailroom_session=$forged"
  assert_output 403
  run ws "$URL/vault" --cookie "tailroom_session=$forged" --wait '"code":"forbidden"'
  assert_success
}

@test "an invite link shows a button on GET (spending nothing) and lets one browser into a private room" {
  printf 'visibility = private\n' >"$DATA/rooms/club.ini"
  echo '{"id":"000000001-e2e-0","t":"2026-11-20T10:00:00.000Z","type":"msg","from":"x","color":"#000000","text":"club secret"}' >"$DATA/rooms/club.log"
  local tok
  tok=$(invite club 1)
  run fetch "chat?room=club"
  assert_output 403
  grep -q 'you may need to sign in to a registered name on the settings page' "$OUT/body"
  run fetch "join?room=club&invite=$tok" -c "$JAR"
  assert_output 200
  run fetch "join?room=club&invite=$tok" -b "$JAR" -c "$JAR"
  assert_output 200
  grep -q 'You are invited to club' "$OUT/body"
  run fetch join -b "$JAR" -c "$JAR" -d "room=club&invite=$tok&csrf=$(token)"
  assert_output 303
  [[ "$(header Location)" == "chat?room=club" ]]
  run ws "$URL/club" --cookie "tailroom_session=$(session_id)" --wait '"type":"welcome"'
  assert_success
  run fetch "history?room=club" -b "$JAR"
  assert_output 200
  grep -q 'club secret' "$OUT/body"
  run fetch "join?room=club&invite=$tok"
  assert_output 410
  grep -q 'This invite was used up' "$OUT/body"
  run fetch "join?room=club&invite=${tok%?}Q"
  assert_output 404
  run fetch "join?room=..%2Fsessions&invite=$tok"
  assert_output 400
  run fetch "history?room=club"
  assert_output 403
  ! grep -q 'club secret' "$OUT/body"
}

@test "a room whose .ini is garbage is closed and hidden; unlisted and private rooms stay out of the list and the index" {
  local r
  for r in broken hidden club open; do
    echo '{"id":"000000001-e2e-0","t":"2026-11-20T10:00:00.000Z","type":"msg","from":"x","color":"#000000","text":"hi"}' >"$DATA/rooms/$r.log"
  done
  printf 'visibility = sometimes\n[x]\ny = 1\n' >"$DATA/rooms/broken.ini"
  printf 'visibility = unlisted\n' >"$DATA/rooms/hidden.ini"
  printf 'visibility = private\n' >"$DATA/rooms/club.ini"
  printf 'topic = Come in\n' >"$DATA/rooms/open.ini"
  run fetch rooms
  assert_output 200
  grep -q 'Topic: Come in' "$OUT/body"
  for r in broken hidden club; do ! grep -q "room&#x3D;$r\"" "$OUT/body"; done
  grep -q 'room&#x3D;open"' "$OUT/body"
  run fetch history
  for r in broken hidden club; do ! grep -q "room&#x3D;$r\"" "$OUT/body"; done
  run fetch "history?room=broken"
  assert_output 403
  grep -q 'its settings file has errors an admin must fix' "$OUT/body"
  run fetch "chat?room=broken"
  assert_output 403
  run ws "$URL/broken" --wait '"code":"forbidden"'
  assert_success
}
