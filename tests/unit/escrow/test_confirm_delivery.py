"""confirm_delivery: the buyer or the inspector confirms, and everyone is paid in the same call."""

import ape
import pytest

from conftest import DAY, STATUS, ZERO, h
from _escrow_support import ALL_STAGES, expected_payout, own_events, split
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 10**9 + 7  # odd, so that rounding dust is exercised


@pytest.mark.parametrize("confirmer", ["buyer", "inspector"])
def test_confirm_delivery__by_buyer_or_inspector__pays_everyone_exactly(
    escrow, make_order, money, supplier, sub1, sub2, request, confirmer
):
    payees = [(sub1, 1_500), (sub2, 333)]
    order_id = make_order(money=money, amount=AMOUNT, payees=payees, stage="shipped")
    who = request.getfixturevalue(confirmer)
    before = {a.address: money.balance(a) for a in (supplier, sub1, sub2)}
    escrow_before = money.balance(escrow)

    tx = escrow.confirm_delivery(order_id, h("GRN-9"), sender=who)

    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, confirmer=who.address, receipt_hash=h("GRN-9")),
        *expected_payout(escrow, order_id, money.address, supplier, AMOUNT, payees),
    ]
    (s1, s2), rest = split(AMOUNT, payees)
    assert (s1, s2, rest) == (150_000_001, 33_300_000, 816_700_006)
    assert money.balance(sub1) - before[sub1.address] == s1
    assert money.balance(sub2) - before[sub2.address] == s2
    assert money.balance(supplier) - before[supplier.address] == rest
    assert escrow_before - money.balance(escrow) == AMOUNT
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery__no_payees__supplier_gets_everything(escrow, make_order, buyer, supplier):
    order_id = make_order(amount=AMOUNT, stage="shipped")
    before = supplier.balance
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert own_events(tx, escrow)[1:] == [escrow.Paid(order_id=order_id, payee=supplier.address, token=ZERO, amount=AMOUNT)]
    assert supplier.balance - before == AMOUNT


def test_confirm_delivery__all_shares_declared__supplier_gets_no_transfer(escrow, make_order, buyer, supplier, sub1, sub2):
    order_id = make_order(amount=AMOUNT, payees=[(sub1, 7_000), (sub2, 3_000)], stage="shipped")
    before = supplier.balance
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    s1, s2 = AMOUNT * 7_000 // 10_000, AMOUNT * 3_000 // 10_000
    assert s1 + s2 == AMOUNT - 1  # one unit of dust left for the supplier
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=sub1.address, token=ZERO, amount=s1),
        escrow.Paid(order_id=order_id, payee=sub2.address, token=ZERO, amount=s2),
        escrow.Paid(order_id=order_id, payee=supplier.address, token=ZERO, amount=1),
    ]
    assert supplier.balance - before == 1


def test_confirm_delivery__whole_amount_to_one_sub__no_zero_transfer_logged(escrow, make_order, buyer, supplier, sub1):
    order_id = make_order(amount=10_000, payees=[(sub1, 10_000)], stage="shipped")
    before = supplier.balance
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert own_events(tx, escrow)[1:] == [escrow.Paid(order_id=order_id, payee=sub1.address, token=ZERO, amount=10_000)]
    assert supplier.balance == before


def test_confirm_delivery__after_review_period__still_allowed_until_released(escrow, make_order, buyer, chain):
    order_id = make_order(stage="shipped", review_period=DAY)
    chain.pending_timestamp = escrow.deadlines(order_id)[1] + 10 * DAY
    escrow.confirm_delivery(order_id, h("GRN-late"), sender=buyer)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery__no_inspector_named__inspector_reverts(escrow, make_order, inspector):
    order_id = make_order(stage="shipped", order_inspector=None)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(order_id, h("GRN"), sender=inspector)


def test_confirm_delivery__no_inspector_named__zero_address_caller_reverts(escrow, make_order, accounts, chain):
    # The empty inspector slot must not let the zero address in (reachable on chains that allow it).
    order_id = make_order(stage="shipped", order_inspector=None)
    zero = accounts[ZERO]
    chain.set_balance(ZERO, 10**18)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.confirm_delivery(order_id, h("GRN"), sender=zero)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


class TestRefused:
    """Wrong callers and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("caller", ["supplier", "stranger", "sub1", "arbiter", "admin"])
    def test_confirm_delivery__by_other__reverts(self, escrow, staged, request, caller):
        order_id = staged["shipped"]
        balance = escrow.balance
        with ape.reverts("escrow: not buyer or inspector"):
            escrow.confirm_delivery(order_id, h("GRN"), sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "shipped"])
    def test_confirm_delivery__not_shipped__reverts(self, escrow, staged, buyer, stage):
        order_id = staged[stage]
        balance = escrow.balance
        with ape.reverts("escrow: not shipped"):
            escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


def test_confirm_delivery__unknown_order__reverts(escrow, buyer):
    with ape.reverts("escrow: unknown order"):
        escrow.confirm_delivery(3, h("GRN"), sender=buyer)
