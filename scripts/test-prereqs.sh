#!/usr/bin/env bash
# The system packages the test suite needs (scripts/system-packages.txt), before any test runs:
# present → silent; missing and we are root with apt-get (a fresh Debian machine, CI) → installed;
# otherwise one line naming the command to run, exit 1 — at once, not 8 tests dying later.
# Only bash builtins plus `id` and `apt-get`, so it works (and is tested) with a bare PATH.
set -euo pipefail
here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
table="$here/system-packages.txt"

missing=()
packages=()
while read -r cmd pkg _; do
  [[ -z "${cmd:-}" || "$cmd" == \#* ]] && continue
  command -v "$cmd" >/dev/null 2>&1 || {
    missing+=("$cmd")
    packages+=("$pkg")
  }
done <"$table"
[ ${#missing[@]} -eq 0 ] && exit 0

list=${missing[*]}
list=${list// /, }
install="apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
sudo_install="sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test setup: $list not on PATH and no apt-get here: install them with your system's package manager (Debian: $install), then run npm test again" >&2
  exit 1
fi
if [ "$(id -u 2>/dev/null)" != 0 ]; then
  echo "test setup: $list not on PATH: run  $sudo_install  then npm test again" >&2
  exit 1
fi

echo "test setup: installing ${packages[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt-get may hold the dpkg lock (unattended upgrades, a parallel job): wait for it.
lock=(-o DPkg::Lock::Timeout=300)
if ! apt-get "${lock[@]}" update -qq || ! apt-get "${lock[@]}" install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
  echo "test setup: apt-get could not install ${packages[*]} (its errors are above): fix that, or run  $install  yourself, then npm test again" >&2
  exit 1
fi
hash -r
for cmd in "${missing[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || {
    echo "test setup: apt-get installed ${packages[*]} but $cmd is still not on PATH (PATH=$PATH): add its directory to PATH" >&2
    exit 1
  }
done
# Debian's redis-server package also starts a system redis on 6379; the tests never use that
# port (test/helpers/redis.ts starts its own on random ports).
