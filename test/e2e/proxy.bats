#!/usr/bin/env bats
# The shipped reverse-proxy sites, conf/nginx.conf and conf/apache.conf, run by the real
# nginx and apache2 on a loopback port with TLS, in front of a real websocketd: pages
# and chat under /chat/, the WebSocket upgrade, X-Forwarded-For/Proto, and what must not
# pass. Each proxy runs with its own config, pid file and temp dirs, and is stopped by pid.

setup() {
  load helpers
  TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/tailroom-proxy.XXXXXX")"
  chmod 755 "$TMP" # apache's children (nobody) read the site's files
  PROXY_PORT="$(free_port)"
  PROXY="https://127.0.0.1:$PROXY_PORT"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
  export NODE_EXTRA_CA_CERTS="$TMP/cert.pem"
  start_server --set stun.enabled=false --set server.audit_log=audit.log \
    --set "server.public_url=$PROXY/chat/" --set server.trusted_user_header=X-Remote-User
  PROXY_PID=
}

teardown() {
  stop_bg
  if [[ -n "$PROXY_PID" ]]; then
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
  fi
  cleanup_server
  rm -rf "$TMP"
}

# site FILE: the shipped site with its ports, certificate and backend made this test's;
# fails if one of the substitutions finds nothing (the shipped file changed shape).
site() {
  local src=$1 out=$TMP/site.conf
  sed -e "s#/etc/ssl/certs/chat.example.org.pem#$TMP/cert.pem#" \
    -e "s#/etc/ssl/private/chat.example.org.key#$TMP/key.pem#" \
    -e "s#127.0.0.1:8089#127.0.0.1:$PORT#g" \
    -e "s#^\( *\)listen 443 ssl;#\1listen 127.0.0.1:$PROXY_PORT ssl;#" \
    -e '/^ *listen \[::\]:443 ssl;/d' \
    -e "s#<VirtualHost \*:443>#<VirtualHost 127.0.0.1:$PROXY_PORT>#" \
    "$src" >"$out"
  grep -q "$TMP/cert.pem" "$out"
  grep -q "$TMP/key.pem" "$out"
  grep -q "127.0.0.1:$PORT" "$out"
  grep -q "127.0.0.1:$PROXY_PORT" "$out"
  # Whole numbers only: a random port such as 44347 contains "443".
  if grep -qE '(^|[^0-9])8089([^0-9]|$)|:443([^0-9]|$)|example.org\.(pem|key)' "$out"; then
    echo "unsubstituted: $(grep -nE '(^|[^0-9])8089([^0-9]|$)|:443([^0-9]|$)' "$out")"
    return 1
  fi
}

