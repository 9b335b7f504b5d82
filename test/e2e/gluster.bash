# A real distributed filesystem for the two-host tests: GlusterFS on loopback, one
# volume, two FUSE mounts (one per "host"), and tailroom instances on top. Load after
# helpers. gluster_up/gluster_down run once per file (setup_file/teardown_file) and
# export what the tests need: G_TMP, G_VOL, G_MNT_A, G_MNT_B, G_SKIP.

# Cross-mount visibility, measured on 10.3 (an append through one mount, polled by stat
# through the other): ~1 s with the defaults, ~10 ms with the options below. Two caches
# hide another client's append for a second each, and both have to go:
#   performance.md-cache-timeout 0   the client's metadata cache (default 1 s) answers
#       stat with the size from before the other host's append; a polling follower sees
#       no growth. The "metadata-cache" option group (md-cache-timeout 600 with
#       cache-invalidation) is worse: here no invalidation came for another client's
#       append, and stat showed the old size for over 5 s.
#   mount -o attribute-timeout=0     the kernel's FUSE attribute cache, 1 s by default.
#   mount -o entry-timeout=0         the kernel's name cache: a rename by the other host
#       (log rotation) is seen at once, not after a second of following the old file.
#   mount -o direct-io-mode=enable   no kernel page cache for file data. Without it, a
#       follower's read of its open file, on a mount that also writes the file, returned
#       NUL bytes where the other mount's append was (a page cached with the old end of
#       file), and the lines there were lost. Two locked writers (one per mount), a
#       polling Follower: 53 of 1,600 lines lost in 8 runs; with it, 0 of 1,600.
#   performance.write-behind off     a write returns only once it is on the brick: an
#       append is there before its lock is released, and a short write (full disk) is
#       reported by that write, which the torn-line repair relies on. It cost nothing
#       measurable in appends/s here.
#   io-cache, read-ahead off         data caches would serve a follower's reads of its
#       open file from before the other host's append. Off by default in 10.3; set anyway
#       so the test does not depend on a release's defaults.
G_VOLUME_OPTIONS=(
  performance.md-cache-timeout 0
  performance.write-behind off
  performance.io-cache off
  performance.read-ahead off
)
G_MOUNT_OPTIONS=attribute-timeout=0,entry-timeout=0,direct-io-mode=enable

# gone PID: the process has exited (a zombie still answers kill -0)
gone() { [[ ! -e /proc/$1/stat ]] || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }

# wait_gone PID SECONDS
wait_gone() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do gone "$1" && return 0; sleep 0.1; done
  return 1
}

gluster_cli() { timeout 60 gluster --mode=script --log-file="$G_TMP/cli.log" "$@"; }

