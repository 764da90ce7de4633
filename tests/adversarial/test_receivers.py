"""Hostile ETH receivers against escrow v2: reverting (in a subcontractor's, the supplier's, an
assignee's and the buyer's seat), gas-burning, return bombs, and ETH forced in by SELFDESTRUCT.

None of them can block the others' payments, make anybody else pay for their code, or change what
the escrow owes: the escrow never reads its own ETH balance for accounting.
"""

from pathlib import Path

import ape
import pytest

from _adv_support import (
    Party,
    bomb_bytecode,
    deploy_raw,
    events_of,
    lot_payout,
    memory_cost,
    open_deal,
    payments,
    pushes,
    seat,
    session_state_first,  # noqa: F401  (autouse)
)
from conftest import LOT, ZERO, Money, h

PRICE = 10**16 + 3
ETH = Money("eth", None)


def test_payout__reverting_subcontractor__deferred_others_paid_and_claim_to_elsewhere(
    escrow, project, admin, buyer, supplier, sub2, stranger, chain
):
    receiver = project.MockReceiver.deploy(1, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(receiver, 3_000), (sub2, 1_000)], quantity=10, unit_price=PRICE, stage="shipped", lot_quantity=7,
    )
    value = 7 * PRICE
    share, share2 = value * 3_000 // 10_000, value * 1_000 // 10_000
    before = {a.address: a.balance for a in (supplier, sub2)}

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    assert pushes(tx) == [
        ("PaymentDeferred", receiver.address, share),
        ("Paid", sub2.address, share2),
        ("Paid", supplier.address, value - share - share2),
    ]
    assert sub2.balance == before[sub2.address] + share2
    assert supplier.balance == before[supplier.address] + value - share - share2
    assert escrow.credit_of(receiver, ZERO) == share
    assert chain.provider.get_balance(escrow.address) == share + 3 * PRICE
    # Claiming to itself fails as the push did, and leaves the credit where it was.
    with ape.reverts("escrow: claim transfer failed"):
        Party(receiver, admin).do(escrow, "claim", ZERO)
    assert escrow.credit_of(receiver, ZERO) == share
    with ape.reverts("escrow: zero recipient"):
        Party(receiver, admin).do(escrow, "claim_to", ZERO, ZERO)
    stranger_before = stranger.balance

    claim = Party(receiver, admin).do(escrow, "claim_to", ZERO, stranger.address)

    assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=share)]
    assert stranger.balance == stranger_before + share
    assert escrow.credit_of(receiver, ZERO) == 0
    assert chain.provider.get_balance(escrow.address) == 3 * PRICE


@pytest.mark.parametrize("seat_of", ["supplier", "assignee", "buyer"])
def test_payout__reverting_party__its_push_deferred_the_rest_paid_then_claimed(
    seat_of, escrow, project, registry, oem, certifier, admin, buyer, supplier, sub1, stranger, chain
):
    """A supplier, an assignee or a buyer (penalty and refund) that cannot take ETH: its own push
    becomes a credit, every other push of the same transaction goes through, and it claims later."""
    receiver = project.MockReceiver.deploy(0, sender=admin)
    hostile = Party(receiver, admin)
    if seat_of in ("supplier", "buyer"):
        seat(registry, oem, certifier, chain, receiver, supplier=seat_of == "supplier")
    b = hostile if seat_of == "buyer" else Party(buyer)
    s = hostile if seat_of == "supplier" else Party(supplier)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=b, supplier=s, payees=[(sub1, 1_500)], quantity=10, unit_price=PRICE,
        penalty_bps_per_day=300, penalty_cap_bps=2_000,
    )
    holder = s.address
    if seat_of == "assignee":
        s.do(escrow, "assign_payout", deal.order_id, receiver.address)
        holder = receiver.address
    # Two days late: 6 % of the lot goes back to the buyer out of the holder's remainder.
    chain.pending_timestamp = escrow.get_order(deal.order_id).ship_by + 86_400 + 1
    s.do(escrow, "ship", deal.order_id, 6, h("ASN-late"))
    assert escrow.get_lot(deal.order_id, 1).penalty_bps == 600
    receiver.set_mode(1, sender=admin)
    value = 6 * PRICE
    expected = lot_payout(value, value, deal.payees, 600, holder, b.address)

    tx = b.do(escrow, "confirm_delivery", deal.order_id, 1, h("GRN"))

    assert pushes(tx) == [("PaymentDeferred" if a == receiver.address else "Paid", a, v) for a, v in expected]
    owed = sum(v for a, v in expected if a == receiver.address)
    assert owed > 0
    if seat_of == "buyer":
        chain.pending_timestamp = escrow.deadlines(deal.order_id, 0)[1] + 1
        refund = escrow.refund_expired(deal.order_id, sender=stranger)
        assert pushes(refund) == [("PaymentDeferred", receiver.address, 4 * PRICE)]
        owed += 4 * PRICE
    assert escrow.credit_of(receiver, ZERO) == owed
    receiver.set_mode(0, sender=admin)

    claim = hostile.do(escrow, "claim", ZERO)

    assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=owed)]
    assert chain.provider.get_balance(receiver.address) == owed
    assert escrow.credit_of(receiver, ZERO) == 0


