# pragma version ~=0.4.3
"""
@title Test token: an ERC-20 that calls its recipients back (ERC-777 style)
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. After a transfer moved
        the tokens, a recipient that opted in with `set_hook` gets
        `tokensReceived(sender, amount)` with all the gas the token has left,
        the way ERC-777 hooks run: the payee runs its own code in the middle
        of the escrow's push and may try to re-enter the escrow. A hook that
        reverts reverts the transfer, as in ERC-777.
        `min_gas`: a transfer that starts with less gas than this fails at
        once and cheaply (a token, or a proxy in front of one, that needs that
        much), which gives a relayer room to starve the push on purpose.
"""

interface IHook:
    def tokensReceived(sender: address, amount: uint256): nonpayable


name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
hooked: public(HashMap[address, bool])
min_gas: public(uint256)

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__():
    self.name = "Hook Token"
    self.symbol = "HOOK"
    self.decimals = 18


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def set_hook(account: address, flag: bool):
    self.hooked[account] = flag


@external
def set_min_gas(gas_: uint256):
    self.min_gas = gas_


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    self._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self._transfer(owner, to, amount)
    return True


@internal
def _transfer(owner: address, to: address, amount: uint256):
    assert msg.gas >= self.min_gas, "token: not enough gas"
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)
    if self.hooked[to]:
        extcall IHook(to).tokensReceived(owner, amount)
