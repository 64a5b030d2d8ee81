// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity =0.7.6;

/// @title A test ERC-20 that anyone may mint
/// @notice Used only by tracka's tests: callees mint exactly what a pool callback asks
/// straight to the pool. Every addition is checked, so an overflow reverts with a reason
/// instead of wrapping (Solidity 0.7 arithmetic is unchecked).
contract TestERC20 {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    /// @notice Creates `amount` new tokens for `to`; open to every caller.
    function mint(address to, uint256 amount) external {
        uint256 supply = totalSupply + amount;
        require(supply >= amount, 'ERC20: supply overflow');
        totalSupply = supply;
        balanceOf[to] += amount; // cannot overflow: balanceOf[to] <= totalSupply
        emit Transfer(address(0), to, amount);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(
        address from,
        address to,
        uint256 amount
    ) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != uint256(-1)) {
            require(allowed >= amount, 'ERC20: allowance');
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    function _move(
        address from,
        address to,
        uint256 amount
    ) private {
        uint256 fromBalance = balanceOf[from];
        require(fromBalance >= amount, 'ERC20: balance');
        balanceOf[from] = fromBalance - amount;
        balanceOf[to] += amount; // cannot overflow: the sum of balances is totalSupply
        emit Transfer(from, to, amount);
    }
}
