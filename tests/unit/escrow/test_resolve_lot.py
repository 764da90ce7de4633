"""resolve: an arbiter who is no party of the order splits a disputed lot; the penalty survives any split."""

import ape
import pytest

from conftest import DAY, LOT, UNIT_PRICE, h
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, REASON, STAGED_LOTS, Balances, settlement_deltas, staged  # noqa: F401  (fixture)

QUANTITY = 613
VALUE = QUANTITY * UNIT_PRICE
MISSING_ROLE = "access_control: account is missing role"


def resolved(escrow, order_id, lot, bps):
    return escrow.DisputeResolved(order_id=order_id, lot=lot, supplier_bps=bps)


def check_resolution(escrow, money, tx, order_id, lot, *, bps, value, penalty_bps, payees, buyer, holder, balances):
    supplier_side = value * bps // 10_000
    assert own_events(tx, escrow) == [
        resolved(escrow, order_id, lot, bps),
        *expected_paid_events(escrow, order_id, money.address, payees, holder, buyer, value, supplier_side, penalty_bps),
    ]
    balances.expect(
        tx,
        settlement_deltas(
            escrow=escrow, buyer=buyer, holder=holder, payees=payees, value=value, supplier_side=supplier_side, penalty_bps=penalty_bps
        ),
    )
    assert escrow.get_lot(order_id, lot).status == LOT["RESOLVED"]


@pytest.mark.parametrize("bps", [0, 3_333, 10_000])
def test_resolve__by_arbiter__splits_to_the_wei(escrow, make_order, money, buyer, supplier, sub1, sub2, arbiter, bps):
    payees = [(sub1, 2_500), (sub2, 1)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="disputed")
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, arbiter, escrow])

    tx = escrow.resolve(order_id, 1, bps, sender=arbiter)

    check_resolution(
        escrow, money, tx, order_id, 1, bps=bps, value=VALUE, penalty_bps=0, payees=payees, buyer=buyer, holder=supplier, balances=balances
    )
    assert money.balance(escrow) == 0


@pytest.mark.parametrize("bps", [1, 5_000, 9_999])
def test_resolve__other_splits__eth(escrow, make_order, eth, buyer, supplier, sub1, arbiter, bps):
    payees = [(sub1, 7_777)]
    order_id = make_order(quantity=QUANTITY, payees=payees, stage="disputed", unit_price=10**15 + 7)
    value = QUANTITY * (10**15 + 7)
    balances = Balances.of(eth, [buyer, supplier, sub1, escrow])
    tx = escrow.resolve(order_id, 1, bps, sender=arbiter)
    check_resolution(
        escrow, eth, tx, order_id, 1, bps=bps, value=value, penalty_bps=0, payees=payees, buyer=buyer, holder=supplier, balances=balances
    )


# ---------------------------------------------------------------- the penalty survives the ruling


def disputed_late_lot(escrow, make_order, money, supplier, buyer, chain, payees, per_day=500, cap=1_000, late=1):
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=per_day, penalty_cap_bps=cap)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + late
    escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    return order_id


@pytest.mark.parametrize("bps", [10_000, 9_000, 5_000, 500, 0])
def test_resolve__late_lot__arbiter_cannot_waive_penalty(escrow, make_order, money, buyer, supplier, sub1, arbiter, chain, bps):
    payees = [(sub1, 2_000)]
    order_id = disputed_late_lot(escrow, make_order, money, supplier, buyer, chain, payees)
    assert escrow.get_lot(order_id, 1).penalty_bps == 500
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])

    tx = escrow.resolve(order_id, 1, bps, sender=arbiter)

    check_resolution(
        escrow, money, tx, order_id, 1, bps=bps, value=VALUE, penalty_bps=500, payees=payees, buyer=buyer, holder=supplier, balances=balances
    )
    side = VALUE * bps // 10_000
    remainder = side - side * 2_000 // 10_000
    penalty = min(remainder, VALUE * 500 // 10_000)
    assert balances.deltas(tx)[supplier.address] == remainder - penalty
    if bps == 10_000:
        assert penalty == VALUE * 500 // 10_000  # a full ruling for the supplier still pays the whole penalty


def test_resolve__penalty_above_remainder__buyer_gets_only_remainder(escrow, make_order, money, buyer, supplier, sub1, sub2, arbiter, chain):
    payees = [(sub1, 5_000), (sub2, 4_500)]  # 95 %
    order_id = disputed_late_lot(escrow, make_order, money, supplier, buyer, chain, payees, per_day=1_000, cap=1_000)
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, escrow])

    tx = escrow.resolve(order_id, 1, 10_000, sender=arbiter)

    shares = [VALUE * 5_000 // 10_000, VALUE * 4_500 // 10_000]
    assert own_events(tx, escrow) == [
        resolved(escrow, order_id, 1, 10_000),
        escrow.Paid(order_id=order_id, payee=sub1, token=money.address, amount=shares[0]),
        escrow.Paid(order_id=order_id, payee=sub2, token=money.address, amount=shares[1]),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=VALUE - sum(shares)),
    ]
    balances.expect(tx, {sub1: shares[0], sub2: shares[1], buyer: VALUE - sum(shares), escrow: -VALUE})


