#!/usr/bin/env bats
# Faults: slow readers, full and read-only disks, kills in the middle of appends,
# websocketd restarts. Each test shows that nothing is lost or torn.

setup() {
  load helpers
}

teardown() {
  cleanup_server
  if [[ -n "${FAULT_MNT:-}" ]]; then umount "$FAULT_MNT" 2>/dev/null || true; rmdir "$FAULT_MNT" 2>/dev/null || true; fi
}

@test "a client that stops reading is dropped past the backlog limit and does not slow the others" {
  start_server --set chat.max_backlog_bytes=65536 --set chat.rate_per_sec=0 --set chat.max_message_bytes=16384
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --out "$DATA/slow.out" --wait welcome --stall --sleep 60000 3>&- &
  slow=$!
  wait_until grep -q welcome "$DATA/slow.out"
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --out "$DATA/reader.out" --timeout 30000 --wait welcome --wait '"text":"last"' 3>&- &
  reader=$!
  wait_until grep -q welcome "$DATA/reader.out"
  big=$(head -c 12000 /dev/zero | tr '\0' y)
  sends=()
  for i in $(seq 1 40); do sends+=(--send "$big"); done
  # Enough to fill the kernel's socket and pipe buffers many times over.
  for round in $(seq 1 25); do
    node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --timeout 20000 --wait welcome "${sends[@]}" --sleep 100 >/dev/null 3>&-
    grep -q '"from":"Anonymous","color":"[^"]*","reason":"lost"' "$DATA/rooms/lobby.log" && break
  done
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --wait welcome --send last --sleep 200 >/dev/null 3>&-
  wait "$reader"
  grep -q 'stopped reading; dropped' "$DATA.server.log"
  [ "$(grep -c '"type":"leave","from":"Anonymous",.*"reason":"lost"' "$DATA/rooms/lobby.log")" -eq 1 ]
  # The reader, who kept reading, got every message.
  [ "$(grep -c '"text":"yyyy' "$DATA/reader.out")" -eq "$(grep -c '"text":"yyyy' "$DATA/rooms/lobby.log")" ]
  kill "$slow" 2>/dev/null || true
}
