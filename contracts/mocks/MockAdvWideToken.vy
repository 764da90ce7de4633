# pragma version ~=0.4.3
"""
@title Test token whose transfers answer with two words instead of one
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. `transfer` and
        `transferFrom` move the tokens and return 64 bytes: the words
        `FIRST` and `SECOND` given at deployment. The escrow reads at most
        32 bytes of a token's answer (`max_outsize=32`), so the first word
        alone decides: (1, x) is a success, (0, 1) a failure. A caller that
        read 64 bytes would see a 64-byte answer and refuse both.
"""

FIRST: public(immutable(uint256))
SECOND: public(immutable(uint256))

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(first: uint256, second: uint256):
    FIRST = first
    SECOND = second


@external
def transfer(to: address, amount: uint256) -> (uint256, uint256):
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return FIRST, SECOND


@external
def transferFrom(owner: address, to: address, amount: uint256) -> (uint256, uint256):
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    return FIRST, SECOND


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
