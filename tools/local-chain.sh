#!/usr/bin/env bash
# Starts a local Ethereum node (Hardhat Network, pinned in tools/node/package.json) on
# 127.0.0.1:${PORT:-8545}, deploys the published UniswapV3Factory at the built-in "local"
# network's factory address plus a test pool, and prints a `tracka validate-pool`
# command to try. The node runs until Ctrl-C (it is stopped when this script exits).
set -euo pipefail
cd "$(dirname "$0")"
./setup-test-deps.sh
PORT="${PORT:-8545}"
cd node
HARDHAT_DISABLE_TELEMETRY_PROMPT=true node_modules/.bin/hardhat node --hostname 127.0.0.1 --port "$PORT" >hardhat-node.log 2>&1 &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if node -e "fetch('http://127.0.0.1:$PORT',{method:'POST',headers:{'content-type':'application/json'},body:'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}'}).then(()=>process.exit(0),()=>process.exit(1))" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
node deploy-local.js "http://127.0.0.1:$PORT"
echo "node running on http://127.0.0.1:$PORT (log: tools/node/hardhat-node.log); Ctrl-C to stop"
wait "$node_pid"
