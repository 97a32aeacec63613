#!/usr/bin/env bash
# Installs dependencies, builds, and runs `parley serve` on its embedded
# defaults: http://127.0.0.1:8080, data in ./var. Extra arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
PARLEY_WITH_BROWSER_TESTS=0 scripts/install-deps.sh
scripts/build.sh release
exec build/src/app/parley serve "$@"
