#!/usr/bin/env bats
# The core chat through the real websocketd: welcome, replay, live events, presence.

setup() {
  load helpers
  start_server
}

teardown() {
  stop_bg
  cleanup_server
  if [[ -n "${OLD_INOTIFY:-}" ]]; then echo "$OLD_INOTIFY" >/proc/sys/fs/inotify/max_user_instances; fi
}

@test "two clients chat: welcome first, then each sees the other's message" {
  wsbg "$URL/lobby" --out "$DATA/a.out" --wait '"type":"welcome"' --wait '"text":"from b"' --send '{"type":"msg","text":"from a"}' --wait '"text":"from a"' >/dev/null
  a=$BG
  wait_until grep -q welcome "$DATA/a.out"
  run ws "$URL/lobby" --wait '"type":"welcome"' --send 'from b' --wait '"text":"from a"'
  assert_success
  wait "$a"
  head -1 "$DATA/a.out" | grep -q '"type":"welcome"'
  grep -q '"type":"msg".*"from":"Anonymous1".*"text":"from b"' "$DATA/a.out"
  # The message is in the room's log, as JSON Lines anyone can read.
  log_lines | grep -q '"text":"from a"'
  log_lines | grep -q '"text":"from b"'
}

@test "a newcomer gets the last 20 events replayed, marked as history" {
  for i in $(seq 1 25); do printf '{"id":"0000000%02d-t-%d","t":"2026-11-20T10:00:00.000Z","type":"msg","from":"x","color":"#000000","text":"old %d"}\n' "$i" "$i" "$i"; done > "$DATA/rooms/lobby.log"
  # Its own message comes back live, after all of its history and anything repeated.
  run ws "$URL/lobby" --wait '"type":"welcome"' --send 'caught up' --wait '"text":"caught up"'
  assert_success
  [ "$(grep -c '"replay":true' <<<"$output")" -eq 20 ]
  refute_output --partial '"text":"old 5"'
  assert_output --partial '"text":"old 25"'
  # Its own join is the last replayed line; nothing replayed is repeated live.
  [ "$(grep -c '"text":"old 25"' <<<"$output")" -eq 1 ]
}

@test "taken names are numbered: three Anonymous chatters get three names" {
  wsbg "$URL/lobby" --sleep 5000 >"$DATA/1.out"
  wsbg "$URL/lobby" --sleep 5000 >"$DATA/2.out"
  wait_until grep -q welcome "$DATA/1.out"
  wait_until grep -q welcome "$DATA/2.out"
  run ws "$URL/lobby" --wait welcome
  stop_bg
  names=$(cat "$DATA/1.out" "$DATA/2.out" <(echo "$output") | grep '"type":"welcome"' | grep -o '"you":{"name":"[^"]*"' | sort -u | wc -l)
  [ "$names" -eq 3 ]
}

