#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (the pinned npm packages for the chain tests), then runs every test.
#
# Long suites are sized for CI by default; see README.md ("Full-size suites").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x tools/setup-test-deps.sh ]; then
  tools/setup-test-deps.sh
fi

if command -v cargo-nextest >/dev/null 2>&1; then
  # nextest does not run doctests; run them first so nextest's summary closes the log
  cargo test --doc --quiet
  cargo nextest run --all-targets --no-fail-fast "$@"
else
  cargo test --all-targets --no-fail-fast "$@"
fi
