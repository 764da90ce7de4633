"""OrderEscrow's packed words, field by field: every field beside an odd neighbour reads back exactly.

The escrow packs an agreement into a few words, an order into one and a lot into one (layout in
contracts/OrderEscrow.vy, above `_MASK_160`). A mask one bit too wide, a field shifted one bit, or a
mask that drops the lowest bit only shows when the neighbouring field (or the field itself) has its
lowest bit set -- and the ordinary tests mostly use round, even figures. Each test here sets the
odd bit next to one boundary and reads every affected field back, through the views and through
what the contract then does with it (deadlines, penalties, caps, payouts).

Tests are named after the layout constant they pin (``test_<constant>__...``): the mutation engine
runs them first on a mutant of that constant (tools/mutation_map.py, ``focused_tests``).
"""

import ape
import pytest

from conftest import DAY, GRACE, LOT, REVIEW, UNIT_PRICE, Money, h
from _escrow_support import pin_at
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

ODD_GRACE = GRACE + 1
ODD_REVIEW = REVIEW + 1


def _terms(escrow, agreement_id):
    return escrow.get_agreement(agreement_id).terms


def test_mask_48__odd_quantity_beside_agreement_id__order_reads_its_own_agreement(
    escrow, make_agreement, make_order, buyer, supplier
):
    make_agreement()  # a second agreement: the id under test is not 1
    agreement_id = make_agreement()
    order_id = make_order(agreement_id=agreement_id, quantity=7)  # bit 48 (quantity's lowest) set
    order = escrow.get_order(order_id)
    assert (order.agreement_id, order.quantity, order.amount) == (agreement_id, 7, 7 * UNIT_PRICE)
    assert (order.buyer, order.supplier) == (buyer.address, supplier.address)
    # What reads the agreement through the order word: shipping checks the part version and prices the lot.
    lot = escrow.ship(order_id, 3, h("ASN-odd"), sender=supplier).return_value
    assert escrow.get_lot(order_id, lot).value == 3 * UNIT_PRICE


def test_s_version__odd_grace_beside_version__version_and_grace_read_back(escrow, make_agreement, make_order, supplier):
    agreement_id = make_agreement(grace_period=ODD_GRACE)  # bit 192 (grace's lowest) set
    terms = _terms(escrow, agreement_id)
    assert (terms.version, terms.grace_period) == (1, ODD_GRACE)
    # The version is sent to the registry on every call-off and shipment: a wrong one is refused.
    order_id = make_order(agreement_id=agreement_id, quantity=2)
    escrow.ship(order_id, 2, h("ASN-v1"), sender=supplier)
    assert escrow.get_order(order_id).units_shipped == 2


def test_mask_32__declined_order_beside_lot_count__no_lots_read(escrow, make_order, supplier):
    order_id = make_order(quantity=5)
    escrow.decline_order(order_id, sender=supplier)  # sets bit 248, just above the 32-bit lot count
    order = escrow.get_order(order_id)
    assert (order.lot_count, order.declined, order.quantity) == (0, True, 5)


def test_o_lots__flags_right_above_lot_count__counts_exact(escrow, make_order, buyer, supplier, chain):
    """The lot count is bits 216..247 of the order word; the declined and refunded flags sit at 248
    and 249. A declined order has no lots; a refunded one keeps its lots and numbers no more."""
    declined = make_order(quantity=4)
    escrow.decline_order(declined, sender=supplier)
    assert escrow.get_order(declined).lot_count == 0
    refunded = make_order(quantity=4, ship_in=DAY)
    escrow.ship(refunded, 1, h("ASN-1"), sender=supplier)
    ship_by = escrow.get_order(refunded).ship_by
    pin_at(chain, ship_by + GRACE + 1)
    escrow.refund_expired(refunded, sender=buyer)
    order = escrow.get_order(refunded)
    assert (order.lot_count, order.units_shipped, order.units_refunded) == (1, 1, 3)


def test_mask_32__odd_lot_count__next_lot_numbered_on(escrow, make_order, supplier):
    order_id = make_order(quantity=9)
    lots = [escrow.ship(order_id, 1, h(f"ASN-{i}"), sender=supplier).return_value for i in range(3)]
    assert lots == [1, 2, 3]
    assert escrow.get_order(order_id).lot_count == 3


