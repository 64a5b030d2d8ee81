// Compiles tracka's own test contracts (tools/contracts/*.sol) with the pinned solc-js
// 0.7.6 and writes one JSON per contract to tools/node/artifacts/<Name>.json with
// `abi`, `bytecode` and `deployedBytecode` (0x-prefixed hex). Imports starting with
// `@uniswap/` resolve inside tools/node/node_modules. Run by tools/setup-test-deps.sh.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const here = __dirname;
const contractsDir = path.join(here, '..', 'contracts');
const outDir = path.join(here, 'artifacts');

if (solc.version().indexOf('0.7.6+') !== 0) {
  console.error(`expected solc 0.7.6, found ${solc.version()}`);
  process.exit(1);
}

const sources = {};
for (const file of fs.readdirSync(contractsDir).sort()) {
  if (file.endsWith('.sol')) {
    sources[file] = { content: fs.readFileSync(path.join(contractsDir, file), 'utf8') };
  }
}

function findImports(importPath) {
  const candidates = [path.join(here, 'node_modules', importPath), path.join(contractsDir, importPath)];
  for (const p of candidates) {
    if (fs.existsSync(p)) return { contents: fs.readFileSync(p, 'utf8') };
  }
  return { error: `import not found: ${importPath}` };
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'istanbul',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
let written = 0;
for (const file of Object.keys(sources)) {
  for (const [name, c] of Object.entries(output.contracts[file] || {})) {
    const artifact = {
      contractName: name,
      sourceName: file,
      compiler: solc.version(),
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    const tmp = path.join(outDir, `${name}.json.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(artifact, null, 2) + '\n');
    fs.renameSync(tmp, path.join(outDir, `${name}.json`));
    written += 1;
  }
}
console.log(`compiled ${written} contracts with solc ${solc.version()} into ${outDir}`);
