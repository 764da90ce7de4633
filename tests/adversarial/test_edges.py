"""Boundaries of escrow v2: the packing limits, the largest values round-tripping through every view,
eight payees on the largest amounts and on amounts too small to share, a penalty larger than the
supplier's remainder, decline after a lot, and a refund while lots are still in review."""

import ape
import pytest

from _adv_support import (
    Party,
    lot_payout,
    open_deal,
    pushes,
    session_state_first,  # noqa: F401  (autouse)
)
from conftest import AGREEMENT, DAY, LOT, PART_ID, Money, h, make_terms

SHARES = [1, 7, 99, 1_000, 1_234, 2_500, 3_333, 1_825]  # eight payees, 9 999 bps in all
MAX_PRICE = 2**128 - 1
MAX_QUANTITY = 2**64 - 1
MAX_TIME = 2**40 - 1


@pytest.fixture(scope="module")
def eight(accounts):
    return [accounts.generate_test_account() for _ in SHARES]


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("unit_price", 2**128, "escrow: price too large"),
        ("max_quantity", 2**64, "escrow: quantity too large"),
        ("valid_until", 2**40, "escrow: valid-until too far"),
        ("review_period", 0, "escrow: bad review period"),
        ("review_period", 90 * DAY + 1, "escrow: bad review period"),
        ("grace_period", 90 * DAY + 1, "escrow: bad grace period"),
        ("penalty_cap_bps", 10_001, "escrow: bad penalty cap"),
        ("version", 2**32 + 1, "escrow: unknown version"),
    ],
)
def test_propose_agreement__one_past_a_packing_limit__reverts(field, value, reason, escrow, part, buyer, supplier, chain):
    terms = dict(valid_until=chain.pending_timestamp + DAY)
    terms[field] = value
    with ape.reverts(reason):
        escrow.propose_agreement(make_terms(supplier, **terms), sender=buyer)
    assert escrow.agreement_count() == 0


def test_largest_values__round_trip_through_every_view(escrow, part, erc20, admin, buyer, supplier, inspector, sub1, chain):
    terms = make_terms(
        supplier, token=erc20, unit_price=MAX_PRICE, max_quantity=MAX_QUANTITY, valid_until=MAX_TIME,
        review_period=90 * DAY, inspector=inspector, grace_period=90 * DAY, penalty_bps_per_day=2**16 - 1,
        penalty_cap_bps=10_000,
    )
    escrow.propose_agreement(terms, sender=buyer)
    escrow.accept_agreement(1, [(sub1, 10_000)], sender=supplier)
    amount = MAX_QUANTITY * MAX_PRICE
    erc20.mint(buyer, amount, sender=admin)
    erc20.approve(escrow, amount, sender=buyer)
    with ape.reverts("escrow: ship-by too far"):
        escrow.create_order(1, MAX_QUANTITY, MAX_TIME + 1, h("PO"), sender=buyer)

    escrow.create_order(1, MAX_QUANTITY, MAX_TIME, h("PO"), sender=buyer)

    agreement = escrow.get_agreement(1)
    assert tuple(agreement.terms) == (
        supplier.address, PART_ID, 1, erc20.address, MAX_PRICE, MAX_QUANTITY, MAX_TIME, 90 * DAY,
        inspector.address, 90 * DAY, 2**16 - 1, 10_000,
    )
    assert (agreement.buyer, agreement.status, agreement.units_called_off) == (
        buyer.address, AGREEMENT["ACTIVE"], MAX_QUANTITY,
    )
    assert tuple(escrow.get_order(1)) == (
        1, buyer.address, supplier.address, MAX_QUANTITY, amount, MAX_TIME, 0, 0, 0, supplier.address, False,
    )
    assert escrow.deadlines(1, 0) == (MAX_TIME, MAX_TIME + 90 * DAY, 0, 0)
    with ape.reverts("escrow: above max quantity"):
        escrow.create_order(1, 1, MAX_TIME, h("PO"), sender=buyer)
    tx = escrow.ship(1, MAX_QUANTITY, h("ASN"), sender=supplier)
    lot = escrow.get_lot(1, 1)
    assert (lot.quantity, lot.value, lot.penalty_bps, lot.shipment_hash, lot.shipped_at, lot.status) == (
        MAX_QUANTITY, amount, 0, h("ASN"), tx.timestamp, LOT["SHIPPED"],
    )
    assert erc20.balanceOf(escrow) == amount


