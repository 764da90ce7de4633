"""decline_order: the supplier, before any unit moved; everything back to the buyer, the units back under the cap."""

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import DAY, UNIT_PRICE, Money, h, make_terms
from _escrow_support import eth_fees, own_events, pin_at, pin_next_block
from _escrow_support import session_state_first  # noqa: F401  (fixtures)


# ---------------------------------------------------------------- success


def test_decline_order__each_money__refunds_buyer_to_the_wei(escrow, make_order, money, buyer, supplier, sub1):
    order_id = make_order(money=money, quantity=321, payees=[(sub1, 2_500)])
    agreement_id = escrow.get_order(order_id).agreement_id
    amount = 321 * UNIT_PRICE
    before = {a: money.balance(a) for a in (buyer, escrow, supplier, sub1)}

    tx = escrow.decline_order(order_id, sender=supplier)

    assert own_events(tx, escrow) == [
        escrow.OrderDeclined(order_id=order_id),
        escrow.Paid(order_id=order_id, payee=buyer.address, token=money.address, amount=amount),
    ]
    assert money.balance(buyer) == before[buyer] + amount
    assert money.balance(escrow) == before[escrow] - amount == 0
    assert money.balance(supplier) == before[supplier] - eth_fees(tx, money)
    assert money.balance(sub1) == before[sub1]
    order = escrow.get_order(order_id)
    assert order.declined is True
    assert (order.quantity, order.amount, order.units_shipped, order.units_refunded, order.lot_count) == (
        321, amount, 0, 0, 0
    )
    assert escrow.get_agreement(agreement_id).units_called_off == 0
    assert escrow.credit_of(buyer, money.address) == 0


def test_decline_order__units_return_under_the_cap(escrow, make_agreement, make_order, supplier):
    agreement_id = make_agreement(max_quantity=100)
    first = make_order(agreement_id=agreement_id, quantity=60)
    make_order(agreement_id=agreement_id, quantity=40)
    with ape.reverts("escrow: above max quantity"):
        make_order(agreement_id=agreement_id, quantity=1)

    escrow.decline_order(first, sender=supplier)

    assert escrow.get_agreement(agreement_id).units_called_off == 40
    make_order(agreement_id=agreement_id, quantity=60)
    assert escrow.get_agreement(agreement_id).units_called_off == 100


def test_decline_order__other_orders_untouched(escrow, make_agreement, make_order, supplier):
    agreement_id = make_agreement()
    first = make_order(agreement_id=agreement_id, quantity=10)
    second = make_order(agreement_id=agreement_id, quantity=20)
    escrow.decline_order(first, sender=supplier)
    assert escrow.get_order(second).declined is False
    assert escrow.balance == 20 * UNIT_PRICE


def test_decline_order__closed_agreement__allowed_units_still_returned(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=10)
    agreement_id = escrow.get_order(order_id).agreement_id
    escrow.close_agreement(agreement_id, sender=buyer)
    escrow.decline_order(order_id, sender=supplier)
    assert escrow.get_agreement(agreement_id).units_called_off == 0
    assert escrow.balance == 0


def test_decline_order__after_shipping_window__allowed_before_any_refund(escrow, make_order, supplier, buyer, chain):
    order_id = make_order(quantity=10, ship_in=DAY)
    pin_at(chain, escrow.deadlines(order_id, 0)[1] + 1)
    escrow.decline_order(order_id, sender=supplier)
    assert escrow.get_order(order_id).declined is True
    with ape.reverts("escrow: order declined"):
        escrow.refund_expired(order_id, sender=buyer)


def test_decline_order__after_agreement_expired__allowed(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=10, valid_for=DAY, ship_in=2 * DAY)
    pin_at(chain, escrow.get_agreement(escrow.get_order(order_id).agreement_id).terms.valid_until + 1)
    escrow.decline_order(order_id, sender=supplier)
    assert escrow.balance == 0


