#!/usr/bin/env bats
# The server-rendered pages, through the real websocketd over HTTP (CGI per request).

load helpers

setup() {
  start_server
  BASE="http://127.0.0.1:$PORT"
  OUT="$DATA.out"
  mkdir -p "$OUT"
}

teardown() {
  cleanup_server
  rm -rf "$OUT"
}

# fetch PATH [curl args...]: body to $OUT/body, headers to $OUT/headers, prints the status
fetch() {
  local path=$1
  shift
  curl -s -o "$OUT/body" -D "$OUT/headers" -w '%{http_code}' "$@" "$BASE/$path"
}

header() { grep -i "^$1:" "$OUT/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

event() { # room type json-fields [iso-time]
  printf '{"id":"%s","t":"%s","type":"%s",%s}\n' "$(date +%s%N)-e2e-0" "${4:-2026-11-20T10:00:00.000Z}" "$2" "$3" >>"$DATA/rooms/$1"
}

check_html() { node --import tsx "$ROOT/test/helpers/html.ts" "$@"; }

# hrefs FILE: every link on a page, as a path to request
hrefs() {
  grep -o 'href="[^"]*"' "$1" | sed -e 's/^href="//' -e 's/"$//' -e 's/&amp;/\&/g' -e 's/&#x3D;/=/g' | sort -u
}

seed_archive() {
  event lobby.log msg '"from":"alice","color":"#c0392b","text":"hello from today"'
  event lobby.log join '"from":"bob","color":"#2e86c1"'
  event lobby.log-20261119 msg '"from":"alice","color":"#c0392b","text":"plain rotated line"' 2026-11-19T09:00:00.000Z
  printf '%s\n' '{"id":"000000001-gz-0","t":"2026-11-18T08:00:00.000Z","type":"msg","from":"carol","color":"#27ae60","text":"zipped away"}' |
    gzip -c >"$DATA/rooms/lobby.log-20261118.gz"
  : >"$DATA/rooms/lobby.log-20261117"
}

@test "/ sends the browser on to the room list, which is a CGI page with security headers" {
  run fetch ""
  assert_output 200
  grep -q 'http-equiv="refresh" content="0; url=rooms"' "$OUT/body"
  run fetch rooms
  assert_output 200
  [[ "$(header Content-Type)" == "text/html; charset=utf-8" ]]
  [[ "$(header X-Content-Type-Options)" == nosniff ]]
  [[ "$(header Content-Security-Policy)" == *"frame-ancestors 'none'"* ]]
  [[ "$(header Content-Security-Policy)" == *"default-src 'none'"* ]]
  grep -q 'Where everyone starts' "$OUT/body" # the configured room, empty
}

@test "every page renders valid HTML and every link on it resolves" {
  seed_archive
  local pages=(rooms history "history?room=lobby" "history?room=lobby&q=hello" settings "chat?room=lobby")
  local i=0 p
  for p in "${pages[@]}"; do
    run fetch "$p"
    assert_output 200
    cp "$OUT/body" "$OUT/page$i.html"
    i=$((i + 1))
  done
  run check_html "$OUT"/page*.html
  assert_success
  local links
  links=$(for f in "$OUT"/page*.html; do hrefs "$f"; done | sort -u)
  [[ $(wc -l <<<"$links") -ge 8 ]]
  local h code
  for h in $links; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/$h")
    [[ $code == 200 ]] || { echo "link $h gave $code"; false; }
  done
  run curl -s -o /dev/null -w '%{content_type}' "$BASE/style.css"
  assert_output --partial text/css
}

@test "rotated and gzipped segments are listed newest first and readable, empty ones hidden" {
  seed_archive
  run fetch history
  assert_output 200
  run grep -o '>lobby\.log[^<]*<' "$OUT/body"
  assert_output $'>lobby.log<\n>lobby.log-20261119<\n>lobby.log-20261118.gz<'
  run fetch "history?room=lobby&before=20261118.gz"
  assert_output 200
  grep -q 'zipped away' "$OUT/body"
  never grep -q 'hello from today' "$OUT/body"
  # and the newest page walks into them by its "Older" links
  local next="history?room=lobby" seen="" n
  for n in 1 2 3 4 5 6; do
    fetch "$next" >/dev/null
    seen+=$(grep -o 'hello from today\|plain rotated line\|zipped away' "$OUT/body" || true)
    next=$(grep -o '<a rel="prev" href="[^"]*"' "$OUT/body" | head -1 | sed -e 's/.*href="//' -e 's/"$//' -e 's/&amp;/\&/g' -e 's/&#x3D;/=/g')
    [[ -n $next ]] || break
  done
  [[ $seen == *"hello from today"* && $seen == *"plain rotated line"* && $seen == *"zipped away"* ]]
}

@test "hostile query strings are refused or escaped" {
  seed_archive
  run fetch "history?room=../../etc/passwd"
  assert_output 400
  never grep -q 'root:' "$OUT/body"
  run fetch "history?room=%2e%2e%2f%2e%2e%2fetc%2fpasswd"
  assert_output 400
  run fetch "chat?room=..%2F..%2Fetc"
  assert_output 400
  run fetch "history?room=nosuch"
  assert_output 404
  run fetch "history?room=lobby&q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
  assert_output 200
  never grep -q '<script>alert' "$OUT/body"
  grep -q 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' "$OUT/body"
  run fetch "rooms?enter=%3Cimg%20src%3Dx%3E"
  assert_output 400
  never grep -q '<img src' "$OUT/body"
  # 100 KB reaches the page, which refuses it. 1 MB cannot even be started as a CGI
  # program (the kernel's 128 KB limit on one environment variable): websocketd refuses it.
  run node -e '
    (async () => {
      for (const n of [100000, 1000000]) {
        const r = await fetch(process.argv[1] + "/history?room=lobby&q=" + "a".repeat(n));
        const body = await r.text();
        console.log(n, r.status, body.includes("aaaaaaaaaa") ? "echoed" : "not-echoed");
      }
    })();
  ' "$BASE"
  assert_success
  assert_line "100000 414 not-echoed"
  [[ ${lines[1]} =~ ^1000000\ [45][0-9][0-9]\ not-echoed$ ]]
  # and the server still answers
  run fetch rooms
  assert_output 200
}

@test "a settings POST without the session's CSRF token is refused" {
  local jar="$OUT/jar"
  run fetch settings -c "$jar"
  assert_output 200
  [[ "$(header Set-Cookie)" == tailroom_session=*"HttpOnly; SameSite=Lax" ]]
  run fetch settings -b "$jar" -d 'name=mallory&color=%23000000&csrf=forged'
  assert_output 403
  local token
  token=$(grep -o 'name="csrf" value="[^"]*"' "$OUT/body" | sed 's/.*value="//; s/"$//')
  run fetch settings -d "name=mallory&color=%23000000&csrf=$token" # no cookie
  assert_output 403
  [[ -z "$(ls "$DATA/sessions")" ]] # only the secret, a dot file
  [[ "$(stat -c %a "$DATA/sessions/.secret")" == 600 ]]
}

@test "a made-up cookie id is never written: a forged token is refused and a fresh id given" {
  local madeup
  madeup=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
  local old # the token older versions derived from the id alone
  old=$(node -e 'process.stdout.write(require("crypto").createHash("sha256").update("tailroom csrf\0" + process.argv[1]).digest("base64url"))' "$madeup")
  run fetch settings -b "tailroom_session=$madeup" -d "name=mallory&color=%23000000&csrf=$old"
  assert_output 403
  [[ "$(header Set-Cookie)" == tailroom_session=* ]]
  [[ "$(header Set-Cookie)" != *"$madeup"* ]]
  [[ ! -e "$DATA/sessions/$madeup" ]]
  run fetch settings -b "tailroom_session=$madeup"
  assert_output 200
  [[ "$(header Set-Cookie)" != *"$madeup"* ]]
  [[ -z "$(ls "$DATA/sessions")" ]]
}

@test "the name saved in settings is the name the next WebSocket joins with" {
  local jar="$OUT/jar"
  fetch settings -c "$jar" >/dev/null
  local token id
  token=$(grep -o 'name="csrf" value="[^"]*"' "$OUT/body" | sed 's/.*value="//; s/"$//')
  run fetch settings -b "$jar" -c "$jar" -d "name=alice&color=%23123abc&csrf=$token"
  assert_output 303
  [[ "$(header Location)" == "settings?saved=1" ]]
  id=$(awk '$6 == "tailroom_session" { print $7 }' "$jar")
  [[ -n $id ]]
  run jq -r '.name + " " + .color' "$DATA/sessions/$id"
  assert_output "alice #123abc"
  run ws "$URL/lobby" --cookie "tailroom_session=$id" --wait '"type":"welcome"'
  assert_success
  assert_output --partial '"you":{"name":"alice","color":"#123abc"}'
  run fetch "settings?saved=1" -b "$jar"
  grep -q 'value="alice"' "$OUT/body"
  grep -q 'Saved' "$OUT/body"
}

@test "Secure is added to the cookie when the proxy says the browser came over HTTPS" {
  run fetch settings -H 'X-Forwarded-Proto: https'
  [[ "$(header Set-Cookie)" == *"; Secure"* ]]
  run fetch settings
  [[ "$(header Set-Cookie)" != *"Secure"* ]]
}

@test "an admin's touch adds a room to the list and rm takes it away" {
  run fetch rooms
  never grep -q '>fresh<' "$OUT/body"
  touch "$DATA/rooms/fresh.log"
  run fetch rooms
  grep -q '>fresh<' "$OUT/body"
  rm "$DATA/rooms/fresh.log"
  run fetch rooms
  never grep -q '>fresh<' "$OUT/body"
}

@test "the room list shows who is in a room, in their colours" {
  local jar="$OUT/jar"
  fetch settings -c "$jar" >/dev/null
  local token id
  token=$(grep -o 'name="csrf" value="[^"]*"' "$OUT/body" | sed 's/.*value="//; s/"$//')
  fetch settings -b "$jar" -d "name=zoe&color=%2316a085&csrf=$token" >/dev/null
  id=$(awk '$6 == "tailroom_session" { print $7 }' "$jar")
  mkfifo "$OUT/fifo"
  node "$ROOT/test/helpers/ws.mjs" "$URL/den" --cookie "tailroom_session=$id" --wait '"type":"welcome"' --hold <"$OUT/fifo" >/dev/null 2>&1 &
  local client=$!
  local holder
  exec {holder}>"$OUT/fifo" # the client stays in the room until this closes
  wait_until test -d "$DATA/users/den/zoe"
  run fetch rooms
  exec {holder}>&-
  wait "$client" || true
  grep -q 'background-color: #16a085"></span>zoe' "$OUT/body"
}

@test "a trusted proxy header names the user on the pages and in the room" {
  cleanup_server
  start_server --set server.trusted_user_header=X-Remote-User --set server.origin=127.0.0.1
  BASE="http://127.0.0.1:$PORT"
  OUT="$DATA.out"
  mkdir -p "$OUT"
  run fetch settings -H 'X-Remote-User: carol'
  assert_output 200
  grep -q 'value="carol" readonly' "$OUT/body"
  run node -e '
    const WebSocket = require(process.argv[1] + "/node_modules/ws");
    const ws = new WebSocket(process.argv[2], { origin: "http://127.0.0.1", headers: { "X-Remote-User": "carol" } });
    ws.on("message", (m) => { console.log(m.toString()); ws.close(); });
    ws.on("close", () => process.exit(0));
    setTimeout(() => process.exit(1), 5000);
  ' "$ROOT" "$URL/lobby"
  assert_success
  assert_output --partial '"you":{"name":"carol"'
  # without the header: the default name
  run ws "$URL/lobby" --wait '"type":"welcome"'
  assert_output --partial '"you":{"name":"Anonymous"'
}

@test "wrong methods and unknown pages get an error page, not a trace" {
  run fetch rooms -X DELETE
  assert_output 405
  [[ "$(header Allow)" == GET ]]
  run fetch settings -X POST -H 'Content-Type: application/json' -d '{}'
  assert_output 415
  never grep -qi 'at .*\.js\|Error:' "$OUT/body"
  run fetch nosuchpage
  assert_output 404
}

@test "past chat.max_concurrent_searches a search gets a 503 with Retry-After, and works once a slot is free" {
  event lobby.log msg '"from":"a","color":"#2e86c1","text":"the needle"'
  mkdir -p "$DATA/.searches"
  : >"$DATA/.searches/$(hostname).1"  # two live processes hold the two slots
  : >"$DATA/.searches/$(hostname).$$"
  run fetch 'history?room=lobby&q=needle'
  assert_output 503
  [[ "$(header Retry-After)" == 5 ]]
  grep -q 'Too many searches right now' "$OUT/body"
  rm "$DATA/.searches/$(hostname).$$"
  run fetch 'history?room=lobby&q=needle'
  assert_output 200
  grep -q '<mark>needle</mark>' "$OUT/body"
  [[ "$(ls "$DATA/.searches")" == "$(hostname).1" ]] # the page's own slot is gone
}
