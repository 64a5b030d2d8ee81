// Deploys onto a fresh local Hardhat node, from its unlocked account #0: the published
// UniswapV3Factory (@uniswap/v3-core@1.0.1) first, so it lands at the address the
// built-in "local" network expects, then two TestERC20s (tools/contracts) and a 0.05%
// pool of them. Prints the addresses as JSON and a `tracka validate-pool` command.
// Usage: node deploy-local.js [RPC_URL]   (default http://127.0.0.1:8545)
'use strict';
const path = require('path');
const { Interface, defaultAbiCoder } = require('@ethersproject/abi');

const url = process.argv[2] || 'http://127.0.0.1:8545';
const LOCAL_FACTORY = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
let nextId = 1;

async function rpc(method, params) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function send(from, to, data) {
  const tx = { from, data, gas: '0xe4e1c0' };
  if (to) tx.to = to;
  const hash = await rpc('eth_sendTransaction', [tx]);
  const receipt = await rpc('eth_getTransactionReceipt', [hash]);
  if (receipt.status !== '0x1') throw new Error(`transaction ${hash} failed`);
  return receipt;
}

function artifact(p) {
  return require(path.join(__dirname, p));
}

async function main() {
  const factoryArt = artifact('node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json');
  const tokenArt = artifact('artifacts/TestERC20.json');
  const [from] = await rpc('eth_accounts', []);
  if ((await rpc('eth_getTransactionCount', [from, 'latest'])) !== '0x0') {
    console.error('warning: account #0 has sent transactions already; the factory will not be at the "local" network address');
  }
  const factory = (await send(from, null, factoryArt.bytecode)).contractAddress;
  const tokens = [];
  for (const [name, symbol] of [['Token A', 'TKA'], ['Token B', 'TKB']]) {
    const args = defaultAbiCoder.encode(['string', 'string'], [name, symbol]).slice(2);
    tokens.push((await send(from, null, tokenArt.bytecode + args)).contractAddress);
  }
  const f = new Interface(factoryArt.abi);
  await send(from, factory, f.encodeFunctionData('createPool', [tokens[0], tokens[1], 500]));
  const out = await rpc('eth_call', [{ to: factory, data: f.encodeFunctionData('getPool', [tokens[0], tokens[1], 500]) }, 'latest']);
  const pool = f.decodeFunctionResult('getPool', out)[0];
  const sorted = tokens.slice().sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  console.log(JSON.stringify({ rpc_url: url, factory, token0: sorted[0], token1: sorted[1], fee: 500, pool }, null, 2));
  if (factory.toLowerCase() !== LOCAL_FACTORY.toLowerCase()) {
    console.error(`note: factory is not at ${LOCAL_FACTORY}; pass a networks file (--networks) naming ${factory}`);
  }
  console.log(`\ntracka validate-pool --network local --rpc-url ${url} --pool ${pool} --fee 500`);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
