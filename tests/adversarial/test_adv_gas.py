"""Gas the escrow hands out, pinned: the ETH push stipend (ETH_PUSH_GAS = 10 000, plus the 2 300 the
EVM adds to every call that carries value), the ERC-20 push cap (TOKEN_PUSH_GAS = 100 000), and the
"escrow: out of gas" guard that stops a relayer from starving a push into a credit.

``MockAdvGasProbe`` reads ``msg.gas`` first thing and logs it; a direct transaction of known gas
calibrates the few gas of dispatch before that read, so the gas a push forwards is known exactly.
Relayer sweeps use ``eth_call`` / ``debug_traceCall`` with a gas cap, never a burning transaction.
"""

from __future__ import annotations

import pytest
from eth_utils import keccak

from _adv_support import (
    Party,
    calldata,
    intrinsic_gas,
    open_deal,
    pushes,
    session_state_first,  # noqa: F401  (autouse)
    sign_receipt,
)
from conftest import DAY, Money, h

GAS_AT_ENTRY = keccak(text="GasAtEntry(uint256)")
PAYMENT_DEFERRED = keccak(text="PaymentDeferred(uint256,address,address,uint256)")
EVM_CALL_STIPEND = 2_300
ETH = Money("eth", None)


def entry_gas_logged(tx, probe) -> list[int]:
    """The gas the probe saw at entry, once per call into it, in order."""
    return [e.gas for e in tx.events if e.contract_address == probe.address and e.event_name == "GasAtEntry"]


def dispatch_overhead(chain, probe, sender, data: bytes, value: int) -> int:
    """Gas the probe spends before it reads `msg.gas`, measured on a direct transaction."""
    web3 = chain.provider.web3
    gas = 80_000
    tx_hash = web3.eth.send_transaction(
        {"from": sender.address, "to": probe.address, "data": "0x" + data.hex(), "value": value, "gas": gas}
    )
    receipt = web3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1
    (logged,) = [int.from_bytes(bytes(log.data), "big") for log in receipt.logs if bytes(log.topics[0]) == GAS_AT_ENTRY]
    return gas - intrinsic_gas(data) - logged


# ---------------------------------------------------------------- ETH stipend


def test_eth_push__receiver_gets_exactly_eth_push_gas_plus_the_evm_stipend(
    escrow, project, admin, buyer, supplier, stranger, chain
):
    probe = project.MockAdvGasProbe.deploy(0, sender=admin)
    overhead = dispatch_overhead(chain, probe, stranger, b"", 1)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(probe, 2_500)], quantity=4, unit_price=10**15, stage="shipped",
    )

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    (logged,) = entry_gas_logged(tx, probe)
    assert escrow.ETH_PUSH_GAS() == 10_000
    assert logged + overhead == escrow.ETH_PUSH_GAS() + EVM_CALL_STIPEND


@pytest.mark.parametrize("need", ["9_000", "11_000", "edge", "edge+1", "13_000"])
def test_eth_push__receiver_needing_gas__paid_up_to_the_stipend_deferred_above(
    need, escrow, project, admin, buyer, supplier, stranger, chain
):
    """A receiver that needs 9 000 gas is paid. One that needs 11 000 is paid too: the EVM adds
    2 300 to the 10 000 of every call that carries value, so the receiver starts with 12 300
    (less its own dispatch). One gas more than that and the push becomes a credit."""
    calibration = project.MockAdvGasProbe.deploy(0, sender=admin)
    edge = escrow.ETH_PUSH_GAS() + EVM_CALL_STIPEND - dispatch_overhead(chain, calibration, stranger, b"", 1)
    amount = {"9_000": 9_000, "11_000": 11_000, "edge": edge, "edge+1": edge + 1, "13_000": 13_000}[need]
    probe = project.MockAdvGasProbe.deploy(amount, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(probe, 5_000)], quantity=2, unit_price=10**15, stage="shipped",
    )

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    paid = amount <= edge
    assert pushes(tx) == [
        ("Paid" if paid else "PaymentDeferred", probe.address, 10**15),
        ("Paid", supplier.address, 10**15),
    ]
    assert escrow.credit_of(probe, "0x" + "00" * 20) == (0 if paid else 10**15)


