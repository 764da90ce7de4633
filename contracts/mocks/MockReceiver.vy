# pragma version ~=0.4.3
"""
@title Test payee: a contract that accepts, refuses, burns gas or re-enters
@license GNU Affero General Public License v3.0 only
@notice Test double only. `mode`: 0 accepts ETH, 1 reverts, 2 burns all gas
        it is given, 3 re-enters `target` with `reentry_data` and reverts if
        that call succeeded (so a successful re-entry would be visible as a
        failed payment and a test could not mistake it for a good one).
        It can also act as a buyer/supplier: `call` forwards any call.
"""

mode: public(uint256)
target: public(address)
reentry_data: public(Bytes[1024])
received: public(uint256)


@deploy
def __init__(mode_: uint256):
    self.mode = mode_


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
def set_reentry(target_: address, data: Bytes[1024]):
    self.target = target_
    self.reentry_data = data


@external
@payable
def call(target_: address, data: Bytes[2048]) -> Bytes[1024]:
    # Lets tests act *as* this contract (create orders, accept, claim ...).
    return raw_call(target_, data, value=msg.value, max_outsize=1024)


@external
@payable
def __default__():
    if self.mode == 1:
        raise "receiver: no thanks"
    elif self.mode == 2:
        # INVALID consumes all gas in one step (a loop would flood Anvil's step tracer).
        assert self.mode != 2, UNREACHABLE
    elif self.mode == 3:
        success: bool = raw_call(self.target, self.reentry_data, revert_on_failure=False)
        assert not success, "receiver: re-entry succeeded"
