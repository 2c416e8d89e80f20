# Puts Node 22 first on PATH when the `node` found there is older.
# Source it (bash or sh): `. scripts/use-node22.sh`; .ci/run does.
#
# Node itself comes from the npm registry: the package node-linux-<arch> is the
# official Node binary. It is kept in a cache folder (SWARM_OPS_NODE_DIR, else
# ~/.cache/swarm-ops-node22) and reused by later runs. npm stays the one already
# installed; it runs on whichever `node` comes first on PATH.

swarm_ops_use_node22() {
  local want=22 have arch dir bin
  have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$have" -ge "$want" ]; then return 0; fi
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node22: no node-linux package for $(uname -m); install Node $want yourself" >&2; return 1 ;;
  esac
  dir="${SWARM_OPS_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/swarm-ops-node$want}"
  bin="$dir/node_modules/node-linux-$arch/bin"
  if ! "$bin/node" --version >/dev/null 2>&1; then
    echo "use-node22: node is v${have}; installing node-linux-$arch@$want from the npm registry into $dir" >&2
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-$arch@$want" >&2 || return 1
  fi
  export PATH="$bin:$PATH"
  hash -r 2>/dev/null || true
}

swarm_ops_use_node22
