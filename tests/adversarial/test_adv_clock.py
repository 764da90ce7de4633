"""Clocks of escrow v2 at their edges: the penalty day boundaries and the cap, the shipping window,
the review period and the arbitration deadline to the second; a dispute raised after 2**40 seconds
(no packed field may spill into its neighbour: every view field is read back); admin actions in
the middle of running deadlines (SPEC rule 6)."""

import ape
import pytest

from _adv_support import (
    MISSING_ROLE,
    Party,
    lot_payout,
    open_deal,
    pushes,
    session_state_first,  # noqa: F401  (autouse)
)
from conftest import AGREEMENT, DAY, LOT, PART_ID, Money, h

ETH = Money("eth", None)
PRICE = 10**15 + 3


def deal_for(escrow, chain, admin, buyer, supplier, **terms):
    return open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=10,
        unit_price=PRICE, **terms,
    )


@pytest.mark.parametrize(
    "per_day,cap,late,penalty",
    [
        (100, 1_000, 0, 0),
        (100, 1_000, 1, 100),
        (100, 1_000, DAY, 100),
        (100, 1_000, DAY + 1, 200),
        (100, 1_000, 9 * DAY, 900),
        (100, 1_000, 9 * DAY + 1, 1_000),  # ten started days: exactly the cap
        (100, 1_000, 10 * DAY + 1, 1_000),  # eleven: capped
        (300, 1_000, 3 * DAY, 900),
        (300, 1_000, 3 * DAY + 1, 1_000),  # 1 200 capped at 1 000
        (2**16 - 1, 10_000, 1, 10_000),  # the largest rate, capped at everything
        (500, 0, 5 * DAY, 0),  # no cap, no penalty
    ],
)
def test_ship__late_by_seconds__penalty_per_started_day_capped(
    per_day, cap, late, penalty, escrow, chain, admin, buyer, supplier
):
    deal = deal_for(escrow, chain, admin, buyer, supplier, grace_period=20 * DAY, penalty_bps_per_day=per_day,
                    penalty_cap_bps=cap)
    ship_by = escrow.get_order(deal.order_id).ship_by
    chain.pending_timestamp = ship_by + late

    tx = escrow.ship(deal.order_id, 4, h("ASN"), sender=supplier)

    assert tx.timestamp == ship_by + late
    assert tx.events.filter(escrow.LotShipped) == [
        escrow.LotShipped(order_id=deal.order_id, lot=1, quantity=4, value=4 * PRICE, penalty_bps=penalty,
                          shipment_hash=h("ASN"))
    ]
    assert escrow.get_lot(deal.order_id, 1).penalty_bps == penalty
    confirm = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
    assert pushes(confirm) == [("Paid", a, v) for a, v in lot_payout(4 * PRICE, 4 * PRICE, [], penalty, supplier, buyer)]


def test_receive_goods__late__carries_no_penalty(escrow, chain, admin, buyer, supplier):
    deal = deal_for(escrow, chain, admin, buyer, supplier, penalty_bps_per_day=1_000, penalty_cap_bps=5_000)
    chain.pending_timestamp = escrow.deadlines(deal.order_id, 0)[1]  # the last second of the window

    tx = escrow.receive_goods(deal.order_id, 10, h("GR"), sender=buyer)

    assert escrow.get_lot(deal.order_id, 1).penalty_bps == 0
    assert pushes(tx) == [("Paid", supplier.address, 10 * PRICE)]


@pytest.mark.parametrize("action", ["ship", "receive"])
def test_shipping_window__last_second_open__next_second_closed(action, escrow, chain, admin, buyer, supplier, stranger):
    deal = deal_for(escrow, chain, admin, buyer, supplier)
    grace_end = escrow.deadlines(deal.order_id, 0)[1]
    call = (
        (lambda: escrow.ship(deal.order_id, 1, h("ASN"), sender=supplier))
        if action == "ship"
        else (lambda: escrow.receive_goods(deal.order_id, 1, h("GR"), sender=buyer))
    )
    # The refund is tried first: once a block is mined at grace_end, the next one may already be
    # a second later on a loaded machine.
    chain.pending_timestamp = grace_end
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(deal.order_id, sender=stranger)
    chain.pending_timestamp = grace_end
    assert call().timestamp == grace_end
    chain.pending_timestamp = grace_end + 1
    with ape.reverts("escrow: shipping window closed"):
        call()
    chain.pending_timestamp = grace_end + 1
    refund = escrow.refund_expired(deal.order_id, sender=stranger)
    assert refund.timestamp == grace_end + 1
    assert pushes(refund) == [("Paid", buyer.address, 9 * PRICE)]


