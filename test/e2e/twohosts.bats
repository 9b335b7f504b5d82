#!/usr/bin/env bats
# Two hosts over one shared data directory (NFS, CephFS), as two `tailroom start`
# instances on two ports over one data dir with shared_fs = true and watch = poll.
# Instance B runs under another hostname (a UTS namespace, when unshare is allowed), so
# A can only tell B's chatters are gone by their stale presence locks, as across hosts.

setup() {
  load helpers
  DATA="$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom-2h.XXXXXX")"
  COMMON=(--data-dir "$DATA" --set files.shared_fs=true --set files.watch=poll --set chat.presence_stale_ms=2000
    --set stun.enabled=false --set server.trusted_user_header=X-Remote-User --set server.origin=127.0.0.1 --set chat.rate_per_sec=0)
}

teardown() {
  stop_bg
  stop_instance A
  stop_instance B
  rm -rf "$DATA" "$DATA".*.log
}

# start_instance NAME [HOSTNAME]: sets PORT_<NAME>, PID_<NAME> (tailroom start)
start_instance() {
  local name=$1 host=${2:-} port log="$DATA.$1.log"
  port=$(free_port)
  if [[ -n $host ]]; then
    # exec keeps the pid: $! is tailroom start itself.
    unshare -u sh -c 'hostname "$0" && exec "$@"' "$host" node "$ROOT/dist/tailroom.mjs" start --port "$port" "${COMMON[@]}" >"$log" 2>&1 &
  else
    node "$ROOT/dist/tailroom.mjs" start --port "$port" "${COMMON[@]}" >"$log" 2>&1 &
  fi
  printf -v "PID_$name" '%s' "$!"
  printf -v "PORT_$name" '%s' "$port"
  wait_up_to 10 grep -q 'chat at' "$log" && return 0
  cat "$log" >&2
  return 1
}


@test "chatters on two instances over one data dir see each other, presence merged; a killed instance's chatters are reaped" {
  local other=""
  if unshare -u true 2>/dev/null; then other=tailroom-b; fi
  start_instance A
  start_instance B "$other"

  # bob on B, alice on A; each answers the other.
  wsbg "ws://127.0.0.1:$PORT_B/lobby" --header 'X-Remote-User: bob' --out "$DATA/bob.out" --wait welcome \
    --wait '"text":"hi from A"' --send 'hi from B' --sleep 60000 >/dev/null
  wait_until grep -q welcome "$DATA/bob.out"
  wsbg "ws://127.0.0.1:$PORT_A/lobby" --header 'X-Remote-User: alice' --out "$DATA/alice.out" --wait welcome \
    --send 'hi from A' --wait '"text":"hi from B"' --sleep 60000 >/dev/null
  wait_until grep -q welcome "$DATA/alice.out"

  # Presence is merged: alice's welcome, on A, lists bob, who is on B.
  head -1 "$DATA/alice.out" | grep -q '"users":\[{"name":"alice"[^]]*},{"name":"bob"'
  # Messages cross: polling followers on each instance read what the other appended
  # (slowly, by design: hence the longer waits).
  wait_up_to 30 grep -q '"from":"alice".*"text":"hi from A"' "$DATA/bob.out"
  wait_up_to 30 grep -q '"from":"bob".*"text":"hi from B"' "$DATA/alice.out"
  # bob joined on B: his presence says where.
  [ "$(jq -r .host "$DATA/users/lobby/bob/info")" = "${other:-$(hostname)}" ]
  [ "$(jq -r .host "$DATA/users/lobby/alice/info")" = "$(hostname)" ]
  run node "$ROOT/dist/tailroom.mjs" who lobby --data-dir "$DATA"
  assert_output --partial alice
  assert_output --partial bob

  # Host B dies. Its handlers log nothing; A's handler reaps bob once his lock is stale.
  kill9_instance B
  [ "$(grep -c '"type":"leave","from":"bob"' "$DATA/rooms/lobby.log")" -eq 0 ]
  wait_up_to 30 grep -q '"type":"leave","from":"bob".*"reason":"lost"' "$DATA/alice.out"
  [ ! -e "$DATA/users/lobby/bob" ]
  [ "$(grep -c '"type":"leave","from":"bob"' "$DATA/rooms/lobby.log")" -eq 1 ]
  # alice, on the live instance, is still there and was told the new list.
  [ -e "$DATA/users/lobby/alice/info" ]
  wait_up_to 30 grep -q '"type":"users","users":\[{"name":"alice","color":"#[0-9a-f]*"}\]' "$DATA/alice.out"
  if [[ -z $other ]]; then skip "unshare -u is not allowed here: B ran under the same hostname (reaped by pid, not by lock)"; fi
}

@test "two instances appending to one room at once (shared_fs): every line whole, none lost" {
  start_instance A
  start_instance B
  local args=() i
  for i in $(seq -f '%03g' 1 60); do args+=(--send "$(printf 'x%.0s' $(seq 1 300))-$i"); done
  wsbg "ws://127.0.0.1:$PORT_A/lobby" --header 'X-Remote-User: anna' --wait welcome "${args[@]}" --sleep 500 >/dev/null
  local a=$BG
  wsbg "ws://127.0.0.1:$PORT_B/lobby" --header 'X-Remote-User: bert' --wait welcome "${args[@]}" --sleep 500 >/dev/null
  local b=$BG
  wait "$a"
  wait "$b"
  # Every line whole JSON; 60 messages from each.
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trimEnd().split("\n");
    const n = { anna: 0, bert: 0 };
    for (const l of lines) { const e = JSON.parse(l); if (e.type === "msg") n[e.from]++; }
    if (n.anna !== 60 || n.bert !== 60) { console.log(JSON.stringify(n)); process.exit(1); }' "$DATA/rooms/lobby.log"
}
