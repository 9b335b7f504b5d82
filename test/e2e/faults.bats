#!/usr/bin/env bats
# Faults: slow readers, full and read-only disks, kills in the middle of appends,
# websocketd restarts. Each test shows that nothing is lost or torn.

setup() {
  load helpers
}

teardown() {
  stop_bg
  cleanup_server
  if [[ -n "${FAULT_MNT:-}" ]]; then umount "$FAULT_MNT" 2>/dev/null || true; rm -rf "$FAULT_DIR"; fi
}

@test "a client that stops reading is dropped past the backlog limit and does not slow the others" {
  start_server --set chat.max_backlog_bytes=65536 --set chat.rate_per_sec=0 --set chat.max_message_bytes=16384
  wsbg "$URL/lobby" --out "$DATA/slow.out" --wait welcome --stall --sleep 60000
  wait_until grep -q welcome "$DATA/slow.out"
  wsbg "$URL/lobby" --out "$DATA/reader.out" --timeout 30000 --wait welcome --wait '"text":"last"'
  reader=$BG
  wait_until grep -q welcome "$DATA/reader.out"
  big=$(head -c 12000 /dev/zero | tr '\0' y)
  sends=()
  for i in $(seq 1 40); do sends+=(--send "$big"); done
  # Enough to fill the kernel's socket and pipe buffers many times over.
  for round in $(seq 1 25); do
    ws "$URL/lobby" --timeout 20000 --wait welcome "${sends[@]}" --sleep 100 >/dev/null
    grep -q '"from":"Anonymous","color":"[^"]*","reason":"lost"' "$DATA/rooms/lobby.log" && break
  done
  ws "$URL/lobby" --wait welcome --send last --sleep 200 >/dev/null
  wait "$reader"
  grep -q 'stopped reading; dropped' "$DATA.server.log"
  [ "$(grep -c '"type":"leave","from":"Anonymous",.*"reason":"lost"' "$DATA/rooms/lobby.log")" -eq 1 ]
  # The reader, who kept reading, got every message.
  [ "$(grep -c '"text":"yyyy' "$DATA/reader.out")" -eq "$(grep -c '"text":"yyyy' "$DATA/rooms/lobby.log")" ]
}

# mount_small_tmpfs: a 2 MB filesystem of our own, to fill up or make read-only.
mount_small_tmpfs() {
  [[ $(id -u) -eq 0 ]] || skip "needs root to mount a small tmpfs"
  FAULT_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom-fault.XXXXXX")
  # The mount is the data dir itself: the server's own log ($DATA.server.log) and the
  # clients' output files stay outside it, on a disk that is not full.
  FAULT_MNT="$FAULT_DIR/data"
  mkdir "$FAULT_MNT"
  mount -t tmpfs -o size=2m tmpfs "$FAULT_MNT" || skip "cannot mount tmpfs here"
  DATA_DIR="$FAULT_MNT"
}

every_line_parses() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    if (lines.pop() !== "") { console.error("log does not end with a newline"); process.exit(1); }
    for (const l of lines) { try { JSON.parse(l); } catch { console.error("torn line:", l.slice(0, 80)); process.exit(1); } }
  ' "$1"
}

@test "disk full: the sender gets a storage error, its fragment is a line no one reads as an event, the chat recovers when space returns" {
  mount_small_tmpfs
  start_server --set chat.max_message_bytes=16384
  wsbg "$URL/lobby" --out "$FAULT_DIR/b.out" --timeout 20000 --wait welcome --wait '"text":"after space returns"'
  b=$BG
  wait_until grep -q welcome "$FAULT_DIR/b.out"
  big=$(head -c 9000 /dev/zero | tr '\0' z)  # more than a page: needs space it cannot get
  wsbg "$URL/lobby" --out "$FAULT_DIR/s.out" --timeout 20000 --wait welcome --sleep 1500 \
    --send "$big during full" --wait '"code":"storage"' --send '{"type":"ping"}' --wait '"type":"pong"' \
    --sleep 1500 --send 'after space returns' --wait '"text":"after space returns"'
  s=$BG
  wait_until grep -q welcome "$FAULT_DIR/s.out"
  # Fill every byte: dd stops at ENOSPC.
  dd if=/dev/zero of="$FAULT_MNT/filler" bs=1k 2>/dev/null || true
  wait_until grep -q '"code":"storage"' "$FAULT_DIR/s.out"
  rm -f "$FAULT_MNT/filler"
  wait "$s"
  wait "$b"
  # The refused line's fragment stays, ended by a newline (truncating it would send every
  # follower back to byte 0): a line of its own that no reader takes for an event.
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    if (lines.pop() !== "") { console.error("log does not end with a newline"); process.exit(1); }
    for (const l of lines) {
      let e;
      try { e = JSON.parse(l); } catch { if (l.includes("after space returns")) { console.error("torn:", l.slice(0, 80)); process.exit(1); } continue; }
      if (String(e.text).includes("during full")) { console.error("the refused line landed"); process.exit(1); }
    }
  ' "$DATA/rooms/lobby.log"
  ! grep -q 'during full' "$FAULT_DIR/b.out"
  grep -q '"text":"after space returns"' "$DATA/rooms/lobby.log"
}