@pytest.mark.parametrize("path", ["confirm", "resolve_expired", "resolve_zero"])
def test_payout__largest_amount_eight_payees__every_unit_accounted(
    path, escrow, chain, admin, erc20, eight, buyer, supplier, arbiter, stranger
):
    quantity = 2**62 + 3
    deal = open_deal(
        escrow, chain, admin, money=Money("erc20", erc20), buyer=Party(buyer), supplier=Party(supplier),
        payees=list(zip(eight, SHARES)), quantity=quantity, unit_price=MAX_PRICE, max_quantity=quantity,
        stage="shipped" if path == "confirm" else "disputed",
    )
    value = quantity * MAX_PRICE
    if path == "confirm":
        tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
        side = value
    elif path == "resolve_expired":
        chain.pending_timestamp = escrow.deadlines(deal.order_id, 1)[3] + 1
        tx = escrow.resolve_expired(deal.order_id, 1, sender=stranger)
        side = value // 2
    else:
        tx = escrow.resolve(deal.order_id, 1, 0, sender=arbiter)
        side = 0

    expected = lot_payout(value, side, deal.payees, 0, supplier, buyer)
    assert pushes(tx) == [("Paid", a, v) for a, v in expected]
    assert sum(v for _, v in expected) == value
    for account, amount in expected:
        assert erc20.balanceOf(account) == amount
    assert erc20.balanceOf(escrow) == 0


@pytest.mark.parametrize("price", [1, 9_999, 10_000, 10_007])
def test_payout__eight_one_bps_shares__dust_to_holder_and_zero_shares_skipped(
    price, escrow, chain, admin, eight, buyer, supplier
):
    deal = open_deal(
        escrow, chain, admin, money=Money("eth", None), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(a, 1) for a in eight], quantity=1, unit_price=price, stage="shipped",
    )
    before = [a.balance for a in eight]

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    each = price // 10_000
    subs = [("Paid", a.address, each) for a in eight] if each else []
    assert pushes(tx) == subs + [("Paid", supplier.address, price - 8 * each)]
    assert [a.balance for a in eight] == [b + each for b in before]
    assert escrow.get_lot(deal.order_id, 1).status == LOT["COMPLETED"]


def test_payout__shares_take_everything__late_penalty_never_taken_from_subcontractors(
    escrow, chain, admin, buyer, supplier, sub1, sub2
):
    """With 100 % declared to subcontractors the supplier's remainder is 0: a late lot's penalty is
    min(remainder, ...) = 0, the subcontractors are paid in full, nobody else gets a push."""
    deal = open_deal(
        escrow, chain, admin, money=Money("eth", None), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 6_000), (sub2, 4_000)], quantity=10, unit_price=10**15,
    )
    chain.pending_timestamp = escrow.get_order(deal.order_id).ship_by + 3 * DAY
    escrow.ship(deal.order_id, 10, h("ASN"), sender=supplier)
    assert escrow.get_lot(deal.order_id, 1).penalty_bps == 300

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    assert pushes(tx) == [("Paid", sub1.address, 6 * 10**15), ("Paid", sub2.address, 4 * 10**15)]


@pytest.mark.parametrize("shares,penalty", [(9_500, 1_000), (9_000, 1_000), (8_999, 1_000)])
def test_payout__penalty_against_the_remainder__capped_by_what_the_holder_has(
    shares, penalty, escrow, chain, admin, buyer, supplier, sub1
):
    """Penalty 10 % of the lot; the holder's remainder is 5 %, exactly 10 %, or a little more."""
    price = 10**15 + 1
    deal = open_deal(
        escrow, chain, admin, money=Money("eth", None), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, shares)], quantity=10, unit_price=price, penalty_bps_per_day=penalty, penalty_cap_bps=penalty,
    )
    chain.pending_timestamp = escrow.get_order(deal.order_id).ship_by + 1
    escrow.ship(deal.order_id, 10, h("ASN"), sender=supplier)
    value = 10 * price
    sub_share = value * shares // 10_000
    remainder = value - sub_share
    taken = min(remainder, value * penalty // 10_000)

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    expected = [("Paid", sub1.address, sub_share)]
    if remainder - taken:
        expected.append(("Paid", supplier.address, remainder - taken))
    expected.append(("Paid", buyer.address, taken))
    assert pushes(tx) == expected
    assert sum(v for *_, v in expected) == value


# ---------------------------------------------------------------- decline and refund edges


@pytest.mark.parametrize("first", ["ship", "receive", "refund"])
def test_decline_order__after_a_lot_or_a_refund__reverts_under_way(first, escrow, make_order, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=10)
    if first == "ship":
        escrow.ship(order_id, 1, h("ASN"), sender=supplier)
    elif first == "receive":
        escrow.receive_goods(order_id, 1, h("GR"), sender=buyer)
    else:
        chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
        escrow.refund_expired(order_id, sender=stranger)
    before = escrow.get_order(order_id)

    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)

    assert escrow.get_order(order_id) == before


