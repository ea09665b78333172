#!/usr/bin/env bash
# What ansible-builder makes of the collection, without a registry or Galaxy: the build context of
# tests/ee/execution-environment.yml, and the requirements it finds in the collection once the
# built tarball is installed (meta/execution-environment.yml), which must be those the collection
# lists: each line of meta/ee-bindep.txt, attributed to pyweb.deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.venv/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/ansible-builder" create --file tests/ee/execution-environment.yml --context "$work/context" \
  --output-filename Containerfile >/dev/null
test -s "$work/context/Containerfile"

"$bin/ansible-galaxy" collection build --output-path "$work/dist" . >/dev/null
"$bin/ansible-galaxy" collection install --no-deps -p "$work/collections" "$work"/dist/pyweb-deploy-*.tar.gz >/dev/null
found=$("$bin/ansible-builder" introspect --sanitize "$work/collections")
missing=0
while read -r line; do
  case $line in ''|'#'*) continue ;; esac
  if ! grep -qF -- "$line  # from collection pyweb.deploy" <<<"$found"; then
    echo "check-ee: ansible-builder does not find \"$line\" in the installed collection" >&2
    missing=1
  fi
done < meta/ee-bindep.txt
if [ "$missing" -ne 0 ]; then
  echo "$found" >&2
  exit 1
fi
echo "check-ee: the build context is made, and ansible-builder finds the collection's system requirements"
