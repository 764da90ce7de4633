# pragma version ~=0.4.3
"""
@title Test token: a plain ERC-20 with free minting and a settable decimals
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. `mode` turns it into the
        tokens seen in the wild: 0 plain, 1 USDT-style (no return values),
        2 fee-on-transfer (1% burnt on every move), 3 returns false instead of
        reverting, 4 burns all gas on transfer.
"""

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
blocked: public(HashMap[address, bool])
mode: public(uint256)

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__(name_: String[32], symbol_: String[8], decimals_: uint8, mode_: uint256):
    self.name = name_
    self.symbol = symbol_
    self.decimals = decimals_
    self.mode = mode_


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def set_blocked(account: address, flag: bool):
    # USDC/USDT-style blocklist: a blocked address can neither send nor receive.
    self.blocked[account] = flag


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    return self._transfer(msg.sender, to, amount)


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    if self.mode == 3 and self.allowance[owner][msg.sender] < amount:
        return False
    self.allowance[owner][msg.sender] -= amount
    return self._transfer(owner, to, amount)


@internal
def _transfer(owner: address, to: address, amount: uint256) -> bool:
    if self.mode == 4:
        # Burn everything we were given, in one step: INVALID consumes all gas.
        # (A loop would do the same in millions of steps, and Anvil's step tracer
        # keeps every one of them in memory.)
        assert self.mode != 4, UNREACHABLE
    if self.mode == 3 and (self.blocked[owner] or self.blocked[to] or self.balanceOf[owner] < amount):
        return False
    assert not self.blocked[owner] and not self.blocked[to], "token: blocked"
    self.balanceOf[owner] -= amount
    received: uint256 = amount
    if self.mode == 2:
        fee: uint256 = amount // 100
        received = amount - fee
        self.totalSupply -= fee
    self.balanceOf[to] += received
    log Transfer(sender=owner, receiver=to, value=received)
    return True