# ---------------------------------------------------------------- assigned payout


def test_resolve__assigned_order__remainder_to_assignee(escrow, make_order, money, buyer, supplier, sub1, stranger, arbiter, chain):
    payees = [(sub1, 1_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + DAY + 1  # 200 bps at 1 %/day
    escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    balances = Balances.of(money, [buyer, supplier, sub1, stranger, escrow])

    tx = escrow.resolve(order_id, 1, 7_000, sender=arbiter)

    check_resolution(
        escrow, money, tx, order_id, 1, bps=7_000, value=VALUE, penalty_bps=200, payees=payees, buyer=buyer, holder=stranger,
        balances=balances,
    )
    assert balances.deltas(tx)[supplier.address] == 0


# ---------------------------------------------------------------- timing


def test_resolve__after_arbitration_deadline_while_disputed__still_allowed(escrow, make_order, arbiter, chain, eth, supplier):
    order_id = make_order(quantity=4, stage="disputed")
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 10 * DAY
    balances = Balances.of(eth, [supplier, escrow])
    tx = escrow.resolve(order_id, 1, 10_000, sender=arbiter)
    balances.expect(tx, {supplier: 4 * UNIT_PRICE, escrow: -4 * UNIT_PRICE})


def test_resolve__twice__second_reverts(escrow, make_order, money, arbiter):
    order_id = make_order(money=money, quantity=4, stage="disputed")
    escrow.resolve(order_id, 1, 5_000, sender=arbiter)
    with ape.reverts("escrow: lot not disputed"):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)
    assert money.balance(escrow) == 0


def test_resolve__expired_split_first__arbiter_refused(escrow, make_order, arbiter, stranger, chain):
    order_id = make_order(quantity=4, stage="disputed")
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    escrow.resolve_expired(order_id, 1, sender=stranger)
    with ape.reverts("escrow: lot not disputed"):
        escrow.resolve(order_id, 1, 10_000, sender=arbiter)


@pytest.mark.parametrize("bps", [10_001, 65_535])
def test_resolve__bps_above_10000__reverts(escrow, make_order, arbiter, bps):
    order_id = make_order(quantity=4, stage="disputed")
    with ape.reverts("escrow: bps above 10000"):
        escrow.resolve(order_id, 1, bps, sender=arbiter)
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]


# ---------------------------------------------------------------- wrong callers


@pytest.mark.parametrize("caller", ["buyer", "supplier", "inspector", "sub1", "stranger", "admin", "oem", "certifier"])
def test_resolve__without_arbiter_role__reverts(escrow, make_order, sub1, request, caller):
    order_id = make_order(quantity=4, payees=[(sub1, 1_000)], stage="disputed")
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(order_id, 1, 5_000, sender=request.getfixturevalue(caller))
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]
    assert escrow.balance == 4 * UNIT_PRICE


def test_resolve__arbiter_role_revoked__reverts(escrow, make_order, admin, arbiter):
    order_id = make_order(quantity=4, stage="disputed")
    escrow.revokeRole(escrow.ARBITER_ROLE(), arbiter, sender=admin)
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)


