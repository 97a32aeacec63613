#!/usr/bin/env bash
# Installs everything Parley needs to build, run and test on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

packages=(
  cmake g++ make pkg-config ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libsodium-dev libjwt-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libusrsctp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Only the tests need these: Chromium for the browser tests, Clang's libFuzzer.
if [ "${PARLEY_WITH_BROWSER_TESTS:-1}" = 1 ]; then
  packages+=(chromium clang-16 libclang-rt-16-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js for the browser tests: Debian's nodejs + npm, unless a node with npm is present.
if [ "${PARLEY_WITH_BROWSER_TESTS:-1}" = 1 ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "${PARLEY_WITH_BROWSER_TESTS:-1}" = 1 ]; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "the browser tests need Node.js 20 or newer (playwright-core); found $(node --version 2>/dev/null)" >&2
    exit 1
  fi
fi
if [ "${PARLEY_WITH_BROWSER_TESTS:-1}" = 1 ] && [ -f tests/e2e/package-lock.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund)
fi