# ---------------------------------------------------------------- ERC-20 cap


def test_token_push__token_gets_exactly_token_push_gas(escrow, project, admin, buyer, supplier, sub1, chain):
    probe = project.MockAdvGasProbe.deploy(0, sender=admin)
    probe.mint(admin, 10, sender=admin)
    overhead = dispatch_overhead(chain, probe, admin, calldata(probe, "transfer", sub1.address, 1), 0)
    deal = open_deal(
        escrow, chain, admin, money=Money("probe", probe), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_500)], quantity=4, unit_price=10**6, stage="shipped",
    )

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    logged = entry_gas_logged(tx, probe)
    assert len(logged) == 2  # sub1, then the supplier
    assert escrow.TOKEN_PUSH_GAS() == 100_000
    assert {g + overhead for g in logged} == {escrow.TOKEN_PUSH_GAS()}


@pytest.mark.parametrize("need", ["99_000", "edge", "edge+1", "101_000"])
def test_token_push__token_needing_gas__paid_up_to_the_cap_deferred_above(
    need, escrow, project, admin, buyer, supplier, sub1, chain
):
    calibration = project.MockAdvGasProbe.deploy(0, sender=admin)
    calibration.mint(admin, 10, sender=admin)
    overhead = dispatch_overhead(chain, calibration, admin, calldata(calibration, "transfer", sub1.address, 1), 0)
    edge = escrow.TOKEN_PUSH_GAS() - overhead
    amount = {"99_000": 99_000, "edge": edge, "edge+1": edge + 1, "101_000": 101_000}[need]
    probe = project.MockAdvGasProbe.deploy(amount, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=Money("probe", probe), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 5_000)], quantity=2, unit_price=10**6, stage="shipped",
    )

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    kind = "Paid" if amount <= edge else "PaymentDeferred"
    assert pushes(tx) == [(kind, sub1.address, 10**6), (kind, supplier.address, 10**6)]


# ---------------------------------------------------------------- relayers cannot starve a push


def _call(chain, tx: dict, gas: int) -> str | None:
    """None if an eth_call with this gas cap succeeds, else the error text."""
    try:
        chain.provider.web3.eth.call({**tx, "gas": gas})
    except Exception as err:  # web3's ContractLogicError / ValueError
        return str(err)
    return None


def _frames(frame: dict) -> list[dict]:
    out = [frame]
    for child in frame.get("calls", []) or []:
        out.extend(_frames(child))
    return out


def starvation_sweep(chain, escrow, probe, tx: dict, span: int, step: int) -> tuple[int, dict[int, str]]:
    """Finds the least gas the relayed call succeeds with, then traces it (``debug_traceCall``,
    nothing mined) at that gas and at every `step` above it up to `span`: no call into the probe
    may fail and no PaymentDeferred may be logged. Returns (least gas, {gas below: revert text})."""
    high = 3_000_000
    assert _call(chain, tx, high) is None
    low = 50_000
    assert _call(chain, tx, low) is not None
    while low + 1 < high:
        mid = (low + high) // 2
        if _call(chain, tx, mid) is None:
            high = mid
        else:
            low = mid
    least = high
    below = {g: _call(chain, tx, g) for g in range(least - 1, least - 40_000, -997)}
    assert all(reason is not None for reason in below.values()), "success is not monotonic in the gas given"
    request = {k: (hex(v) if isinstance(v, int) else v) for k, v in tx.items()}
    for gas in [least, least + 1, least + 2, *range(least + step, least + span, step)]:
        trace = chain.provider.make_request(
            "debug_traceCall", [{**request, "gas": hex(gas)}, "latest", {"tracer": "callTracer", "tracerConfig": {"withLog": True}}]
        )
        frames = _frames(trace)
        assert "error" not in trace, f"relayed call failed at gas {gas}: {trace.get('error')}"
        into_probe = [f for f in frames if f.get("to", "").lower() == probe.address.lower()]
        assert into_probe, "the probe was never called"
        starved = [f for f in into_probe if f.get("error")]
        assert not starved, f"a push was starved at gas {gas}: {starved[0].get('error')}"
        deferred = [
            log for f in frames for log in f.get("logs", []) or []
            if bytes.fromhex(log["topics"][0][2:]) == PAYMENT_DEFERRED
        ]
        assert not deferred, f"a starved push became a credit at gas {gas}"
    return least, below