def test_payout__gas_burning_subcontractor__deferred_and_burns_no_more_than_the_stipend(
    escrow, project, admin, buyer, supplier, chain
):
    """A burner costs the confirmer at most the 10 000 + 2 300 gas the push hands it."""
    used = {}
    for mode in (1, 2):  # 1 reverts at once, 2 burns everything it is given (INVALID)
        with chain.isolate():
            receiver = project.MockReceiver.deploy(mode, sender=admin)
            deal = open_deal(
                escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
                payees=[(receiver, 2_000)], quantity=5, unit_price=PRICE, stage="shipped",
            )
            tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
            assert payments(tx, "PaymentDeferred") == [(receiver.address, 5 * PRICE // 5)]
            assert payments(tx) == [(supplier.address, 5 * PRICE - 5 * PRICE // 5)]
            assert escrow.credit_of(receiver, ZERO) == 5 * PRICE // 5
            assert escrow.get_lot(deal.order_id, 1).status == LOT["COMPLETED"]
            used[mode] = tx.gas_used
    assert 0 < used[2] - used[1] <= escrow.ETH_PUSH_GAS() + 2_300


@pytest.mark.parametrize("revert", [False, True], ids=["return", "revert"])
def test_payout__return_bomb_subcontractor__escrow_copies_nothing(revert, escrow, admin, buyer, supplier, chain):
    """A payee returning (or reverting with) 40 kB costs the confirmer exactly the memory the bomb
    itself paid for out of its stipend: the escrow does not copy a byte of it back."""
    size = 40_000
    used = {}
    for n in (0, size):
        with chain.isolate():
            bomb = deploy_raw(bomb_bytecode(n, revert), admin, f"Bomb{n}")
            deal = open_deal(
                escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
                payees=[(bomb, 2_500)], quantity=4, unit_price=PRICE, stage="shipped",
            )
            tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
            kind = "PaymentDeferred" if revert else "Paid"
            assert pushes(tx) == [(kind, bomb.address, PRICE), ("Paid", supplier.address, 3 * PRICE)]
            assert chain.provider.get_balance(bomb.address) == (0 if revert else PRICE)
            used[n] = tx.gas_used
    assert used[size] - used[0] == memory_cost(size)


def test_claim_to__one_megabyte_return_bomb_recipient__escrow_copies_nothing(
    escrow, project, admin, buyer, supplier, chain
):
    """Even with all the gas (a claim forwards everything), the escrow pays nothing for the bomb's data."""
    size = 1 << 20
    claimer = project.MockAdvClaimer.deploy(1, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(claimer, 5_000)], quantity=2, unit_price=PRICE, stage="shipped",
    )
    escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
    share = PRICE
    assert escrow.credit_of(claimer, ZERO) == share
    used = {}
    for n in (0, size):
        with chain.isolate():
            bomb = deploy_raw(bomb_bytecode(n, False), admin, f"Bomb{n}")
            tx = Party(claimer, admin).do(escrow, "claim_to", ZERO, bomb.address)
            assert events_of(tx, "Claimed") == [escrow.Claimed(account=claimer.address, token=ZERO, amount=share)]
            assert chain.provider.get_balance(bomb.address) == share
            used[n] = tx.gas_used
    # The two bombs' addresses differ, and so does the calldata that carries them (<= 20 bytes x 12 gas).
    assert abs(used[size] - used[0] - memory_cost(size)) <= 20 * 12


def test_selfdestruct__eth_forced_into_escrow__accounting_unchanged(
    escrow, project, admin, buyer, supplier, sub1, stranger, chain
):
    forced = 3 * 10**18 + 1
    with ape.reverts():
        stranger.transfer(escrow, 1)  # no receive: ETH can only be forced in
    bomb = project.MockAdvSelfDestruct.deploy(sender=admin, value=forced)
    first = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 1_111)], quantity=3, unit_price=PRICE, stage="shipped",
    )
    second = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=1, unit_price=PRICE + 1,
    )

    bomb.boom(escrow, sender=stranger)

    assert chain.provider.get_balance(escrow.address) == forced + 3 * PRICE + PRICE + 1
    before = {a.address: a.balance for a in (supplier, sub1)}
    tx = escrow.confirm_delivery(first.order_id, 1, h("GRN"), sender=buyer)
    share = 3 * PRICE * 1_111 // 10_000
    assert payments(tx) == [(sub1.address, share), (supplier.address, 3 * PRICE - share)]
    assert sub1.balance == before[sub1.address] + share
    assert supplier.balance == before[supplier.address] + 3 * PRICE - share
    buyer_before = buyer.balance
    escrow.decline_order(second.order_id, sender=supplier)
    assert buyer.balance == buyer_before + PRICE + 1
    # The forced ETH belongs to nobody: no order, no credit can reach it.
    assert chain.provider.get_balance(escrow.address) == forced
    assert escrow.credit_of(bomb, ZERO) == 0
    for account in (stranger, buyer, supplier):
        assert escrow.credit_of(account, ZERO) == 0
        with ape.reverts("escrow: nothing to claim"):
            escrow.claim(ZERO, sender=account)


def test_source__escrow_never_reads_its_own_balance():
    """The behavioural test above holds by construction: no balance read in the contract's code."""
    source = (Path(__file__).resolve().parents[2] / "contracts" / "OrderEscrow.vy").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    assert "self.balance" not in code
    assert ".balance" not in code.replace("balanceOf", "")
