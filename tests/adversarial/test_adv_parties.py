"""Who may be who, against escrow v2: an arbiter who is a party of the order (buyer, supplier,
inspector, payout holder, payee — each refused, at the moment of the ruling), an assignee that
re-assigns onwards or is a payee, the buyer as assignee (reverse factoring), and assignment moving
only the supplier's remainder, never the subcontractors' shares (SPEC rule 3)."""

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
from conftest import LOT, ZERO, Money, h

ETH = Money("eth", None)
PRICE = 10**15 + 11
ARBITER_IS_PARTY = "escrow: arbiter is a party"


def fresh(accounts):
    """A new account with gas money."""
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture
def disputed(escrow, chain, admin, buyer, supplier, inspector, sub1, sub2):
    return open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), inspector=inspector,
        payees=[(sub1, 1_000), (sub2, 500)], quantity=10, unit_price=PRICE, stage="disputed",
    )


@pytest.mark.parametrize("who", ["buyer", "supplier", "inspector", "holder", "payee"])
def test_resolve__arbiter_who_is_a_party__refused(who, escrow, disputed, admin, buyer, supplier, inspector, sub2, stranger):
    party = {"buyer": buyer, "supplier": supplier, "inspector": inspector, "holder": stranger, "payee": sub2}[who]
    if who == "holder":
        escrow.assign_payout(disputed.order_id, stranger, sender=supplier)
    escrow.grantRole(escrow.ARBITER_ROLE(), party, sender=admin)
    before = escrow.get_lot(disputed.order_id, 1)

    with ape.reverts(ARBITER_IS_PARTY):
        escrow.resolve(disputed.order_id, 1, 5_000, sender=party)

    assert escrow.get_lot(disputed.order_id, 1) == before
    assert escrow.credit_of(party, ZERO) == 0


def test_resolve__party_without_the_role__missing_role_first(escrow, disputed, buyer):
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(disputed.order_id, 1, 5_000, sender=buyer)


def test_resolve__former_assignee__is_no_party_any_more(escrow, disputed, chain, admin, supplier, stranger, accounts, arbiter):
    """"At that moment": a bank that sold the receivable on may rule, its successor may not."""
    bank2 = fresh(accounts)
    escrow.assign_payout(disputed.order_id, stranger, sender=supplier)
    escrow.assign_payout(disputed.order_id, bank2, sender=stranger)
    escrow.grantRole(escrow.ARBITER_ROLE(), stranger, sender=admin)
    escrow.grantRole(escrow.ARBITER_ROLE(), bank2, sender=admin)
    with ape.reverts(ARBITER_IS_PARTY):
        escrow.resolve(disputed.order_id, 1, 7_000, sender=bank2)

    tx = escrow.resolve(disputed.order_id, 1, 7_000, sender=stranger)

    value = 10 * PRICE
    expected = lot_payout(value, value * 7_000 // 10_000, disputed.payees, 0, bank2, disputed.buyer.address)
    assert pushes(tx) == [("Paid", a, v) for a, v in expected]
    assert escrow.get_lot(disputed.order_id, 1).status == LOT["RESOLVED"]


# ---------------------------------------------------------------- assignment


@pytest.fixture
def deal(escrow, chain, admin, buyer, supplier, inspector, sub1, sub2):
    return open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), inspector=inspector,
        payees=[(sub1, 1_000), (sub2, 500)], quantity=10, unit_price=PRICE, penalty_bps_per_day=200,
        penalty_cap_bps=2_000,
    )


@pytest.mark.parametrize(
    "assignee,reason",
    [
        ("zero", "escrow: zero assignee"),
        ("supplier", "escrow: already payout holder"),
        ("escrow", "escrow: forbidden assignee"),
        ("inspector", "escrow: forbidden assignee"),
        ("sub1", "escrow: forbidden assignee"),
        ("sub2", "escrow: forbidden assignee"),
    ],
)
def test_assign_payout__forbidden_assignee__reverts(assignee, reason, escrow, deal, supplier, inspector, sub1, sub2):
    target = {"zero": ZERO, "supplier": supplier.address, "escrow": escrow.address, "inspector": inspector.address,
              "sub1": sub1.address, "sub2": sub2.address}[assignee]
    with ape.reverts(reason):
        escrow.assign_payout(deal.order_id, target, sender=supplier)
    assert escrow.get_order(deal.order_id).payout_holder == supplier.address


