#!/usr/bin/env bats
# The shipped logrotate files, run by the real logrotate (forced, with a temp state file)
# three times while three clients chat 300 messages and two listen. Then every message is
# counted: sent, delivered to each listener, present across rooms/lobby.log* (.gz too).
# Rename-style rotation must lose nothing; for copytruncate the figures are printed and
# only what it guarantees is asserted.

SENDERS=3
PER_SENDER=100
ROTATIONS=3

setup() {
  load helpers
  command -v logrotate >/dev/null || skip "logrotate is not installed (bin/setup --test)"
  # No rate limit: the clients send as fast as the test wants.
  start_server --set stun.enabled=false --set chat.rate_per_sec=0 --set chat.history_on_join=0
  TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom-rotate.XXXXXX")"
  # A day's worth of history already there: the copy in copytruncate takes as long as a
  # real log's would (16 MB).
  node -e '
    const fs = require("fs");
    const line = (i) => JSON.stringify({ id: "0mwr00000-filler-" + i.toString(36), t: "2026-11-21T10:00:00.000Z", type: "msg", from: "filler", color: "#000000", text: "x".repeat(120) }) + "\n";
    const fd = fs.openSync(process.argv[1], "a");
    let chunk = "";
    for (let i = 0; i < 90000; i++) { chunk += line(i); if (chunk.length > 1 << 20) { fs.writeSync(fd, chunk); chunk = ""; } }
    fs.writeSync(fd, chunk);
  ' "$DATA/rooms/lobby.log"
}

teardown() {
  stop_bg
  cleanup_server
  [[ -n "${TMP:-}" ]] && rm -rf "$TMP"
}

# rotate_conf FILE: the shipped file pointed at this test's data dir, rotated as us
rotate_conf() {
  sed -e "s#/var/lib/tailroom/rooms/#$DATA/rooms/#" -e "s#^\( *su\) tailroom tailroom#\1 $(id -un) $(id -gn)#" "$1" >"$TMP/logrotate.conf"
  grep -q "^$DATA/rooms/\*.log {" "$TMP/logrotate.conf"
}

# sender N: a background client ($BG) sending PER_SENDER messages "rot-N-001" …, 200 ms
# apart (about 20 s in all)
sender() {
  local args=() i
  for i in $(seq -f '%03g' 1 "$PER_SENDER"); do args+=(--send "rot-$1-$i" --sleep 200); done
  # Lines already sent are logged before the handler leaves; the pause is only politeness.
  wsbg "$URL/lobby" --wait welcome "${args[@]}" --sleep 300
}

messages() { grep -o '"text":"rot-[0-9]*-[0-9]*"' | cut -d'"' -f4; }
present() {
  local f
  for f in "$DATA"/rooms/lobby.log*; do
    case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
  done | messages
}
count_unique() { sort -u | wc -l; }
all_sent() { local s; for s in $(seq 1 "$SENDERS"); do seq -f "rot-$s-%03g" 1 "$PER_SENDER"; done; }
count_dups() { sort | uniq -d | wc -l; }
delivered_all() { [ "$(messages <"$1" | count_unique)" -ge "$2" ]; }

# said TEXT: the message is in one of the room's segments
said() { zgrep -qs "\"text\":\"$1\"" "$DATA"/rooms/lobby.log*; }

# chat_while_rotating: fills SENT, and the listeners' files $TMP/l1.out $TMP/l2.out
chat_while_rotating() {
  local l
  for l in l1 l2; do
    wsbg "$URL/lobby" --wait welcome --sleep 120000 >"$TMP/$l.out"
    wait_until grep -q welcome "$TMP/$l.out"
  done
  local s pids=()
  for s in $(seq 1 "$SENDERS"); do
    sender "$s" >"$TMP/s$s.out" 2>&1
    pids+=("$BG")
  done
  # Rotation k comes once sender 1 is k/(ROTATIONS+1) of the way through, so every
  # rotation falls in the middle of the chat however fast the machine is. They are
  # 5.5 s apart at least: more than a second (the dateformat counts seconds) and more
  # than the follower's 5 s safety re-check. Two rotations inside one such interval can
  # make a follower skip the file between them (README, "Log rotation"); a daily
  # rotation never does that.
  local r last=0
  for r in $(seq 1 "$ROTATIONS"); do
    # a loaded machine sends slowly
    wait_up_to 60 said "rot-1-$(printf '%03d' $((r * PER_SENDER / (ROTATIONS + 1))))"
    while (($(date +%s%N) - last < 5500000000)); do sleep 0.05; done
    last=$(date +%s%N)
    logrotate -v -f -s "$TMP/state" "$TMP/logrotate.conf" >>"$TMP/logrotate.out" 2>&1 || { cat "$TMP/logrotate.out"; return 1; }
  done
  local failed=0
  for s in "${pids[@]}"; do wait "$s" || failed=1; done
  ((failed == 0)) || { cat "$TMP"/s*.out; return 1; }
  SENT=$((SENDERS * PER_SENDER))
}

figures() { # mode
  local total=$SENT pres d1 d2 l
  pres=$(present | count_unique)
  d1=$(messages <"$TMP/l1.out" | count_unique)
  d2=$(messages <"$TMP/l2.out" | count_unique)
  echo "# $1: sent $total, delivered $d1 and $d2 (two listeners), present in rooms/lobby.log* $pres, lost from the files $((total - pres))" >&3
  # For a failure: the segments, what logrotate did, and what each listener missed.
  ls -l --time-style=+%s.%N "$DATA/rooms" >&2
  grep -iE "renaming|copying|truncating|skipping|exist|error" "$TMP/logrotate.out" >&2 || true
  for l in l1 l2; do
    echo "$l missed: $(comm -23 <(all_sent | sort) <(messages <"$TMP/$l.out" | sort -u) | tr '\n' ' ')" >&2
  done
}

