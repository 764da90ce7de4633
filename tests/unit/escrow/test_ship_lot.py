"""ship: the supplier records a lot that left the factory; late lots carry a penalty fixed now."""

import ape
import pytest

from conftest import DAY, GRACE, LOT, PART_ID, REVIEW, UNIT_PRICE, h
from _escrow_support import own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, ASN_2, OUTSIDERS, Balances, late_penalty, lot_of

LONG_GRACE = 20 * DAY  # room to reach and pass the 10 % cap at 1 %/day


def ship_at(escrow, supplier, chain, order_id, t, quantity=1_000, shipment_hash=ASN):
    chain.pending_timestamp = t
    return escrow.ship(order_id, quantity, shipment_hash, sender=supplier)


# ---------------------------------------------------------------- the rightful caller


def test_ship__by_supplier__creates_lot_one_and_moves_no_money(escrow, make_order, money, buyer, supplier, sub1, chain):
    order_id = make_order(money=money, quantity=1_000, payees=[(sub1, 1_500)])
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])
    t = chain.pending_timestamp + 3_600

    tx = ship_at(escrow, supplier, chain, order_id, t, quantity=400)

    assert tx.return_value == 1
    assert own_events(tx, escrow) == [
        escrow.LotShipped(order_id=order_id, lot=1, quantity=400, value=400 * UNIT_PRICE, penalty_bps=0, shipment_hash=ASN)
    ]
    balances.expect(tx, {})
    assert lot_of(escrow, order_id, 1) == {
        "quantity": 400,
        "value": 400 * UNIT_PRICE,
        "penalty_bps": 0,
        "shipment_hash": ASN,
        "shipped_at": t,
        "arbitration_deadline": 0,
        "status": LOT["SHIPPED"],
    }
    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.units_refunded, order.lot_count) == (400, 0, 1)
    assert escrow.deadlines(order_id, 1) == (order.ship_by, order.ship_by + GRACE, t + REVIEW, 0)


def test_ship__several_lots_summing_to_quantity__numbered_in_order_then_nothing_open(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=10)
    for lot, (quantity, shipment) in enumerate([(3, h("ASN-a")), (1, h("ASN-b")), (6, h("ASN-c"))], start=1):
        tx = escrow.ship(order_id, quantity, shipment, sender=supplier)
        assert tx.return_value == lot
        assert own_events(tx, escrow) == [
            escrow.LotShipped(
                order_id=order_id, lot=lot, quantity=quantity, value=quantity * UNIT_PRICE, penalty_bps=0, shipment_hash=shipment
            )
        ]
        assert escrow.get_lot(order_id, lot).shipment_hash == shipment
    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.lot_count) == (10, 3)
    with ape.reverts("escrow: quantity above open units"):
        escrow.ship(order_id, 1, ASN, sender=supplier)
    assert escrow.get_order(order_id).lot_count == 3


def test_ship__lots_of_two_orders__numbered_per_order(escrow, make_order, supplier):
    first = make_order(quantity=5)
    second = make_order(quantity=5)
    assert escrow.ship(first, 1, ASN, sender=supplier).return_value == 1
    assert escrow.ship(second, 1, ASN, sender=supplier).return_value == 1
    assert escrow.ship(first, 1, ASN, sender=supplier).return_value == 2
    assert escrow.get_lot(second, 2).status == 0


def test_ship__zero_shipment_hash__allowed_and_reported_as_zero(escrow, make_order, supplier):
    order_id = make_order(quantity=2)
    tx = escrow.ship(order_id, 2, b"\x00" * 32, sender=supplier)
    assert own_events(tx, escrow) == [
        escrow.LotShipped(order_id=order_id, lot=1, quantity=2, value=2 * UNIT_PRICE, penalty_bps=0, shipment_hash=b"\x00" * 32)
    ]
    assert escrow.get_lot(order_id, 1).shipment_hash == b"\x00" * 32
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_ship__whole_open_quantity_at_once__allowed(escrow, make_order, supplier):
    order_id = make_order(quantity=7)
    escrow.ship(order_id, 3, ASN, sender=supplier)
    tx = escrow.ship(order_id, 4, ASN_2, sender=supplier)
    assert tx.return_value == 2
    assert escrow.get_order(order_id).units_shipped == 7


