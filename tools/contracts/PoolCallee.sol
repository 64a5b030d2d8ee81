// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity =0.7.6;

import '@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol';
import '@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3MintCallback.sol';
import '@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol';

import './TestERC20.sol';

/// @title One position owner and swapper for tracka's tests
/// @notice The pool keys positions by msg.sender for burn and collect, so each test owner
/// is its own PoolCallee. Every action names the pool; the callee is the recipient of
/// every mint, collect and swap, and pays a callback exactly what it asks by minting the
/// test token straight to the pool. Pool reverts bubble up unchanged.
contract PoolCallee is IUniswapV3MintCallback, IUniswapV3SwapCallback {
    function mint(
        address pool,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount
    ) external returns (uint256 amount0, uint256 amount1) {
        return IUniswapV3Pool(pool).mint(address(this), tickLower, tickUpper, amount, '');
    }

    function burn(
        address pool,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount
    ) external returns (uint256 amount0, uint256 amount1) {
        return IUniswapV3Pool(pool).burn(tickLower, tickUpper, amount);
    }

    function collect(
        address pool,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount0Requested,
        uint128 amount1Requested
    ) external returns (uint128 amount0, uint128 amount1) {
        return
            IUniswapV3Pool(pool).collect(address(this), tickLower, tickUpper, amount0Requested, amount1Requested);
    }

    function swap(
        address pool,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96
    ) external returns (int256 amount0, int256 amount1) {
        return IUniswapV3Pool(pool).swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, '');
    }

    function uniswapV3MintCallback(
        uint256 amount0Owed,
        uint256 amount1Owed,
        bytes calldata
    ) external override {
        _pay(amount0Owed, amount1Owed);
    }

    function uniswapV3SwapCallback(
        int256 amount0Delta,
        int256 amount1Delta,
        bytes calldata
    ) external override {
        _pay(amount0Delta > 0 ? uint256(amount0Delta) : 0, amount1Delta > 0 ? uint256(amount1Delta) : 0);
    }

    /// @dev Pays the calling pool; any contract may call, which is fine for a test owner
    /// whose tokens are free to mint.
    function _pay(uint256 amount0, uint256 amount1) private {
        IUniswapV3Pool pool = IUniswapV3Pool(msg.sender);
        if (amount0 > 0) TestERC20(pool.token0()).mint(msg.sender, amount0);
        if (amount1 > 0) TestERC20(pool.token1()).mint(msg.sender, amount1);
    }
}
