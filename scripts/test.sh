#!/usr/bin/env bash
# `npm test`: the whole suite as CI runs it. Ensures the host packages, the cached Linux guest
# (guest/linux/build.sh; rebuilt only when its recipe changes) and the default guest's ELF,
# compiles, then runs vitest.
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
# The default guest's ELF (symbols for backtraces, plugins and the loader tests) is built, not
# committed: guest/default/build/ (the committed default.bin is left as it is).
if command -v riscv64-linux-gnu-gcc >/dev/null; then
  bash guest/default/build.sh -o guest/default/build >/dev/null || echo "test: building the default guest's ELF failed" >&2
fi
npx tsc -p tsconfig.json
exec npx vitest run "$@"
