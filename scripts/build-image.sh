#!/usr/bin/env bash
# Build a systemd test image for one Debian suite from Debian's archive, unless it exists already.
# Usage: scripts/build-image.sh SUITE   (bullseye, bookworm, trixie)
set -euo pipefail

suite=${1:?usage: build-image.sh SUITE}
prefix=${PYWEB_IMAGE_PREFIX:-pyweb-deploy/debian}
tag="${prefix}:${suite}"

log() { printf 'build-image: %s\n' "$*" >&2; }

if docker image inspect "$tag" >/dev/null 2>&1 && [ -z "${PYWEB_REBUILD_IMAGES:-}" ]; then
  log "$tag exists"
  exit 0
fi

# The mirror comes from this machine's apt sources, so the build uses whatever archive the host uses.
mirror=${PYWEB_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(
    {
      grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' || true
    } | grep -v -e security -e '^$' | head -n 1
  ) || true
fi
if [ -z "$mirror" ]; then
  log "no Debian mirror found in /etc/apt sources; set PYWEB_DEBIAN_MIRROR"
  exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

root=$(mktemp -d "/var/tmp/pyweb-${suite}.XXXXXX")
trap 'rm -rf "$root"' EXIT
log "debootstrap $suite from $mirror (about a minute)"
debootstrap --variant=minbase \
  --include=python3,systemd,systemd-sysv,sudo,ca-certificates \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
rm -f "$root.log"
# Point the image's apt at the same mirror (plus security updates) and drop the build-time caches.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
log "importing as $tag"
tar -C "$root" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$tag" >/dev/null
log "built $tag in ${SECONDS} s"