# gluster_up: sets G_SKIP (why not) or starts glusterd, the volume and both mounts
gluster_up() {
  export G_SKIP="" G_TMP="" G_VOL="tailroom-$$" G_GLUSTERD_PID=""
  if [[ $(id -u) -ne 0 ]]; then G_SKIP="GlusterFS needs root (glusterd, FUSE mounts)"; return 0; fi
  local c
  for c in glusterd gluster mount.glusterfs; do
    command -v "$c" >/dev/null || { G_SKIP="$c is missing: apt-get install glusterfs-server glusterfs-client (bin/setup --test)"; return 0; }
  done
  if [[ ! -c /dev/fuse ]] || ! grep -qw fuse /proc/filesystems; then G_SKIP="FUSE is not available (no /dev/fuse or no fuse in /proc/filesystems)"; return 0; fi
  # glusterd's port is fixed (mounts ask it for the volume): another glusterd is not ours to use.
  if (exec 3<>/dev/tcp/127.0.0.1/24007) 2>/dev/null; then G_SKIP="port 24007 is taken (a glusterd already runs here): not touching it"; return 0; fi
  # Gluster refuses localhost and 127.0.0.1 as a brick's host; the machine's name will do.
  getent hosts "$(hostname)" >/dev/null || { G_SKIP="the hostname $(hostname) does not resolve (gluster needs it for the brick)"; return 0; }

  G_TMP=$(mktemp -d /tmp/tailroom-gluster.XXXXXX)
  export G_MNT_A="$G_TMP/a" G_MNT_B="$G_TMP/b"
  mkdir -p "$G_TMP/glusterd" "$G_TMP/brick" "$G_MNT_A" "$G_MNT_B"
  # Its own working directory, so nothing of this volume stays in /var/lib/glusterd.
  sed "s#/var/lib/glusterd#$G_TMP/glusterd#" /etc/glusterfs/glusterd.vol >"$G_TMP/glusterd.vol"
  glusterd -N -f "$G_TMP/glusterd.vol" -l "$G_TMP/glusterd.log" -p "$G_TMP/glusterd.pid" >"$G_TMP/glusterd.out" 2>&1 3>&- &
  G_GLUSTERD_PID=$!
  # Its first start runs geo-replication's Python set-up: several seconds on a busy machine.
  local i
  for i in $(seq 1 120); do
    gluster_cli volume list >/dev/null 2>&1 && break
    gone "$G_GLUSTERD_PID" && { G_SKIP="glusterd exited at start: $(tail -3 "$G_TMP/glusterd.log" | tr '\n' ' ')"; return 0; }
    sleep 0.5
  done
  gluster_cli volume list >/dev/null 2>&1 || { G_SKIP="glusterd did not answer within 60 s"; return 0; }
  # force: the brick is on the root filesystem, which gluster otherwise refuses.
  gluster_cli volume create "$G_VOL" "$(hostname):$G_TMP/brick" force >"$G_TMP/create.out" 2>&1 || { G_SKIP="volume create failed: $(cat "$G_TMP/create.out")"; return 0; }
  local k v
  set -- "${G_VOLUME_OPTIONS[@]}"
  while (($#)); do
    k=$1 v=$2
    shift 2
    gluster_cli volume set "$G_VOL" "$k" "$v" >/dev/null || return 1
  done
  gluster_cli volume start "$G_VOL" >/dev/null || return 1
  local m
  for m in a b; do
    # The client daemon inherits no fd 3: bats would wait for it before finishing.
    mount -t glusterfs -o "$G_MOUNT_OPTIONS,log-file=$G_TMP/mount-$m.log" "$(hostname):/$G_VOL" "$G_TMP/$m" 3>&- || return 1
  done
  mountpoint -q "$G_MNT_A" && mountpoint -q "$G_MNT_B"
}

gluster_down() {
  [[ -n ${G_TMP:-} && -d $G_TMP ]] || return 0
  local m
  for m in a b; do
    mountpoint -q "$G_TMP/$m" || continue
    timeout 20 umount "$G_TMP/$m" || timeout 10 umount -l "$G_TMP/$m" || true
  done
  if [[ -n ${G_GLUSTERD_PID:-} ]] && ! gone "$G_GLUSTERD_PID"; then
    gluster_cli volume stop "$G_VOL" force >/dev/null 2>&1 || true
    gluster_cli volume delete "$G_VOL" >/dev/null 2>&1 || true
    kill "$G_GLUSTERD_PID" 2>/dev/null || true
    wait_gone "$G_GLUSTERD_PID" 10 || kill -9 "$G_GLUSTERD_PID" 2>/dev/null || true
  fi
  # A brick process that outlived its volume (glusterd died first) goes by its pid file.
  local pidfile pid
  for pidfile in /var/run/gluster/vols/"$G_VOL"/*.pid; do
    [[ -e $pidfile ]] || continue
    pid=$(cat "$pidfile")
    grep -qs "$G_VOL" "/proc/$pid/cmdline" && { kill "$pid" 2>/dev/null; wait_gone "$pid" 10 || kill -9 "$pid" 2>/dev/null; }
  done
  # glusterd names a brick's log after its path, / turned into -.
  rm -rf "/var/run/gluster/vols/$G_VOL" "/var/log/glusterfs/gfproxy/$G_VOL" "/var/log/glusterfs/snaps/$G_VOL" "/var/log/glusterfs/bricks/$(tr / - <<<"${G_TMP#/}")-brick.log"
  rm -rf "$G_TMP"
}

# wsbg ARGS... &: the client in the background as the process $! names, so a kill
# reaches node itself (a backgrounded `ws` function would leave node running, holding
# bats' output open until its --sleep ends)
wsbg() { exec node "$ROOT/test/helpers/ws.mjs" "$@"; }

# wait_long CMD...: retry for up to 30 s (locked appends through FUSE are slow on a busy machine)
wait_long() {
  local i
  for i in $(seq 1 300); do "$@" && return 0; sleep 0.1; done
  return 1
}

INSTANCE_FLAGS=(--set files.shared_fs=true --set files.watch=poll --set chat.presence_stale_ms=2000
  --set stun.enabled=false --set server.trusted_user_header=X-Remote-User --set server.origin=127.0.0.1 --set chat.rate_per_sec=0)

# start_instance NAME DATA_DIR [HOSTNAME] [tailroom start flags...]: sets PORT_<NAME>,
# PID_<NAME> (tailroom start). With HOSTNAME it runs in its own UTS namespace, so its
# presences name another host and its dead chatters are found by stale locks only.
start_instance() {
  local name=$1 data=$2 host=${3:-} port log="$G_TMP/instance-$1-$BATS_TEST_NUMBER.log"
  shift 3
  port=$(free_port)
  local cmd=(node "$ROOT/dist/tailroom.mjs" start --port "$port" --data-dir "$data" "${INSTANCE_FLAGS[@]}" "$@")
  if [[ -n $host ]]; then
    # exec keeps the pid: $! is tailroom start itself.
    unshare -u sh -c 'hostname "$0" && exec "$@"' "$host" "${cmd[@]}" >"$log" 2>&1 3>&- &
  else
    "${cmd[@]}" >"$log" 2>&1 3>&- &
  fi
  printf -v "PID_$name" '%s' "$!"
  printf -v "PORT_$name" '%s' "$port"
  local i
  for i in $(seq 1 150); do
    grep -q 'chat at' "$log" && return 0
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}