def test_review_period__dispute_until_its_last_second__release_only_after(escrow, chain, admin, buyer, supplier, stranger):
    deal = deal_for(escrow, chain, admin, buyer, supplier, stage="shipped", lot_quantity=5)
    escrow.ship(deal.order_id, 5, h("ASN-2"), sender=supplier)
    review_end = escrow.deadlines(deal.order_id, 1)[2]
    assert review_end == escrow.get_lot(deal.order_id, 1).shipped_at + escrow.get_agreement(deal.agreement_id).terms.review_period
    chain.pending_timestamp = review_end
    with ape.reverts("escrow: review period running"):
        escrow.release(deal.order_id, 1, sender=stranger)
    chain.pending_timestamp = review_end
    assert escrow.dispute(deal.order_id, 1, h("dent"), sender=buyer).timestamp == review_end
    chain.pending_timestamp = review_end + 1
    with ape.reverts("escrow: review period over"):
        escrow.dispute(deal.order_id, 2, h("dent"), sender=buyer)
    chain.pending_timestamp = review_end + 1
    tx = escrow.release(deal.order_id, 2, sender=stranger)
    assert tx.timestamp == review_end + 1
    assert pushes(tx) == [("Paid", supplier.address, 5 * PRICE)]


def test_arbitration_deadline__fixed_at_dispute__admin_changes_apply_to_later_disputes_only(
    escrow, chain, admin, buyer, supplier, stranger
):
    deal = deal_for(escrow, chain, admin, buyer, supplier, stage="shipped", lot_quantity=5)
    escrow.ship(deal.order_id, 5, h("ASN-2"), sender=supplier)
    first = escrow.dispute(deal.order_id, 1, h("dent"), sender=buyer)
    deadline = first.timestamp + 30 * DAY
    before = (escrow.get_lot(deal.order_id, 1), escrow.deadlines(deal.order_id, 1), escrow.get_order(deal.order_id))

    escrow.set_arbitration_timeout(3_600, sender=admin)
    escrow.pause(sender=admin)

    assert (escrow.get_lot(deal.order_id, 1), escrow.deadlines(deal.order_id, 1), escrow.get_order(deal.order_id)) == before
    assert escrow.get_lot(deal.order_id, 1).arbitration_deadline == deadline
    second = escrow.dispute(deal.order_id, 2, h("scratch"), sender=buyer)  # paused: running orders still run
    assert escrow.get_lot(deal.order_id, 2).arbitration_deadline == second.timestamp + 3_600
    chain.pending_timestamp = second.timestamp + 3_601
    escrow.resolve_expired(deal.order_id, 2, sender=stranger)
    chain.pending_timestamp = deadline
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(deal.order_id, 1, sender=stranger)
    chain.pending_timestamp = deadline + 1
    tx = escrow.resolve_expired(deal.order_id, 1, sender=stranger)
    assert tx.timestamp == deadline + 1
    assert pushes(tx) == [("Paid", supplier.address, 5 * PRICE // 2), ("Paid", buyer.address, 5 * PRICE - 5 * PRICE // 2)]


def test_pause__blocks_new_business_only(escrow, chain, admin, buyer, supplier, stranger):
    deal = deal_for(escrow, chain, admin, buyer, supplier)
    escrow.pause(sender=admin)
    with ape.reverts("pausable: contract is paused"):
        escrow.create_order(deal.agreement_id, 1, chain.pending_timestamp + DAY, h("PO"), sender=buyer, value=PRICE)
    with ape.reverts(MISSING_ROLE):
        escrow.unpause(sender=stranger)
    escrow.ship(deal.order_id, 3, h("ASN"), sender=supplier)
    escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
    escrow.receive_goods(deal.order_id, 3, h("GR"), sender=buyer)
    escrow.close_agreement(deal.agreement_id, sender=supplier)
    assert escrow.get_agreement(deal.agreement_id).status == AGREEMENT["CLOSED"]
    chain.pending_timestamp = escrow.deadlines(deal.order_id, 0)[1] + 1
    assert pushes(escrow.refund_expired(deal.order_id, sender=stranger)) == [("Paid", buyer.address, 4 * PRICE)]


# ---------------------------------------------------------------- after 2**40 seconds


def test_dispute_after_2_40_seconds__no_field_spills__every_view_exact(
    escrow, registry, certifier, chain, admin, buyer, supplier, inspector, sub1, stranger
):
    """v1 packed the dispute time in 40 bits next to the payee count: a dispute after 2**40 s
    corrupted the count. v2 keeps times in 64 bits; every field of every view is read back."""
    edge = 2**40
    registry.certify(PART_ID, 1, supplier, 2**41, h("audit for the far future"), sender=certifier)
    chain.pending_timestamp = edge - 10 * DAY
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), payees=[(sub1, 2_500)],
        inspector=inspector, quantity=10, unit_price=PRICE, ship_in=10 * DAY - 1, valid_until=edge - 1,
        review_period=90 * DAY, grace_period=90 * DAY, penalty_bps_per_day=100, penalty_cap_bps=1_000,
    )
    order_id, agreement_id = deal.order_id, deal.agreement_id
    ship_by = edge - 1
    assert escrow.get_order(order_id).ship_by == ship_by
    chain.pending_timestamp = edge - 5 * DAY
    shipped_1 = escrow.ship(order_id, 3, h("ASN-1"), sender=supplier).timestamp
    chain.pending_timestamp = edge + 1_000
    disputed_1 = escrow.dispute(order_id, 1, h("dent"), sender=inspector).timestamp
    chain.pending_timestamp = edge + 2_000
    shipped_2 = escrow.ship(order_id, 2, h("ASN-2"), sender=supplier).timestamp  # one started day late
    chain.pending_timestamp = edge + 3_000
    disputed_2 = escrow.dispute(order_id, 2, h("scratch"), sender=buyer).timestamp
    assert (disputed_1, shipped_2, disputed_2) == (edge + 1_000, edge + 2_000, edge + 3_000)
    with ape.reverts("escrow: agreement expired"):
        escrow.create_order(agreement_id, 1, edge + DAY, h("PO"), sender=buyer, value=PRICE)

    timeout = 30 * DAY
    assert tuple(escrow.get_lot(order_id, 1)) == (
        3, 3 * PRICE, 0, h("ASN-1"), shipped_1, disputed_1 + timeout, LOT["DISPUTED"],
    )
    assert tuple(escrow.get_lot(order_id, 2)) == (
        2, 2 * PRICE, 100, h("ASN-2"), shipped_2, disputed_2 + timeout, LOT["DISPUTED"],
    )
    assert tuple(escrow.get_order(order_id)) == (
        agreement_id, buyer.address, supplier.address, 10, 10 * PRICE, ship_by, 5, 0, 2, supplier.address, False,
    )
    agreement = escrow.get_agreement(agreement_id)
    assert tuple(agreement.terms) == (
        supplier.address, PART_ID, 1, "0x" + "00" * 20, PRICE, 10_000, edge - 1, 90 * DAY, inspector.address,
        90 * DAY, 100, 1_000,
    )
    assert (agreement.buyer, agreement.status, agreement.units_called_off) == (buyer.address, AGREEMENT["ACTIVE"], 10)
    assert [tuple(p) for p in escrow.payees_of(agreement_id)] == [(sub1.address, 2_500)]
    grace_end = ship_by + 90 * DAY
    assert escrow.deadlines(order_id, 1) == (ship_by, grace_end, shipped_1 + 90 * DAY, disputed_1 + timeout)
    assert escrow.deadlines(order_id, 2) == (ship_by, grace_end, shipped_2 + 90 * DAY, disputed_2 + timeout)
    assert escrow.deadlines(order_id, 3) == (ship_by, grace_end, 0, 0)

    # And the money comes out exact: both disputes time out, the rest is refunded.
    chain.pending_timestamp = disputed_2 + timeout + 1
    first = escrow.resolve_expired(order_id, 1, sender=stranger)
    second = escrow.resolve_expired(order_id, 2, sender=stranger)
    assert pushes(first) == [("Paid", a, v) for a, v in lot_payout(3 * PRICE, 3 * PRICE // 2, deal.payees, 0, supplier, buyer)]
    assert pushes(second) == [("Paid", a, v) for a, v in lot_payout(2 * PRICE, PRICE, deal.payees, 100, supplier, buyer)]
    chain.pending_timestamp = grace_end + 1
    refund = escrow.refund_expired(order_id, sender=stranger)
    assert pushes(refund) == [("Paid", buyer.address, 5 * PRICE)]
    assert chain.provider.get_balance(escrow.address) == 0
    assert [escrow.get_lot(order_id, n).status for n in (1, 2)] == [LOT["RESOLVED"], LOT["RESOLVED"]]
