#!/usr/bin/env bats
# Deployment without a proxy: the FHS install and its systemd units, TLS straight from
# websocketd, the Origin allow-list, and the audit trail — all with the real programs.

setup() {
  load helpers
  TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom-deploy.XXXXXX")"
}

teardown() {
  stop_bg
  cleanup_server
  rm -rf "$TMP"
}

# audit_lines: the audit lines of this test's server, from the file or websocketd's log
audit_lines() { grep -h 'tailroom-audit' "$DATA/audit.log" "$DATA.server.log" 2>/dev/null || true; }
audit_count_is_at_least() { [ "$(audit_lines | wc -l)" -ge "$1" ]; }

@test "install stages code in /opt/tailroom, config in /etc/tailroom, data in /var/lib/tailroom" {
  run node "$ROOT/dist/tailroom.mjs" install --root "$TMP"
  assert_success
  [ -x "$TMP/opt/tailroom/bin/tailroom" ]
  local d
  for d in opt/tailroom/dist/cgi opt/tailroom/htdocs var/lib/tailroom/rooms var/lib/tailroom/users var/lib/tailroom/sessions; do
    [ -d "$TMP/$d" ]
  done
  [ -f "$TMP/opt/tailroom/dist/room.cjs" ]
  [ -f "$TMP/opt/tailroom/dist/room.bundle.cjs" ]
  compgen -G "$TMP/opt/tailroom/dist/room.*.cache" >/dev/null
  compgen -G "$TMP/opt/tailroom/dist/pages/rooms.*.cache" >/dev/null
  grep -qx 'data_dir = /var/lib/tailroom' "$TMP/etc/tailroom/chat.ini"
  grep -q 'TAILROOM_CONF:=/etc/tailroom/chat.ini' "$TMP/opt/tailroom/bin/tailroom"
  [ "$(readlink "$TMP/usr/local/bin/tailroom")" = /opt/tailroom/bin/tailroom ]
  [ -f "$TMP/etc/systemd/system/tailroom.service" ]
  [ -f "$TMP/etc/systemd/system/tailroom-stun.service" ]
  grep -q '^/var/lib/tailroom/rooms/\*.log {' "$TMP/etc/logrotate.d/tailroom"
  grep -q '^fs.inotify.max_user_instances' "$TMP/etc/sysctl.d/60-tailroom-inotify.conf"

  # An admin's config survives a reinstall.
  echo '; mine' >>"$TMP/etc/tailroom/chat.ini"
  run node "$ROOT/dist/tailroom.mjs" install --root "$TMP"
  assert_success
  assert_output --partial 'kept'
  grep -qx '; mine' "$TMP/etc/tailroom/chat.ini"
}

@test "the installed copy runs on its own: chat and pages from /opt/tailroom, config from /etc/tailroom" {
  node "$ROOT/dist/tailroom.mjs" install --root "$TMP" >/dev/null
  DATA="$TMP/var/lib/tailroom"
  PORT="$(free_port)"
  # The launcher names the final paths; here the staged ones stand in for them.
  TAILROOM_CONF="$TMP/etc/tailroom/chat.ini" node "$TMP/opt/tailroom/dist/tailroom.mjs" start --port "$PORT" \
    --data-dir "$DATA" --set stun.enabled=false >"$DATA.server.log" 2>&1 &
  SERVER_PID=$!
  wait_until grep -q 'chat at' "$DATA.server.log"
  grep -q "Serving using application.*$TMP/opt/tailroom/dist/room.cjs" "$DATA.server.log"
  run ws "ws://127.0.0.1:$PORT/lobby" --wait welcome --send 'from the installed copy' --wait 'from the installed copy'
  assert_success
  grep -q 'from the installed copy' "$DATA/rooms/lobby.log"
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/rooms"
  assert_output 200
}