def test_ship__agreement_closed__order_still_ships(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=5)
    escrow.close_agreement(escrow.get_order(order_id).agreement_id, sender=buyer)
    assert escrow.ship(order_id, 5, ASN, sender=supplier).return_value == 1


def test_ship__paused__order_still_ships(escrow, make_order, admin, supplier):
    order_id = make_order(quantity=5)
    escrow.pause(sender=admin)
    assert escrow.ship(order_id, 5, ASN, sender=supplier).return_value == 1


def test_ship__payout_assigned__supplier_still_ships(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=5)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    assert escrow.ship(order_id, 5, ASN, sender=supplier).return_value == 1


# ---------------------------------------------------------------- wrong callers


@pytest.mark.parametrize("caller", ["buyer", "inspector", "sub1", *OUTSIDERS])
def test_ship__not_supplier__reverts(escrow, make_order, request, caller, sub1):
    order_id = make_order(quantity=5, payees=[(sub1, 1_000)])
    with ape.reverts("escrow: not supplier"):
        escrow.ship(order_id, 5, ASN, sender=request.getfixturevalue(caller))
    assert escrow.get_order(order_id).units_shipped == 0
    assert escrow.get_lot(order_id, 1).status == 0


def test_ship__assignee__not_supplier_reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=5)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not supplier"):
        escrow.ship(order_id, 5, ASN, sender=stranger)


def test_ship__supplier_of_another_agreement__reverts(escrow, make_order, registry, oem, certifier, buyer, stranger, supplier, chain):
    """The supplier of order 1 cannot ship order 2 of another supplier."""
    registry.grant_access(PART_ID, stranger, sender=oem)
    registry.certify(PART_ID, 1, stranger, chain.pending_timestamp + 100 * DAY, h("audit 2"), sender=certifier)
    other = make_order(quantity=5, order_supplier=stranger)
    with ape.reverts("escrow: not supplier"):
        escrow.ship(other, 5, ASN, sender=supplier)


# ---------------------------------------------------------------- wrong states and quantities


def test_ship__unknown_order__reverts(escrow, make_order, supplier):
    order_id = make_order(quantity=5)
    for unknown in (0, order_id + 1):
        with ape.reverts("escrow: unknown order"):
            escrow.ship(unknown, 1, ASN, sender=supplier)


def test_ship__declined_order__reverts(escrow, make_order, supplier):
    order_id = make_order(quantity=5)
    escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.ship(order_id, 5, ASN, sender=supplier)
    assert escrow.get_order(order_id).lot_count == 0


def test_ship__zero_quantity__reverts(escrow, make_order, supplier):
    order_id = make_order(quantity=5)
    with ape.reverts("escrow: zero quantity"):
        escrow.ship(order_id, 0, ASN, sender=supplier)


@pytest.mark.parametrize("already", [0, 2, 5])
def test_ship__above_open_units__reverts(escrow, make_order, supplier, already):
    order_id = make_order(quantity=5)
    if already:
        escrow.ship(order_id, already, ASN, sender=supplier)
    with ape.reverts("escrow: quantity above open units"):
        escrow.ship(order_id, 5 - already + 1, ASN_2, sender=supplier)
    assert escrow.get_order(order_id).units_shipped == already


def test_ship__received_units_count_as_shipped__reverts_above_rest(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=5)
    escrow.receive_goods(order_id, 3, h("GR"), sender=buyer)
    with ape.reverts("escrow: quantity above open units"):
        escrow.ship(order_id, 3, ASN, sender=supplier)
    assert escrow.ship(order_id, 2, ASN, sender=supplier).return_value == 2


