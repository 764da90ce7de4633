"""Payout properties: for any amount and any valid payee list, the parts add up to the amount exactly.

Each kind of money (the `money` matrix) gets a quarter of the profile's examples, so the whole
module costs about one profile's worth of examples.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BPS, STATUS, h
from _escrow_support import MAX_AMOUNT, split
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

PER_MONEY = settings(max_examples=max(4, settings().max_examples // 4))


@pytest.fixture(scope="module")
def pool(accounts):
    """Eight subcontractor addresses, generated once for the module."""
    return [accounts.generate_test_account() for _ in range(8)]


@st.composite
def payee_plans(draw):
    """0..8 distinct pool indices with shares > 0 summing to at most 10 000."""
    count = draw(st.integers(0, 8))
    indices = draw(st.permutations(range(8)))[:count]
    shares, left = [], BPS
    for position in range(count):
        share = draw(st.integers(1, left - (count - position - 1)))
        shares.append(share)
        left -= share
    return list(zip(indices, shares))


amounts = st.integers(1, MAX_AMOUNT)


def fund_buyer(money, buyer, amount, chain):
    if money.token is None:
        chain.set_balance(buyer, amount + 10**20)


@PER_MONEY
@given(amount=amounts, plan=payee_plans())
def test_confirm_delivery__any_amount_any_payees__parts_sum_to_amount(
    escrow, make_order, money, pool, buyer, supplier, chain, amount, plan
):
    with chain.isolate():
        payees = [(pool[i], bps) for i, bps in plan]
        fund_buyer(money, buyer, amount, chain)
        order_id = make_order(money=money, amount=amount, payees=payees, stage="shipped")
        subs_before = [money.balance(account) for account, _ in payees]
        supplier_before, escrow_before = money.balance(supplier), money.balance(escrow)

        escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

        shares, rest = split(amount, payees)
        for (account, bps), before, share in zip(payees, subs_before, shares):
            assert share == amount * bps // BPS
            assert money.balance(account) - before == share, f"subcontractor {account.address} at {bps} bps"
        assert money.balance(supplier) - supplier_before == rest, "supplier must get the rest, dust included"
        assert sum(shares) + rest == amount
        assert escrow_before - money.balance(escrow) == amount
        assert escrow.status(order_id) == STATUS["COMPLETED"]


@PER_MONEY
@given(amount=amounts, plan=payee_plans(), supplier_bps=st.integers(0, BPS))
def test_resolve__any_amount_any_payees_any_split__parts_sum_to_amount(
    escrow, make_order, money, pool, buyer, supplier, arbiter, chain, amount, plan, supplier_bps
):
    with chain.isolate():
        payees = [(pool[i], bps) for i, bps in plan]
        fund_buyer(money, buyer, amount, chain)
        order_id = make_order(money=money, amount=amount, payees=payees, stage="disputed")
        subs_before = [money.balance(account) for account, _ in payees]
        supplier_before, buyer_before = money.balance(supplier), money.balance(buyer)
        escrow_before = money.balance(escrow)

        escrow.resolve(order_id, supplier_bps, sender=arbiter)

        supplier_side = amount * supplier_bps // BPS
        shares, rest = split(supplier_side, payees)
        for (account, bps), before, share in zip(payees, subs_before, shares):
            assert money.balance(account) - before == supplier_side * bps // BPS, f"{account.address} at {bps} bps"
        assert money.balance(supplier) - supplier_before == rest
        assert money.balance(buyer) - buyer_before == amount - supplier_side, "buyer gets the rest of the amount"
        assert sum(shares) + rest + (amount - supplier_side) == amount
        assert escrow_before - money.balance(escrow) == amount
        assert escrow.status(order_id) == STATUS["RESOLVED"]
