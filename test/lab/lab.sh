#!/usr/bin/env bash
# swarm lab: N Docker Engine daemons, each in its own network namespace, on one
# host bridge, forming a real Docker Swarm reachable over mutual TLS.
# See test/lab/README.md. Run as root. Subcommands: see `usage` below.
set -euo pipefail

# ---------------------------------------------------------------- settings --
STATE="${SWARM_LAB_DIR:-/tmp/swarm-ops-lab}"
BRIDGE=swolab0
BRIDGE_IP=10.77.0.1
NET_PREFIX=10.77.0        # node i gets $NET_PREFIX.$((10+i))
NS_PREFIX=swolab-n        # netns name: swolab-n$i
VETH_PREFIX=swolab-v      # host side of node i's veth: swolab-v$i
CG_PREFIX=swolab-n        # cgroup parent of node i's containers: /swolab-n$i
PROBE_IMAGE=swarm-ops/probe:latest
TLS_PORT=2376
CERT_DAYS=365
PING_TIMEOUT=${SWARM_LAB_PING_TIMEOUT:-60}
STORAGE_DRIVER=${SWARM_LAB_STORAGE_DRIVER:-vfs}   # overlay2 works on this host too
DOCKERD=${SWARM_LAB_DOCKERD:-/usr/sbin/dockerd}
CONTAINERD=${SWARM_LAB_CONTAINERD:-/usr/bin/containerd}
# Debian's 20.10 CLI matches the 20.10 daemon exactly; /usr/local/bin/docker
# (28.x) works too, but we pin the known-good one.
DOCKER_CLI=${SWARM_LAB_DOCKER_CLI:-/usr/bin/docker}
BUSYBOX=${SWARM_LAB_BUSYBOX:-/bin/busybox}
MARKER=.swarm-lab          # refuse to rm -rf a state dir that lacks this file

# Binaries that may belong to a lab node. Used (together with the node's
# state path in the command line) to find a node's processes without ever
# matching unrelated processes by name alone.
LAB_EXES='dockerd|containerd|containerd-shim|containerd-shim-runc-v1|containerd-shim-runc-v2|runc|docker-init|docker-proxy'