@test "read-only data dir: the sender gets a storage error and the chat recovers when it is writable again" {
  mount_small_tmpfs
  start_server
  wsbg "$URL/lobby" --out "$FAULT_DIR/s.out" --timeout 20000 --wait welcome --sleep 1500 \
    --send 'while read-only' --wait '"code":"storage"' --sleep 1500 --send 'writable again' --wait '"text":"writable again"'
  s=$BG
  wait_until grep -q welcome "$FAULT_DIR/s.out"
  # As root, permission bits do not stop us; a read-only mount does (EROFS, like EACCES for others).
  mount -o remount,ro "$FAULT_MNT"
  wait_until grep -q '"code":"storage"' "$FAULT_DIR/s.out"
  mount -o remount,rw "$FAULT_MNT"
  wait "$s"
  every_line_parses "$DATA/rooms/lobby.log"
  [ "$(grep -c 'while read-only' "$DATA/rooms/lobby.log")" -eq 0 ]
}

@test "kill -9 of handlers in the middle of a flood: no torn line, every acknowledged message is in the log" {
  start_server --set chat.rate_per_sec=0
  for k in $(seq 1 8); do
    sends=()
    for i in $(seq 1 60); do sends+=(--send "s$k-$i $(head -c 500 /dev/zero | tr '\0' q)"); done
    wsbg "$URL/lobby" --out "$DATA/s$k.out" --timeout 15000 --wait welcome --sleep 2000 "${sends[@]}" --wait "\"text\":\"s$k-60 " >/dev/null
  done
  for k in $(seq 1 8); do wait_until grep -q welcome "$DATA/s$k.out"; done
  # Kill half of the handlers while they append: the flood starts 2 s after each welcome.
  sleep 2.1
  for p in $(handler_pids | head -4); do kill -9 "$p"; done
  for p in "${BG_PIDS[@]}"; do wait "$p" || true; done
  node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").split("\n");
    if (lines.pop() !== "") throw new Error("log does not end with a newline");
    const logged = new Map();
    for (const l of lines) { const e = JSON.parse(l); if (e.type === "msg") logged.set(e.text, (logged.get(e.text) || 0) + 1); }
    let acked = 0;
    for (const f of process.argv.slice(2)) {
      if (!fs.existsSync(f)) continue;
      for (const l of fs.readFileSync(f, "utf8").split("\n")) {
        if (!l.includes("\"type\":\"msg\"")) continue;
        const e = JSON.parse(l);
        acked++;
        if (logged.get(e.text) !== 1) throw new Error("acknowledged but not in the log once: " + e.text.slice(0, 10));
      }
    }
    if (acked === 0) throw new Error("nothing was acknowledged");
    console.log(`${acked} acknowledged deliveries, ${logged.size} messages logged, all whole`);
  ' "$DATA/rooms/lobby.log" "$DATA"/s*.out
  [ "$(grep -c '"reason":"lost"' "$DATA/rooms/lobby.log")" -le 4 ]
}

@test "websocketd killed and restarted: stale presence cleared, a client resumes with ?since and misses nothing" {
  start_server
  run ws "$URL/lobby" --wait welcome --send before --wait '"text":"before"'
  wsbg "$URL/lobby" --out "$DATA/a.out" --wait welcome --sleep 60000
  a=$BG
  wait_until grep -q welcome "$DATA/a.out"
  last=$(grep -o '"id":"[^"]*"' "$DATA/a.out" | tail -1 | cut -d'"' -f4)
  # The whole server dies at once: websocketd, its handlers and the CLI that started it.
  ws_pid=$(pgrep -f "websocketd --port $PORT ")
  kill -9 -- "-$ws_pid"
  kill -9 "$SERVER_PID"
  SERVER_PID=
  kill "$a" 2>/dev/null || true
  [ -d "$DATA/users/lobby/Anonymous" ]
  # While it is down, an admin writes to the room through the files.
  node "$ROOT/dist/tailroom.mjs" announce --data-dir "$DATA" lobby 'while you were away'
  DATA_DIR="$DATA" start_server
  [ ! -d "$DATA/users/lobby/Anonymous" ]
  [ "$(grep -c '"type":"leave","from":"Anonymous",.*"reason":"lost"' "$DATA/rooms/lobby.log")" -eq 1 ]
  # Its own message comes back live, after everything replayed.
  run ws "$URL/lobby?since=$last" --wait welcome --send 'caught up' --wait '"text":"caught up"'
  assert_success
  assert_output --partial '"text":"while you were away"'
  assert_output --partial '"reason":"lost"'
  refute_output --partial '"text":"before"'
}
