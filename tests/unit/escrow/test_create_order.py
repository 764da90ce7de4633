"""create_order: funding in every kind of money, the cap, the clock, the registry and every refusal."""

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import DAY, MAX_QUANTITY, PART_ID, UNIT_PRICE, Money, h, make_terms
from _escrow_support import MAX_TIME, PAUSED, eth_fees, own_events, pin_at, pin_next_block
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

PO = h("PO-4711")


@pytest.fixture
def call_off(escrow, buyer, chain):
    """create_order under `agreement_id`, funded exactly by default (`value` / `fund` override)."""

    def _call_off(agreement_id, quantity=100, *, money=None, ship_by=None, po_ref=PO, sender=None, fund=True, **kwargs):
        money = money or Money("eth", None)
        sender = sender or buyer
        if fund:
            price = escrow.get_agreement(agreement_id).terms.unit_price or UNIT_PRICE
            kwargs = {**money.fund(sender, escrow, quantity * price), **kwargs}
        if ship_by is None:
            ship_by = chain.pending_timestamp + 7 * DAY
        return escrow.create_order(agreement_id, quantity, ship_by, po_ref, sender=sender, **kwargs)

    return _call_off


def order_tuple(order) -> tuple:
    return (
        order.agreement_id,
        order.buyer,
        order.supplier,
        order.quantity,
        order.amount,
        order.ship_by,
        order.units_shipped,
        order.units_refunded,
        order.lot_count,
        order.payout_holder,
        order.declined,
    )


# ---------------------------------------------------------------- success


def test_create_order__each_money__locks_amount_and_logs(escrow, make_agreement, call_off, money, buyer, supplier, chain):
    agreement_id = make_agreement(money=money)
    amount = 250 * UNIT_PRICE
    ship_by = chain.pending_timestamp + 5 * DAY
    kwargs = money.fund(buyer, escrow, amount)
    before = {a: money.balance(a) for a in (buyer, escrow, supplier)}

    tx = call_off(agreement_id, 250, money=money, ship_by=ship_by, fund=False, **kwargs)

    assert tx.return_value == 1
    assert own_events(tx, escrow) == [
        escrow.OrderCreated(
            order_id=1,
            agreement_id=agreement_id,
            buyer=buyer.address,
            supplier=supplier.address,
            quantity=250,
            amount=amount,
            ship_by=ship_by,
            po_ref=PO,
        )
    ]
    assert money.balance(buyer) == before[buyer] - amount - eth_fees(tx, money)
    assert money.balance(escrow) == before[escrow] + amount
    assert money.balance(supplier) == before[supplier]
    if money.token is not None:
        assert money.token.allowance(buyer, escrow) == 0
    assert order_tuple(escrow.get_order(1)) == (
        agreement_id, buyer.address, supplier.address, 250, amount, ship_by, 0, 0, 0, supplier.address, False
    )
    assert escrow.get_agreement(agreement_id).units_called_off == 250
    assert escrow.order_count() == 1


def test_create_order__ids_are_global_across_agreements(escrow, make_agreement, call_off):
    first, second = make_agreement(), make_agreement()
    assert call_off(first).return_value == 1
    assert call_off(second, 3).return_value == 2
    assert call_off(first, 5).return_value == 3
    assert escrow.order_count() == 3
    assert [escrow.get_order(i).agreement_id for i in (1, 2, 3)] == [first, second, first]
    assert escrow.get_agreement(first).units_called_off == 105
    assert escrow.get_agreement(second).units_called_off == 3


