"""confirm_delivery: the buyer or inspector accepts a shipped lot; everyone is paid at once."""

import ape
import pytest

from conftest import DAY, LOT, REVIEW, UNIT_PRICE, h
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import (
    ASN_2,
    FINAL_LOTS,
    GRN,
    OUTSIDERS,
    STAGED_LOTS,
    Balances,
    settlement_deltas,
    staged,  # noqa: F401  (fixture)
)

QUANTITY = 777
VALUE = QUANTITY * UNIT_PRICE


def confirmed_event(escrow, order_id, lot, confirmer, receipt_hash=GRN):
    return escrow.DeliveryConfirmed(order_id=order_id, lot=lot, confirmer=confirmer, receipt_hash=receipt_hash)


@pytest.mark.parametrize("confirmer_name", ["buyer", "inspector"])
def test_confirm_delivery__by_buyer_or_inspector__pays_everyone_to_the_wei(
    escrow, make_order, money, buyer, supplier, sub1, sub2, inspector, request, confirmer_name
):
    payees = [(sub1, 2_500), (sub2, 1)]
    confirmer = request.getfixturevalue(confirmer_name)
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="shipped")
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, inspector, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=confirmer)

    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 1, confirmer),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, VALUE, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=0),
    )
    assert money.balance(escrow) == 0
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery__one_lot_of_three__pays_only_that_lot(escrow, make_order, money, buyer, supplier, sub1):
    payees = [(sub1, 3_333)]
    order_id = make_order(money=money, quantity=9, payees=payees, stage="shipped", lot_quantity=2)
    escrow.ship(order_id, 3, ASN_2, sender=supplier)
    escrow.ship(order_id, 4, h("ASN-3"), sender=supplier)
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])

    tx = escrow.confirm_delivery(order_id, 2, GRN, sender=buyer)

    value = 3 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 2, buyer),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, value, value, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=value, supplier_side=value, penalty_bps=0),
    )
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2, 3)] == [LOT["SHIPPED"], LOT["COMPLETED"], LOT["SHIPPED"]]
    assert money.balance(escrow) == 6 * UNIT_PRICE


@pytest.mark.parametrize("after", [1, 30 * DAY])
def test_confirm_delivery__after_review_end_while_shipped__still_allowed(escrow, make_order, buyer, supplier, chain, eth, after):
    order_id = make_order(quantity=4, stage="shipped")
    review_end = escrow.deadlines(order_id, 1)[2]
    assert review_end == escrow.get_lot(order_id, 1).shipped_at + REVIEW
    chain.pending_timestamp = review_end + after
    balances = Balances.of(eth, [buyer, supplier, escrow])
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    balances.expect(tx, {supplier: 4 * UNIT_PRICE, escrow: -4 * UNIT_PRICE})
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery__zero_receipt_hash__allowed(escrow, make_order, inspector):
    order_id = make_order(quantity=4, stage="shipped")
    tx = escrow.confirm_delivery(order_id, 1, b"\x00" * 32, sender=inspector)
    assert own_events(tx, escrow)[0] == confirmed_event(escrow, order_id, 1, inspector, b"\x00" * 32)


# ---------------------------------------------------------------- late lots: the penalty


def ship_late(escrow, supplier, chain, order_id, quantity, days_late_seconds):
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + days_late_seconds
    escrow.ship(order_id, quantity, ASN_2, sender=supplier)


