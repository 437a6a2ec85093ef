#!/usr/bin/env bash
# Builds the base image the compose stack's Containerfile starts from where no registry image
# can be pulled (CI, this project's machines): Debian bookworm from debootstrap, with
# redis-server, plus this machine's Node binary. Users with registry access use the
# Containerfile's default base (node:20) and the official Redis and Envoy images instead.
# Usage: deploy/compose/build-base-image.sh [IMAGE]   (default localhost/switchyard-base:node20)
set -euo pipefail
IMAGE=${1:-localhost/switchyard-base:node20}
if podman image exists "$IMAGE"; then
  echo "$IMAGE exists"
  exit 0
fi
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
echo "debootstrap bookworm into $ROOT (a few minutes)"
debootstrap --variant=minbase --include=redis-server bookworm "$ROOT" >/dev/null
install -m 0755 "$(readlink -f "$(command -v node)")" "$ROOT/usr/bin/node"
tar -C "$ROOT" -c . | podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$IMAGE" >/dev/null
echo "built $IMAGE"