@test "rename rotation (the shipped logrotate/tailroom): nothing lost, nothing repeated, history keeps every segment" {
  rotate_conf "$ROOT/logrotate/tailroom"
  grep -q '^ *nocreate$' "$TMP/logrotate.conf"
  chat_while_rotating
  # Every listener gets all of it; allow followers a moment to drain.
  wait_until delivered_all "$TMP/l1.out" "$SENT" || true
  wait_until delivered_all "$TMP/l2.out" "$SENT" || true
  figures rename
  [ "$(present | count_unique)" -eq "$SENT" ]
  [ "$(present | count_dups)" -eq 0 ]
  [ "$(present | wc -l)" -eq "$SENT" ]
  local l
  for l in l1 l2; do
    [ "$(messages <"$TMP/$l.out" | count_unique)" -eq "$SENT" ]
    [ "$(messages <"$TMP/$l.out" | wc -l)" -eq "$SENT" ]
  done
  # The segments: one per rotation, dated; all but the newest compressed (delaycompress).
  [ "$(ls "$DATA"/rooms/lobby.log-* | wc -l)" -eq "$ROTATIONS" ]
  [ "$(ls "$DATA"/rooms/lobby.log-*.gz | wc -l)" -eq $((ROTATIONS - 1)) ]
  ls "$DATA"/rooms/ | grep -Eq '^lobby\.log-[0-9]{8}-[0-9]{10}$'

  # The archive lists the rotated segments, and the CLI reads through all of them.
  run curl -s "http://127.0.0.1:$PORT/history"
  assert_success
  local seg
  for seg in $(ls "$DATA/rooms" | grep '^lobby\.log-'); do
    grep -qF "$seg" <<<"$output" || { echo "not on /history: $seg"; return 1; }
  done
  run node "$ROOT/dist/tailroom.mjs" history lobby --json --data-dir "$DATA"
  assert_success
  [ "$(messages <<<"$output" | count_unique)" -eq "$SENT" ]
  # The first message is in the oldest, compressed segment; a room page search finds it.
  zcat "$(ls "$DATA"/rooms/lobby.log-*.gz | head -1)" | grep -q '"text":"rot-1-001"'
  run curl -s "http://127.0.0.1:$PORT/history?room=lobby&q=rot-1-001"
  assert_success
  assert_output --partial '<mark>rot-1-001</mark>'
}

@test "copytruncate rotation (logrotate/tailroom.copytruncate): no duplicates or garbage; its losses are reported" {
  rotate_conf "$ROOT/logrotate/tailroom.copytruncate"
  grep -q '^ *copytruncate$' "$TMP/logrotate.conf"
  chat_while_rotating
  wait_until delivered_all "$TMP/l1.out" "$SENT" || true
  wait_until delivered_all "$TMP/l2.out" "$SENT" || true
  figures copytruncate
  # What copytruncate guarantees: no line twice, and nothing that was never sent.
  [ "$(present | count_dups)" -eq 0 ]
  [ "$(present | count_unique)" -le "$SENT" ]
  local l
  for l in l1 l2; do
    [ "$(messages <"$TMP/$l.out" | count_dups)" -eq 0 ]
    [ "$(messages <"$TMP/$l.out" | count_unique)" -le "$SENT" ]
  done
  # Every line in every segment is whole JSON: a truncation never tears one.
  local f
  for f in "$DATA"/rooms/lobby.log*; do
    case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
  done | node -e '
    let bad = 0; const rl = require("readline").createInterface({ input: process.stdin });
    rl.on("line", (l) => { try { JSON.parse(l); } catch { bad++; } });
    rl.on("close", () => { if (bad) { console.log(bad + " torn lines"); process.exit(1); } });'
  [ "$(ls "$DATA"/rooms/lobby.log-* | wc -l)" -eq "$ROTATIONS" ]
}

@test "the audit log, when it is a file, is rotated by the shipped config and loses no line" {
  cleanup_server
  start_server --set stun.enabled=false --set server.audit_log=audit.log
  sed -e "s#/var/lib/tailroom/#$DATA/#" -e "s#^\( *su\) tailroom tailroom#\1 $(id -un) $(id -gn)#" "$ROOT/logrotate/tailroom" >"$TMP/logrotate.conf"
  grep -q "^$DATA/audit.log {" "$TMP/logrotate.conf"
  run ws "$URL/lobby" --wait welcome
  assert_success
  wait_until grep -q 'outcome=closed' "$DATA/audit.log"
  logrotate -f -s "$TMP/state" "$TMP/logrotate.conf"
  [ ! -e "$DATA/audit.log" ]
  compgen -G "$DATA/audit.log-*" >/dev/null
  run ws "$URL/lobby" --wait welcome
  assert_success
  wait_until grep -q 'outcome=closed' "$DATA/audit.log"
  # two lines a connection, each in exactly one file
  [ "$(cat "$DATA"/audit.log* | grep -c 'tailroom-audit .*outcome=joined')" = 2 ]
  [ "$(cat "$DATA"/audit.log* | grep -c 'tailroom-audit .*outcome=closed')" = 2 ]
  [ "$(grep -c tailroom-audit "$DATA/audit.log")" = 2 ]
}