@pytest.mark.parametrize("party", ["buyer", "supplier", "inspector", "sub1", "sub2"])
def test_resolve__arbiter_who_is_a_party__reverts(escrow, make_order, admin, sub1, sub2, request, party):
    order_id = make_order(quantity=4, payees=[(sub1, 1_000), (sub2, 2_000)], stage="disputed")
    account = request.getfixturevalue(party)
    escrow.grantRole(escrow.ARBITER_ROLE(), account, sender=admin)
    with ape.reverts("escrow: arbiter is a party"):
        escrow.resolve(order_id, 1, 5_000, sender=account)
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]


def test_resolve__arbiter_is_payout_holder__reverts_until_it_passes_the_payout_on(escrow, make_order, supplier, arbiter, stranger):
    order_id = make_order(quantity=4, stage="disputed")
    escrow.assign_payout(order_id, arbiter, sender=supplier)
    with ape.reverts("escrow: arbiter is a party"):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)
    escrow.assign_payout(order_id, stranger, sender=arbiter)
    escrow.resolve(order_id, 1, 5_000, sender=arbiter)  # "at that moment" none of the parties
    assert escrow.get_lot(order_id, 1).status == LOT["RESOLVED"]


def test_resolve__party_of_another_order_only__allowed(escrow, make_order, admin, sub1, supplier):
    """sub1 is a payee of another agreement, not of this one: it may arbitrate here."""
    make_order(quantity=4, payees=[(sub1, 1_000)], stage="disputed")
    order_id = make_order(quantity=4, stage="disputed")
    escrow.grantRole(escrow.ARBITER_ROLE(), sub1, sender=admin)
    escrow.resolve(order_id, 1, 5_000, sender=sub1)
    assert escrow.get_lot(order_id, 1).status == LOT["RESOLVED"]


def test_resolve__party_check_before_lot_check(escrow, make_order, admin, buyer):
    order_id = make_order(quantity=4, stage="shipped")
    escrow.grantRole(escrow.ARBITER_ROLE(), buyer, sender=admin)
    with ape.reverts("escrow: arbiter is a party"):
        escrow.resolve(order_id, 1, 5_000, sender=buyer)


# ---------------------------------------------------------------- wrong states


class TestRefused:
    """Every lot status but DISPUTED, unknown lots and orders (see `staged`)."""

    @pytest.mark.parametrize("status", ["shipped", "released", "confirmed", "resolved", "received"])
    def test_resolve__lot_not_disputed__reverts(self, escrow, staged, arbiter, status):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        balance = escrow.balance
        with ape.reverts("escrow: lot not disputed"):
            escrow.resolve(order_id, lot, 5_000, sender=arbiter)
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.balance == balance

    @pytest.mark.parametrize("lot", [0, 7])
    def test_resolve__unknown_lot__reverts(self, escrow, staged, arbiter, lot):
        with ape.reverts("escrow: unknown lot"):
            escrow.resolve(staged["order"], lot, 5_000, sender=arbiter)

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_resolve__order_without_lots__unknown_lot(self, escrow, staged, arbiter, which):
        with ape.reverts("escrow: unknown lot"):
            escrow.resolve(staged[which], 1, 5_000, sender=arbiter)

    def test_resolve__unknown_order__reverts(self, escrow, staged, arbiter):
        for order_id in (0, escrow.order_count() + 1):
            with ape.reverts("escrow: unknown order"):
                escrow.resolve(order_id, 1, 5_000, sender=arbiter)

    def test_resolve__disputed_lot__control(self, escrow, staged, arbiter):
        lot, _ = STAGED_LOTS["disputed"]
        escrow.resolve(staged["order"], lot, 5_000, sender=arbiter)
        assert escrow.get_lot(staged["order"], lot).status == LOT["RESOLVED"]


def test_resolve__resolved_lot__cannot_be_confirmed_released_or_disputed(escrow, make_order, buyer, stranger, arbiter, chain):
    order_id = make_order(quantity=4, stage="disputed")
    escrow.resolve(order_id, 1, 5_000, sender=arbiter)
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery(order_id, 1, h("GRN"), sender=buyer)
    with ape.reverts("escrow: lot not shipped"):
        escrow.dispute(order_id, 1, REASON, sender=buyer)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    with ape.reverts("escrow: lot not shipped"):
        escrow.release(order_id, 1, sender=stranger)
