# pragma version ~=0.4.3
"""
@title Test token: USDT-style ERC-20 whose transfer functions return nothing
@license GNU Affero General Public License v3.0 only
@notice Test double only. Like mainnet USDT: 6 decimals, no return value,
        reverts on failure, and an owner blocklist.
"""

decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
isBlackListed: public(HashMap[address, bool])

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


@deploy
def __init__():
    self.decimals = 6


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount


@external
def set_blocked(account: address, flag: bool):
    self.isBlackListed[account] = flag


@external
def approve(spender: address, amount: uint256):
    self.allowance[msg.sender][spender] = amount


@external
def transfer(to: address, amount: uint256):
    self._transfer(msg.sender, to, amount)


@external
def transferFrom(owner: address, to: address, amount: uint256):
    self.allowance[owner][msg.sender] -= amount
    self._transfer(owner, to, amount)


@internal
def _transfer(owner: address, to: address, amount: uint256):
    assert not self.isBlackListed[owner] and not self.isBlackListed[to]
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)