@test "systemd-analyze verify passes on both units, which are hardened and run as a dedicated user" {
  command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (bin/setup --test)"
  node "$ROOT/dist/tailroom.mjs" install --root "$TMP" >/dev/null
  mkdir "$TMP/verify"
  local unit
  for unit in tailroom.service tailroom-stun.service tailroom-prune.service tailroom-prune.timer; do
    # verify checks that ExecStart exists: point the copy at the staged install.
    sed "s#/opt/tailroom/#$TMP/opt/tailroom/#g" "$TMP/etc/systemd/system/$unit" >"$TMP/verify/$unit"
  done
  run systemd-analyze verify "$TMP/verify/tailroom.service" "$TMP/verify/tailroom-stun.service" "$TMP/verify/tailroom-prune.service" "$TMP/verify/tailroom-prune.timer"
  echo "$output"
  assert_success
  assert_output '' # an unknown or misspelt directive is only a warning: none allowed
  local u="$TMP/etc/systemd/system/tailroom.service" d
  for d in User=tailroom ProtectSystem=strict ReadWritePaths=/var/lib/tailroom NoNewPrivileges=yes PrivateTmp=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' ProtectHome=yes CapabilityBoundingSet= 'ExecStopPost=-/opt/tailroom/bin/tailroom prune'; do
    grep -qx "$d" "$u" || { echo "missing: $d"; return 1; }
  done
  grep -qx 'ExecStart=/opt/tailroom/bin/tailroom start --set stun.enabled=false' "$u"
  grep -qx 'ExecStart=/opt/tailroom/bin/tailroom stun' "$TMP/etc/systemd/system/tailroom-stun.service"
  # pruning runs daily, not only when the service stops
  grep -qx 'ExecStart=/opt/tailroom/bin/tailroom prune' "$TMP/etc/systemd/system/tailroom-prune.service"
  grep -qx 'OnCalendar=daily' "$TMP/etc/systemd/system/tailroom-prune.timer"
}

@test "the unit's MemoryMax and TasksMax follow server.max_forks; websocketd gets --maxforks, sized for the machine by default" {
  mkdir -p "$TMP/etc/tailroom"
  printf '[server]\nmax_forks = 100\n' >"$TMP/etc/tailroom/chat.ini"
  node "$ROOT/dist/tailroom.mjs" install --root "$TMP" >/dev/null
  local u="$TMP/etc/systemd/system/tailroom.service"
  grep -qx 'MemoryMax=1712M' "$u"
  grep -qx 'TasksMax=1328' "$u"
  # By default: half the memory at 10 MB a process.
  start_server
  local want=$(($(awk '/^MemTotal/ {print $2}' /proc/meminfo) * 1024 / 2 / (10 * 1024 * 1024)))
  ((want < 32)) && want=32
  tr '\0' ' ' <"/proc/$(pgrep -P "$SERVER_PID" -x websocketd)/cmdline" | grep -q -- "--maxforks $want "
  cleanup_server
  # Past it, websocketd answers 429 to a connection, and the page views that were running still finish.
  start_server --max-forks 2
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --wait welcome --sleep 4000 &>/dev/null &
  local c1=$!
  node "$ROOT/test/helpers/ws.mjs" "$URL/lobby" --wait welcome --sleep 4000 &>/dev/null &
  local c2=$!
  wait_until bash -c "[ \$(pgrep -P $(pgrep -P "$SERVER_PID" -x websocketd) | wc -l) -ge 2 ]"
  run ws "$URL/lobby" --wait welcome
  kill "$c1" "$c2" 2>/dev/null || true
  [ "$status" -eq 3 ]
  assert_output --partial 'HTTP 429'
}

@test "start --tls without a pair makes a self-signed one once (0600, with a warning) and serves wss and https" {
  start_server --tls --set stun.enabled=false
  grep -q 'WARNING: made a self-signed certificate' "$DATA.server.log"
  grep -q "chat at https://127.0.0.1:$PORT/" "$DATA.server.log"
  [ "$(stat -c %a "$DATA/tls/key.pem")" = 600 ]
  [ "$(stat -c %a "$DATA/tls")" = 700 ]
  NODE_EXTRA_CA_CERTS="$DATA/tls/cert.pem" run ws "wss://127.0.0.1:$PORT/lobby" --wait welcome --send 'over tls' --wait 'over tls'
  assert_success
  run curl -s --cacert "$DATA/tls/cert.pem" -o /dev/null -w '%{http_code}' "https://localhost:$PORT/rooms"
  assert_output 200
  # Plain HTTP gets nothing from a TLS port.
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/rooms"
  [ "$output" != 200 ]

  # The second start keeps the pair: a certificate browsers were told to trust stays valid.
  local before
  before=$(openssl x509 -in "$DATA/tls/cert.pem" -noout -fingerprint -sha256)
  stop_server
  local data=$DATA
  DATA_DIR="$data" start_server --tls
  never grep -q 'made a self-signed' "$data.server.log"
  grep -q 'self-signed certificate' "$data.server.log"
  [ "$(openssl x509 -in "$data/tls/cert.pem" -noout -fingerprint -sha256)" = "$before" ]
  NODE_EXTRA_CA_CERTS="$data/tls/cert.pem" run ws "wss://127.0.0.1:$PORT/lobby" --wait welcome
  assert_success
}

