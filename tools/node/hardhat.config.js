module.exports = { solidity: "0.7.6" }; // tracka chain tests: `hardhat node` only, nothing is compiled here