def test_decline_order__while_paused__allowed(escrow, make_order, supplier, admin):
    order_id = make_order(quantity=10)
    escrow.pause(sender=admin)
    escrow.decline_order(order_id, sender=supplier)
    assert escrow.balance == 0


@pytest.mark.parametrize("kind", ["erc20", "usdt"])
def test_decline_order__buyer_blocked_by_token__refund_becomes_credit(
    escrow, make_order, erc20, usdt, buyer, supplier, kind
):
    token = {"erc20": erc20, "usdt": usdt}[kind]
    order_id = make_order(money=Money(kind, token), quantity=10)
    token.set_blocked(buyer, True, sender=buyer)

    tx = escrow.decline_order(order_id, sender=supplier)

    amount = 10 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.OrderDeclined(order_id=order_id),
        escrow.PaymentDeferred(order_id=order_id, payee=buyer.address, token=token.address, amount=amount),
    ]
    assert escrow.credit_of(buyer, token) == amount
    assert token.balanceOf(escrow) == amount
    assert escrow.get_order(order_id).declined is True


def test_decline_order__returns_units_but_a_refund_does_not(escrow, make_agreement, make_order, supplier, chain):
    """SPEC: decline returns the units under the cap; refund_expired does not."""
    agreement_id = make_agreement(max_quantity=100)
    declined = make_order(agreement_id=agreement_id, quantity=30)
    refunded = make_order(agreement_id=agreement_id, quantity=50, ship_in=DAY, stage="shipped", lot_quantity=20)
    escrow.decline_order(declined, sender=supplier)
    assert escrow.get_agreement(agreement_id).units_called_off == 50

    pin_at(chain, escrow.deadlines(refunded, 0)[1] + 1)
    escrow.refund_expired(refunded, sender=supplier)

    assert escrow.get_order(refunded).units_refunded == 30
    assert escrow.get_agreement(agreement_id).units_called_off == 50
    make_order(agreement_id=agreement_id, quantity=50, ship_in=DAY)
    with ape.reverts("escrow: above max quantity"):
        make_order(agreement_id=agreement_id, quantity=1, ship_in=DAY)


# ---------------------------------------------------------------- wrong caller, wrong state


@pytest.mark.parametrize("caller_name", ["buyer", "stranger", "inspector", "arbiter", "sub1", "oem", "admin"])
def test_decline_order__not_supplier__reverts(escrow, make_order, sub1, request, caller_name):
    order_id = make_order(quantity=10, payees=[(sub1, 100)])
    with ape.reverts("escrow: not supplier"):
        escrow.decline_order(order_id, sender=request.getfixturevalue(caller_name))
    assert escrow.get_order(order_id).declined is False
    assert escrow.balance == 10 * UNIT_PRICE


def test_decline_order__payout_assignee__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not supplier"):
        escrow.decline_order(order_id, sender=stranger)


@pytest.mark.parametrize("order_id", [0, 2, 2**256 - 1])
def test_decline_order__unknown_order__reverts(escrow, make_order, supplier, order_id):
    make_order(quantity=10)
    with ape.reverts("escrow: unknown order"):
        escrow.decline_order(order_id, sender=supplier)


def test_decline_order__twice__reverts(escrow, make_order, supplier):
    order_id = make_order(quantity=10)
    escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.decline_order(order_id, sender=supplier)


@pytest.mark.parametrize("stage", ["shipped", "disputed", "received"])
@pytest.mark.parametrize("lot_quantity", [1, 10])
def test_decline_order__after_a_lot__reverts(escrow, make_order, supplier, stage, lot_quantity):
    order_id = make_order(quantity=10, stage=stage, lot_quantity=lot_quantity)
    before = escrow.balance
    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)
    assert escrow.balance == before
    assert escrow.get_order(order_id).declined is False


def test_decline_order__after_lot_settled__reverts(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=10, stage="shipped", lot_quantity=4)
    escrow.confirm_delivery(order_id, 1, h("GRN"), sender=buyer)
    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)


