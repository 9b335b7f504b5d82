#!/usr/bin/env bats
# Limits a hostile client runs into (README, Security). Each test tries to break one.

load helpers

setup() { start_server; }
teardown() {
  stop_bg
  cleanup_server
}

websocketd_pid() { pgrep -P "$SERVER_PID" -x websocketd | head -n 1; }

@test "a 512 MB fragmented message is cut off with 1009; websocketd stays small; a bystander chats on" {
  if ! websocketd --help 2>&1 | grep -q -- --maxmessagebytes; then
    skip "this websocketd has no --maxmessagebytes (bin/build-websocketd builds it)"
  fi
  pid=$(websocketd_pid)
  [ -n "$pid" ]
  grep -q -- '--maxmessagebytes' "/proc/$pid/cmdline"
  run node "$ROOT/test/helpers/bigmessage.mjs" "$URL/lobby" --mb 512
  assert_success
  echo "$output"
  result=$(tail -n 1 <<<"$output")
  # 1009 (message too big); 1006 when the close frame was lost to a reset, because the
  # server closed with our unread bytes still in its socket buffer
  code=$(jq .closeCode <<<"$result")
  [[ $code == 1009 || $code == 1006 ]]
  # cut off long before the end: the limit is a few hundred KB
  (($(jq .sentBytes <<<"$result") < 64 * 1024 * 1024))
  # every tick the bystander sent came back to it, during the attack and after
  sent=$(jq .ticksSent <<<"$result")
  ((sent >= 8))
  [ "$(jq .ticksBack <<<"$result")" = "$sent" ]
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  echo "websocketd peak RSS: $hwm kB"
  ((hwm < 64 * 1024))
  kill -0 "$pid"
}

@test "a message just under the limit still gets through to the handler (and is refused there as too long)" {
  websocketd --help 2>&1 | grep -q -- --maxmessagebytes || skip "this websocketd has no --maxmessagebytes"
  text=$(head -c 100000 /dev/zero | tr '\0' a)
  run ws "$URL/lobby" --send "{\"type\":\"msg\",\"text\":\"$text\"}" --wait '"code":"too_long"' --send '{"type":"msg","text":"still here"}' --wait 'still here'
  assert_success
}

@test "with public_url set, a WebSocket from another site's page is refused (origin defaults to its host)" {
  cleanup_server
  start_server --set server.public_url=https://chat.example.org/chat/
  grep -q -- '--origin chat.example.org' /proc/"$(websocketd_pid)"/cmdline || tr '\0' ' ' </proc/"$(websocketd_pid)"/cmdline | grep -q -- '--origin chat.example.org'
  run ws "$URL/lobby" --origin https://evil.example --wait welcome
  [ "$status" -eq 3 ]
  assert_output --partial 'HTTP 403'
  run ws "$URL/lobby" --origin https://chat.example.org --wait welcome
  assert_success
}

@test "a trusted sign-in header without an Origin allow-list is refused at start, with the reason" {
  cleanup_server
  run node "$ROOT/dist/tailroom.mjs" start --port "$(free_port)" --data-dir "$BATS_TEST_TMPDIR" --set stun.enabled=false \
    --set server.trusted_user_header=X-Remote-User
  [ "$status" -eq 2 ]
  assert_output --partial 'trusted_user_header needs an Origin allow-list'
}

joins() { grep -c '"type":"join"' "$DATA/rooms/lobby.log" 2>/dev/null || true; }

@test "chat connections per address are limited; the one past it is told why and leaves no trace; pages still work" {
  cleanup_server
  start_server --set chat.max_connections_per_addr=2
  wsbg "$URL/lobby" --wait welcome --sleep 20000 >/dev/null
  local first=$BG
  wsbg "$URL/lobby" --wait welcome --sleep 20000 >/dev/null
  wait_until bash -c "[ \$(grep -c '\"type\":\"join\"' '$DATA/rooms/lobby.log') -eq 2 ]"
  run ws "$URL/lobby" --wait '"code":"forbidden"'
  assert_output --partial 'too many connections from your address (127.0.0.1): at most 2'
  refute_output --partial welcome
  [ "$(joins)" = 2 ]
  [ "$(ls "$DATA/users/lobby" | wc -l)" = 2 ]
  # page views are not chat connections
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/rooms"
  assert_output 200
  # another address is not affected
  run ws "$URL/lobby" --local-address 127.0.0.2 --wait welcome
  assert_success
  # a slot frees when its connection ends, also when its handler is killed
  kill "$first"
  wait_until bash -c "[ \$(grep -c '\"type\":\"leave\"' '$DATA/rooms/lobby.log') -ge 2 ]"
  run ws "$URL/lobby" --wait welcome
  assert_success
  kill -9 $(handler_pids)
  run ws "$URL/lobby" --wait welcome
  assert_success
}

@test "behind a trusted proxy the limit counts X-Forwarded-For's client; from anywhere else the header changes nothing" {
  cleanup_server
  start_server --set chat.max_connections_per_addr=1
  # 127.0.0.1 is a trusted proxy by default: the client is whom it names
  wsbg "$URL/lobby" --header 'X-Forwarded-For: 198.51.100.7' --wait welcome --sleep 20000 >/dev/null
  wait_until grep -q '"type":"join"' "$DATA/rooms/lobby.log"
  run ws "$URL/lobby" --header 'X-Forwarded-For: 198.51.100.7' --wait '"code":"forbidden"'
  assert_output --partial '(198.51.100.7)'
  run ws "$URL/lobby" --header 'X-Forwarded-For: 198.51.100.8' --wait welcome
  assert_success
  # 127.0.0.2 is no proxy of ours: a forged header is not believed
  wsbg "$URL/lobby" --local-address 127.0.0.2 --header 'X-Forwarded-For: 203.0.113.1' --wait welcome --sleep 20000 >/dev/null
  wait_until bash -c "[ \$(ls '$DATA/users/.addr/127.0.0.2' 2>/dev/null | wc -l) -eq 1 ]"
  run ws "$URL/lobby" --local-address 127.0.0.2 --header 'X-Forwarded-For: 203.0.113.2' --wait '"code":"forbidden"'
  assert_output --partial '(127.0.0.2)'
}
