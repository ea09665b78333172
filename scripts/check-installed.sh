#!/usr/bin/env bash
# Build the collection, install the tarball into an empty path, and run the installed
# `pyweb.deploy.site` against a fresh demo container: what a user of the built collection gets.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /var/tmp/pyweb-installed.XXXXXX)
export PYWEB_DEMO_CONTAINER=pyweb-installed-check PYWEB_DEMO_EPHEMERAL=1
cleanup() {
  docker rm -f "$PYWEB_DEMO_CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ansible-galaxy collection build --output-path "$work/dist" .
tarball=$(ls "$work"/dist/pyweb-deploy-*.tar.gz)
# What must stay out of the tarball: the dev toolchain, tests and the link back to the checkout.
if tar -tzf "$tarball" | grep -E '^(\.venv|molecule|tests|scripts|playbooks/collections)/'; then
  echo "check-installed: the tarball carries development files (above)" >&2
  exit 1
fi
# community.general comes with the ansible package of the toolchain; Galaxy is not asked.
ansible-galaxy collection install --force --no-deps -p "$work/collections" "$tarball"

# Only the installed copy is on the collections path, so nothing from this checkout is used.
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
docker rm -f "$PYWEB_DEMO_CONTAINER" >/dev/null 2>&1 || true
scripts/demo.sh "${PYWEB_INSTALLED_PORT:-8082}" pyweb.deploy.site
