#!/usr/bin/env bash
# The runbook's campaign runner, kept as a thin wrapper so its quick-start commands work
# from the repository root:
#
#   HB_ENV=mock MOCK_CLMM=true EXEC_MODE=mock LEARN_FROM_MOCK=false \
#   INTEL_DATA_SOURCE=mock HB_SEED=12345 EPISODES=1 tools/start_training_campaign.sh
#
# Every variable of the runbook (HB_ENV, MOCK_CLMM, EXEC_MODE, LEARN_FROM_MOCK,
# INTEL_DATA_SOURCE, HB_SEED, EPISODES) and TRACKA_DATA_DIR is read by `tracka campaign`
# itself; extra arguments are passed through (see `tracka campaign --help`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="${TRACKA_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin tracka
  bin="${CARGO_TARGET_DIR:-$root/target}/release/tracka"
fi
exec "$bin" campaign "$@"