wait_for_proxy() {
  local i
  for i in $(seq 1 50); do
    curl -s -o /dev/null --cacert "$TMP/cert.pem" "$PROXY/" && return 0
    kill -0 "$PROXY_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$TMP"/*error.log >&2 2>/dev/null
  return 1
}

start_nginx() {
  site "$ROOT/conf/nginx.conf"
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log $TMP/nginx-access.log;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    include $TMP/site.conf;
}
EOF
  run nginx -t -q -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" -p "$TMP/nginx/"
  assert_success
  nginx -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" -p "$TMP/nginx/" &
  PROXY_PID=$!
  wait_for_proxy
}

start_apache() {
  site "$ROOT/conf/apache.conf"
  local m=/usr/lib/apache2/modules mod user=""
  [[ $(id -u) -eq 0 ]] && user=$'User nobody\nGroup nogroup'
  {
    cat <<EOF
ServerRoot $TMP
ServerName 127.0.0.1
DefaultRuntimeDir $TMP
PidFile $TMP/apache2.pid
Mutex file:$TMP default
ErrorLog $TMP/apache-error.log
LogLevel warn
Listen 127.0.0.1:$PROXY_PORT
$user
EOF
    for mod in mpm_event authz_core alias proxy proxy_http proxy_wstunnel rewrite headers setenvif socache_shmcb ssl; do
      echo "LoadModule ${mod}_module $m/mod_$mod.so"
    done
    echo "Include $TMP/site.conf"
  } >"$TMP/apache2.conf"
  run apache2 -t -f "$TMP/apache2.conf" -d "$TMP"
  assert_success
  apache2 -DFOREGROUND -f "$TMP/apache2.conf" -d "$TMP" &
  PROXY_PID=$!
  wait_for_proxy
}

# get PATH [curl args...]: body to $TMP/body, headers to $TMP/headers, prints the status
get() {
  local path=$1
  shift
  curl -s --cacert "$TMP/cert.pem" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" "$PROXY/$path"
}

header() { grep -i "^$1:" "$TMP/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# Pages, settings (cookie and CSRF), then chat with the saved name, all through the proxy.
pages_and_chat_through_proxy() {
  run get chat
  assert_output 301
  [[ "$(header Location)" == *"/chat/" ]]
  run get chat/
  assert_output 200
  grep -q 'url=rooms' "$TMP/body"
  run get chat/rooms
  assert_output 200
  grep -q 'Where everyone starts' "$TMP/body"
  run get chat/style.css
  assert_output 200

  # Settings: the cookie is Secure (X-Forwarded-Proto) and scoped to the prefix (public_url).
  local jar="$TMP/jar" token id
  run get chat/settings -c "$jar"
  assert_output 200
  [[ "$(header Set-Cookie)" == *"Path=/chat/"* ]]
  [[ "$(header Set-Cookie)" == *"Secure"* ]]
  token=$(grep -o 'name="csrf" value="[^"]*"' "$TMP/body" | sed 's/.*value="//; s/"$//')
  run get chat/settings -b "$jar" -c "$jar" -d "name=alice&color=%23123abc&csrf=$token"
  assert_output 303
  id=$(awk '$6 == "tailroom_session" { print $7 }' "$jar")
  [[ -n $id ]]

  # Chat: bob listens, alice (named by her session) talks; both through the proxy.
  wsbg "wss://127.0.0.1:$PROXY_PORT/chat/lobby" --wait welcome --wait '"text":"through the proxy"' >"$TMP/bob.out"
  local bob=$BG
  wait_until grep -q welcome "$TMP/bob.out"
  run ws "wss://127.0.0.1:$PROXY_PORT/chat/lobby" --cookie "tailroom_session=$id" --wait welcome \
    --send 'through the proxy' --wait '"text":"through the proxy"'
  assert_success
  assert_output --partial '"you":{"name":"alice","color":"#123abc"}'
  wait "$bob"
  grep -q '"from":"alice".*"text":"through the proxy"' "$TMP/bob.out"

  # Room names are the last path segment, URL-decoded, through the prefix too.
  run ws "wss://127.0.0.1:$PROXY_PORT/chat/caf%C3%A9" --wait welcome
  assert_success
  assert_output --partial '"room":"café"'

  # The proxy passes the Host the browser used: the welcome's STUN server is there.
  run ws "wss://localhost:$PROXY_PORT/chat/lobby" --origin "$PROXY" --wait welcome
  assert_success
  assert_output --partial '"iceServers":[{"urls":"stun:localhost:'

  # The history page shows what was said.
  run get "chat/history?room=lobby"
  assert_output 200
  grep -q 'through the proxy' "$TMP/body"
}

# The client's address reaches the audit log; forged headers do not.
forwarding_through_proxy() {
  # A client on 127.0.0.2 forges X-Forwarded-For and a sign-in header.
  run ws "wss://127.0.0.1:$PROXY_PORT/chat/lobby" --local-address 127.0.0.2 \
    --header 'X-Forwarded-For: 6.6.6.6' --header 'X-Remote-User: mallory' --wait welcome
  assert_success
  refute_output --partial mallory
  wait_until grep -q 'outcome=closed' "$DATA/audit.log"
  cat "$DATA/audit.log"
  grep -q 'tailroom-audit addr=127.0.0.2 room=lobby name=Anonymous outcome=joined' "$DATA/audit.log"
  grep -q 'tailroom-audit addr=127.0.0.2 room=lobby name=Anonymous outcome=closed' "$DATA/audit.log"
  never grep -q 6.6.6.6 "$DATA/audit.log"
  # The control: sent straight to websocketd, the sign-in header is honoured, so the
  # proxy is what kept mallory out above.
  run ws "$URL/lobby" --origin "$PROXY" --header 'X-Remote-User: mallory' --wait welcome
  assert_output --partial '"you":{"name":"mallory"'
}

# websocketd maps `-` and `_` alike and ignores case: X_Remote_User, x-REMOTE-user and
# X-Remote_User all arrive as HTTP_X_REMOTE_USER. None may sign anyone in through the proxy.
spellings_through_proxy() {
  local h
  for h in 'X_Remote_User' 'x-REMOTE-user' 'X-Remote_User' 'X_REMOTE-USER'; do
    run ws "wss://127.0.0.1:$PROXY_PORT/chat/lobby" --header "$h: mallory" --wait welcome
    echo "$h: $output"
    refute_output --partial mallory
    # either refused by the proxy, or in as nobody in particular
    [[ $status -eq 3 ]] || assert_output --partial '"you":{"name":"Anonymous"'
    run curl -s --cacert "$TMP/cert.pem" -H "$h: mallory" "$PROXY/chat/settings"
    refute_output --partial mallory
  done
  # The control: straight to websocketd, the underscore spelling is the trusted header.
  run ws "$URL/lobby" --origin "$PROXY" --header 'X_Remote_User: mallory' --wait welcome
  assert_output --partial '"you":{"name":"mallory"'
}

@test "nginx: pages, settings and chat under /chat/ with the WebSocket upgrade over TLS" {
  command -v nginx >/dev/null || skip "nginx is not installed (bin/setup --test)"
  start_nginx
  pages_and_chat_through_proxy
  # nginx saw the upgrade: a 101 in its access log.
  grep -q '"GET /chat/lobby HTTP/1.1" 101' "$TMP/nginx-access.log"
}

@test "nginx: the audit log names the client from X-Forwarded-For; forged headers are inert" {
  command -v nginx >/dev/null || skip "nginx is not installed (bin/setup --test)"
  start_nginx
  forwarding_through_proxy
}

@test "apache: pages, settings and chat under /chat/ with the WebSocket upgrade over TLS" {
  command -v apache2 >/dev/null || skip "apache2 is not installed (bin/setup --test)"
  start_apache
  pages_and_chat_through_proxy
}

@test "apache: the audit log names the client from X-Forwarded-For; forged headers are inert" {
  command -v apache2 >/dev/null || skip "apache2 is not installed (bin/setup --test)"
  start_apache
  forwarding_through_proxy
}

@test "nginx: no spelling of the sign-in header (underscores, mixed case) gets through" {
  command -v nginx >/dev/null || skip "nginx is not installed (bin/setup --test)"
  start_nginx
  spellings_through_proxy
}

@test "apache: no spelling of the sign-in header (underscores, mixed case) gets through" {
  command -v apache2 >/dev/null || skip "apache2 is not installed (bin/setup --test)"
  start_apache
  spellings_through_proxy
}
