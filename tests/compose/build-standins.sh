#!/usr/bin/env bash
# For tests/test_compose_stack.py only, never for admins: where an official base image that
# deploy/ uses is missing from this Docker engine (no registry reachable), builds a local
# stand-in under the same name from Debian's packages. An image that exists is left alone, so
# a machine with the official images pulled uses those. Every stand-in is labelled
# org.peerwall.standin=1. Needs root (debootstrap) only when debian:bookworm-slim is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
standins="$here/standins"

have() { docker image inspect "$1" >/dev/null 2>&1; }
say() { echo "build-standins: $*" >&2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! have debian:bookworm-slim; then
    command -v debootstrap >/dev/null || { say "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
    [ "$(id -u)" = 0 ] || { say "debian:bookworm-slim is missing, and debootstrap needs root to make it"; exit 1; }
    mirror="${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    say "debian:bookworm-slim from debootstrap --variant=minbase bookworm ($mirror)"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
    tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' \
        --change 'LABEL org.peerwall.standin=1' - debian:bookworm-slim >/dev/null
fi

build() {  # build IMAGE DOCKERFILE [extra files for the context...]
    local image="$1" dockerfile="$2"
    shift 2
    if have "$image"; then return 0; fi
    say "$image from $dockerfile"
    local context="$work/ctx-${dockerfile%.Dockerfile}"
    mkdir -p "$context"
    cp "$standins/$dockerfile" "$context/Dockerfile"
    local extra
    for extra in "$@"; do cp -a "$extra" "$context/"; done
    docker build -q --label org.peerwall.standin=1 -t "$image" "$context" >/dev/null
}

build python:3.11-slim-bookworm python.Dockerfile
node_dir="$work/node"
mkdir -p "$node_dir"
if ! have node:20-bookworm-slim; then
    node_bin="$(command -v node || true)"
    npm_dir="$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/.."
    [ -n "$node_bin" ] && [ -f "$npm_dir/package.json" ] \
        || { say "node:20-bookworm-slim needs this host's Node 20 and npm"; exit 1; }
    "$node_bin" -e 'process.exit(Number(process.versions.node.split(".")[0]) === 20 ? 0 : 1)' \
        || { say "this host's node is $("$node_bin" --version), not 20"; exit 1; }
    cp "$(readlink -f "$node_bin")" "$node_dir/node"
    cp -a "$(readlink -f "$npm_dir")" "$node_dir/npm"
fi
build node:20-bookworm-slim node.Dockerfile "$node_dir/node" "$node_dir/npm"
build postgres:16 postgres.Dockerfile "$standins/postgres-entrypoint.sh"
build redis:7 redis.Dockerfile "$standins/redis-entrypoint.sh"
build coturn/coturn:4 coturn.Dockerfile
build caddy:2 caddy.Dockerfile
