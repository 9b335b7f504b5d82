#!/usr/bin/env bats
# Replies and mentions through the real websocketd and the built handler.

setup() {
  load helpers
  load named
  start_server
}

teardown() {
  stop_bg
  cleanup_server
}

@test "a reply keeps reply_to; @mentions of present names are computed by the server, others are not" {
  present bob
  run as alice --send 'first' --wait '"text":"first"'
  assert_success
  id=$(log_lines | grep '"text":"first"' | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).id)')
  run as alice --send "{\"type\":\"msg\",\"text\":\"right, @bob! and @nobody\",\"reply_to\":\"$id\"}" --wait 'and @nobody'
  assert_success
  line=$(log_lines | grep 'and @nobody')
  node -e '
    const e = JSON.parse(process.argv[1]);
    if (e.reply_to !== process.argv[2]) process.exit(1);
    if (JSON.stringify(e.mentions) !== JSON.stringify(["bob"])) process.exit(2);' "$line" "$id"
  wait_until grep -q '"mentions":\["bob"\]' "$DATA/bob.out"
}

@test "a message without mentions carries none, and a bad reply_to is refused, not logged" {
  run as alice --send 'mail bob@example.org' --wait 'example.org' \
    --send '{"type":"msg","text":"x","reply_to":"../../etc/passwd"}' --wait '"code":"bad_request"'
  assert_success
  ! log_lines | grep -q '"mentions"'
  ! log_lines | grep -q 'etc/passwd'
}
