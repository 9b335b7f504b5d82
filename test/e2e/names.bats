#!/usr/bin/env bats
# Names that would pass for someone else, through the real websocketd and the built handler.

setup() {
  load helpers
  load named
  start_server
}

teardown() {
  stop_clients
  cleanup_server
}

# you: the name the welcome gave, from a client's output on stdin.
you() { grep '"type":"welcome"' | head -1 | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).you.name)'; }

@test "with alice present, a session named аlice (Cyrillic а) joins as аlice1, not as a second alice" {
  present alice
  run as $'\u0430lice' --wait '"type":"welcome"'
  assert_success
  [ "$(you <<<"$output")" = $'\u0430lice1' ]
  logged $'"type":"join","from":"\u0430lice1"'
  never logged $'"type":"join","from":"\u0430lice"'
  # Capital I for l: the same disguise (аlice1 has left by now).
  run as aIice --wait '"type":"welcome"'
  [ "$(you <<<"$output")" = 'aIice1' ]
}

@test "a session name with a zero-width space is no name: its holder joins under the default name" {
  present alice
  run as $'alice\u200b' --wait '"type":"welcome"'
  assert_success
  [ "$(you <<<"$output")" = 'Anonymous' ]
  never logged $'\u200b'
  [ "$(ls "$DATA/users/lobby" | grep -c alice)" -eq 1 ]
}

@test "case is a real difference: Alice joins as Alice beside alice" {
  present alice
  run as Alice --wait '"type":"welcome"'
  assert_success
  [ "$(you <<<"$output")" = 'Alice' ]
}

@test "/nick to a look-alike of someone present is numbered, and says the name is taken" {
  present alice
  run as bob --send $'/nick \u0430lice' --wait $'"type":"nick".*"name":"\u0430lice1"' --wait $'\u0430lice is taken: you are now \u0430lice1'
  assert_success
}
