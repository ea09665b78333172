#!/usr/bin/env bash
# Start one systemd container, apply a playbook (playbooks/site.yml unless told) to it through
# inventory/demo.yml, and fetch the app's page through nginx on port 81, published on
# 127.0.0.1:PORT.
# Usage: scripts/demo.sh [PORT [PLAYBOOK]]   (run by `make demo`, once the toolchain and image exist)
# PYWEB_DEMO_CONTAINER names the container (default pyweb-demo).
set -euo pipefail
cd "$(dirname "$0")/.."

port=${1:-8081}
playbook=${2:-playbooks/site.yml}
name=${PYWEB_DEMO_CONTAINER:-pyweb-demo}
export PYWEB_DEMO_CONTAINER=$name
image=${MOLECULE_IMAGE:-pyweb-deploy/debian:bookworm}

log() { printf 'demo: %s\n' "$*" >&2; }

if [ -z "$(docker ps -q --filter "name=^${name}$")" ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  log "starting $name from $image"
  docker run -d --name "$name" --hostname "$name" \
    --cap-add SYS_ADMIN --cgroupns=host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    -p "127.0.0.1:${port}:81" \
    "$image" /lib/systemd/systemd >/dev/null
fi

export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}
log "preparing the container (the host's CAs, apt's lists)"
ansible-playbook -i inventory/demo.yml molecule/shared/prepare.yml
log "prepared in ${SECONDS} s; now $playbook (about 40 s on a fresh container)"
ansible-playbook -i inventory/demo.yml "$playbook"
log "deployed; ${SECONDS} s since the demo started"

url="http://127.0.0.1:${port}/"
for _ in $(seq 1 30); do
  if body=$(curl -fsS --max-time 5 "$url"); then
    printf '\nGET %s (nginx on port 81 in container %s):\n%s\n\n' "$url" "$name" "$body"
    [ -n "${PYWEB_DEMO_EPHEMERAL:-}" ] || log "the container keeps running; remove it with: docker rm -f $name"
    exit 0
  fi
  sleep 1
done
log "no answer from $url"
exit 1
