#!/bin/sh
# ansible-test sanity on the collection as it ships: ansible-test runs only from a directory named
# ansible_collections/<namespace>/<name>, so the checkout's tracked files are copied into one.
# Each sanity test runs in a virtualenv of its own, which ansible-test makes with get-pip.py from
# a server this machine may not reach; where there is none yet, a stand-in makes pip with
# ensurepip and installs what ansible-test asks for from PyPI.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.venv/bin}
# The copy below is another directory: a relative BIN (make passes .venv/bin) is made absolute.
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
cache="$HOME/.ansible/test/cache"
getpip="$cache/get_pip_24_2.py"
if [ ! -s "$getpip" ]; then
  mkdir -p "$cache"
  cat > "$getpip" <<'PY'
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
PY
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/ansible_collections/pyweb/deploy"
mkdir -p "$copy"
cd "$root"
# Files deleted but not yet committed are left out (--ignore-failed-read).
git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$copy"
cd "$copy"
git init -q && git add -A
"$bin/ansible-test" sanity --python "$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --local --color no "$@"
