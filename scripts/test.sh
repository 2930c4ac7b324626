#!/usr/bin/env bash
# `npm test`: the whole suite as CI runs it. Ensures the host packages and the cached Linux guest
# (guest/linux/build.sh; rebuilt only when its recipe changes), compiles, then runs vitest.
# Extra arguments go to vitest (e.g. `npm test -- test/cli`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-deps.sh
if [ -z "${VTRACE_GUEST_DIR:-}" ] && [ -f guest/linux/build.sh ]; then
  VTRACE_GUEST_DIR=$(bash guest/linux/build.sh | tail -n 1) || {
    echo "test: the Linux guest build failed; Linux boot tests will fail" >&2
    VTRACE_GUEST_DIR=
  }
  export VTRACE_GUEST_DIR
fi
npx tsc -p tsconfig.json
exec npx vitest run "$@"