def test_confirm_delivery__late_lot__penalty_from_supplier_remainder_to_buyer(
    escrow, make_order, money, buyer, supplier, sub1, sub2, inspector, chain
):
    payees = [(sub1, 2_000), (sub2, 777)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=100, penalty_cap_bps=1_000)
    ship_late(escrow, supplier, chain, order_id, QUANTITY, 2 * DAY + 1)  # three started days: 300 bps
    assert escrow.get_lot(order_id, 1).penalty_bps == 300
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=inspector)

    penalty = VALUE * 300 // 10_000
    shares = [VALUE * 2_000 // 10_000, VALUE * 777 // 10_000]
    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 1, inspector),
        escrow.Paid(order_id=order_id, payee=sub1, token=money.address, amount=shares[0]),
        escrow.Paid(order_id=order_id, payee=sub2, token=money.address, amount=shares[1]),
        escrow.Paid(order_id=order_id, payee=supplier, token=money.address, amount=VALUE - sum(shares) - penalty),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=penalty),
    ]
    # Subcontractors get exactly what an on-time lot pays them: lateness is the supplier's alone.
    balances.expect(
        tx, {sub1: shares[0], sub2: shares[1], supplier: VALUE - sum(shares) - penalty, buyer: penalty, escrow: -VALUE}
    )


def test_confirm_delivery__penalty_above_remainder__buyer_gets_only_the_remainder(
    escrow, make_order, money, buyer, supplier, sub1, sub2, chain
):
    """Payees hold 95 %, the penalty is 10 %: the buyer gets the 5 % remainder, the supplier nothing."""
    payees = [(sub1, 6_000), (sub2, 3_500)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=1_000, penalty_cap_bps=1_000)
    ship_late(escrow, supplier, chain, order_id, QUANTITY, 1)
    assert escrow.get_lot(order_id, 1).penalty_bps == 1_000
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    shares = [VALUE * 6_000 // 10_000, VALUE * 3_500 // 10_000]
    remainder = VALUE - sum(shares)
    assert remainder < VALUE * 1_000 // 10_000
    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 1, buyer),
        escrow.Paid(order_id=order_id, payee=sub1, token=money.address, amount=shares[0]),
        escrow.Paid(order_id=order_id, payee=sub2, token=money.address, amount=shares[1]),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=remainder),
    ]
    balances.expect(tx, {sub1: shares[0], sub2: shares[1], buyer: remainder, escrow: -VALUE})


def test_confirm_delivery__full_penalty_no_payees__buyer_gets_everything(escrow, make_order, eth, buyer, supplier, chain):
    order_id = make_order(quantity=5, penalty_bps_per_day=10_000, penalty_cap_bps=10_000)
    ship_late(escrow, supplier, chain, order_id, 5, 1)
    balances = Balances.of(eth, [buyer, supplier, escrow])
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 1, buyer),
        escrow.Paid(order_id=order_id, payee=buyer, token=eth.address, amount=5 * UNIT_PRICE),
    ]
    balances.expect(tx, {buyer: 5 * UNIT_PRICE, escrow: -5 * UNIT_PRICE})


# ---------------------------------------------------------------- assigned payout


def test_confirm_delivery__assigned_order__remainder_to_assignee_subcontractors_untouched(
    escrow, make_order, money, buyer, supplier, sub1, sub2, stranger, chain
):
    payees = [(sub1, 1_500), (sub2, 500)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    ship_late(escrow, supplier, chain, order_id, QUANTITY, DAY + 1)  # 200 bps
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, stranger, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    assert own_events(tx, escrow) == [
        confirmed_event(escrow, order_id, 1, buyer),
        *expected_paid_events(escrow, order_id, money.address, payees, stranger, buyer, VALUE, VALUE, 200),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=stranger, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=200),
    )
    assert balances.deltas(tx)[supplier.address] == 0


def test_confirm_delivery__reassigned__last_assignee_paid(escrow, make_order, buyer, supplier, stranger, admin, eth):
    order_id = make_order(quantity=5, stage="shipped")
    escrow.assign_payout(order_id, stranger, sender=supplier)
    escrow.assign_payout(order_id, admin, sender=stranger)
    balances = Balances.of(eth, [supplier, stranger, admin, escrow])
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    balances.expect(tx, {admin: 5 * UNIT_PRICE, escrow: -5 * UNIT_PRICE})


# ---------------------------------------------------------------- wrong callers


