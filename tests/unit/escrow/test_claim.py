"""claim / claim_to: payments whose push failed wait as credits until their payee takes them."""

import ape
import pytest

from conftest import DAY, PART_ID, STATUS, ZERO, Money, h
from _escrow_support import own_events, split
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

AMOUNT = 10**9 + 9


@pytest.fixture
def refusing(project, admin):
    """A contract payee that reverts on every ETH transfer (MockReceiver mode 1)."""
    return project.MockReceiver.deploy(1, sender=admin)


@pytest.fixture
def blocked(money, refusing, sub1):
    """A subcontractor that cannot receive this kind of money right now, and a way to unblock it.

    ETH: a contract whose receive reverts. Tokens: sub1 on the token's blocklist.
    """
    if money.token is None:
        return refusing, lambda: refusing.set_mode(0, sender=sub1)
    money.token.set_blocked(sub1, True, sender=sub1)
    return sub1, lambda: money.token.set_blocked(sub1, False, sender=sub1)


def claim_as(escrow, payee, token, stranger):
    """`claim(token)` sent by `payee`, an account or a MockReceiver acting through `call`."""
    if hasattr(payee, "set_mode"):
        return payee.call(escrow, escrow.claim.encode_input(token), sender=stranger)
    return escrow.claim(token, sender=payee)


def test_claim__payee_that_cannot_receive__deferred_then_claimed(
    escrow, make_order, money, blocked, buyer, supplier, sub2, stranger
):
    payee, unblock = blocked
    payees = [(payee, 3_000), (sub2, 1_000)]
    order_id = make_order(money=money, amount=AMOUNT, payees=payees, stage="shipped")
    supplier_before, sub2_before = money.balance(supplier), money.balance(sub2)

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    (s1, s2), rest = split(AMOUNT, payees)
    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, confirmer=buyer.address, receipt_hash=h("GRN")),
        escrow.PaymentDeferred(order_id=order_id, payee=payee.address, token=money.address, amount=s1),
        escrow.Paid(order_id=order_id, payee=sub2.address, token=money.address, amount=s2),
        escrow.Paid(order_id=order_id, payee=supplier.address, token=money.address, amount=rest),
    ]
    assert money.balance(sub2) - sub2_before == s2  # one refusing payee blocks nobody else
    assert money.balance(supplier) - supplier_before == rest
    assert escrow.credit_of(payee, money.address) == s1
    assert money.balance(escrow) == s1
    assert escrow.status(order_id) == STATUS["COMPLETED"]

    unblock()
    payee_before = money.balance(payee)
    tx = claim_as(escrow, payee, money.address, stranger)

    assert own_events(tx, escrow) == [escrow.Claimed(account=payee.address, token=money.address, amount=s1)]
    assert money.balance(payee) - payee_before == s1  # token balances and a contract pay no gas
    assert escrow.credit_of(payee, money.address) == 0
    assert money.balance(escrow) == 0


