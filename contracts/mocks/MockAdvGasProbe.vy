# pragma version ~=0.4.3
"""
@title Test payee and token: sees exactly how much gas a push hands it
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. As an ETH receiver
        (`__default__`) and as an ERC-20 (`transfer`), the very first thing
        it does is read `msg.gas`: it fails at once when that is below
        `NEED` (a wallet or token whose code needs that much gas to accept),
        else it logs the figure in `GasAtEntry`. A test calibrates the few gas
        of dispatch before the read with a direct transaction of known gas,
        and so pins the gas the escrow forwards to the unit.
        No loop, no gas burning: failing is one cheap revert.
"""

NEED: public(immutable(uint256))

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

event GasAtEntry:
    gas: uint256

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


@deploy
def __init__(need: uint256):
    NEED = need


@external
@payable
def __default__():
    left: uint256 = msg.gas
    assert left >= NEED, "probe: not enough gas"
    log GasAtEntry(gas=left)


@external
def transfer(to: address, amount: uint256) -> bool:
    left: uint256 = msg.gas
    assert left >= NEED, "probe: not enough gas"
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    log GasAtEntry(gas=left)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=owner, receiver=to, value=amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
