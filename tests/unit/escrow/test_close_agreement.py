"""close_agreement: buyer or supplier, PROPOSED/ACTIVE -> CLOSED, final; placed orders run to their end."""

import ape
import pytest

from conftest import AGREEMENT, DAY, UNIT_PRICE, h
from _escrow_support import eth_fees, expected_paid_events, own_events, pin_at
from _escrow_support import session_state_first  # noqa: F401  (fixtures)


# ---------------------------------------------------------------- success


@pytest.mark.parametrize("closer_name", ["buyer", "supplier"])
@pytest.mark.parametrize("accept", [False, True])
def test_close_agreement__by_party__closed_and_logged(escrow, make_agreement, request, closer_name, accept):
    agreement_id = make_agreement(accept=accept)
    closer = request.getfixturevalue(closer_name)

    tx = escrow.close_agreement(agreement_id, sender=closer)

    assert own_events(tx, escrow) == [escrow.AgreementClosed(agreement_id=agreement_id, closed_by=closer.address)]
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["CLOSED"]


def test_close_agreement__keeps_terms_payees_and_units(escrow, make_order, buyer, sub1):
    order_id = make_order(quantity=300, payees=[(sub1, 700)])
    agreement_id = escrow.get_order(order_id).agreement_id
    before = escrow.get_agreement(agreement_id)
    payees_before = escrow.payees_of(agreement_id)

    escrow.close_agreement(agreement_id, sender=buyer)

    after = escrow.get_agreement(agreement_id)
    assert after.terms == before.terms
    assert (after.buyer, after.units_called_off) == (before.buyer, 300)
    assert escrow.payees_of(agreement_id) == payees_before


def test_close_agreement__after_valid_until__allowed(escrow, make_agreement, supplier, chain):
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(valid_until=valid_until)
    pin_at(chain, valid_until + 1)
    escrow.close_agreement(agreement_id, sender=supplier)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["CLOSED"]


def test_close_agreement__while_paused__allowed(escrow, make_agreement, buyer, admin):
    agreement_id = make_agreement()
    escrow.pause(sender=admin)
    escrow.close_agreement(agreement_id, sender=buyer)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["CLOSED"]


def test_close_agreement__other_agreements_untouched(escrow, make_agreement, buyer):
    first, second = make_agreement(), make_agreement()
    escrow.close_agreement(first, sender=buyer)
    assert escrow.get_agreement(second).status == AGREEMENT["ACTIVE"]


# ---------------------------------------------------------------- wrong caller, wrong state


@pytest.mark.parametrize("caller_name", ["stranger", "inspector", "arbiter", "sub1", "oem", "admin"])
def test_close_agreement__not_a_party__reverts(escrow, make_agreement, sub1, request, caller_name):
    agreement_id = make_agreement(payees=[(sub1, 500)])
    with ape.reverts("escrow: not a party"):
        escrow.close_agreement(agreement_id, sender=request.getfixturevalue(caller_name))
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["ACTIVE"]


@pytest.mark.parametrize("agreement_id", [0, 2, 2**256 - 1])
def test_close_agreement__unknown_id__reverts(escrow, make_agreement, buyer, agreement_id):
    make_agreement()
    with ape.reverts("escrow: unknown agreement"):
        escrow.close_agreement(agreement_id, sender=buyer)


@pytest.mark.parametrize("second_name", ["buyer", "supplier"])
def test_close_agreement__already_closed__reverts(escrow, make_agreement, buyer, request, second_name):
    agreement_id = make_agreement()
    escrow.close_agreement(agreement_id, sender=buyer)
    with ape.reverts("escrow: agreement closed"):
        escrow.close_agreement(agreement_id, sender=request.getfixturevalue(second_name))


# ---------------------------------------------------------------- effects


def test_close_agreement__no_new_call_off(escrow, make_agreement, buyer, chain):
    agreement_id = make_agreement()
    escrow.close_agreement(agreement_id, sender=buyer)
    with ape.reverts("escrow: agreement not active"):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + DAY, h("PO"), sender=buyer, value=UNIT_PRICE)
    assert escrow.order_count() == 0


def test_close_agreement__cannot_be_accepted_afterwards(escrow, make_agreement, buyer, supplier):
    agreement_id = make_agreement(accept=False)
    escrow.close_agreement(agreement_id, sender=buyer)
    with ape.reverts("escrow: agreement not proposed"):
        escrow.accept_agreement(agreement_id, [], sender=supplier)


def test_close_agreement__moves_no_money(escrow, make_order, money, buyer, supplier):
    order_id = make_order(money=money, quantity=40)
    agreement_id = escrow.get_order(order_id).agreement_id
    escrow_before, buyer_before = money.balance(escrow), money.balance(buyer)

    tx = escrow.close_agreement(agreement_id, sender=buyer)

    assert money.balance(escrow) == escrow_before == 40 * UNIT_PRICE
    assert money.balance(buyer) == buyer_before - eth_fees(tx, money)


def test_close_agreement__placed_order_runs_to_its_end(escrow, make_order, money, buyer, supplier, sub1):
    """Closing stops new call-offs only: a placed order still ships and pays every side to the wei."""
    payees = [(sub1, 1_500)]
    order_id = make_order(money=money, quantity=10, payees=payees)
    agreement_id = escrow.get_order(order_id).agreement_id
    escrow.close_agreement(agreement_id, sender=supplier)
    escrow.ship(order_id, 10, h("ASN"), sender=supplier)
    balances = {a: money.balance(a) for a in (escrow, supplier, sub1)}

    tx = escrow.confirm_delivery(order_id, 1, h("GRN"), sender=buyer)

    value = 10 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, lot=1, confirmer=buyer.address, receipt_hash=h("GRN"))
    ] + expected_paid_events(escrow, order_id, money, payees, supplier, buyer, value, value, 0)
    assert money.balance(escrow) == balances[escrow] - value == 0
    assert money.balance(sub1) == balances[sub1] + value * 1_500 // 10_000
    assert money.balance(supplier) == balances[supplier] + value - value * 1_500 // 10_000


def test_close_agreement__placed_order_can_still_be_declined_and_refunded(
    escrow, make_order, money, buyer, supplier, chain
):
    declined = make_order(money=money, quantity=5)
    agreement_id = escrow.get_order(declined).agreement_id
    refunded = make_order(agreement_id=agreement_id, money=money, quantity=7, ship_in=DAY)
    escrow.close_agreement(agreement_id, sender=buyer)
    buyer_before = money.balance(buyer)

    escrow.decline_order(declined, sender=supplier)
    pin_at(chain, escrow.deadlines(refunded, 0)[1] + 1)
    tx = escrow.refund_expired(refunded, sender=supplier)

    assert money.balance(buyer) == buyer_before + 12 * UNIT_PRICE
    assert money.balance(escrow) == 0
    assert own_events(tx, escrow)[0] == escrow.OrderRefunded(order_id=refunded, quantity=7, amount=7 * UNIT_PRICE)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["CLOSED"]