@test "start --tls --tls-cert --tls-key serves the given pair" {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=chat.test -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
  start_server --tls --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --set stun.enabled=false
  [ ! -e "$DATA/tls" ]
  never grep -q 'self-signed' "$DATA.server.log"
  NODE_EXTRA_CA_CERTS="$TMP/cert.pem" run ws "wss://127.0.0.1:$PORT/lobby" --wait welcome
  assert_success
  run bash -c "openssl s_client -connect 127.0.0.1:$PORT </dev/null 2>/dev/null | openssl x509 -noout -subject"
  assert_output --partial 'CN = chat.test'
}

@test "start --tls with only one of cert and key is refused with a clear message" {
  run node "$ROOT/dist/tailroom.mjs" start --port "$(free_port)" --data-dir "$TMP" --tls --tls-cert "$TMP/cert.pem"
  assert_failure 2
  assert_output --partial 'tls_cert and server.tls_key go together'
}

@test "the Origin allow-list: a listed origin gets in, a foreign one is refused with 403" {
  start_server --origin 'chat.example.org, localhost:8443' --set stun.enabled=false
  run ws "$URL/lobby" --origin https://chat.example.org --wait welcome
  assert_success
  # Both entries count (websocketd keeps only the last of repeated --origin flags).
  run ws "$URL/lobby" --origin https://localhost:8443 --wait welcome
  assert_success
  run ws "$URL/lobby" --origin https://evil.example --wait welcome
  assert_failure 3
  assert_output --partial 'HTTP 403'
  run ws "$URL/lobby" --origin https://localhost:9999 --wait welcome
  assert_failure 3
  # Nobody refused ever joined the room.
  [ "$(grep -c '"type":"join"' "$DATA/rooms/lobby.log")" -eq 2 ]
}

@test "audit: one line at join and one at leave, with the address, room, name and outcome" {
  start_server --set server.audit_log=audit.log --set stun.enabled=false
  # From 127.0.0.2, which is no trusted proxy: its X-Forwarded-For is a claim, not a fact.
  run ws "$URL/lobby" --local-address 127.0.0.2 --header 'X-Forwarded-For: 6.6.6.6' --wait welcome
  assert_success
  # From loopback, a trusted proxy by default: its X-Forwarded-For names the client.
  run ws "$URL/lobby" --header 'X-Forwarded-For: 6.6.6.6, 198.51.100.4' --wait welcome
  assert_success
  wait_until audit_count_is_at_least 4
  audit_lines
  [ "$(audit_lines | grep -c 'addr=127.0.0.2 room=lobby name=Anonymous outcome=joined pid=[0-9]*$')" -eq 1 ]
  [ "$(audit_lines | grep -c 'addr=127.0.0.2 room=lobby name=Anonymous outcome=closed pid=[0-9]*$')" -eq 1 ]
  [ "$(audit_lines | grep -c 'addr=198.51.100.4 room=lobby name=Anonymous outcome=joined')" -eq 1 ]
  [ "$(audit_lines | grep -c 'addr=198.51.100.4 room=lobby name=Anonymous outcome=closed')" -eq 1 ]
  [ "$(audit_lines | grep -c 6.6.6.6)" -eq 0 ]
  # Each line starts with its time.
  [ "$(audit_lines | grep -vc '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:.]*Z tailroom-audit ')" -eq 0 ]
  # The file is the only place: nothing on stderr.
  never grep -q tailroom-audit "$DATA.server.log"
}

@test "audit: a kick is its outcome; without audit_log the lines go to websocketd's log (journald)" {
  start_server --set stun.enabled=false
  wsbg "$URL/lobby" --wait welcome --sleep 10000 >"$DATA/bob.out"
  wait_until grep -q welcome "$DATA/bob.out"
  wsbg "$URL/lobby" --wait welcome --sleep 10000 >"$DATA/carol.out"
  wait_until grep -q welcome "$DATA/carol.out"
  run node "$ROOT/dist/tailroom.mjs" kick lobby Anonymous --data-dir "$DATA"
  assert_success
  wait_until grep -q 'outcome=kicked' "$DATA.server.log"
  stop_bg
  grep -q '| stderr .*tailroom-audit addr=127.0.0.1 room=lobby name=Anonymous outcome=kicked' "$DATA.server.log"
  [ "$(grep -c 'tailroom-audit .* outcome=joined' "$DATA.server.log")" -eq 2 ]
}
