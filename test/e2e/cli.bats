#!/usr/bin/env bats
# The admin CLI's verbs against a temp data dir served by a live websocketd.

setup() {
  load helpers
  load named
}

teardown() {
  exec 4>&- # a connect client's stdin, if a test held one open
  stop_bg
  if [[ -n "${DATA:-}" ]]; then
    cleanup_server
    rm -f "$DATA".*.log
  fi
}

tailroom() { node "$ROOT/dist/tailroom.mjs" "$@"; }
# admin VERB ARGS...: a verb on this test's data dir.
admin() { tailroom "$@" --data-dir "$DATA"; }

# presence_pid NAME: the pid of the handler holding NAME's presence in the lobby
presence_pid() { node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pid' "$DATA/users/lobby/$1/info"; }

# serve PORT [FLAGS...]: `tailroom start` on PORT over this test's data dir (a restart
# on the port a client knows, or a second instance beside it); sets SERVER_PID.
serve() {
  local port=$1 log="$DATA.$1.$RANDOM.log"
  shift
  node "$ROOT/dist/tailroom.mjs" start --port "$port" --data-dir "$DATA" --set chat.presence_stale_ms=3000 --set stun.enabled=false "$@" >"$log" 2>&1 3>&- &
  SERVER_PID=$!
  within 20 grep -q 'chat at' "$log"
}

# within SECONDS CMD...: retry CMD for up to SECONDS (a reconnect may wait out a backoff)
within() {
  local i
  for i in $(seq 1 "$(($1 * 10))"); do "${@:2}" && return 0; sleep 0.1; done
  return 1
}

# count TEXT: how many lines of the connect client's output end with TEXT
count() { grep -c -- "$1\$" "$DATA/connect.out" || true; }

# event TYPE TEXT [TIME]: one stored event line, as a handler would have written it.
event() { printf '{"id":"0mwq00000-test-%s","t":"%s","type":"%s","from":"old","color":"#000000","text":"%s"}\n' "$RANDOM" "${3:-2026-11-19T10:00:00.000Z}" "$1" "$2"; }

@test "--help lists every verb; a wrong command line exits 2" {
  run tailroom --help
  assert_success
  for verb in start rooms who tail history announce kick prune names room invite config connect; do assert_output --partial "tailroom $verb"; done
  run tailroom kick --help
  assert_success
  assert_output --partial '--reason'
  run tailroom frobnicate
  assert_failure 2
  run tailroom who
  assert_failure 2
  assert_output --partial 'Not enough non-option arguments'
  run tailroom who ../../etc --data-dir /tmp
  assert_failure 2
  assert_output --partial 'bad room name'
}

@test "rooms lists rooms with their people and sizes; who lists a room's presence" {
  start_server
  present bob
  event msg 'rotated away' >"$DATA/rooms/lobby.log-20261120"
  touch "$DATA/rooms/empty.log"
  run admin rooms
  assert_success
  assert_line --regexp '^ROOM +PEOPLE +LOG +ROTATED +WHO$'
  assert_line --regexp '^lobby +1 +[0-9.]+K? +[0-9.]+K? in 1 +bob$'
  assert_line --regexp '^empty +0 +0 +-'
  run admin rooms --json
  assert_output --partial '{"room":"lobby","description":"Where everyone starts","users":["bob"]'
  run admin who lobby
  assert_success
  pid=$(handler_pids | head -1)
  assert_line --regexp "^bob +#[0-9a-f]{6} +$pid +$(hostname) +20[0-9-]+T"
  run admin who nowhere
  assert_failure 1
  assert_output --partial 'no room called nowhere'
  [ ! -e "$DATA/rooms/nowhere.log" ]
}

@test "tail prints the last events as the original's lines; -f follows new ones" {
  start_server
  run as alice --send 'first words' --send '/me nods' --send '/dice 1 6' --wait '"type":"roll"'
  wait_until logged '"type":"leave","from":"alice"'
  run admin tail lobby -n 4
  assert_success
  assert_line --index 3 --regexp '^\[[0-9:]{8}\] <-- alice left \(closed\)$'
  assert_line --index 0 --regexp '^\[[0-9:]{8}\] alice> first words$'
  assert_line --index 1 --regexp '^\[[0-9:]{8}\] \* alice nods$'
  assert_line --index 2 --regexp '^\[[0-9:]{8}\] \*\*\* alice rolls 1d6: [1-6] = [1-6]$'
  run admin tail lobby -n 1 --json
  assert_output --regexp '^\{"id":"[^"]+","t":"[^"]+","type":"leave","from":"alice"'
  # The last event printed means it has found the end it follows from.
  bg node "$ROOT/dist/tailroom.mjs" tail lobby -n 1 -f --data-dir "$DATA" >"$DATA/tail.out" 2>&1
  tailer=$BG
  wait_until grep -q 'alice left' "$DATA/tail.out"
  run as bob --send 'while you watch' --wait '"text":"while you watch"'
  assert_success
  wait_until grep -q 'bob> while you watch' "$DATA/tail.out"
  never grep -q 'first words' "$DATA/tail.out"
  kill -TERM "$tailer"
  wait "$tailer"
}

@test "history reads every segment, rotated and gzipped, oldest first" {
  start_server
  event msg 'day 18' 2026-11-18T09:00:00.000Z | gzip >"$DATA/rooms/lobby.log-20261118.gz"
  { event msg 'day 19 a' 2026-11-19T09:00:00.000Z; event msg 'day 19 b' 2026-11-19T10:00:00.000Z; } | gzip >"$DATA/rooms/lobby.log-20261119.gz"
  event msg 'day 20' 2026-11-20T09:00:00.000Z >"$DATA/rooms/lobby.log-20261120"
  event msg 'another room' >"$DATA/rooms/lobby.log-20261120.log"
  run as alice --send 'today' --wait '"text":"today"'
  run admin history lobby
  assert_success
  [ "$(grep -o 'old> [a-z0-9 ]*\|alice> today' <<<"$output" | tr '\n' '|')" = 'old> day 18|old> day 19 a|old> day 19 b|old> day 20|alice> today|' ]
  refute_output --partial 'another room'
  run admin history lobby --json
  [ "$(grep -c '^{"id"' <<<"$output")" -eq "$(( 4 + $(wc -l <"$DATA/rooms/lobby.log") ))" ]
  run bash -c "node '$ROOT/dist/tailroom.mjs' history lobby --data-dir '$DATA' | head -1"
  assert_success
  assert_output --partial 'day 18'
}

@test "announce reaches everyone and the history; --to reaches one inbox only" {
  start_server
  present bob
  present carol
  run admin announce lobby Maintenance at noon
  assert_success
  wait_until grep -q '"type":"announce","text":"Maintenance at noon"' "$DATA/bob.out"
  wait_until grep -q 'Maintenance at noon' "$DATA/carol.out"
  logged '"type":"announce","text":"Maintenance at noon"'
  run admin announce lobby --to bob only for bob
  assert_success
  wait_until grep -q '"type":"info","text":"only for bob"' "$DATA/bob.out"
  # A marker after it, down both roads to carol: her inbox and the room.
  new_marker
  admin announce lobby --to carol "$MARKER"
  admin announce lobby "$MARKER"
  wait_until got_marker carol
  never grep -q 'only for bob' "$DATA/carol.out"
  never logged 'only for bob'
  run admin announce lobby --to zed hello
  assert_failure 1
  assert_output --partial 'nobody called zed'
  run admin announce nowhere hello
  assert_failure 1
  [ ! -e "$DATA/rooms/nowhere.log" ]
}

@test "kick: a live handler tells its browser, logs one leave (kicked) and goes" {
  start_server
  present bob
  run admin kick lobby bob --reason 'too loud'
  assert_success
  assert_output 'kicked bob from lobby'
  wait_until grep -q '"type":"error","code":"forbidden","message":"kicked: too loud"' "$DATA/bob.out"
  [ ! -e "$DATA/users/lobby/bob" ]
  [ "$(log_lines | grep -c '"type":"leave","from":"bob"')" -eq 1 ]
  logged '"type":"leave","from":"bob","color"'
  log_lines | grep '"type":"leave","from":"bob"' | grep -q '"reason":"kicked"'
  run admin kick lobby bob
  assert_failure 1
  assert_output --partial 'nobody called bob'
}

@test "kick: a dead handler's presence is reaped with one leave (kicked)" {
  start_server
  present bob
  pid=$(handler_pids | head -1)
  kill -9 "$pid"
  run admin kick lobby bob
  assert_success
  assert_output --partial 'no longer connected'
  [ ! -e "$DATA/users/lobby/bob" ]
  [ "$(log_lines | grep -c '"type":"leave","from":"bob"')" -eq 1 ]
  log_lines | grep '"type":"leave","from":"bob"' | grep -q '"reason":"kicked"'
}

@test "kick: a handler that does not answer is removed by force, and its leave is logged once" {
  start_server
  present bob
  pid=$(handler_pids | head -1)
  kill -STOP "$pid"
  run admin kick lobby bob --wait 1
  kill -CONT "$pid"
  assert_success
  assert_output --partial 'did not answer in 1 s'
  [ ! -e "$DATA/users/lobby/bob" ]
  # Woken, the handler finds its presence gone and the leave already there: it just goes.
  wait_until bash -c "! kill -0 $pid 2>/dev/null"
  [ "$(log_lines | grep -c '"type":"leave","from":"bob"')" -eq 1 ]
  log_lines | grep '"type":"leave","from":"bob"' | grep -q '"reason":"kicked"'
}

@test "prune removes old rooms nobody said anything in, and keeps rooms with history, configured, fresh or occupied ones" {
  DATA="$(mktemp -d)"
  mkdir -p "$DATA/rooms" "$DATA/users"
  printf '[rooms]\nkept = configured, never pruned\n' >"$DATA.ini"
  for room in junk said rotated kept fresh busy; do event join '' >"$DATA/rooms/$room.log"; done
  event leave '' >>"$DATA/rooms/junk.log"
  event msg 'worth keeping' >>"$DATA/rooms/said.log"
  event msg 'said long ago' | gzip >"$DATA/rooms/rotated.log-20200101.gz"
  event join '' >"$DATA/rooms/gone.log.1" # a room whose current log is gone: its segments are the room
  # users/lonely/ without logs: emptied by hand. The reaper's marker is there, as a handler's scan leaves it.
  mkdir -p "$DATA/users/junk" "$DATA/users/busy/carol" "$DATA/users/lonely"
  touch "$DATA/users/junk/.reaped" "$DATA/users/lonely/.reaped"
  touch -d '40 days ago' "$DATA"/rooms/* "$DATA/users/junk" "$DATA/users/busy" "$DATA/users/lonely"
  touch -d '10 days ago' "$DATA/rooms/fresh.log"
  run tailroom prune --data-dir "$DATA" --config "$DATA.ini" --room-days 30 --dry-run
  assert_success
  assert_output --partial 'would remove 3 room(s) with nothing said, idle 30 day(s)'
  [ -e "$DATA/rooms/junk.log" ] && [ -e "$DATA/users/junk" ]
  run tailroom prune --data-dir "$DATA" --config "$DATA.ini" --room-days 30
  assert_success
  assert_output --partial 'removed 3 room(s)'
  [ ! -e "$DATA/rooms/junk.log" ] && [ ! -e "$DATA/users/junk" ] && [ ! -e "$DATA/rooms/gone.log.1" ] && [ ! -e "$DATA/users/lonely" ]
  for f in said.log rotated.log rotated.log-20200101.gz kept.log fresh.log busy.log; do [ -e "$DATA/rooms/$f" ]; done
  [ -e "$DATA/users/busy/carol" ]
  run tailroom prune --data-dir "$DATA" --config "$DATA.ini" --room-days 5
  assert_output --partial 'removed 1 room(s) with nothing said, idle 5 day(s): fresh'
  run tailroom prune --data-dir "$DATA" --room-days -3
  assert_failure 2
  rm -f "$DATA.ini"
}

@test "prune reaps dead presences (one leave each) and removes sessions unused for --days" {
  start_server
  present bob
  kill -9 "$(handler_pids | head -1)"
  old=$(printf 'o%.0s' $(seq 43))
  printf '{"name":"old","color":"","created":"2020-01-01T00:00:00Z","seen":"2020-01-01T00:00:00Z"}\n' >"$DATA/sessions/$old"
  touch -d 2020-01-01 "$DATA/sessions/$old" # last used then: a read refreshes the mtime
  fresh=$(session fresh | cut -d= -f2)
  run admin prune --days 30 --dry-run
  assert_success
  assert_output --partial 'would remove 1 session(s)'
  [ -e "$DATA/sessions/$old" ] && [ -e "$DATA/users/lobby/bob" ]
  run admin prune --days 30
  assert_success
  assert_output --partial 'reaped 1 stale presence(s); removed 1 session(s)'
  [ ! -e "$DATA/sessions/$old" ]
  [ -e "$DATA/sessions/$fresh" ]
  [ ! -e "$DATA/users/lobby/bob" ]
  [ "$(log_lines | grep -c '"type":"leave","from":"bob".*"reason":"lost"')" -eq 1 ]
  run admin prune --days -1
  assert_failure 2
}

@test "--json: prune, kick and announce say what they did as one JSON object" {
  start_server
  # Held well past what this takes on a busy machine: each step starts a node.
  present bob 60
  present carol 60
  run admin announce lobby --json Maintenance at noon
  assert_success
  assert_output --regexp '^\{"room":"lobby","id":"[^"]+","t":"20[0-9-]+T[0-9:.]+Z"\}$'
  id=$(node -p 'JSON.parse(process.argv[1]).id' "$output")
  logged "{\"id\":\"$id\","
  logged '"type":"announce","text":"Maintenance at noon"'
  run admin announce lobby --to bob --json only for bob
  assert_success
  assert_output --regexp '^\{"room":"lobby","to":"bob","id":"[^"]+","t":"[^"]+"\}$'
  id=$(node -p 'JSON.parse(process.argv[1]).id' "$output")
  grep -q "\"id\":\"$id\"" "$DATA/users/lobby/bob/inbox"
  run admin announce lobby --to zed --json hello
  assert_failure 1
  refute_output --partial '{'
  run admin kick lobby bob --reason 'too loud' --json
  assert_success
  assert_output '{"room":"lobby","name":"bob","outcome":"kicked","logged":true,"reason":"too loud"}'
  pid=$(presence_pid carol)
  kill -STOP "$pid"
  run admin kick lobby carol --wait 1 --json
  kill -CONT "$pid"
  assert_success
  assert_output '{"room":"lobby","name":"carol","outcome":"forced","logged":true}'
  present dave 60
  kill -9 "$(presence_pid dave)"
  run admin kick lobby dave --json
  assert_success
  assert_output '{"room":"lobby","name":"dave","outcome":"reaped","logged":true}'
  run admin kick lobby dave --json
  assert_failure 1
  refute_output --partial '{'
  present erin 60
  kill -9 "$(presence_pid erin)"
  old=$(printf 'o%.0s' $(seq 43))
  printf '{"name":"old","color":"","created":"2020-01-01T00:00:00Z","seen":"2020-01-01T00:00:00Z"}\n' >"$DATA/sessions/$old"
  touch -d 2020-01-01 "$DATA/sessions/$old" # last used then: a read refreshes the mtime
  run admin prune --days 30 --dry-run --json
  assert_success
  assert_output '{"dryRun":true,"days":30,"reaped":0,"sessions":1,"roomDays":30,"rooms":[],"invites":0,"attempts":0}'
  run admin prune --days 30 --json
  assert_success
  assert_output '{"dryRun":false,"days":30,"reaped":1,"sessions":1,"roomDays":30,"rooms":[],"invites":0,"attempts":0}'
  run admin prune --days -1 --json
  assert_failure 2
}

@test "config prints every effective setting and where it came from" {
  DATA=$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom.XXXXXX")
  printf '[chat]\nhistory_on_join = 50\n[rooms]\ncafe = Coffee\n' >"$DATA/chat.ini"
  run tailroom config --config "$DATA/chat.ini" --set chat.rate_per_sec=9
  assert_success
  assert_line --regexp "^chat\.history_on_join = 50 +# $DATA/chat\.ini$"
  assert_line --regexp '^chat\.rate_per_sec = 9 +# override$'
  assert_line --regexp '^server\.port = 8089 +# default$'
  assert_line 'rooms.cafe = Coffee'
  run tailroom config --config "$DATA/chat.ini" -n
  refute_output --partial 'server.port'
  assert_output --partial 'chat.history_on_join = 50'
  run tailroom config --config "$DATA/chat.ini" --set chat.nonsense=1
  assert_failure 2
  assert_output --partial 'unknown setting'
}

@test "connect: a terminal client types lines into the room and prints what it says" {
  start_server
  present bob
  run bash -c "printf 'hello from the terminal\n/who\n/msg bob psst\n' | node '$ROOT/dist/tailroom.mjs' connect lobby --name admin --port $PORT --data-dir '$DATA'"
  assert_success
  assert_line --index 0 '*** welcome to lobby, admin. Here: admin, bob'
  assert_line --regexp '^\[[0-9:]{8}\] admin> hello from the terminal$'
  assert_line '*** in lobby (2): admin, bob'
  assert_line --regexp '^\[[0-9:]{8}\] admin -> bob: psst$'
  wait_until grep -q '"from":"admin".*"text":"hello from the terminal"' "$DATA/bob.out"
  grep -q '"type":"whisper","from":"admin","to":"bob","text":"psst"' "$DATA/bob.out"
  wait_until logged '"type":"leave","from":"admin"'
  run bash -c "node '$ROOT/dist/tailroom.mjs' connect '$URL/lobby?format=text' </dev/null"
  assert_success
  assert_output --partial 'admin> hello from the terminal'
  run bash -c "node '$ROOT/dist/tailroom.mjs' connect lobby --port $(free_port) </dev/null"
  assert_failure 1
  assert_output --partial 'cannot connect'
}

@test "connect: after a drop it reconnects with backoff and prints every event once" {
  # A short history on join: a reconnect that did not resume from its last event would
  # miss most of what was said meanwhile.
  short=(--set chat.history_on_join=2)
  start_server "${short[@]}"
  mkfifo "$DATA/in"
  # Its stdin is a fifo the test holds open on fd 4: a chatter who has not quit.
  node "$ROOT/dist/tailroom.mjs" connect lobby --name admin --port "$PORT" --data-dir "$DATA" <"$DATA/in" >"$DATA/connect.out" 2>&1 3>&- &
  client=$!
  BG_PIDS+=("$client")
  exec 4>"$DATA/in"
  wait_until grep -q '^\*\*\* welcome to lobby, admin' "$DATA/connect.out"
  run as carol --send 'one' --wait '"text":"one"'
  wait_until grep -q 'carol> one$' "$DATA/connect.out"

  # Its handler dies: websocketd hangs up, the client comes back by itself.
  kill -9 "$(presence_pid admin)"
  within 20 grep -q '^\*\*\* reconnected$' "$DATA/connect.out"
  assert_equal "$(grep -c '^\*\*\* reconnecting in [0-9.]* s$' "$DATA/connect.out")" 1
  run as carol --send 'two' --wait '"text":"two"'
  echo 'typed after the drop' >&4
  wait_until grep -q 'carol> two$' "$DATA/connect.out"
  wait_until grep -q 'admin> typed after the drop$' "$DATA/connect.out"

  # The server goes; while it is away the room goes on through another instance.
  port=$PORT
  stop_server
  within 10 grep -q '^\*\*\* disconnected (connection lost)$' "$DATA/connect.out"
  other_port=$(free_port)
  serve "$other_port" "${short[@]}"
  BG_PIDS+=("$SERVER_PID")
  run ws "ws://127.0.0.1:$other_port/lobby" --timeout 20000 --cookie "$(session carol)" --wait '"type":"welcome"' \
    --send 'gap 1' --send 'gap 2' --send 'gap 3' --send 'gap 4' --wait '"text":"gap 4"'
  assert_success
  serve "$port" "${short[@]}"
  within 40 bash -c "[ \$(grep -c '^\*\*\* reconnected\$' '$DATA/connect.out') -eq 2 ]"
  run as carol --send 'three' --wait '"text":"three"'
  wait_until grep -q 'carol> three$' "$DATA/connect.out"

  for text in one two 'gap 1' 'gap 2' 'gap 3' 'gap 4' three 'admin> typed after the drop'; do
    assert_equal "$text: $(count "$text")" "$text: 1"
  done
  assert_equal "$(count '<-- carol left (closed)')" 4

  # A kick is final: no coming back to be kicked again.
  name=$(grep -o '^\*\*\* welcome to lobby, [^.]*' "$DATA/connect.out" | tail -1 | sed 's/.*, //')
  run admin kick lobby "$name"
  assert_success
  within 10 bash -c "! kill -0 $client 2>/dev/null"
  status=0
  wait "$client" || status=$?
  assert_equal "$status" 1
  assert_equal "$(grep -c '^\*\*\* reconnected$' "$DATA/connect.out")" 2
  assert_equal "$(tail -2 "$DATA/connect.out")" $'!!! forbidden: you were kicked from the room\n*** disconnected'
}

@test "connect behind an Origin allow-list: the site's origin gets in, a refusal says why" {
  start_server --origin chat.example.org
  run bash -c "node '$ROOT/dist/tailroom.mjs' connect lobby --port $PORT --data-dir '$DATA' </dev/null"
  assert_failure 1
  assert_output --partial 'HTTP 403 (Origin http://127.0.0.1:'"$PORT"' is not allowed: give --origin'
  run bash -c "node '$ROOT/dist/tailroom.mjs' connect lobby --port $PORT --data-dir '$DATA' --origin https://chat.example.org </dev/null"
  assert_success
  assert_line --index 0 --partial '*** welcome to lobby'
  # With server.public_url set, that is the origin it sends.
  run bash -c "node '$ROOT/dist/tailroom.mjs' connect '$URL/lobby' --data-dir '$DATA' --set server.public_url=https://chat.example.org/ </dev/null"
  assert_success
  assert_line --index 0 --partial '*** welcome to lobby'
}

@test "tailroom --version prints the package's version" {
  run node "$ROOT/dist/tailroom.mjs" --version
  assert_success
  assert_output "$(node -p 'require("'"$ROOT"'/package.json").version')"
}