def test_mask_24__odd_review_and_grace__read_back_and_deadlines_exact(escrow, make_agreement, make_order, supplier, chain):
    agreement_id = make_agreement(review_period=ODD_REVIEW, grace_period=ODD_GRACE)
    terms = _terms(escrow, agreement_id)
    assert (terms.review_period, terms.grace_period) == (ODD_REVIEW, ODD_GRACE)
    order_id = make_order(agreement_id=agreement_id, quantity=4)
    ship_by = escrow.get_order(order_id).ship_by
    shipped_at = pin_at(chain, chain.pending_timestamp + 11)
    escrow.ship(order_id, 4, h("ASN-r"), sender=supplier)
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + ODD_GRACE, shipped_at + ODD_REVIEW, 0)


def test_mask_24__shipping_window_ends_at_odd_grace(escrow, make_agreement, make_order, supplier, chain):
    agreement_id = make_agreement(grace_period=ODD_GRACE)
    order_id = make_order(agreement_id=agreement_id, quantity=2)
    ship_by = escrow.get_order(order_id).ship_by
    pin_at(chain, ship_by + ODD_GRACE)
    escrow.ship(order_id, 1, h("ASN-last-second"), sender=supplier)
    pin_at(chain, ship_by + ODD_GRACE + 1)
    with ape.reverts("escrow: shipping window closed"):
        escrow.ship(order_id, 1, h("ASN-late"), sender=supplier)