@test "?since=<id> replays exactly the events after that id" {
  run ws "$URL/lobby" --wait welcome --send one --wait '"text":"one"'
  since=$(log_lines | grep '"text":"one"' | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
  run ws "$URL/lobby" --wait welcome --send two --send three --wait '"text":"three"'
  run ws "$URL/lobby?since=$since" --wait welcome --send 'caught up' --wait '"text":"caught up"'
  assert_success
  refute_output --partial '"text":"one"'
  [ "$(grep -c '"text":"two".*"replay":true' <<<"$output")" -eq 1 ]
  [ "$(grep -c '"text":"three".*"replay":true' <<<"$output")" -eq 1 ]
}

@test "?since= with an unknown id on a 20 GB log answers at once: the info, then recent history" {
  run ws "$URL/lobby" --wait welcome --send 'before the garbage' --wait '"text":"before the garbage"'
  local log="$DATA/rooms/lobby.log"
  truncate -s 20G "$log" # sparse garbage without newlines: reading it all would take minutes
  run ws "$URL/lobby" --wait welcome --send 'after the garbage' --wait '"text":"after the garbage"'
  local t0=$SECONDS
  run ws "$URL/lobby?since=000000000-nosuch-0" --wait '"text":"after the garbage"'
  assert_success
  assert_output --partial 'that point is no longer in the current log: showing recent history'
  assert_output --regexp '"text":"after the garbage".*"replay":true'
  [ $((SECONDS - t0)) -lt 10 ]
}

@test "?format=text gives the original's human-readable lines" {
  run ws "$URL/lobby?format=text" --wait welcome --send 'plain words' --wait 'Anonymous> plain words'
  assert_success
  assert_output --regexp '\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] Anonymous> plain words'
  refute_output --partial '{"'
}

@test "users list on every presence change, and ping answers pong" {
  wsbg "$URL/lobby" --out "$DATA/a.out" --wait welcome --wait '"type":"users".*Anonymous1' --wait '"type":"users","users":\[\{"name":"Anonymous","color":"[^"]*"\}\]' --send '{"type":"ping"}' --wait '"type":"pong"' >/dev/null
  a=$BG
  wait_until grep -q welcome "$DATA/a.out"
  run ws "$URL/lobby" --wait welcome --sleep 200
  assert_success
  wait "$a"
}

@test "bad input gets an error code and the connection stays usable" {
  run ws "$URL/lobby" --wait welcome \
    --send '{"type":"msg","text":' --wait '"code":"bad_json"' \
    --send '{"type":"teleport"}' --wait '"code":"bad_request"' \
    --send "$(head -c 5000 /dev/zero | tr '\0' x)" --wait '"code":"too_long"' \
    --send '/frobnicate' --wait '"code":"unknown_command"' \
    --send 'still here' --wait '"text":"still here"'
  assert_success
  [ "$(log_lines | grep -c 'xxxxx')" -eq 0 ]
  [ "$(log_lines | grep -c frobnicate)" -eq 0 ]
}

@test "a flood is rate limited, not logged, and the connection survives" {
  args=()
  for i in $(seq 1 30); do args+=(--send "flood $i"); done
  run ws "$URL/lobby" --wait welcome "${args[@]}" --wait '"code":"rate_limited"' --sleep 2100 --send 'after the flood' --wait '"text":"after the flood"'
  assert_success
  n=$(log_lines | grep -c '"text":"flood ' || true)
  [ "$n" -ge 10 ] && [ "$n" -lt 30 ]
}

@test "a bad room name is refused and no file is touched" {
  for room in '%2e%2e' '.hidden' 'a%5Cb' 'a%01b' 'a%7Cb' "$(printf 'x%.0s' $(seq 1 70))"; do
    run ws "$URL/$room" --wait '"type":"error"'
    assert_output --partial '"code":"bad_request"'
    refute_output --partial welcome
  done
  # A NUL never reaches us: websocketd itself refuses to put it in the environment.
  run ws "$URL/%00" --wait welcome
  assert_failure
  refute_output --partial '"type":"welcome"'
  [ -z "$(ls "$DATA/rooms")" ]
  [ -z "$(ls "$DATA/users")" ]
}

@test "stdin EOF, SIGTERM, SIGINT and SIGHUP each log exactly one leave and remove the presence" {
  run ws "$URL/lobby" --wait welcome
  for sig in TERM INT HUP; do
    wsbg "$URL/lobby" --out "$DATA/$sig.out" --sleep 10000 >/dev/null
    wait_until grep -q welcome "$DATA/$sig.out"
    pid=$(handler_pids | head -1)
    kill -$sig "$pid"
    wait_until bash -c "! kill -0 $pid 2>/dev/null"
    stop_bg
  done
  wait_until bash -c "[ \$(grep -c '\"type\":\"leave\"' '$DATA/rooms/lobby.log') -eq 4 ]"
  [ "$(log_lines | grep -c '"type":"join"')" -eq 4 ]
  [ -z "$(ls "$DATA/users/lobby")" ]
}

@test "a handler killed with kill -9 is reaped by the next join: one leave, reason lost" {
  wsbg "$URL/lobby" --out "$DATA/v.out" --sleep 10000 >/dev/null
  wait_until grep -q welcome "$DATA/v.out"
  pid=$(handler_pids | head -1)
  kill -9 "$pid"
  stop_bg
  run ws "$URL/lobby" --wait welcome --sleep 200
  assert_output --partial '"you":{"name":"Anonymous"'
  [ "$(log_lines | grep -c '"type":"leave".*"reason":"lost"')" -eq 1 ]
}

@test "a handler killed with kill -9 is reaped within the stale timeout by those still there" {
  wsbg "$URL/lobby" --out "$DATA/w.out" --sleep 20000 >/dev/null
  wait_until grep -q welcome "$DATA/w.out"
  wsbg "$URL/lobby" --out "$DATA/v.out" --sleep 20000 >/dev/null
  wait_until grep -q welcome "$DATA/v.out"
  pid=$(handler_pids | tail -1)
  kill -9 "$pid"
  # presence_stale_ms is 3000 in these tests: the survivor reaps within about 2 x stale.
  wait_up_to 10 grep -q '"type":"leave".*"reason":"lost"' "$DATA/w.out"
  grep -q '"type":"leave".*"from":"Anonymous1".*"reason":"lost"' "$DATA/w.out"
  stop_bg
  [ "$(log_lines | grep -c '"reason":"lost"')" -eq 1 ]
}

@test "an admin's rm -r users/<room>/<name> disconnects that chatter" {
  wsbg "$URL/lobby" --out "$DATA/bob.out" --sleep 10000 >/dev/null
  wait_until grep -q welcome "$DATA/bob.out"
  rm -r "$DATA/users/lobby/Anonymous"
  wait_until grep -q '"code":"forbidden"' "$DATA/bob.out"
  wait_until bash -c '[ -z "$(handler_pids)" ]'
  [ "$(log_lines | grep -c '"type":"leave".*"reason":"kicked"')" -eq 1 ]
}

@test "20 concurrent writers with 8 KB lines leave no torn or interleaved line" {
  cleanup_server
  start_server --set chat.max_message_bytes=16384 --set chat.rate_per_sec=0
  for w in $(seq 1 20); do
    line=$(printf "w$w-%.0s" $(seq 1 2000) | head -c 8000)
    sends=()
    for i in 1 2 3 4 5; do sends+=(--send "$line#$i"); done
    wsbg "$URL/lobby" --timeout 20000 --wait welcome "${sends[@]}" --wait "w$w-.*#5\"" >/dev/null
  done
  for p in "${BG_PIDS[@]}"; do wait "$p"; done
  n=$(log_lines | grep -c '"type":"msg"')
  [ "$n" -eq 100 ]
  # Every line is whole JSON, and each message is one writer's bytes only.
  log_lines | node -e '
    const lines = require("fs").readFileSync(0, "utf8").trimEnd().split("\n");
    for (const l of lines) {
      const e = JSON.parse(l);
      if (e.type !== "msg") continue;
      const tag = e.text.slice(0, e.text.indexOf("-") + 1);
      if (!/^w\d+-$/.test(tag) || e.text.replace(/#\d$/, "") !== tag.repeat(2000).slice(0, 8000)) { console.error("mixed line", l.slice(0, 80)); process.exit(1); }
    }'
}

@test "after stopping, no handler process is left" {
  for i in 1 2 3; do wsbg "$URL/lobby" --sleep 30000 >/dev/null; done
  wait_until bash -c "[ \$(ls '$DATA/users/lobby' | wc -l) -eq 3 ]"
  [ "$(handler_pids | wc -l)" -eq 3 ]
  stop_server
  wait_until bash -c '[ -z "$(handler_pids)" ]'
  [ -z "$(ls "$DATA/users/lobby")" ]
  [ "$(log_lines | grep -c '"type":"leave"')" -eq 3 ]
}

@test "when the kernel refuses another inotify instance, handlers poll and the chat still works" {
  [[ $(id -u) -eq 0 && -w /proc/sys/fs/inotify/max_user_instances ]] || skip "needs root to lower fs.inotify.max_user_instances"
  OLD_INOTIFY=$(cat /proc/sys/fs/inotify/max_user_instances)
  # Allow exactly the instances root holds now: the next inotify_init() gets EMFILE.
  in_use=$(find /proc/[0-9]*/fd -lname 'anon_inode:inotify' 2>/dev/null | wc -l)
  echo "$in_use" >/proc/sys/fs/inotify/max_user_instances
  wsbg "$URL/lobby" --out "$DATA/a.out" --wait welcome --wait '"text":"through polling"' >/dev/null
  a=$BG
  wait_until grep -q welcome "$DATA/a.out"
  run ws "$URL/lobby" --wait welcome --sleep 300 --send 'through polling' --wait '"text":"through polling"'
  assert_success
  wait "$a"
  grep -q 'polling lobby' "$DATA.server.log"
}
