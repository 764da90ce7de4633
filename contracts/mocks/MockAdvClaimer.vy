# pragma version ~=0.4.3
"""
@title Test payee: a contract that re-enters the escrow with all the gas it gets
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. Receives ETH (`__default__`)
        and hook-token callbacks (`tokensReceived`). `mode`: 0 accepts,
        1 refuses (reverts), 2 accepts *and* calls `target` with
        `reentry_data` first, recording the attempt, whether it succeeded and
        what it returned, but never reverting because of it: if a re-entry
        ever went through, its effect (a second payment) would stay on chain
        for the test to see. Only the outermost receive re-enters.
        `need_gas`: a receive that starts with less gas than this fails at
        once and cheaply (a wallet that needs that much to accept).
        `call` lets a test act as this contract (create orders, claim ...).
"""

mode: public(uint256)
need_gas: public(uint256)
target: public(address)
reentry_data: public(Bytes[1024])
attempts: public(uint256)
successes: public(uint256)
last_return: public(Bytes[128])
_inside: transient(bool)


@deploy
def __init__(mode_: uint256):
    self.mode = mode_


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
def set_need_gas(gas_: uint256):
    self.need_gas = gas_


@external
def set_reentry(target_: address, data: Bytes[1024]):
    self.target = target_
    self.reentry_data = data


@external
@payable
def call(target_: address, data: Bytes[2048]) -> Bytes[1024]:
    # Reverts bubble up, so that tests can assert the escrow's reason.
    return raw_call(target_, data, value=msg.value, max_outsize=1024)


@external
@payable
def __default__():
    self._on_receive(msg.value)


@external
def tokensReceived(sender: address, amount: uint256):
    self._on_receive(amount)


@internal
def _on_receive(amount: uint256):
    assert msg.gas >= self.need_gas, "claimer: not enough gas"
    # Cheap when it only accepts: an ETH push hands over 10 000 gas (+2 300).
    mode: uint256 = self.mode
    if mode == 1:
        raise "claimer: refused"
    if mode == 2 and not self._inside:
        self._inside = True
        self.attempts += 1
        success: bool = False
        response: Bytes[128] = b""
        success, response = raw_call(self.target, self.reentry_data, max_outsize=128, revert_on_failure=False)
        if success:
            self.successes += 1
        self.last_return = response
        self._inside = False