def relayed_receipt(escrow, chain, deal, signer, relayer) -> dict:
    deadline = chain.pending_timestamp + DAY
    lot = escrow.get_lot(deal.order_id, 1)
    signature = sign_receipt(
        signer, chain.chain_id, escrow.address, deal.order_id, 1, lot.shipment_hash, h("GRN"), deadline
    )
    data = calldata(escrow, "confirm_delivery_signed", deal.order_id, 1, h("GRN"), deadline, signature)
    return {"from": relayer.address, "to": escrow.address, "data": "0x" + data.hex()}


def test_eth_push_reserve__relayer_starving_last_eth_push__out_of_gas_not_a_credit(
    escrow, project, admin, buyer, supplier, sub1, stranger, chain
):
    """The assignee is a wallet that needs every gas of its stipend, and its push comes last, when
    the least gas is left. Below the gas the whole call needs, the relay reverts ("escrow: out of
    gas" where the guard bites); at and above it, every push gets its full stipend."""
    calibration = project.MockAdvGasProbe.deploy(0, sender=admin)
    full = escrow.ETH_PUSH_GAS() + EVM_CALL_STIPEND - dispatch_overhead(chain, calibration, stranger, b"", 1)
    probe = project.MockAdvGasProbe.deploy(full, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_000)], quantity=10, unit_price=10**15, stage="shipped",
    )
    escrow.assign_payout(deal.order_id, probe, sender=supplier)
    tx = relayed_receipt(escrow, chain, deal, buyer, stranger)

    least, below = starvation_sweep(chain, escrow, probe, tx, span=30_000, step=250)

    assert any("escrow: out of gas" in reason for reason in below.values()), below
    # And for real, at the least gas: everybody paid, nobody deferred.
    receipt = chain.provider.web3.eth.wait_for_transaction_receipt(
        chain.provider.web3.eth.send_transaction({**tx, "gas": least})
    )
    assert receipt.status == 1
    assert escrow.credit_of(probe, "0x" + "00" * 20) == 0
    assert chain.provider.get_balance(probe.address) == 8 * 10**15


def test_token_push_reserve__relayer_starving_token_pushes__out_of_gas_not_a_credit(
    escrow, project, admin, buyer, supplier, sub1, stranger, chain
):
    """The token needs every gas of the 100 000 a push hands it and fails cheaply below (like a
    proxy checking its gas), so a starved push would leave the escrow enough gas to book a credit:
    the reserve check (100 000 + 1/63 + 5 000) refuses first."""
    calibration = project.MockAdvGasProbe.deploy(0, sender=admin)
    calibration.mint(admin, 10, sender=admin)
    overhead = dispatch_overhead(chain, calibration, admin, calldata(calibration, "transfer", sub1.address, 1), 0)
    probe = project.MockAdvGasProbe.deploy(escrow.TOKEN_PUSH_GAS() - overhead, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=Money("probe", probe), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_000)], quantity=10, unit_price=1_000, stage="shipped",
    )
    tx = relayed_receipt(escrow, chain, deal, buyer, stranger)

    least, below = starvation_sweep(chain, escrow, probe, tx, span=60_000, step=500)

    assert any("escrow: out of gas" in reason for reason in below.values()), below