@pytest.mark.parametrize("days_late", [1, 3])
def test_mask_16__odd_penalty_terms_odd_ship_time__penalty_exact(
    escrow, make_agreement, make_order, buyer, supplier, chain, days_late
):
    per_day, cap = 101, 1_001  # odd: their lowest bits sit at 216 and 232
    agreement_id = make_agreement(penalty_bps_per_day=per_day, penalty_cap_bps=cap)
    terms = _terms(escrow, agreement_id)
    assert (terms.penalty_bps_per_day, terms.penalty_cap_bps) == (per_day, cap)
    order_id = make_order(agreement_id=agreement_id, quantity=10)
    ship_by = escrow.get_order(order_id).ship_by
    shipped_at = ship_by + (days_late - 1) * DAY + 1  # odd offset: shipped_at's lowest bit is set
    shipped_at += 1 - shipped_at % 2
    pin_at(chain, shipped_at)
    tx = escrow.ship(order_id, 10, h("ASN-late"), sender=supplier)
    expected = min(cap, per_day * ((shipped_at - ship_by + DAY - 1) // DAY))
    assert expected % 2 == 1
    lot = escrow.get_lot(order_id, 1)
    assert (lot.penalty_bps, lot.shipped_at) == (expected, shipped_at)
    assert [e.penalty_bps for e in tx.events if e.event_name == "LotShipped"] == [expected]
    # The penalty read back from the lot word at payout: the buyer gets exactly it back.
    before = buyer.balance
    value = 10 * UNIT_PRICE
    receipt = escrow.confirm_delivery(order_id, 1, h("GR"), sender=buyer)
    assert buyer.balance - before + receipt.total_fees_paid == value * expected // 10_000


def test_l_penalty__odd_ship_time_above_penalty__on_time_lot_has_none(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=3)
    t = chain.pending_timestamp + 101
    t += 1 - t % 2  # bit 80 (shipped_at's lowest) set, right above the 16-bit penalty
    pin_at(chain, t)
    escrow.ship(order_id, 3, h("ASN-on-time"), sender=supplier)
    lot = escrow.get_lot(order_id, 1)
    assert (lot.penalty_bps, lot.shipped_at, lot.status) == (0, t, LOT["SHIPPED"])


def test_l_shipped_at__odd_arbitration_deadline_above__shipped_at_exact(escrow, make_order, supplier, buyer, chain):
    order_id = make_order(quantity=3)
    shipped_at = pin_at(chain, chain.pending_timestamp + 50)
    escrow.ship(order_id, 3, h("ASN"), sender=supplier)
    t = chain.pending_timestamp + 10
    t += 1 - (t + escrow.arbitration_timeout()) % 2  # the arbitration deadline (bit 144 up) is odd
    pin_at(chain, t)
    escrow.dispute(order_id, 1, h("dent"), sender=buyer)
    lot = escrow.get_lot(order_id, 1)
    deadline = t + escrow.arbitration_timeout()
    assert deadline % 2 == 1
    assert (lot.shipped_at, lot.arbitration_deadline, lot.status) == (shipped_at, deadline, LOT["DISPUTED"])
    assert escrow.deadlines(order_id, 1)[2:] == (shipped_at + REVIEW, deadline)


def test_a_count__erc20_agreement_above_count__payees_exact(escrow, make_agreement, make_order, erc20, buyer, supplier, sub1, sub2):
    money = Money("erc20", erc20)
    payees = [(sub1, 1_500), (sub2, 501)]
    agreement_id = make_agreement(money=money, payees=payees)  # the ERC-20 flag sits right above the count
    assert [(p.account, p.share_bps) for p in escrow.payees_of(agreement_id)] == [
        (sub1.address, 1_500), (sub2.address, 501)
    ]
    order_id = make_order(agreement_id=agreement_id, money=money, quantity=10)
    before = [erc20.balanceOf(a) for a in (supplier, sub1, sub2)]
    escrow.receive_goods(order_id, 10, h("GR"), sender=buyer)
    value = 10 * UNIT_PRICE
    subs = [value * 1_500 // 10_000, value * 501 // 10_000]
    got = [erc20.balanceOf(a) - b for a, b in zip((supplier, sub1, sub2), before)]
    assert got == [value - sum(subs), *subs]


def test_a_count__eth_agreement__no_token_flag_payees_exact(escrow, make_agreement, sub1):
    agreement_id = make_agreement(payees=[(sub1, 2_001)])
    assert [(p.account, p.share_bps) for p in escrow.payees_of(agreement_id)] == [(sub1.address, 2_001)]
    assert _terms(escrow, agreement_id).token == "0x0000000000000000000000000000000000000000"


def test_p_max__odd_units_called_off__max_quantity_still_binds(escrow, make_agreement, make_order, buyer, chain):
    agreement_id = make_agreement(max_quantity=5)
    make_order(agreement_id=agreement_id, quantity=1)  # units called off: 1, bit 192 set
    stored = escrow.get_agreement(agreement_id)
    assert (stored.terms.max_quantity, stored.units_called_off) == (5, 1)
    with ape.reverts("escrow: above max quantity"):
        escrow.create_order(agreement_id, 5, chain.pending_timestamp + DAY, h("PO-over"), sender=buyer,
                            value=5 * UNIT_PRICE)
    make_order(agreement_id=agreement_id, quantity=4)
    assert escrow.get_agreement(agreement_id).units_called_off == 5


def test_p_called__decline_gives_units_back__called_off_exact(escrow, make_agreement, make_order, supplier):
    agreement_id = make_agreement(max_quantity=9)
    first = make_order(agreement_id=agreement_id, quantity=3)
    make_order(agreement_id=agreement_id, quantity=5)
    escrow.decline_order(first, sender=supplier)
    stored = escrow.get_agreement(agreement_id)
    assert (stored.terms.max_quantity, stored.units_called_off) == (9, 5)


def test_deadlines__lot_not_shipped_yet__no_review_or_arbitration_end(escrow, make_agreement, make_order):
    agreement_id = make_agreement(review_period=ODD_REVIEW)
    order_id = make_order(agreement_id=agreement_id, quantity=2)
    ship_by = escrow.get_order(order_id).ship_by
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + GRACE, 0, 0)
    assert escrow.deadlines(order_id, 0) == (ship_by, ship_by + GRACE, 0, 0)


def test_deadlines__received_lot__no_review_end(escrow, make_order, buyer):
    order_id = make_order(quantity=2)
    escrow.receive_goods(order_id, 2, h("GR"), sender=buyer)
    ship_by = escrow.get_order(order_id).ship_by
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + GRACE, 0, 0)


def test_p_called__call_off_above_2_pow_63_units__called_off_exact(escrow, make_agreement, make_order):
    """The units called off are the top field of the pricing word: 64 bits from bit 192, so a
    count of 2**63 or more uses bit 255 -- one bit higher and it would fall off the word."""
    agreement_id = make_agreement(unit_price=1, max_quantity=2**64 - 1)
    quantity = 2**63 + 1  # 9.2 ETH at one wei a unit
    order_id = make_order(agreement_id=agreement_id, quantity=quantity)
    stored = escrow.get_agreement(agreement_id)
    assert (stored.terms.max_quantity, stored.units_called_off) == (2**64 - 1, quantity)
    assert escrow.get_order(order_id).amount == quantity