def test_declined_order__nothing_moves_it_again(escrow, make_order, buyer, supplier, stranger, sub1, chain):
    order_id = make_order(quantity=10)
    agreement_id = escrow.get_order(order_id).agreement_id
    escrow.decline_order(order_id, sender=supplier)
    assert escrow.get_agreement(agreement_id).units_called_off == 0  # back under the cap
    with ape.reverts("escrow: order declined"):
        escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.ship(order_id, 1, h("ASN"), sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.receive_goods(order_id, 1, h("GR"), sender=buyer)
    with ape.reverts("escrow: order declined"):
        escrow.assign_payout(order_id, sub1, sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
    with ape.reverts("escrow: order declined"):
        escrow.refund_expired(order_id, sender=stranger)
    order = escrow.get_order(order_id)
    assert (order.declined, order.units_shipped, order.units_refunded, order.lot_count) == (True, 0, 0, 0)


def test_refund_expired__with_lots_still_in_review__refunds_only_unshipped_and_lots_settle_later(
    escrow, chain, admin, buyer, supplier, sub1, stranger
):
    price = 10**15 + 7
    deal = open_deal(
        escrow, chain, admin, money=Money("eth", None), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_000)], quantity=1_000, unit_price=price, review_period=90 * DAY,
    )
    escrow.ship(deal.order_id, 400, h("ASN-1"), sender=supplier)
    escrow.ship(deal.order_id, 250, h("ASN-2"), sender=supplier)
    escrow.dispute(deal.order_id, 2, h("dented"), sender=buyer)
    grace_end = escrow.deadlines(deal.order_id, 0)[1]
    chain.pending_timestamp = grace_end
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(deal.order_id, sender=stranger)
    buyer_before = buyer.balance
    chain.pending_timestamp = grace_end + 1

    tx = escrow.refund_expired(deal.order_id, sender=stranger)

    assert tx.timestamp == grace_end + 1
    assert tx.events.filter(escrow.OrderRefunded) == [
        escrow.OrderRefunded(order_id=deal.order_id, quantity=350, amount=350 * price)
    ]
    assert pushes(tx) == [("Paid", buyer.address, 350 * price)]
    assert buyer.balance == buyer_before + 350 * price
    order = escrow.get_order(deal.order_id)
    assert (order.units_shipped, order.units_refunded, order.lot_count) == (650, 350, 2)
    assert [escrow.get_lot(deal.order_id, n).status for n in (1, 2)] == [LOT["SHIPPED"], LOT["DISPUTED"]]
    with ape.reverts("escrow: nothing to refund"):
        escrow.refund_expired(deal.order_id, sender=stranger)
    with ape.reverts("escrow: quantity above open units"):
        escrow.ship(deal.order_id, 1, h("ASN-3"), sender=supplier)
    with ape.reverts("escrow: review period running"):
        escrow.release(deal.order_id, 1, sender=stranger)

    # The lots still settle, and the order adds up to its amount exactly.
    first = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
    chain.pending_timestamp = escrow.deadlines(deal.order_id, 2)[3] + 1
    second = escrow.resolve_expired(deal.order_id, 2, sender=stranger)
    paid = sum(v for *_, v in pushes(tx) + pushes(first) + pushes(second))
    assert paid == 1_000 * price
    assert chain.provider.get_balance(escrow.address) == 0
