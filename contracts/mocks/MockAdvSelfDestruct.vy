# pragma version ~=0.4.3
"""
@title Test contract that forces ETH on an address with SELFDESTRUCT
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. Since Cancun (EIP-6780)
        SELFDESTRUCT no longer deletes a contract created in an earlier
        transaction, but it still sends the whole balance to `to` without
        calling it: no `receive`, no payable check can refuse the ETH.
"""


@deploy
@payable
def __init__():
    pass


@external
def boom(to: address):
    selfdestruct(to)