@pytest.mark.parametrize("caller", ["supplier", "sub1", *OUTSIDERS])
def test_confirm_delivery__not_buyer_or_inspector__reverts(escrow, make_order, money, sub1, request, caller):
    order_id = make_order(money=money, quantity=4, payees=[(sub1, 1_000)], stage="shipped")
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(order_id, 1, GRN, sender=request.getfixturevalue(caller))
    assert money.balance(escrow) == 4 * UNIT_PRICE
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_confirm_delivery__no_inspector_named__inspector_account_reverts(escrow, make_order, inspector):
    order_id = make_order(quantity=4, stage="shipped", inspector=None)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(order_id, 1, GRN, sender=inspector)


def test_confirm_delivery__assignee__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(order_id, 1, GRN, sender=stranger)


def test_confirm_delivery__buyer_of_another_agreement__reverts(escrow, make_order, registry, oem, stranger, part):
    """The inspector of one agreement is a stranger to another (here with another buyer)."""
    registry.grant_access(part, stranger, sender=oem)
    order_id = make_order(quantity=4, stage="shipped", order_buyer=stranger, inspector=None)
    first = make_order(quantity=4, stage="shipped")
    assert escrow.get_order(order_id).buyer == stranger.address
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(first, 1, GRN, sender=stranger)


# ---------------------------------------------------------------- wrong states


class TestRefused:
    """Every lot status but SHIPPED, unknown lots and orders, on orders built once (see `staged`)."""

    @pytest.mark.parametrize("status", ["disputed", *FINAL_LOTS])
    @pytest.mark.parametrize("confirmer_name", ["buyer", "inspector"])
    def test_confirm_delivery__lot_not_shipped__reverts(self, escrow, staged, request, status, confirmer_name):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        balance = escrow.balance
        with ape.reverts("escrow: lot not shipped"):
            escrow.confirm_delivery(order_id, lot, GRN, sender=request.getfixturevalue(confirmer_name))
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.balance == balance

    @pytest.mark.parametrize("lot", [0, 7, 2**32])
    def test_confirm_delivery__unknown_lot__reverts(self, escrow, staged, buyer, lot):
        with ape.reverts("escrow: unknown lot"):
            escrow.confirm_delivery(staged["order"], lot, GRN, sender=buyer)

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_confirm_delivery__order_without_lots__unknown_lot_reverts(self, escrow, staged, buyer, which):
        with ape.reverts("escrow: unknown lot"):
            escrow.confirm_delivery(staged[which], 1, GRN, sender=buyer)

    def test_confirm_delivery__unknown_order__reverts(self, escrow, staged, buyer):
        for order_id in (0, escrow.order_count() + 1):
            with ape.reverts("escrow: unknown order"):
                escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    def test_confirm_delivery__shipped_lot__control(self, escrow, staged, buyer):
        """The staged SHIPPED lot is confirmable: the refusals above are about status, not the order."""
        lot, _ = STAGED_LOTS["shipped"]
        escrow.confirm_delivery(staged["order"], lot, GRN, sender=buyer)
        assert escrow.get_lot(staged["order"], lot).status == LOT["COMPLETED"]


def test_confirm_delivery__twice__second_reverts(escrow, make_order, money, buyer, inspector):
    order_id = make_order(money=money, quantity=4, stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery(order_id, 1, GRN, sender=inspector)
    assert money.balance(escrow) == 0


def test_confirm_delivery__after_refund_of_the_rest__shipped_lot_still_payable(escrow, make_order, buyer, supplier, stranger, chain, eth):
    order_id = make_order(quantity=10, stage="shipped", lot_quantity=4)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[1] + 1
    escrow.refund_expired(order_id, sender=stranger)
    balances = Balances.of(eth, [buyer, supplier, escrow])
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    balances.expect(tx, {supplier: 4 * UNIT_PRICE, escrow: -4 * UNIT_PRICE})