def test_ship__after_refund__nothing_open_reverts(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(quantity=5)
    escrow.ship(order_id, 2, ASN, sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
    escrow.refund_expired(order_id, sender=stranger)
    with ape.reverts("escrow: quantity above open units"):
        escrow.ship(order_id, 1, ASN_2, sender=supplier)


@pytest.mark.parametrize("lot_status", ["shipped", "completed", "disputed"])
def test_ship__next_lot_regardless_of_earlier_lot_status__allowed(escrow, make_order, buyer, supplier, lot_status):
    order_id = make_order(quantity=5, stage="shipped", lot_quantity=2)
    if lot_status == "completed":
        escrow.confirm_delivery(order_id, 1, h("GR"), sender=buyer)
    if lot_status == "disputed":
        escrow.dispute(order_id, 1, h("dent"), sender=buyer)
    assert escrow.ship(order_id, 3, ASN_2, sender=supplier).return_value == 2


# ---------------------------------------------------------------- the shipping window


def test_ship__window_end_to_the_second__at_allowed_after_closed(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=5, grace_period=GRACE)
    window_end = escrow.deadlines(order_id, 0)[1]
    assert window_end == escrow.get_order(order_id).ship_by + GRACE
    with chain.isolate():
        chain.pending_timestamp = window_end + 1
        with ape.reverts("escrow: shipping window closed"):
            escrow.ship(order_id, 5, ASN, sender=supplier)
        assert escrow.get_order(order_id).units_shipped == 0
    tx = ship_at(escrow, supplier, chain, order_id, window_end, quantity=5)
    assert tx.timestamp == window_end
    assert escrow.get_lot(order_id, 1).shipped_at == window_end


def test_ship__no_grace__ship_by_is_the_last_second(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=5, grace_period=0)
    ship_by = escrow.get_order(order_id).ship_by
    with chain.isolate():
        chain.pending_timestamp = ship_by + 1
        with ape.reverts("escrow: shipping window closed"):
            escrow.ship(order_id, 5, ASN, sender=supplier)
    ship_at(escrow, supplier, chain, order_id, ship_by, quantity=5)
    assert escrow.get_lot(order_id, 1).penalty_bps == 0


# ---------------------------------------------------------------- late penalty


@pytest.mark.parametrize(
    "offset, penalty",
    [
        (-1, 0),
        (0, 0),  # at ship_by: on time
        (1, 100),  # one second late: one started day
        (DAY, 100),
        (DAY + 1, 200),
        (2 * DAY, 200),
        (2 * DAY + 1, 300),
        (9 * DAY + 1, 1_000),  # tenth started day: the cap reached exactly
        (10 * DAY, 1_000),
        (10 * DAY + 1, 1_000),  # eleventh day: 1 100 capped at 1 000
        (LONG_GRACE, 1_000),
    ],
)
def test_ship__late__penalty_per_started_day_capped(escrow, make_order, supplier, chain, offset, penalty):
    order_id = make_order(quantity=5, grace_period=LONG_GRACE, penalty_bps_per_day=100, penalty_cap_bps=1_000)
    ship_by = escrow.get_order(order_id).ship_by
    assert late_penalty(ship_by + offset, ship_by, 100, 1_000) == penalty

    tx = ship_at(escrow, supplier, chain, order_id, ship_by + offset, quantity=5)

    assert own_events(tx, escrow) == [
        escrow.LotShipped(order_id=order_id, lot=1, quantity=5, value=5 * UNIT_PRICE, penalty_bps=penalty, shipment_hash=ASN)
    ]
    assert escrow.get_lot(order_id, 1).penalty_bps == penalty


@pytest.mark.parametrize(
    "per_day, cap, offset, penalty",
    [
        (300, 1_000, 3 * DAY, 900),  # below the cap
        (300, 1_000, 3 * DAY + 1, 1_000),  # 1 200 capped: the cap not a multiple of the daily rate
        (0, 1_000, 5 * DAY, 0),  # no daily rate
        (500, 0, 5 * DAY, 0),  # cap 0: no penalty at all
        (10_000, 10_000, 1, 10_000),  # the whole lot after one started day
        (65_535, 10_000, 1, 10_000),  # the largest daily rate, capped
        (65_535, 10_000, LONG_GRACE, 10_000),
    ],
)
def test_ship__late__other_terms(escrow, make_order, supplier, chain, per_day, cap, offset, penalty):
    order_id = make_order(quantity=5, grace_period=LONG_GRACE, penalty_bps_per_day=per_day, penalty_cap_bps=cap)
    ship_by = escrow.get_order(order_id).ship_by
    assert late_penalty(ship_by + offset, ship_by, per_day, cap) == penalty
    tx = ship_at(escrow, supplier, chain, order_id, ship_by + offset, quantity=5)
    assert tx.events.filter(escrow.LotShipped)[0].penalty_bps == penalty
    assert escrow.get_lot(order_id, 1).penalty_bps == penalty


def test_ship__late_lots_of_one_order__each_fixed_at_its_own_time(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=9, grace_period=LONG_GRACE)
    ship_by = escrow.get_order(order_id).ship_by
    for lot, offset in enumerate([0, DAY + 1, 4 * DAY], start=1):
        ship_at(escrow, supplier, chain, order_id, ship_by + offset, quantity=3, shipment_hash=h(f"ASN-{lot}"))
    assert [escrow.get_lot(order_id, lot).penalty_bps for lot in (1, 2, 3)] == [0, 200, 400]


def test_ship__penalty_terms_read_from_the_agreement_not_changed_by_time(escrow, make_order, supplier, chain):
    """The penalty is fixed at shipping: the lot's `penalty_bps` does not grow while it waits."""
    order_id = make_order(quantity=5, grace_period=LONG_GRACE)
    ship_by = escrow.get_order(order_id).ship_by
    ship_at(escrow, supplier, chain, order_id, ship_by + 1, quantity=5)
    chain.mine(timestamp=ship_by + 15 * DAY)
    assert escrow.get_lot(order_id, 1).penalty_bps == 100


# ---------------------------------------------------------------- certification, re-checked at ship


def test_ship__certification_revoked__reverts(escrow, registry, make_order, certifier, supplier):
    order_id = make_order(quantity=5)
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    with ape.reverts("escrow: supplier not certified"):
        escrow.ship(order_id, 5, ASN, sender=supplier)
    assert escrow.get_order(order_id).units_shipped == 0


def test_ship__certification_expired__to_the_second(escrow, registry, make_order, certifier, supplier, chain):
    order_id = make_order(quantity=5)
    valid_until = chain.pending_timestamp + DAY
    registry.certify(PART_ID, 1, supplier, valid_until, h("short audit"), sender=certifier)
    with chain.isolate():
        chain.pending_timestamp = valid_until + 1
        with ape.reverts("escrow: supplier not certified"):
            escrow.ship(order_id, 5, ASN, sender=supplier)
    ship_at(escrow, supplier, chain, order_id, valid_until, quantity=5)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_ship__supplier_access_revoked__certification_void_reverts(escrow, registry, make_order, oem, supplier):
    order_id = make_order(quantity=5)
    registry.revoke_access(PART_ID, supplier, sender=oem)
    with ape.reverts("escrow: supplier not certified"):
        escrow.ship(order_id, 5, ASN, sender=supplier)


def test_ship__certification_lapsed_between_lots__second_lot_refused(escrow, registry, make_order, certifier, supplier):
    order_id = make_order(quantity=5)
    escrow.ship(order_id, 2, ASN, sender=supplier)
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    with ape.reverts("escrow: supplier not certified"):
        escrow.ship(order_id, 3, ASN_2, sender=supplier)
    assert escrow.get_order(order_id).units_shipped == 2
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_ship__recertified_after_revocation__ships_again(escrow, registry, make_order, certifier, supplier, chain):
    order_id = make_order(quantity=5)
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    registry.certify(PART_ID, 1, supplier, chain.pending_timestamp + 100 * DAY, h("re-audit"), sender=certifier)
    assert escrow.ship(order_id, 5, ASN, sender=supplier).return_value == 1
