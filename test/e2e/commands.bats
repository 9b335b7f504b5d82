#!/usr/bin/env bats
# Slash commands through the real websocketd and the built handler.

setup() {
  load helpers
  load named
  start_server
}

teardown() {
  stop_bg
  cleanup_server
}

# json_field LINE FIELD: a field of a JSON line, as JSON text.
json_field() { node -e 'process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])[process.argv[2]]))' "$1" "$2"; }

@test "/dice: the server throws, everyone sees the roll, the log keeps it" {
  present bob
  run as alice --send '/dice 3 6' --wait '"type":"roll"'
  assert_success
  wait_until grep -q '"type":"roll"' "$DATA/bob.out"
  line=$(grep '"type":"roll"' "$DATA/bob.out")
  [ "$(json_field "$line" from)" = '"alice"' ]
  [ "$(json_field "$line" spec)" = '"3d6"' ]
  node -e '
    const e = JSON.parse(process.argv[1]);
    if (e.rolls.length !== 3 || !e.rolls.every((r) => Number.isInteger(r) && r >= 1 && r <= 6)) process.exit(1);
    if (e.total !== e.rolls.reduce((a, b) => a + b, 0)) process.exit(1);' "$line"
  [ "$(log_lines | grep -c '"type":"roll"')" -eq 1 ]
}

@test "/dice with AGAIN throws exploding dice; /roll 2d6+3 adds the modifier" {
  run as alice --send '/dice 10 2 2' --wait '"type":"roll"' --send '/roll 2d6+3' --wait '"spec":"2d6\+3"'
  assert_success
  node -e '
    const [a, b] = process.argv.slice(1).map((l) => JSON.parse(l));
    if (a.spec !== "10d2, again on 2+" || a.rolls.filter((r) => r === 1).length !== 10) process.exit(1);
    if (b.rolls.length !== 2 || b.total !== b.rolls[0] + b.rolls[1] + 3) process.exit(1);' \
    "$(log_lines | grep '"type":"roll"' | head -1)" "$(log_lines | grep '"type":"roll"' | tail -1)"
}

@test "bad dice get a usage error to the sender and nothing is logged" {
  present bob
  mark_for bob
  run as alice \
    --send '/dice 101 6' --wait '"code":"bad_request".*COUNT is 1 to 100.*Usage: /dice COUNT SIDES \[AGAIN\]' \
    --send '/dice 3 1001' --wait 'SIDES is 2 to 1000' \
    --send '/dice 3 6 1' --wait 'AGAIN is 2 to SIDES' \
    --send '/dice three six' --wait 'whole numbers' \
    --send '/roll 2d6*3' --wait 'Usage: /roll' \
    --send '/roll 500d6' --wait 'N is 1 to 100' \
    --send '{"type":"roll","spec":"1d6","rolls":[6],"total":6}' --wait '"code":"bad_request"' "${MARK[@]}"
  assert_success
  wait_until got_marker bob
  never logged '"type":"roll"'
  never grep -q '"type":"error"' "$DATA/bob.out"
}

@test "/me and /color: logged for everyone; /color updates the presence; a bad colour is refused" {
  present bob
  run as alice --send '/me waves' --wait '"type":"me"' --send '/color SteelBlue' --wait '"type":"color"' \
    --send '/color #12345' --wait 'not a colour' --send '/me' --wait 'Usage: /me ACTION' --sleep 1500
  assert_success
  log_lines | grep -q '"type":"me","from":"alice","text":"waves"'
  log_lines | grep -q '"type":"color","from":"alice","color":"#4682b4"'
  [ "$(log_lines | grep -c '"type":"color"')" -eq 1 ]
  wait_until grep -q '"type":"color"' "$DATA/bob.out"
  # Lists go out at most once a second (a join storm costs O(N²) otherwise): alice stays
  # that long, so one of bob's lists shows her new colour.
  wait_until grep -q '"type":"users".*"name":"alice","color":"#4682b4"' "$DATA/bob.out"
}

@test "/nick renames atomically: the others' lists follow, whispers reach the new name" {
  present bob
  wsbg "$URL/lobby" --cookie "$(session alice)" --out "$DATA/alice.out" \
    --wait welcome --send '/nick alicia' --wait '"type":"nick"' --wait '"type":"whisper".*"text":"to the new name"' --sleep 300 >/dev/null
  wait_until grep -q '"type":"nick"' "$DATA/bob.out"
  grep -q '"type":"nick","from":"alice","name":"alicia"' "$DATA/bob.out"
  wait_until grep -q '"type":"users","users":\[{"name":"alicia"' "$DATA/bob.out"
  [ -f "$DATA/users/lobby/alicia/info" ]
  [ ! -e "$DATA/users/lobby/alice" ]
  grep -q '"name":"alicia"' "$DATA/users/lobby/alicia/info"
  run as carol --send '/msg alice hello?' --wait '"code":"no_such_user"' --send '/msg alicia to the new name' --wait '"type":"whisper"'
  assert_success
  wait_until grep -q 'to the new name' "$DATA/alice.out"
  wait_until logged '"type":"leave","from":"alicia"'
  [ ! -e "$DATA/users/lobby/alicia" ]
}

@test "/nick to a taken name is numbered; a bad name is refused" {
  present bob
  run as alice --send '/nick bob' --wait '"type":"nick".*"name":"bob1"' --wait 'bob is taken: you are now bob1' \
    --send '/nick ../../etc' --wait '"code":"bad_request".*Usage: /nick' --send '/nick' --wait '"code":"bad_request"'
  assert_success
  [ "$(log_lines | grep -c '"type":"nick"')" -eq 1 ]
  [ ! -e "$DATA/etc" ] && [ ! -e "$DATA/users/etc" ]
}

@test "/who and /help answer the sender only; unknown commands are errors and not logged" {
  present bob
  mark_for bob
  run as alice --send '/who' --wait '"type":"info","text":"in lobby \(2\): alice, bob"' \
    --send '/help' --wait '/me ACTION.*/msg NAME TEXT.*/who.*/nick NEWNAME.*/color VALUE.*/dice COUNT SIDES \[AGAIN\].*/roll NdS.*/help' \
    --send '/help roll' --wait '"text":"/roll NdS\[\+M\] — ' \
    --send '/teleport mars' --wait '"code":"unknown_command"' "${MARK[@]}"
  assert_success
  wait_until got_marker bob
  never grep -q '"type":"info"' "$DATA/bob.out"
  never logged teleport
  never logged '"type":"info"'
}

@test "?format=text shows rolls, actions and nick changes as the original's lines" {
  run ws "$URL/lobby?format=text" --cookie "$(session alice)" --wait welcome \
    --send '/dice 2 6' --wait '\*\*\* alice rolls 2d6: [1-6] [1-6] = [0-9]+' \
    --send '/me dances' --wait '\* alice dances' \
    --send '/nick al' --wait '\*\*\* alice is now known as al'
  assert_success
}
