#!/usr/bin/env bash
# Installs what the chain tests need and compiles our test contracts. Idempotent: a
# second run with nothing changed only checks two stamps and returns in well under a
# second.
#
#   tools/node/package.json      exact pins: @uniswap/v3-core, solc (solc-js), hardhat
#   tools/node/node_modules/     npm install --no-package-lock (ignored by git)
#   tools/node/artifacts/        TestERC20.json, PoolCallee.json from tools/contracts/*.sol
#                                compiled by solc-js 0.7.6 (ignored by git)
#
# No lock file is written or committed: the pins in package.json are exact.
set -euo pipefail
cd "$(dirname "$0")/node"

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "setup-test-deps: '$1' not found on PATH (Node.js >= 18 with npm is required)" >&2
    exit 1
  }
}
need node
need npm

# strace: the test that proves a mock campaign opens no network connection traces it
if ! command -v strace >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup-test-deps: installing strace"
    apt-get update -qq && apt-get install -y -qq strace >/dev/null
  else
    echo "setup-test-deps: strace not found; install it (Debian: apt-get install strace)" >&2
    exit 1
  fi
fi

# sha256 of the given files, one line
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# 1. npm packages, reinstalled only when package.json changed or a package is missing.
install_stamp="$(stamp_of package.json)"
installed_ok() {
  [ -f node_modules/.tracka-install-stamp ] &&
    [ "$(cat node_modules/.tracka-install-stamp)" = "$install_stamp" ] &&
    node -e '
      const pins = require("./package.json").dependencies;
      for (const [name, want] of Object.entries(pins)) {
        const got = require(`./node_modules/${name}/package.json`).version;
        if (got !== want) { process.exit(1); }
      }' 2>/dev/null
}
if ! installed_ok; then
  echo "setup-test-deps: installing pinned npm packages into tools/node/node_modules"
  npm install --no-package-lock --no-audit --no-fund --loglevel=error
  echo "$install_stamp" > node_modules/.tracka-install-stamp
  installed_ok || {
    echo "setup-test-deps: installed versions do not match tools/node/package.json" >&2
    exit 1
  }
fi

# 2. our contracts, recompiled only when a source, the compile script or the pins changed.
compile_inputs=(package.json compile-contracts.js ../contracts/*.sol)
compile_stamp="$(stamp_of "${compile_inputs[@]}")"
if [ ! -f artifacts/.tracka-compile-stamp ] ||
  [ "$(cat artifacts/.tracka-compile-stamp)" != "$compile_stamp" ]; then
  node compile-contracts.js
  echo "$compile_stamp" > artifacts/.tracka-compile-stamp
fi