def test_assign_payout__assignee_re_assigns__chain_of_holders_and_only_the_remainder_moves(
    escrow, deal, chain, buyer, supplier, sub1, sub2, stranger, accounts
):
    bank, factor = fresh(accounts), fresh(accounts)
    escrow.ship(deal.order_id, 4, h("ASN-1"), sender=supplier)  # on time
    first = escrow.assign_payout(deal.order_id, bank, sender=supplier)
    assert first.events.filter(escrow.PayoutAssigned) == [
        escrow.PayoutAssigned(order_id=deal.order_id, previous=supplier.address, assignee=bank.address)
    ]
    with ape.reverts("escrow: not payout holder"):
        escrow.assign_payout(deal.order_id, stranger, sender=supplier)
    with ape.reverts("escrow: forbidden assignee"):
        escrow.assign_payout(deal.order_id, sub1, sender=bank)  # an assignee may not hand it to a payee either
    confirm = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
    value = 4 * PRICE
    assert pushes(confirm) == [("Paid", a, v) for a, v in lot_payout(value, value, deal.payees, 0, bank, buyer)]

    escrow.assign_payout(deal.order_id, factor, sender=bank)
    with ape.reverts("escrow: not payout holder"):
        escrow.assign_payout(deal.order_id, bank, sender=bank)
    assert escrow.get_order(deal.order_id).payout_holder == factor.address
    chain.pending_timestamp = escrow.get_order(deal.order_id).ship_by + 1  # one day late: 2 %
    escrow.ship(deal.order_id, 6, h("ASN-2"), sender=supplier)  # the supplier still ships
    escrow.dispute(deal.order_id, 2, h("dent"), sender=buyer)
    chain.pending_timestamp = escrow.deadlines(deal.order_id, 2)[3] + 1
    resolved = escrow.resolve_expired(deal.order_id, 2, sender=stranger)
    value = 6 * PRICE
    assert pushes(resolved) == [
        ("Paid", a, v) for a, v in lot_payout(value, value // 2, deal.payees, 200, factor, buyer)
    ]
    # The subcontractors got S * share // 10 000 of each lot, whoever held the payout.
    for sub, bps in ((sub1, 1_000), (sub2, 500)):
        got = [v for *_, a, v in [(0, *p) for p in pushes(confirm) + pushes(resolved)] if a == sub.address]
        assert got == [4 * PRICE * bps // 10_000, (6 * PRICE // 2) * bps // 10_000]


def test_assign_payout__to_the_buyer__reverse_factoring_pays_the_buyer_twice_in_order(
    escrow, deal, chain, buyer, supplier, arbiter
):
    escrow.assign_payout(deal.order_id, buyer, sender=supplier)
    chain.pending_timestamp = escrow.get_order(deal.order_id).ship_by + 1
    escrow.ship(deal.order_id, 10, h("ASN"), sender=supplier)
    escrow.dispute(deal.order_id, 1, h("dent"), sender=buyer)

    tx = escrow.resolve(deal.order_id, 1, 8_000, sender=arbiter)

    value = 10 * PRICE
    side = value * 8_000 // 10_000
    expected = lot_payout(value, side, deal.payees, 200, buyer, buyer)
    assert [a for a, _ in expected][-2:] == [buyer.address, buyer.address]  # holder push, then buyer push
    assert pushes(tx) == [("Paid", a, v) for a, v in expected]


def test_assign_payout__back_to_the_supplier__allowed_and_pays_it(escrow, deal, buyer, supplier, stranger):
    escrow.assign_payout(deal.order_id, stranger, sender=supplier)
    escrow.assign_payout(deal.order_id, supplier, sender=stranger)
    assert escrow.get_order(deal.order_id).payout_holder == supplier.address
    tx = escrow.receive_goods(deal.order_id, 10, h("GR"), sender=buyer)
    value = 10 * PRICE
    assert pushes(tx) == [("Paid", a, v) for a, v in lot_payout(value, value, deal.payees, 0, supplier, buyer)]


def test_decline_order__after_an_assignment__refused_even_once_assigned_back(escrow, deal, supplier, stranger):
    """The assignee paid for the receivable: the supplier may not cancel what it sold."""
    escrow.assign_payout(deal.order_id, stranger, sender=supplier)
    with ape.reverts("escrow: payout assigned"):
        escrow.decline_order(deal.order_id, sender=supplier)
    escrow.assign_payout(deal.order_id, supplier, sender=stranger)
    with ape.reverts("escrow: payout assigned"):
        escrow.decline_order(deal.order_id, sender=supplier)
    assert not escrow.get_order(deal.order_id).declined


def test_payees_of__never_change__whatever_the_holder_or_the_lots(escrow, deal, chain, buyer, supplier, stranger, sub1, sub2):
    declared = [tuple(p) for p in escrow.payees_of(deal.agreement_id)]
    assert declared == [(sub1.address, 1_000), (sub2.address, 500)]
    with ape.reverts("escrow: agreement not proposed"):
        escrow.accept_agreement(deal.agreement_id, [], sender=supplier)
    escrow.assign_payout(deal.order_id, stranger, sender=supplier)
    escrow.receive_goods(deal.order_id, 3, h("GR"), sender=buyer)
    escrow.close_agreement(deal.agreement_id, sender=supplier)
    assert [tuple(p) for p in escrow.payees_of(deal.agreement_id)] == declared
