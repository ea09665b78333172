#!/usr/bin/env bash
# Build the collection, install the tarball into an empty path, and run the installed
# `pyweb.deploy.site` against a fresh container the way most users reach a server: over SSH, as an
# ordinary user who becomes root with sudo and a password. The app gets a secret in its environment
# and a pre-start command that needs it; afterwards neither the secret nor the sudo password may
# be in the host's journal or in any file under /var/log, although sudo logs every command line.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /var/tmp/pyweb-installed.XXXXXX)
name=pyweb-installed-check
port=${PYWEB_INSTALLED_PORT:-8082}
image=${MOLECULE_IMAGE:-pyweb-deploy/debian:bookworm}
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { printf 'check-installed: %s\n' "$*" >&2; }
in_host() { docker exec "$name" "$@"; }

command -v ssh >/dev/null || apt-get install -y -q openssh-client >/dev/null

ansible-galaxy collection build --output-path "$work/dist" .
tarball=$(ls "$work"/dist/pyweb-deploy-*.tar.gz)
# What must stay out of the tarball: the dev toolchain, tests and the link back to the checkout.
if tar -tzf "$tarball" | grep -E '^(\.venv|molecule|tests|scripts|playbooks/collections)/'; then
  log "the tarball carries development files (above)"
  exit 1
fi
# The collection depends on no other (galaxy.yml); Galaxy is not asked.
ansible-galaxy collection install --force --no-deps -p "$work/collections" "$tarball"

docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --hostname "$name" \
  --cap-add SYS_ADMIN --cgroupns=host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
  -p "127.0.0.1:${port}:81" \
  "$image" /lib/systemd/systemd >/dev/null

# The test set-up (the controller's CA, the tools) through docker, as for every test host.
PYWEB_DEMO_CONTAINER=$name ansible-playbook -i inventory/demo.yml molecule/shared/prepare.yml

# An SSH server and the user "deploy": a key to log in, a password for sudo.
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
ssh-keygen -q -t ed25519 -N '' -f "$work/id_deploy"
in_host sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server >/dev/null'
in_host useradd --create-home --shell /bin/bash --groups sudo deploy
printf 'deploy:%s\n' "$password" | docker exec -i "$name" chpasswd
in_host install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
docker exec -i "$name" sh -c 'cat > /home/deploy/.ssh/authorized_keys' <"$work/id_deploy.pub"
in_host chown deploy:deploy /home/deploy/.ssh/authorized_keys
in_host systemctl start ssh
address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")

# The password and the secret live in files; nothing of them is on a command line here.
mkdir -p "$work/inventory/group_vars"
cat >"$work/inventory/hosts.yml" <<EOF
all:
  children:
    web:
      hosts:
        $name:
          ansible_host: $address
          ansible_user: deploy
          ansible_ssh_private_key_file: $work/id_deploy
          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          ansible_python_interpreter: /usr/bin/python3
EOF
cat >"$work/inventory/group_vars/web.yml" <<EOF
ansible_become_password: "$password"
pyweb_server_name: shop.example.test
gunicorn_environment:
  PYWEB_CHECK_SECRET: "$secret"
# Fails the deploy unless the app's environment reaches the command.
gunicorn_pre_start_command: test -n "\$PYWEB_CHECK_SECRET"
EOF

# Only the installed copy is on the collections path, so nothing from this checkout is used.
ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1} \
  ansible-playbook -i "$work/inventory" pyweb.deploy.site

url="http://127.0.0.1:${port}/"
body=""
for _ in $(seq 1 30); do
  body=$(curl -fsS --max-time 5 -H 'Host: shop.example.test' "$url") && break
  sleep 1
done
[ -n "$body" ] || { log "no answer from $url"; exit 1; }
printf '\nGET %s (nginx on port 81 in container %s, deployed over SSH by deploy with sudo):\n%s\n\n' \
  "$url" "$name" "$body"

# sudo logged the deploy's commands (so the search below looks where they would be) ...
sudo_lines=$(in_host sh -c 'journalctl --no-pager -o cat | grep -c "deploy : .*COMMAND="' || true)
[ "$sudo_lines" -gt 0 ] || { log "sudo logged no command of deploy; the search below would prove nothing"; exit 1; }
# ... and neither the password nor the secret is there, nor in any file under /var/log.
for value in "$password" "$secret"; do
  if printf '%s\n' "$value" | docker exec -i "$name" sh -c \
      'read -r v; journalctl --no-pager -o cat | grep -qF "$v" || grep -rqsF "$v" /var/log'; then
    log "a secret value reached the host's logs"
    exit 1
  fi
done
log "sudo logged $sudo_lines commands of deploy; neither the sudo password nor the app's secret is in the journal or /var/log"