# ----------------------------------------------------------------- helpers --
log()  { printf '[lab] %s\n' "$*" >&2; }
die()  { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

usage() {
  cat <<EOF
usage: $0 <command> [args]

  up [--nodes N] [--managers M] [--workers W]
        tear down any previous lab, then build a fresh one
        (defaults N=5 M=3 W=0; nodes M+W+1..N stay unjoined "spares")
  down                     remove everything (daemons, netns, bridge, mounts, state)
  stop NODE [--graceful]   crash a node: SIGKILL its dockerd, containerd, shims and
                           containers (--graceful: SIGTERM dockerd first); disk
                           state is kept, run-time state is wiped as on a reboot
  start NODE               start a stopped node again (same flags/state), wait for _ping
  restart NODE             stop + start
  link NODE up|down        set the node's network link up/down (partition / "host
                           unreachable" without killing the daemon)
  docker NODE ARGS...      run the docker CLI against NODE's unix socket
  env NODE [--wrong]       print DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH exports
                           for NODE's mTLS endpoint (--wrong: wrong-CA client cert)
  status                   show which daemons are up
  json                     print lab.json

NODE is lab-n2, n2 or 2. State dir: \$SWARM_LAB_DIR (default /tmp/swarm-ops-lab).
EOF
}

# node name (lab-n2 | n2 | 2) -> index
node_idx() {
  local n=${1:-}
  n=${n#lab-}; n=${n#n}
  [[ $n =~ ^[0-9]+$ ]] && (( n >= 1 )) || die "bad node name '${1:-}' (want lab-n2, n2 or 2)"
  echo "$n"
}
node_name() { echo "lab-n$1"; }
node_ns()   { echo "$NS_PREFIX$1"; }
node_ip()   { echo "$NET_PREFIX.$((10 + $1))"; }
node_dir()  { echo "$STATE/n$1"; }
node_sock() { echo "$STATE/n$1/docker.sock"; }

# docker CLI against node i's unix socket, ignoring any DOCKER_* env of the caller
dk() {
  local i=$1; shift
  env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_CONTEXT \
    "$DOCKER_CLI" -H "unix://$(node_sock "$i")" "$@"
}

ping_unix() { curl -fsS --max-time 2 --unix-socket "$(node_sock "$1")" http://lab/_ping 2>/dev/null | grep -qx OK; }

pid_alive() {  # running and not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# all node indexes that have something on this host (state dir, netns or veth)
known_nodes() {
  {
    local d
    for d in "$STATE"/n[0-9]*; do if [[ -d $d ]]; then echo "${d##*/n}"; fi; done
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$NS_PREFIX\([0-9]\+\)\$/\1/p"
    ip -o link show 2>/dev/null | sed -n "s/^[0-9]*: $VETH_PREFIX\([0-9]\+\)[@:].*/\1/p"
  } | sort -un
}

# ------------------------------------------------------- process discovery --
# PIDs belonging to node i. Four independent sources, so that a half-killed
# earlier run (pidfiles stale, parents gone) is still cleaned up completely:
#   1. processes inside the node's netns (dockerd, containerd)
#   2. lab binaries whose command line mentions the node's state dir
#      (dockerd, containerd, containerd-shim-runc-v2 -address <dir>/..., runc)
#   3. processes in the node's container cgroup (/swolab-n$i/<container>)
#   4. pidfiles
node_pids() {
  local i=$1 dir ns p exe cg
  dir=$(node_dir "$i"); ns=$(node_ns "$i")
  {
    [[ -e /run/netns/$ns ]] && ip netns pids "$ns" 2>/dev/null
    for p in /proc/[0-9]*; do
      exe=$(readlink "$p/exe" 2>/dev/null) || continue
      exe=${exe##*/}; exe=${exe% (deleted)}
      [[ $exe =~ ^($LAB_EXES)$ ]] || continue
      if grep -qszF -- "$dir/" "$p/cmdline"; then echo "${p#/proc/}"; fi
    done
    for cg in /sys/fs/cgroup/*/"$CG_PREFIX$i" /sys/fs/cgroup/"$CG_PREFIX$i"; do
      if [[ -d $cg ]]; then find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null; fi
    done
    local f
    for f in "$dir/dockerd.pid" "$dir/dockerd.launch.pid" "$dir/containerd.pid"; do
      if [[ -s $f ]]; then cat "$f"; fi
    done
    true
  } | grep -E '^[0-9]+$' | sort -un | while read -r p; do
    # never kill ourselves or our ancestors (e.g. if called from inside the netns)
    [[ $p == "$$" || $p == "$BASHPID" || $p == 1 ]] && continue
    if pid_alive "$p"; then echo "$p"; fi
  done
}

# Unix sockets that node i's processes listen on outside the state dir
# (containerd shims bind /run/containerd/s/<hash>, libnetwork binds
# /run/docker/libnetwork/<id>.sock). SIGKILL leaves those files behind.
# Read via /proc/<pid>/net/unix: the daemons live in the node netns, so a
# host-side `ss -xl` would not see their sockets.
node_foreign_sockets() {
  local pid inodes
  for pid in "$@"; do
    inodes=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n' | sort -u | tr '\n' ' ')
    [[ -n $inodes ]] || continue
    awk -v inodes=" $inodes " -v state="$STATE/" \
      'NR > 1 && $8 ~ /^\// && index($8, state) != 1 && index(inodes, " " $7 " ") {print $8}' \
      "/proc/$pid/net/unix" 2>/dev/null || true
  done | sort -u
}

# shim socket paths for containers known to node i's containerd state, for the
# case where the shims are already dead (earlier run killed from outside).
# containerd 1.6: /run/containerd/s/sha256("<containerd address>/<ns>/<id>")
node_shim_sockets() {
  local i=$1 addr base ns id
  addr="$(node_dir "$i")/run/containerd.sock"
  base="$(node_dir "$i")/run/containerd/io.containerd.runtime.v2.task"
  [[ -d $base ]] || return 0
  for ns in "$base"/*; do
    [[ -d $ns ]] || continue
    for id in "$ns"/*; do
      [[ -e $id ]] || continue
      echo "/run/containerd/s/$(printf '%s' "$addr/${ns##*/}/${id##*/}" | sha256sum | cut -c1-64)"
    done
  done
}

kill_and_wait() {  # SIGKILL the given pids and wait until they are really gone
  (( $# )) || return 0
  kill -9 "$@" 2>/dev/null || true
  local t=0 p left
  while :; do
    left=()
    for p in "$@"; do pid_alive "$p" && left+=("$p"); done
    (( ${#left[@]} == 0 )) && return 0
    (( t++ > 100 )) && die "processes still alive after SIGKILL: ${left[*]}"
    sleep 0.1
  done
}

thaw_cgroups() {  # frozen (paused) tasks cannot die; thaw first
  local f
  for f in /sys/fs/cgroup/freezer/"$CG_PREFIX$1"/*/freezer.state; do
    [[ -e $f ]] && echo THAWED >"$f" 2>/dev/null || true
  done
}

remove_cgroups() {
  local cg
  for cg in /sys/fs/cgroup/*/"$CG_PREFIX$1" /sys/fs/cgroup/"$CG_PREFIX$1"; do
    [[ -d $cg ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# unmount everything at or below $1, deepest first (repeat for stacked mounts)
umount_under() {
  local p=$1 m n
  for n in 1 2 3 4 5; do
    mapfile -t mounts < <(findmnt -rn -o TARGET | awk -v p="$p" '$0==p || index($0, p"/")==1' | sort -r)
    (( ${#mounts[@]} )) || return 0
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  findmnt -rn -o TARGET | awk -v p="$p" '$0==p || index($0, p"/")==1' | grep -q . && die "could not unmount everything under $p"
  return 0
}

# Kill everything node i runs and wipe what would not survive a reboot
# (exec-root and containerd state are tmpfs on a real host). Disk state
# (data-root incl. swarm raft, containerd root, TLS) is kept.
kill_node() {
  local i=$1 graceful=${2:-} dir pids socks pid
  dir=$(node_dir "$i")
  if [[ $graceful == graceful && -s $dir/dockerd.pid ]]; then
    pid=$(cat "$dir/dockerd.pid")
    if pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do pid_alive "$pid" || break; sleep 0.1; done
    fi
  fi
  thaw_cgroups "$i"
  local round
  for round in 1 2 3; do   # repeat: a dying containerd may still be spawning a shim
    mapfile -t pids < <(node_pids "$i")
    (( ${#pids[@]} )) || break
    mapfile -t socks < <(node_foreign_sockets "${pids[@]}")
    kill_and_wait "${pids[@]}"
    if (( ${#socks[@]} )); then rm -f -- "${socks[@]}"; fi
  done
  # shims killed in an earlier run: compute their socket names
  local s
  for s in $(node_shim_sockets "$i"); do
    if [[ -S $s ]]; then rm -f -- "$s"; fi
  done
  remove_cgroups "$i"
  [[ -d $dir ]] || return 0
  umount_under "$dir"
  rm -rf --one-file-system -- "$dir/exec" "$dir/run" "$dir/docker.sock" "$dir/dockerd.pid" "$dir/dockerd.launch.pid" "$dir/containerd.pid"
  # interfaces dockerd created in the node netns (docker_gwbridge, veths) die on a reboot too
  local ns l
  ns=$(node_ns "$i")
  if [[ -e /run/netns/$ns ]]; then
    for l in $(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      [[ $l == lo || $l == eth0 ]] || ip -n "$ns" link del "$l" 2>/dev/null || true
    done
  fi
}

# Host directories that the daemons (and `ip netns`) create outside the state
# dir and cannot be told to put elsewhere (plugin discovery, libnetwork's setkey
# socket, shim sockets, netns mount points). `up` records which did not exist
# yet; `down` removes those again if they are empty.
HOST_DIRS=(/run/docker/plugins /run/docker/libnetwork /run/docker /run/containerd/s /run/containerd
           /var/lib/docker/network/files /var/lib/docker/network /var/lib/docker /run/netns)
record_host_dirs() {
  local d
  for d in "${HOST_DIRS[@]}"; do [[ -e $d ]] || echo "$d"; done >"$STATE/created-host-dirs"
}
# libnetwork writes the hosts/resolv.conf of each overlay network's load-balancer
# sandbox to the hard-coded /var/lib/docker/network/files/lb_<network-id>,
# ignoring --data-root (all nodes share that path). Remove the ones whose
# network id our nodes know about.
remove_lb_files() {
  local d id
  for d in /var/lib/docker/network/files/lb_*; do
    [[ -d $d ]] || continue
    id=${d##*/lb_}
    if grep -qsaF -- "$id" "$STATE"/n*/data/network/files/local-kv.db "$STATE"/n*/data/swarm/worker/tasks.db; then
      rm -rf -- "$d"
    fi
  done
}
remove_host_dirs() {
  [[ -s $STATE/created-host-dirs ]] || return 0
  local d
  while read -r d; do
    # `ip netns add` bind-mounts /run/netns onto itself; undo only if no netns is left
    if [[ $d == /run/netns ]]; then
      [[ -z $(ls -A /run/netns 2>/dev/null) ]] || continue
      while findmnt -rn /run/netns >/dev/null; do umount /run/netns 2>/dev/null || break; done
    fi
    rmdir -- "$d" 2>/dev/null || true
  done <"$STATE/created-host-dirs"
}

# ----------------------------------------------------------- preconditions --
require_root() { [[ $(id -u) == 0 ]] || die "must run as root (network namespaces, mounts, dockerd)"; }

# A newcomer's fresh Debian machine has none of this yet: install it (root
# only, Debian's own packages) unless SWARM_LAB_NO_INSTALL=1.
LAB_PACKAGES="docker.io busybox-static iproute2 openssl util-linux curl jq"
ensure_packages() {
  local missing=0 c
  for c in "$DOCKERD" "$CONTAINERD" "$DOCKER_CLI" "$BUSYBOX"; do [[ -x $c ]] || missing=1; done
  for c in runc ip openssl nsenter unshare setsid curl findmnt ss; do command -v "$c" >/dev/null || missing=1; done
  [[ $missing == 1 && ${SWARM_LAB_NO_INSTALL:-0} != 1 ]] || return 0
  command -v apt-get >/dev/null || return 0
  log "installing Debian packages the lab needs: $LAB_PACKAGES"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $LAB_PACKAGES >/dev/null
}

preflight() {
  require_root
  ensure_packages
  local c
  for c in "$DOCKERD" "$CONTAINERD" "$DOCKER_CLI"; do
    [[ -x $c ]] || die "$c not found - apt-get install -y docker.io (or set SWARM_LAB_DOCKERD/_CONTAINERD/_DOCKER_CLI)"
  done
  command -v runc >/dev/null || die "runc not found - apt-get install -y runc"
  for c in ip openssl nsenter unshare setsid curl findmnt ss sha256sum; do
    command -v "$c" >/dev/null || die "'$c' not found - apt-get install -y iproute2 openssl util-linux curl"
  done
  [[ -x $BUSYBOX ]] || die "$BUSYBOX not found - apt-get install -y busybox-static"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; the probe image needs a static one - apt-get install -y busybox-static"
  fi
  [[ -e /proc/sys/net/bridge ]] || ip link show type bridge >/dev/null 2>&1 || die "kernel has no bridge support"
  [[ $STATE == /* && $STATE != / && ${#STATE} -le 60 ]] \
    || die "SWARM_LAB_DIR must be an absolute path of at most 60 chars (unix socket paths are limited to 108)"
}

# ------------------------------------------------------------------ network --
setup_bridge() {
  ip link add "$BRIDGE" type bridge
  # keep lab traffic out of the host's iptables FORWARD chain (br_netfilter),
  # so a host firewall (e.g. a host dockerd's DROP policy) cannot break it
  ip link set "$BRIDGE" type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 2>/dev/null || true
  ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

setup_node_net() {
  local i=$1 ns veth
  ns=$(node_ns "$i"); veth="$VETH_PREFIX$i"
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$BRIDGE_IP"
}

check_vxlan() {  # overlay networks need vxlan; find out now rather than in a test
  local ns; ns=$(node_ns 1)
  if ip -n "$ns" link add swolab-vxt type vxlan id 4242 dstport 4789 2>/dev/null; then
    ip -n "$ns" link del swolab-vxt
  else
    log "WARNING: kernel cannot create vxlan devices; overlay networks will not work"
  fi
}

# ---------------------------------------------------------------------- TLS --
tls_dir() { echo "$STATE/tls"; }

make_tls() {
  local t; t=$(tls_dir)
  mkdir -p "$t/nodes" "$t/wrong"
  local n=$1 i ip name
  # EC P-256: fast to generate, supported by Go (dockerd), node and curl
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  cat >"$t/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  mkca() {  # $1=cert $2=key $3=CN
    openssl req -x509 -config "$t/openssl.cnf" -extensions ca "${key[@]}" \
      -keyout "$2" -out "$1" -days "$CERT_DAYS" -subj "/CN=$3" 2>/dev/null
  }
  mkcert() {  # $1=cert $2=key $3=CN $4=ca $5=cakey $6=extensions-section
    openssl req -new -config "$t/openssl.cnf" "${key[@]}" -keyout "$2" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$4" -CAkey "$5" -CAcreateserial -days "$CERT_DAYS" \
      -extfile "$t/openssl.cnf" -extensions "$6" -out "$1" 2>/dev/null
    rm -f "$1.csr"
  }
  mkca "$t/ca.pem" "$t/ca-key.pem" "swarm-lab CA"
  mkcert "$t/cert.pem" "$t/key.pem" "swarm-ops-client" "$t/ca.pem" "$t/ca-key.pem" client
  for i in $(seq 1 "$n"); do
    name=$(node_name "$i"); ip=$(node_ip "$i")
    cat >>"$t/openssl.cnf" <<EOF
[server_$i]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$name,DNS:localhost,IP:$ip,IP:127.0.0.1
EOF
    mkcert "$t/nodes/$name-cert.pem" "$t/nodes/$name-key.pem" "$name" "$t/ca.pem" "$t/ca-key.pem" "server_$i"
  done
  # a second, unrelated CA with its own client cert: for "wrong CA must fail" tests
  mkca "$t/wrong/ca.pem" "$t/wrong/ca-key.pem" "swarm-lab WRONG CA"
  mkcert "$t/wrong/cert.pem" "$t/wrong/key.pem" "swarm-ops-client" "$t/wrong/ca.pem" "$t/wrong/ca-key.pem" client
  # throw-away test material: readable, so tests need not run as root
  chmod 0644 "$t"/*.pem "$t"/nodes/*.pem "$t"/wrong/*.pem
  chmod 0755 "$t" "$t/nodes" "$t/wrong"
}

# ------------------------------------------------------------------ daemons --
write_node_config() {
  local i=$1 dir; dir=$(node_dir "$i")
  mkdir -p "$dir/data" "$dir/containerd-root"
  # Our own daemon.json, so /etc/docker/daemon.json of the host never leaks in.
  # deprecated-key-path (config-file only, no CLI flag in 20.10): the default
  # /etc/docker/key.json would be shared by all nodes, giving every daemon the
  # same engine ID (docker info .ID), and would be left behind on the host.
  printf '{ "deprecated-key-path": "%s" }\n' "$dir/key.json" >"$dir/daemon.json"
  # Own containerd per node. dockerd 20.10 without --containerd uses
  # /run/containerd/containerd.sock whenever that file exists (a system
  # containerd), which would make all nodes share one containerd namespace
  # "moby" and reap each other's containers; only otherwise it supervises a
  # private one. Starting it ourselves is deterministic either way.
  cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/containerd-root"
state = "$dir/run/containerd"
plugin_dir = ""
disabled_plugins = ["io.containerd.grpc.v1.cri"]
oom_score = 0
[grpc]
  address = "$dir/run/containerd.sock"
[ttrpc]
  address = "$dir/run/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd-root/opt"
EOF
}

dockerd_args() {
  local i=$1 dir ip name t
  dir=$(node_dir "$i"); ip=$(node_ip "$i"); name=$(node_name "$i"); t=$(tls_dir)
  printf '%s\n' \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" \
    --containerd "$dir/run/containerd.sock" \
    -H "unix://$dir/docker.sock" \
    -H "tcp://$ip:$TLS_PORT" \
    --tlsverify --tlscacert "$t/ca.pem" \
    --tlscert "$t/nodes/$name-cert.pem" --tlskey "$t/nodes/$name-key.pem" \
    --iptables=false --ip-masq=false --bridge=none \
    --storage-driver "$STORAGE_DRIVER" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "/$CG_PREFIX$i" \
    --dns 127.0.0.1
  # --dns 127.0.0.1: swarm's embedded DNS forwards non-swarm names to this.
  # Loopback servers are queried from the node's own netns, where nothing
  # listens on :53, so external lookups fail at once and no packet ever
  # leaves the node (the host's resolver would be unreachable anyway).
}

start_node_daemons() {  # start containerd + dockerd of node i, detached; no waiting
  local i=$1 dir ns name
  dir=$(node_dir "$i"); ns=$(node_ns "$i"); name=$(node_name "$i")
  [[ -e /run/netns/$ns ]] || die "netns $ns missing - run '$0 up' first"
  [[ -s $dir/containerd.toml ]] || die "$dir has no config - run '$0 up' first"
  mkdir -p "$dir/exec" "$dir/run"
  # setsid -f: own session, survives the calling shell. nsenter --net only
  # (not `ip netns exec`, which remounts /sys and breaks dockerd's cgroup
  # detection: "Devices cgroup isn't mounted").
  setsid -f nsenter --net="/run/netns/$ns" -- \
    sh -c 'echo $$ >"$1"; exec "$2" --config "$3"' sh \
    "$dir/containerd.pid" "$CONTAINERD" "$dir/containerd.toml" \
    >>"$dir/containerd.log" 2>&1 </dev/null
  local t=0
  until [[ -S $dir/run/containerd.sock ]]; do
    (( t++ > 100 )) && die "containerd of $name did not create its socket in 10s; see $dir/containerd.log"
    sleep 0.1
  done
  # unshare --uts: own hostname, which becomes the swarm node's Hostname.
  # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: swarm tasks would otherwise try to
  # pull the (tag-referenced) image from a registry before every start, which
  # is slow here and must not leave the lab network anyway.
  mapfile -t args < <(dockerd_args "$i")
  # extra flags for experiments, e.g. SWARM_LAB_DOCKERD_ARGS="--debug"
  local extra=()
  read -r -a extra <<<"${SWARM_LAB_DOCKERD_ARGS:-}"
  args+=("${extra[@]}")
  setsid -f env -u NOTIFY_SOCKET DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
    nsenter --net="/run/netns/$ns" -- unshare --uts -- \
    sh -c 'echo $$ >"$1"; hostname "$2"; shift 2; exec "$@"' sh "$dir/dockerd.launch.pid" "$name" "$DOCKERD" "${args[@]}" \
    >>"$dir/dockerd.log" 2>&1 </dev/null
}

wait_ping() {
  local i=$1 t0 dir
  dir=$(node_dir "$i"); t0=$SECONDS
  until ping_unix "$i"; do
    if [[ -s $dir/dockerd.launch.pid ]] && ! pid_alive "$(cat "$dir/dockerd.launch.pid")"; then
      die "dockerd of $(node_name "$i") died; last log lines:
$(tail -n 15 "$dir/dockerd.log")
(full log: $dir/dockerd.log)"
    fi
    (( SECONDS - t0 > PING_TIMEOUT )) && die "dockerd of $(node_name "$i") did not answer _ping within ${PING_TIMEOUT}s; see $dir/dockerd.log"
    sleep 0.2
  done
}

# ------------------------------------------------------------------- image --
build_probe_tar() {  # busybox-static + applet symlinks; tiny and registry-free
  local out=$1 root
  root=$(mktemp -d "$STATE/probe.XXXXXX")
  mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  local a
  for a in $("$BUSYBOX" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$out" .
  rm -rf "$root"
}

import_probe() {
  local i=$1
  dk "$i" import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' \
    "$STATE/probe.tar" "$PROBE_IMAGE" >/dev/null
}

# ------------------------------------------------------------------- swarm --
swarm_setup() {
  local n=$1 m=$2 w=$3 i mtok wtok
  dk 1 swarm init --advertise-addr "$(node_ip 1)" >/dev/null
  mtok=$(dk 1 swarm join-token -q manager)
  wtok=$(dk 1 swarm join-token -q worker)
  # one at a time: each manager join is a raft membership change
  for i in $(seq 2 "$m"); do
    dk "$i" swarm join --token "$mtok" --advertise-addr "$(node_ip "$i")" "$(node_ip 1):2377" >/dev/null
  done
  for i in $(seq $((m + 1)) $((m + w))); do
    dk "$i" swarm join --token "$wtok" --advertise-addr "$(node_ip "$i")" "$(node_ip 1):2377" >/dev/null
  done
  # wait until n1 sees every manager Ready + Leader/Reachable, every worker Ready
  local t0=$SECONDS ok
  while :; do
    ok=$(dk 1 node ls --format '{{.Status}} {{.ManagerStatus}}' 2>/dev/null \
      | awk -v m="$m" -v w="$w" '
          $1=="Ready" && ($2=="Leader" || $2=="Reachable") {mm++}
          $1=="Ready" && NF==1 {ww++}
          END {print (mm==m && ww==w) ? "yes" : "no"}')
    [[ $ok == yes ]] && break
    (( SECONDS - t0 > 60 )) && { dk 1 node ls >&2 || true; die "swarm did not settle within 60s"; }
    sleep 0.3
  done
}

write_lab_json() {
  local n=$1 m=$2 w=$3 i role t sep=""
  t=$(tls_dir)
  {
    printf '{\n  "stateDir": "%s",\n  "bridgeIp": "%s",\n  "nodes": [\n' "$STATE" "$BRIDGE_IP"
    for i in $(seq 1 "$n"); do
      if (( i <= m )); then role=manager; elif (( i <= m + w )); then role=worker; else role=spare; fi
      printf '%s    { "name": "%s", "netns": "%s", "ip": "%s", "url": "tcp://%s:%s", "socket": "%s", "role": "%s" }' \
        "$sep" "$(node_name "$i")" "$(node_ns "$i")" "$(node_ip "$i")" "$(node_ip "$i")" "$TLS_PORT" "$(node_sock "$i")" "$role"
      sep=$',\n'
    done
    printf '\n  ],\n'
    printf '  "tls": { "ca": "%s", "cert": "%s", "key": "%s", "wrongCa": "%s", "wrongCert": "%s", "wrongKey": "%s" },\n' \
      "$t/ca.pem" "$t/cert.pem" "$t/key.pem" "$t/wrong/ca.pem" "$t/wrong/cert.pem" "$t/wrong/key.pem"
    printf '  "probeImage": "%s"\n}\n' "$PROBE_IMAGE"
  } >"$STATE/lab.json"
}

# ---------------------------------------------------------------- commands --
cmd_down() {
  require_root
  local i
  if [[ -d $STATE && ! -e $STATE/$MARKER ]] && [[ -n $(ls -A "$STATE") ]]; then
    die "$STATE exists but is not a swarm lab dir (no $MARKER); refusing to delete it"
  fi
  for i in $(known_nodes); do kill_node "$i"; done
  for i in $(known_nodes); do
    ip netns del "$(node_ns "$i")" 2>/dev/null || true
    ip link del "$VETH_PREFIX$i" 2>/dev/null || true
    remove_cgroups "$i"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  if [[ -d $STATE ]]; then
    remove_lb_files
    remove_host_dirs
    umount_under "$STATE"
    rm -rf --one-file-system -- "$STATE"
  fi
}

cmd_up() {
  local n=5 m=3 w=0
  while (( $# )); do
    case $1 in
      --nodes) n=${2:?}; shift 2 ;;
      --managers) m=${2:?}; shift 2 ;;
      --workers) w=${2:?}; shift 2 ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  [[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ && $w =~ ^[0-9]+$ ]] || die "up: N, M, W must be numbers"
  (( n >= 1 && n <= 200 && m >= 1 && m + w <= n )) || die "up: need 1 <= M, M+W <= N <= 200"
  preflight
  local t0 i; t0=$(now)
  log "clearing any previous lab"
  cmd_down
  mkdir -p "$STATE"; touch "$STATE/$MARKER"
  printf 'NODES=%s\nMANAGERS=%s\nWORKERS=%s\n' "$n" "$m" "$w" >"$STATE/lab.env"
  record_host_dirs

  log "network: bridge $BRIDGE $BRIDGE_IP/24 + $n netns"
  setup_bridge
  for i in $(seq 1 "$n"); do setup_node_net "$i"; done
  check_vxlan

  log "TLS material"
  make_tls "$n"

  log "starting $n containerd+dockerd pairs"
  for i in $(seq 1 "$n"); do write_node_config "$i"; start_node_daemons "$i"; done
  build_probe_tar "$STATE/probe.tar"
  for i in $(seq 1 "$n"); do wait_ping "$i"; done
  log "all daemons answer _ping ($(since "$t0")s)"

  log "importing $PROBE_IMAGE on every node"
  local pids=()
  for i in $(seq 1 "$n"); do import_probe "$i" & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || die "docker import failed"; done

  log "swarm: init on lab-n1, $((m - 1)) more managers, $w workers, $((n - m - w)) spares"
  swarm_setup "$n" "$m" "$w"
  write_lab_json "$n" "$m" "$w"
  log "lab up in $(since "$t0")s - $STATE/lab.json"
  dk 1 node ls >&2
}

cmd_stop() {
  require_root
  local i mode=""
  i=$(node_idx "${1:-}")
  [[ ${2:-} == --graceful ]] && mode=graceful
  [[ -d $(node_dir "$i") ]] || die "no node $(node_name "$i") in $STATE"
  kill_node "$i" "$mode"
  log "$(node_name "$i") stopped"
}

cmd_start() {
  require_root
  local i; i=$(node_idx "${1:-}")
  [[ -d $(node_dir "$i") ]] || die "no node $(node_name "$i") in $STATE"
  if ping_unix "$i"; then log "$(node_name "$i") already running"; return 0; fi
  local pid; pid=$(cat "$(node_dir "$i")/dockerd.launch.pid" 2>/dev/null || true)
  if [[ -z $pid ]] || ! pid_alive "$pid"; then
    kill_node "$i"   # clear leftovers of a crash that did not go through `stop`
    start_node_daemons "$i"
  fi                 # else: still starting (a manager without quorum takes up to ~20s)
  wait_ping "$i"
  log "$(node_name "$i") started"
}

cmd_link() {
  require_root
  local i; i=$(node_idx "${1:-}")
  case ${2:-} in
    up|down) ip link set "$VETH_PREFIX$i" "$2" ;;
    *) die "usage: $0 link NODE up|down" ;;
  esac
}

cmd_status() {
  local i dir pid state role tls swarm
  [[ -d $STATE ]] || { echo "lab is down ($STATE does not exist)"; return 0; }
  printf '%-8s %-11s %-8s %-8s %-8s %s\n' NODE IP ROLE DOCKERD TLS SWARM
  for i in $(known_nodes); do
    dir=$(node_dir "$i")
    role=$(jq -r --arg n "$(node_name "$i")" '.nodes[] | select(.name==$n) | .role' "$STATE/lab.json" 2>/dev/null || echo "?")
    if ping_unix "$i"; then
      state=up
      tls=$(curl -fsS --max-time 2 --cacert "$(tls_dir)/ca.pem" --cert "$(tls_dir)/cert.pem" --key "$(tls_dir)/key.pem" \
        "https://$(node_ip "$i"):$TLS_PORT/_ping" 2>/dev/null || echo fail)
      swarm=$(dk "$i" info --format '{{.Swarm.LocalNodeState}} {{if .Swarm.ControlAvailable}}manager{{end}}' 2>/dev/null || echo '?')
    else
      pid=$(cat "$dir/dockerd.launch.pid" 2>/dev/null || true)
      if [[ -n $pid ]] && pid_alive "$pid"; then state=starting; else state=down; fi
      tls=-; swarm=-
    fi
    printf '%-8s %-11s %-8s %-8s %-8s %s\n' "$(node_name "$i")" "$(node_ip "$i")" "${role:-?}" "$state" "$tls" "$swarm"
  done
}

cmd_env() {
  local i t; i=$(node_idx "${1:-}"); t=$(tls_dir)
  [[ ${2:-} == --wrong ]] && t=$t/wrong
  printf 'export DOCKER_HOST=tcp://%s:%s\nexport DOCKER_TLS_VERIFY=1\nexport DOCKER_CERT_PATH=%s\n' \
    "$(node_ip "$i")" "$TLS_PORT" "$t"
}

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down; log "lab is down" ;;
    stop) cmd_stop "$@" ;;
    start) cmd_start "$@" ;;
    restart) cmd_stop "$@"; cmd_start "${1:-}" ;;
    link) cmd_link "$@" ;;
    docker) local i; i=$(node_idx "${1:-}"); shift; dk "$i" "$@" ;;
    env) cmd_env "$@" ;;
    status) cmd_status ;;
    json) cat "$STATE/lab.json" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
