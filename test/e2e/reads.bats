#!/usr/bin/env bats
# Read markers through the real handler (docs/design.md, "Read markers"): `read` stored
# beside the session, shown in the others' users lists, coalesced, refused when it names
# no id, and brought back in the welcome of the next connection of the same session.
# The page's side is test/browser/reads.test.ts.

setup() {
  load helpers
  load named
}

teardown() {
  stop_bg
  cleanup_server
}

# refused_twice: alice's client got both refusals
refused_twice() { [ "$(grep -c '"code":"bad_request"' "$DATA/alice.out" 2>/dev/null)" = 2 ]; }

# id_of TEXT: the id of the lobby message saying TEXT
id_of() { log_lines | grep -F "\"text\":\"$1\"" | sed -E 's/^\{"id":"([^"]+)".*/\1/'; }

@test "a read marker is stored with the session, shown to the others, coalesced, and back in the next welcome" {
  start_server --set chat.read_coalesce_ms=4000
  local cookie sid one two three
  cookie=$(session alice)
  sid=${cookie#tailroom_session=}
  run as carol --send one --wait '"text":"one"' --send two --wait '"text":"two"' --send three --wait '"text":"three"'
  assert_success
  one=$(id_of one)
  two=$(id_of two)
  three=$(id_of three)
  present bob 25
  # one goes out at once; two is overtaken by three within the interval and never goes out.
  wsbg "$URL/lobby" --cookie "$cookie" --out "$DATA/alice.out" --wait '"type":"welcome"' \
    --send "{\"type\":\"read\",\"ref\":\"$one\"}" --sleep 300 \
    --send "{\"type\":\"read\",\"ref\":\"$two\"}" --send "{\"type\":\"read\",\"ref\":\"$three\"}" \
    --send '{"type":"read","ref":"../../etc/passwd"}' --wait '"code":"bad_request".*read needs a message id' \
    --send '{"type":"read"}' --wait '"code":"bad_request"' \
    --wait "\"type\":\"users\".*\"name\":\"alice\",\"color\":\"[^\"]*\",\"read\":\"$three\"" --sleep 20000 >/dev/null
  # Both refusals came back: two and three were taken (lines are handled in order), and
  # still, within the interval, the stored marker is the first one.
  wait_until refused_twice
  run cat "$DATA/sessions/$sid.read"
  assert_output "{\"lobby\":\"$one\"}"
  wait_up_to 10 grep -qsF "\"lobby\":\"$three\"" "$DATA/sessions/$sid.read"
  # Stored beside the session, not in it (the pages rewrite that one whole).
  run cat "$DATA/sessions/$sid.read"
  assert_output "{\"lobby\":\"$three\"}"
  run grep -c '"read"' "$DATA/sessions/$sid"
  assert_output 0
  # bob saw alice's markers in his users lists: one, then three; never two.
  wait_until grep -qE "\"name\":\"alice\",\"color\":\"[^\"]*\",\"read\":\"$three\"" "$DATA/bob.out"
  grep -qF "\"read\":\"$one\"" "$DATA/bob.out"
  run grep -cF "\"read\":\"$two\"" "$DATA/bob.out"
  assert_output 0
  # The next connection of the same session: the welcome says where it left off.
  run ws "$URL/lobby" --cookie "$cookie" --wait "\"type\":\"welcome\".*\"lastRead\":\"$three\""
  assert_success
  # A read marker is nobody's history.
  never in_any_log "\"read\""
}

@test "the last read marker is stored when the chatter leaves within the interval; none without a session" {
  start_server --set chat.read_coalesce_ms=60000
  local cookie sid one two
  cookie=$(session alice)
  sid=${cookie#tailroom_session=}
  run as carol --send one --wait '"text":"one"' --send two --wait '"text":"two"'
  one=$(id_of one)
  two=$(id_of two)
  run ws "$URL/lobby" --cookie "$cookie" --wait '"type":"welcome"' \
    --send "{\"type\":\"read\",\"ref\":\"$one\"}" --sleep 300 --send "{\"type\":\"read\",\"ref\":\"$two\"}" --sleep 300
  assert_success
  wait_until grep -qsF "\"lobby\":\"$two\"" "$DATA/sessions/$sid.read"
  # Without a session cookie: presence only, no file.
  run ws "$URL/lobby" --wait '"type":"welcome"' --send "{\"type\":\"read\",\"ref\":\"$two\"}" \
    --wait "\"type\":\"users\".*\"read\":\"$two\""
  assert_success
  run bash -c "ls '$DATA/sessions' | grep -c '\\.read\$'"
  assert_output 1
}
