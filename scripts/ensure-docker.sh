#!/usr/bin/env bash
# Make sure a Docker engine answers; install Debian's docker.io and start dockerd when none does.
set -euo pipefail

log() { printf 'ensure-docker: %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "no Docker engine answers and dockerd is missing; install Docker (as root on Debian/Ubuntu this script does it)"
    exit 1
  fi
  log "installing Debian's docker.io (about half a minute)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

# A docker client may come from elsewhere on PATH; the engine is all we start here.
log "starting dockerd (log: /var/log/pyweb-dockerd.log)"
nohup dockerd >/var/log/pyweb-dockerd.log 2>&1 &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine is up"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/pyweb-dockerd.log"
exit 1
