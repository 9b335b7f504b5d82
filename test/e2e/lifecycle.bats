#!/usr/bin/env bats
# A chatter's presence from join to leave, when its handler stalls or dies on the way
# out: exactly one leave for every join, and a name taken over by a newcomer stays theirs.

setup() {
  load helpers
  load named
}

teardown() {
  stop_bg
  # A test that failed half-way must not leave a stopped handler behind.
  [[ -n "${STOPPED:-}" ]] && kill -CONT "$STOPPED" 2>/dev/null
  if [[ -n "${DATA:-}" ]]; then cleanup_server; fi
}

tailroom() { node "$ROOT/dist/tailroom.mjs" "$@"; }

# info_pid NAME: the pid in NAME's presence info in the lobby
info_pid() { grep -o '"pid":[0-9]*' "$DATA/users/lobby/$1/info" | cut -d: -f2; }

# count_log REGEX: how many lobby log lines match
count_log() { log_lines | grep -c -- "$1" || true; }

@test "a stalled handler that was reaped and replaced logs nothing, reads nothing of the newcomer's, and is closed" {
  start_server --set chat.presence_stale_ms=2000 --set chat.rate_per_sec=0
  present carol 90
  # The old alice says something 3 s after her welcome: by then her handler is stopped.
  wsbg "$URL/lobby" --cookie "$(session alice)" --out "$DATA/old.out" --timeout 20000 \
    --wait welcome --sleep 3000 --send "said while stopped" --wait 'nothing comes after the error' 2>"$DATA/old.err"
  old_client=$BG
  wait_until grep -qs '"type":"welcome"' "$DATA/old.out"
  STOPPED=$(info_pid alice)
  welcomed=$SECONDS
  kill -STOP "$STOPPED"
  # carol's handler reaps the stale presence and logs its leave.
  wait_up_to 10 grep -qs '"type":"leave","from":"alice".*"reason":"lost"' "$DATA/rooms/lobby.log"
  wsbg "$URL/lobby" --cookie "$(session alice)" --out "$DATA/new.out" --timeout 20000 --wait welcome --sleep 90000
  wait_until grep -qs '"type":"welcome".*"you":{"name":"alice"' "$DATA/new.out"
  as dave --send "/msg alice secret before" --wait '"text":"secret before"' >/dev/null
  wait_until grep -qs '"text":"secret before"' "$DATA/new.out"
  # Let the old client send its line (3 s after its welcome): it waits in the stopped handler's stdin.
  while ((SECONDS - welcomed < 5)); do sleep 0.2; done
  kill -CONT "$STOPPED"
  # Woken, the old handler finds the name is someone else's: it says so and closes.
  wait_until grep -qs '"type":"error","code":"forbidden","message":"you were disconnected' "$DATA/old.out"
  wait_until bash -c "! kill -0 $STOPPED 2>/dev/null"
  STOPPED=
  # ...and the server closed its connection (ws.mjs was still waiting).
  wait "$old_client" || true
  grep -q 'closed while waiting' "$DATA/old.err"
  as dave --send "/msg alice secret after" --wait '"text":"secret after"' >/dev/null
  wait_until grep -qs '"text":"secret after"' "$DATA/new.out"
  # Nothing meant for the new alice reached the old one's browser.
  never grep -q 'secret' "$DATA/old.out"
  # The old handler logged nothing after waking: one leave for the old alice (the reaper's),
  # none for the new one, and not the line its client sent while it was stopped.
  never logged 'said while stopped'
  [ "$(count_log '"type":"leave","from":"alice"')" -eq 1 ]
  [ "$(count_log '"type":"join","from":"alice"')" -eq 2 ]
  # The new alice still holds her name (she got the whisper above, after the old one woke).
  [ -n "$(info_pid alice)" ]
  as dave --send /who --wait '"text":"in lobby \(3\): alice, carol, dave"' >/dev/null
}

@test "handlers killed at random points of their leave: every join gets exactly one leave" {
  # A stale time with room to spare: on a loaded machine a live handler can miss 2 s.
  start_server --set chat.presence_stale_ms=4000
  present watcher 120
  run node "$ROOT/test/helpers/leave-stress.mjs" "$URL" "$DATA" 200 10
  echo "$output"
  stress=$status
  # Whatever is left over is reaped: by the watcher's handler, and by prune.
  tailroom prune --data-dir "$DATA" >/dev/null
  wait_up_to 10 bash -c "[ \"\$(ls '$DATA/users/lobby')\" = watcher ]"
  run node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    const here = new Map();
    const bad = [];
    let joins = 0;
    for (const l of lines) {
      const e = JSON.parse(l);
      if (e.from === "watcher") continue;
      if (e.type === "join") {
        joins++;
        if (here.get(e.from)) bad.push(`${e.from}: joined twice without a leave, at ${e.t}`);
        here.set(e.from, true);
      } else if (e.type === "leave") {
        if (!here.get(e.from)) bad.push(`${e.from}: a leave without a join (${e.reason}), at ${e.t}`);
        here.set(e.from, false);
      } else if (e.type === "nick") bad.push("a nick nobody asked for");
    }
    for (const [name, present] of here) if (present) bad.push(`${name}: joined, never left`);
    console.log(`${joins} joins; ${bad.length} faults`);
    for (const b of bad) console.log(b);
    process.exit(bad.length || joins !== 200 ? 1 : 0);
  ' "$DATA/rooms/lobby.log"
  echo "$output"
  [ "$status" -eq 0 ] || { grep -v '"from":"watcher"' "$DATA/rooms/lobby.log" | grep -B3 -A3 -F "$(echo "$output" | grep -o 'at [0-9T:.Z-]*' | head -1 | cut -c4-)"; grep -i 'error\|warn' "$DATA.server.log" | grep -v audit | tail -5; false; }
  [ "$stress" -eq 0 ] # no client was refused its join
}