def test_claim__returns_amount(escrow, make_order, erc20, sub1, buyer):
    erc20.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("erc20", erc20), amount=AMOUNT, payees=[(sub1, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    erc20.set_blocked(sub1, False, sender=sub1)
    assert escrow.claim.call(erc20, sender=sub1) == AMOUNT
    tx = escrow.claim(erc20, sender=sub1)
    assert tx.return_value == AMOUNT
    assert erc20.balanceOf(sub1) == AMOUNT


def test_claim__still_blocked__reverts_and_keeps_credit(escrow, make_order, erc20, sub1, buyer):
    erc20.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("erc20", erc20), amount=AMOUNT, payees=[(sub1, 5_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = AMOUNT * 5_000 // 10_000
    with ape.reverts("escrow: claim transfer failed"):
        escrow.claim(erc20, sender=sub1)
    assert escrow.credit_of(sub1, erc20) == share
    assert erc20.balanceOf(escrow) == share


def test_claim_to__other_recipient__moves_credit_there(escrow, make_order, erc20, sub1, sub2, buyer):
    erc20.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("erc20", erc20), amount=AMOUNT, payees=[(sub1, 5_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = AMOUNT * 5_000 // 10_000
    sub2_before = erc20.balanceOf(sub2)

    tx = escrow.claim_to(erc20, sub2, sender=sub1)

    assert tx.return_value == share
    assert own_events(tx, escrow) == [escrow.Claimed(account=sub1.address, token=erc20.address, amount=share)]
    assert erc20.balanceOf(sub2) - sub2_before == share
    assert escrow.credit_of(sub1, erc20) == 0


def test_claim_to__eth_refusing_contract__withdraws_to_an_eoa(escrow, make_order, refusing, stranger, buyer):
    order_id = make_order(amount=AMOUNT, payees=[(refusing, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert escrow.credit_of(refusing, ZERO) == AMOUNT
    before = stranger.balance
    refusing.call(escrow, escrow.claim_to.encode_input(ZERO, stranger), sender=buyer)
    assert stranger.balance - before == AMOUNT
    assert escrow.credit_of(refusing, ZERO) == 0
    assert escrow.balance == 0


def test_claim_to__eth_to_refusing_recipient__reverts(escrow, make_order, refusing, project, admin, buyer):
    order_id = make_order(amount=AMOUNT, payees=[(refusing, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    other_refusing = project.MockReceiver.deploy(1, sender=admin)
    with ape.reverts("escrow: claim transfer failed"):
        refusing.call(escrow, escrow.claim_to.encode_input(ZERO, other_refusing), sender=buyer)
    assert escrow.credit_of(refusing, ZERO) == AMOUNT


def test_claim__gas_burning_eth_payee__deferred(escrow, make_order, project, admin, buyer, supplier):
    burner = project.MockReceiver.deploy(2, sender=admin)
    order_id = make_order(amount=AMOUNT, payees=[(burner, 2_500)], stage="shipped")
    before = supplier.balance
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = AMOUNT * 2_500 // 10_000
    deferred = [e for e in own_events(tx, escrow) if e.event_name == "PaymentDeferred"]
    assert deferred == [escrow.PaymentDeferred(order_id=order_id, payee=burner.address, token=ZERO, amount=share)]
    assert escrow.credit_of(burner, ZERO) == share
    assert supplier.balance - before == AMOUNT - share


def test_claim__refund_to_refusing_buyer__deferred_as_credit(escrow, registry, refusing, oem, supplier, stranger, chain):
    registry.grant_access(PART_ID, refusing, sender=oem)
    data = escrow.create_order.encode_input(
        supplier, PART_ID, 1, 1, ZERO, AMOUNT, chain.pending_timestamp + DAY, DAY, ZERO, h("PO-C")
    )
    refusing.call(escrow, data, value=AMOUNT, sender=stranger)
    tx = refusing.call(escrow, escrow.cancel_order.encode_input(1), sender=stranger)
    assert own_events(tx, escrow) == [
        escrow.OrderCancelled(order_id=1),
        escrow.PaymentDeferred(order_id=1, payee=refusing.address, token=ZERO, amount=AMOUNT),
    ]
    assert escrow.credit_of(refusing, ZERO) == AMOUNT
    assert escrow.status(1) == STATUS["CANCELLED"]


def test_claim__credits_add_up_across_orders(escrow, make_order, refusing, buyer):
    first = make_order(amount=AMOUNT, payees=[(refusing, 1_000)], stage="shipped")
    second = make_order(amount=2 * AMOUNT, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(first, h("GRN-1"), sender=buyer)
    escrow.confirm_delivery(second, h("GRN-2"), sender=buyer)
    assert escrow.credit_of(refusing, ZERO) == AMOUNT * 1_000 // 10_000 + 2 * AMOUNT * 1_000 // 10_000


def test_claim__nothing_owed__reverts(escrow, stranger):
    with ape.reverts("escrow: nothing to claim"):
        escrow.claim(ZERO, sender=stranger)


def test_claim__other_token__reverts(escrow, make_order, refusing, erc20, buyer, stranger):
    order_id = make_order(amount=AMOUNT, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    with ape.reverts("escrow: nothing to claim"):
        refusing.call(escrow, escrow.claim.encode_input(erc20), sender=stranger)


def test_claim__twice__second_reverts(escrow, make_order, refusing, buyer, stranger):
    order_id = make_order(amount=AMOUNT, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    refusing.set_mode(0, sender=stranger)
    refusing.call(escrow, escrow.claim.encode_input(ZERO), sender=stranger)
    with ape.reverts("escrow: nothing to claim"):
        refusing.call(escrow, escrow.claim.encode_input(ZERO), sender=stranger)
    assert escrow.balance == 0


def test_claim_to__zero_recipient__reverts(escrow, make_order, refusing, buyer, stranger):
    order_id = make_order(amount=AMOUNT, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    with ape.reverts("escrow: zero recipient"):
        refusing.call(escrow, escrow.claim_to.encode_input(ZERO, ZERO), sender=stranger)
    assert escrow.credit_of(refusing, ZERO) == AMOUNT * 1_000 // 10_000


def test_claim__token_returning_false__deferred_not_lost(escrow, make_order, false_token, sub1, buyer, supplier):
    false_token.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("false", false_token), amount=AMOUNT, payees=[(sub1, 6_000)], stage="shipped")
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = AMOUNT * 6_000 // 10_000
    assert own_events(tx, escrow)[1:] == [
        escrow.PaymentDeferred(order_id=order_id, payee=sub1.address, token=false_token.address, amount=share),
        escrow.Paid(order_id=order_id, payee=supplier.address, token=false_token.address, amount=AMOUNT - share),
    ]
    assert false_token.balanceOf(sub1) == 0
    with ape.reverts("escrow: claim transfer failed"):
        escrow.claim(false_token, sender=sub1)
    false_token.set_blocked(sub1, False, sender=sub1)
    escrow.claim(false_token, sender=sub1)
    assert false_token.balanceOf(sub1) == share
    assert escrow.credit_of(sub1, false_token) == 0