def test_decline_order__after_refund__reverts(escrow, make_order, buyer, supplier, chain):
    order_id = make_order(quantity=10, ship_in=DAY)
    pin_at(chain, escrow.deadlines(order_id, 0)[1] + 1)
    escrow.refund_expired(order_id, sender=buyer)
    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)
    assert escrow.balance == 0


def test_decline_order__after_partial_ship_and_refund__reverts(escrow, make_order, buyer, supplier, chain):
    order_id = make_order(quantity=10, ship_in=DAY, stage="shipped", lot_quantity=3)
    pin_at(chain, escrow.deadlines(order_id, 0)[1] + 1)
    escrow.refund_expired(order_id, sender=buyer)
    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)


def test_decline_order__after_payout_assigned__reverts(escrow, make_order, supplier, stranger):
    # A supplier that sold its receivable cannot cancel what it sold (contract rule beyond SPEC's table).
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: payout assigned"):
        escrow.decline_order(order_id, sender=supplier)
    assert escrow.balance == 10 * UNIT_PRICE


# ---------------------------------------------------------------- a declined order is dead


def test_decline_order__declined_order_cannot_ship_receive_refund_or_assign(
    escrow, make_order, buyer, supplier, inspector, stranger, chain
):
    order_id = make_order(quantity=10, ship_in=DAY)
    escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.ship(order_id, 1, h("ASN"), sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.receive_goods(order_id, 1, h("GRN"), sender=buyer)
    with ape.reverts("escrow: order declined"):
        escrow.receive_goods(order_id, 1, h("GRN"), sender=inspector)
    with ape.reverts("escrow: order declined"):
        escrow.assign_payout(order_id, stranger, sender=supplier)
    pin_at(chain, escrow.deadlines(order_id, 0)[1] + 1)
    with ape.reverts("escrow: order declined"):
        escrow.refund_expired(order_id, sender=buyer)
    assert escrow.balance == 0


# ---------------------------------------------------------------- property: bookkeeping vs a model


@given(
    max_quantity=st.integers(1, 50),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("create"), st.integers(1, 30)),
            st.tuples(st.just("decline"), st.integers(0, 9)),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_decline_order__units_called_off_matches_model(escrow, part, buyer, supplier, chain, max_quantity, steps):
    """Over any create/decline sequence: units_called_off = Σ live call-offs, escrow balance = their value."""
    price = 7
    with chain.isolate():
        now = pin_next_block(chain)
        agreement_id = escrow.propose_agreement(
            make_terms(supplier, unit_price=price, max_quantity=max_quantity, valid_until=now + DAY), sender=buyer
        ).return_value
        escrow.accept_agreement(agreement_id, [], sender=supplier)
        escrow_before = escrow.balance
        orders: list[tuple[int, int]] = []  # (order_id, quantity)
        declined: set[int] = set()
        for action, n in steps:
            called = sum(q for o, q in orders if o not in declined)
            if action == "create":
                if called + n <= max_quantity:
                    tx = escrow.create_order(agreement_id, n, now + DAY, h("PO"), sender=buyer, value=n * price)
                    orders.append((tx.return_value, n))
                else:
                    with ape.reverts("escrow: above max quantity"):
                        escrow.create_order(agreement_id, n, now + DAY, h("PO"), sender=buyer, value=n * price)
            elif orders:
                order_id, _ = orders[n % len(orders)]
                if order_id in declined:
                    with ape.reverts("escrow: order declined"):
                        escrow.decline_order(order_id, sender=supplier)
                else:
                    escrow.decline_order(order_id, sender=supplier)
                    declined.add(order_id)
            live = sum(q for o, q in orders if o not in declined)
            assert escrow.get_agreement(agreement_id).units_called_off == live, "units_called_off drifted"
            assert escrow.balance - escrow_before == live * price, "escrow holds other than the live call-offs"
            for order_id, _ in orders:
                assert escrow.get_order(order_id).declined == (order_id in declined)