def test_create_order__po_ref_echoed_even_zero(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    tx = call_off(agreement_id, po_ref=b"\x00" * 32)
    assert own_events(tx, escrow)[0].po_ref == b"\x00" * 32


def test_create_order__with_payees__only_buyer_and_escrow_move(escrow, make_agreement, call_off, money, buyer, sub1):
    agreement_id = make_agreement(money=money, payees=[(sub1, 2_000)])
    sub_before = money.balance(sub1)
    call_off(agreement_id, 10, money=money)
    assert money.balance(sub1) == sub_before
    assert money.balance(escrow) == 10 * UNIT_PRICE


def test_create_order__while_agreement_has_other_orders__cap_counts_all(escrow, make_agreement, call_off):
    agreement_id = make_agreement(max_quantity=100)
    call_off(agreement_id, 30)
    call_off(agreement_id, 50)
    call_off(agreement_id, 20)  # exactly at the cap
    assert escrow.get_agreement(agreement_id).units_called_off == 100
    with ape.reverts("escrow: above max quantity"):
        call_off(agreement_id, 1)
    assert escrow.order_count() == 3


def test_create_order__one_call_off_for_the_whole_cap(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    call_off(agreement_id, MAX_QUANTITY)
    assert escrow.get_agreement(agreement_id).units_called_off == MAX_QUANTITY


def test_create_order__above_cap_in_one_call_off__reverts(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    with ape.reverts("escrow: above max quantity"):
        call_off(agreement_id, MAX_QUANTITY + 1)
    assert escrow.get_agreement(agreement_id).units_called_off == 0


def test_create_order__usdt_returning_nothing__pulls_exactly(escrow, make_agreement, call_off, usdt, buyer):
    agreement_id = make_agreement(money=Money("usdt", usdt), unit_price=3)
    usdt.mint(buyer, 1_000, sender=buyer)
    usdt.approve(escrow, 300, sender=buyer)
    call_off(agreement_id, 100, fund=False)
    assert (usdt.balanceOf(buyer), usdt.balanceOf(escrow), usdt.allowance(buyer, escrow)) == (700, 300, 0)


def test_create_order__largest_values__amount_exact(escrow, make_agreement, call_off, erc20, buyer, supplier):
    price, quantity = 2**128 - 1, 2**64 - 1
    agreement_id = make_agreement(money=Money("erc20", erc20), unit_price=price, max_quantity=quantity,
                                  valid_until=MAX_TIME)
    erc20.mint(buyer, price * quantity, sender=buyer)
    erc20.approve(escrow, price * quantity, sender=buyer)

    tx = call_off(agreement_id, quantity, ship_by=MAX_TIME, fund=False)

    assert own_events(tx, escrow)[0].amount == price * quantity
    order = escrow.get_order(1)
    assert (order.quantity, order.amount, order.ship_by) == (quantity, price * quantity, MAX_TIME)
    assert erc20.balanceOf(escrow) == price * quantity
    assert escrow.get_agreement(agreement_id).units_called_off == quantity


def test_create_order__buyer_is_part_owner__allowed(escrow, make_agreement, call_off, oem):
    agreement_id = make_agreement(agreement_buyer=oem)
    tx = call_off(agreement_id, sender=oem)
    assert own_events(tx, escrow)[0].buyer == oem.address


# ---------------------------------------------------------------- clocks, to the second


def test_create_order__at_valid_until__allowed(escrow, make_agreement, call_off, chain):
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(valid_until=valid_until)
    pin_at(chain, valid_until)
    call_off(agreement_id, ship_by=valid_until + DAY)
    assert escrow.order_count() == 1


def test_create_order__one_second_after_valid_until__reverts(escrow, make_agreement, call_off, chain):
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(valid_until=valid_until)
    pin_at(chain, valid_until + 1)
    with ape.reverts("escrow: agreement expired"):
        call_off(agreement_id, ship_by=valid_until + DAY)
    assert escrow.order_count() == 0


def test_create_order__ship_by_next_second__allowed(escrow, make_agreement, call_off, chain):
    agreement_id = make_agreement()
    t = pin_next_block(chain)
    call_off(agreement_id, ship_by=t + 1)
    assert escrow.get_order(1).ship_by == t + 1


@pytest.mark.parametrize("offset", [0, -1, -DAY])
def test_create_order__ship_by_not_in_future__reverts(escrow, make_agreement, call_off, chain, offset):
    agreement_id = make_agreement()
    t = pin_next_block(chain)
    with ape.reverts("escrow: ship-by in the past"):
        call_off(agreement_id, ship_by=t + offset)


def test_create_order__ship_by_past_valid_until__allowed(escrow, make_agreement, call_off, chain):
    # valid_until bounds when a call-off is placed, not when it ships.
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(valid_until=valid_until)
    call_off(agreement_id, ship_by=valid_until + 30 * DAY)
    assert escrow.get_order(1).ship_by == valid_until + 30 * DAY


def test_create_order__ship_by_at_2_pow_40_minus_1__allowed(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    call_off(agreement_id, ship_by=MAX_TIME)
    assert escrow.get_order(1).ship_by == MAX_TIME


@pytest.mark.parametrize("ship_by", [2**40, 2**64, 2**256 - 1])
def test_create_order__ship_by_too_far__reverts(escrow, make_agreement, call_off, ship_by):
    agreement_id = make_agreement()
    with ape.reverts("escrow: ship-by too far"):
        call_off(agreement_id, ship_by=ship_by)


# ---------------------------------------------------------------- wrong caller, wrong state


@pytest.mark.parametrize("caller_name", ["supplier", "stranger", "inspector", "arbiter", "sub1", "oem", "admin"])
def test_create_order__not_buyer__reverts(escrow, make_agreement, call_off, sub1, request, caller_name):
    agreement_id = make_agreement(payees=[(sub1, 100)])
    caller = request.getfixturevalue(caller_name)
    before = escrow.get_agreement(agreement_id).units_called_off
    with ape.reverts("escrow: not buyer"):
        call_off(agreement_id, sender=caller)
    assert escrow.order_count() == 0
    assert escrow.get_agreement(agreement_id).units_called_off == before
    assert escrow.balance == 0


def test_create_order__buyer_of_another_agreement__reverts(escrow, make_agreement, call_off, oem):
    mine = make_agreement()
    make_agreement(agreement_buyer=oem)
    with ape.reverts("escrow: not buyer"):
        call_off(mine, sender=oem)


@pytest.mark.parametrize("agreement_id", [0, 2, 2**256 - 1])
def test_create_order__unknown_agreement__reverts(escrow, make_agreement, call_off, agreement_id):
    make_agreement()
    with ape.reverts("escrow: unknown agreement"):
        call_off(agreement_id, fund=False, value=100 * UNIT_PRICE)


def test_create_order__proposed_agreement__reverts(escrow, make_agreement, call_off):
    agreement_id = make_agreement(accept=False)
    with ape.reverts("escrow: agreement not active"):
        call_off(agreement_id)


@pytest.mark.parametrize("closer_name", ["buyer", "supplier"])
def test_create_order__closed_agreement__reverts(escrow, make_agreement, call_off, request, closer_name):
    agreement_id = make_agreement()
    escrow.close_agreement(agreement_id, sender=request.getfixturevalue(closer_name))
    with ape.reverts("escrow: agreement not active"):
        call_off(agreement_id)


def test_create_order__zero_quantity__reverts(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    with ape.reverts("escrow: zero quantity"):
        call_off(agreement_id, 0, fund=False, value=0)


@pytest.mark.parametrize("quantity", [2**64, 2**128, 2**256 - 1])
def test_create_order__huge_quantity__reverts_with_reason(escrow, make_agreement, call_off, quantity):
    agreement_id = make_agreement()
    with ape.reverts("escrow: above max quantity"):
        call_off(agreement_id, quantity, fund=False, value=0)


def test_create_order__quantity_overflowing_called_off__reverts_with_reason(escrow, make_agreement, call_off):
    agreement_id = make_agreement()
    call_off(agreement_id, 1)
    with ape.reverts("escrow: above max quantity"):
        call_off(agreement_id, 2**256 - 1, fund=False, value=0)


# ---------------------------------------------------------------- registry, now


def test_create_order__buyer_access_revoked__reverts(escrow, make_agreement, call_off, registry, oem, buyer):
    agreement_id = make_agreement()
    registry.revoke_access(PART_ID, buyer, sender=oem)
    with ape.reverts("escrow: buyer has no access"):
        call_off(agreement_id)
    assert escrow.order_count() == 0


def test_create_order__buyer_access_regranted__allowed(escrow, make_agreement, call_off, registry, oem, buyer):
    agreement_id = make_agreement()
    registry.revoke_access(PART_ID, buyer, sender=oem)
    registry.grant_access(PART_ID, buyer, sender=oem)
    call_off(agreement_id)
    assert escrow.order_count() == 1


def test_create_order__certification_revoked__reverts(escrow, make_agreement, call_off, registry, certifier, supplier):
    agreement_id = make_agreement()
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    with ape.reverts("escrow: supplier not certified"):
        call_off(agreement_id)


def test_create_order__supplier_access_revoked__reverts(escrow, make_agreement, call_off, registry, oem, supplier):
    agreement_id = make_agreement()
    registry.revoke_access(PART_ID, supplier, sender=oem)
    with ape.reverts("escrow: supplier not certified"):
        call_off(agreement_id)


def test_create_order__certification_expires__both_sides_of_the_second(
    escrow, make_agreement, call_off, registry, certifier, supplier, chain
):
    until = chain.pending_timestamp + 2 * DAY
    agreement_id = make_agreement()
    registry.certify(PART_ID, 1, supplier, until, h("short audit"), sender=certifier)

    pin_at(chain, until)
    call_off(agreement_id, ship_by=until + DAY)
    pin_at(chain, until + 1)
    with ape.reverts("escrow: supplier not certified"):
        call_off(agreement_id, ship_by=until + DAY)
    assert escrow.order_count() == 1
    assert escrow.get_agreement(agreement_id).units_called_off == 100


# ---------------------------------------------------------------- value and tokens


@pytest.mark.parametrize("delta", [-1, 1, "zero"])
def test_create_order__eth_wrong_value__reverts(escrow, make_agreement, call_off, buyer, delta):
    agreement_id = make_agreement()
    value = 0 if delta == "zero" else 100 * UNIT_PRICE + delta
    with ape.reverts("escrow: wrong value"):
        call_off(agreement_id, 100, fund=False, value=value)
    assert escrow.balance == 0
    assert escrow.get_agreement(agreement_id).units_called_off == 0


@pytest.mark.parametrize("kind", ["erc20", "usdt", "six_decimals"])
def test_create_order__token_with_value__reverts(escrow, make_agreement, call_off, erc20, usdt, usdc6, kind):
    token = {"erc20": erc20, "usdt": usdt, "six_decimals": usdc6}[kind]
    money = Money(kind, token)
    agreement_id = make_agreement(money=money)
    with ape.reverts("escrow: unexpected value"):
        call_off(agreement_id, 100, money=money, value=1)
    assert escrow.balance == 0
    assert token.balanceOf(escrow) == 0


def test_create_order__fee_on_transfer_token__reverts(escrow, make_agreement, call_off, fee_token, buyer):
    money = Money("fee", fee_token)
    agreement_id = make_agreement(money=money)
    with ape.reverts("escrow: fee-on-transfer token"):
        call_off(agreement_id, 100, money=money)
    assert fee_token.balanceOf(escrow) == 0
    assert fee_token.balanceOf(buyer) == 100 * UNIT_PRICE
    assert escrow.order_count() == 0


@pytest.mark.parametrize("kind", ["erc20", "usdt"])
def test_create_order__allowance_short_by_one__reverts(escrow, make_agreement, call_off, erc20, usdt, buyer, kind):
    token = {"erc20": erc20, "usdt": usdt}[kind]
    agreement_id = make_agreement(money=Money(kind, token))
    token.mint(buyer, 100 * UNIT_PRICE, sender=buyer)
    token.approve(escrow, 100 * UNIT_PRICE - 1, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        call_off(agreement_id, 100, fund=False)
    assert token.balanceOf(buyer) == 100 * UNIT_PRICE


def test_create_order__balance_short_by_one__reverts(escrow, make_agreement, call_off, erc20, buyer):
    agreement_id = make_agreement(money=Money("erc20", erc20))
    erc20.mint(buyer, 100 * UNIT_PRICE - 1, sender=buyer)
    erc20.approve(escrow, 100 * UNIT_PRICE, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        call_off(agreement_id, 100, fund=False)


def test_create_order__token_returning_false__reverts(escrow, make_agreement, call_off, false_token, buyer):
    agreement_id = make_agreement(money=Money("false", false_token))
    false_token.mint(buyer, 100 * UNIT_PRICE, sender=buyer)  # no approval: transferFrom returns false
    with ape.reverts("escrow: token transfer failed"):
        call_off(agreement_id, 100, fund=False)
    assert false_token.balanceOf(escrow) == 0


def test_create_order__token_returning_false_but_approved__pulls(escrow, make_agreement, call_off, false_token):
    money = Money("false", false_token)
    agreement_id = make_agreement(money=money)
    call_off(agreement_id, 100, money=money)
    assert false_token.balanceOf(escrow) == 100 * UNIT_PRICE


# ---------------------------------------------------------------- pause


def test_create_order__paused__reverts(escrow, make_agreement, call_off, admin):
    agreement_id = make_agreement()
    escrow.pause(sender=admin)
    with ape.reverts(PAUSED):
        call_off(agreement_id)
    assert escrow.order_count() == 0
    escrow.unpause(sender=admin)
    assert call_off(agreement_id).return_value == 1


# ---------------------------------------------------------------- properties


@given(unit_price=st.integers(1, 2**128 - 1), quantity=st.integers(1, 2**64 - 1), data=st.data())
def test_create_order__amount_is_quantity_times_price(
    escrow, part, buyer, supplier, erc20, chain, unit_price, quantity, data
):
    max_quantity = data.draw(st.integers(quantity, 2**64 - 1), label="max_quantity")
    with chain.isolate():
        now = pin_next_block(chain)
        agreement_id = escrow.propose_agreement(
            make_terms(supplier, token=erc20, unit_price=unit_price, max_quantity=max_quantity, valid_until=now + DAY),
            sender=buyer,
        ).return_value
        escrow.accept_agreement(agreement_id, [], sender=supplier)
        amount = quantity * unit_price
        erc20.mint(buyer, amount, sender=buyer)
        erc20.approve(escrow, amount, sender=buyer)
        escrow_before = erc20.balanceOf(escrow)

        tx = escrow.create_order(agreement_id, quantity, now + DAY, PO, sender=buyer)

        assert own_events(tx, escrow)[0].amount == amount
        order = escrow.get_order(tx.return_value)
        assert (order.quantity, order.amount) == (quantity, amount)
        assert erc20.balanceOf(escrow) - escrow_before == amount
        assert erc20.balanceOf(buyer) == 0
        assert escrow.get_agreement(agreement_id).units_called_off == quantity


@given(
    max_quantity=st.integers(1, 2**64 - 1),
    quantities=st.lists(st.integers(1, 2**64 - 1), min_size=1, max_size=5),
)
def test_create_order__cap_holds_over_any_call_off_sequence(
    escrow, part, buyer, supplier, chain, max_quantity, quantities
):
    """Each call-off succeeds iff the units called off so far plus its own stay within the cap."""
    with chain.isolate():
        now = pin_next_block(chain)
        agreement_id = escrow.propose_agreement(
            make_terms(supplier, unit_price=1, max_quantity=max_quantity, valid_until=now + DAY), sender=buyer
        ).return_value
        escrow.accept_agreement(agreement_id, [], sender=supplier)
        called = 0
        for quantity in quantities:
            if called + quantity <= max_quantity:
                escrow.create_order(agreement_id, quantity, now + DAY, PO, sender=buyer, value=quantity)
                called += quantity
            else:
                with ape.reverts("escrow: above max quantity"):
                    escrow.create_order(agreement_id, quantity, now + DAY, PO, sender=buyer, value=quantity)
            assert escrow.get_agreement(agreement_id).units_called_off == called
        assert escrow.balance == called

