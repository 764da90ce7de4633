"""Boundaries: zero and maximum amounts, the packing limits, eight 1-bps shares on amounts too small
to share, and a relayer that hands over just enough gas to starve a push."""

from types import SimpleNamespace

import ape
import pytest
from eth_utils import keccak

from _adv_support import Party, calldata, open_order, payments, sign_receipt
from conftest import BPS, DAY, STATUS, ZERO, Money, h

MAX_AMOUNT = 2**96 - 1
SHARES = [1, 7, 99, 1_000, 1_234, 2_500, 3_333, 1_825]  # eight payees, 9 999 bps in all


@pytest.fixture(scope="module")
def eight(accounts):
    return [accounts.generate_test_account() for _ in SHARES]


@pytest.fixture
def ctx(escrow, chain, admin, part, arbiter, stranger):
    return SimpleNamespace(escrow=escrow, chain=chain, admin=admin, part=part, arbiter=arbiter, stranger=stranger)


def money_of(kind, erc20):
    return Money("eth", None) if kind == "eth" else Money("erc20", erc20)


def test_create_order__zero_and_too_large_amounts__revert(escrow, part, buyer, supplier, chain):
    args = lambda amount: (supplier, part, 1, 1, ZERO, amount, chain.pending_timestamp + DAY, DAY, ZERO, h("PO"))  # noqa: E731
    with ape.reverts("escrow: zero amount"):
        escrow.create_order(*args(0), sender=buyer, value=0)
    buyer.balance = 2**97
    with ape.reverts("escrow: amount too large"):
        escrow.create_order(*args(MAX_AMOUNT + 1), sender=buyer, value=MAX_AMOUNT + 1)
    assert escrow.order_count() == 0


def test_create_order__packing_limits__largest_values_round_trip(escrow, part, buyer, supplier, inspector, chain):
    ship_by = 2**40 - 1
    buyer.balance = 2**97
    common = dict(sender=buyer, value=MAX_AMOUNT)
    with ape.reverts("escrow: quantity too large"):
        escrow.create_order(supplier, part, 1, 2**64, ZERO, MAX_AMOUNT, ship_by, 90 * DAY, inspector, h("PO"), **common)
    with ape.reverts("escrow: ship-by too far"):
        escrow.create_order(supplier, part, 1, 1, ZERO, MAX_AMOUNT, ship_by + 1, 90 * DAY, inspector, h("PO"), **common)
    with ape.reverts("escrow: bad review period"):
        escrow.create_order(supplier, part, 1, 1, ZERO, MAX_AMOUNT, ship_by, 90 * DAY + 1, inspector, h("PO"), **common)

    escrow.create_order(supplier, part, 1, 2**64 - 1, ZERO, MAX_AMOUNT, ship_by, 90 * DAY, inspector, h("PO"), **common)

    order = escrow.get_order(1)
    assert (order.buyer, order.supplier, order.inspector, order.token) == (
        buyer.address, supplier.address, inspector.address, ZERO,
    )
    assert (order.quantity, order.amount, order.ship_by, order.review_period, order.version) == (
        2**64 - 1, MAX_AMOUNT, ship_by, 90 * DAY, 1,
    )
    assert order.status == STATUS["CREATED"]


@pytest.mark.parametrize("kind", ["eth", "erc20"])
@pytest.mark.parametrize("path", ["confirm", "resolve_expired"])
def test_payout__maximum_amount_eight_payees__every_wei_accounted(
    kind, path, ctx, erc20, eight, buyer, supplier, stranger, chain
):
    escrow = ctx.escrow
    money = money_of(kind, erc20)
    buyer.balance = 2**97
    stage = "shipped" if path == "confirm" else "disputed"
    order_id = open_order(ctx, money, MAX_AMOUNT, Party(buyer), Party(supplier), list(zip(eight, SHARES)), stage)
    assert money.balance(escrow) == MAX_AMOUNT
    before = {a.address: money.balance(a) for a in [supplier, *eight]}
    buyer_before = money.balance(buyer)

    if path == "confirm":
        tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
        side = MAX_AMOUNT
        buyer_delta = 0 if kind == "erc20" else -tx.gas_used * tx.gas_price
    else:
        chain.pending_timestamp = escrow.deadlines(order_id)[2] + 1
        tx = escrow.resolve_expired(order_id, sender=stranger)
        side = MAX_AMOUNT * 5_000 // BPS
        buyer_delta = MAX_AMOUNT - side

    shares = [side * bps // BPS for bps in SHARES]
    expected = [(a.address, s) for a, s in zip(eight, shares)] + [(supplier.address, side - sum(shares))]
    buyer_part = [(buyer.address, MAX_AMOUNT - side)] if MAX_AMOUNT - side else []
    assert payments(tx) == expected + buyer_part
    assert payments(tx, "PaymentDeferred") == []
    for account, share in expected:
        assert money.balance(account) == before[account] + share
    assert money.balance(buyer) == buyer_before + buyer_delta
    assert money.balance(escrow) == 0
    assert sum(s for _, s in expected + buyer_part) == MAX_AMOUNT


@pytest.mark.parametrize("amount", [1, 9_999, 10_000, 10_007])
def test_payout__eight_one_bps_shares__dust_to_supplier_and_zero_shares_skipped(amount, ctx, eight, buyer, supplier):
    escrow = ctx.escrow
    order_id = open_order(ctx, Money("eth", None), amount, Party(buyer), Party(supplier), [(a, 1) for a in eight], "shipped")
    before = [a.balance for a in eight]

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    each = amount // BPS
    subs = [(a.address, each) for a in eight] if each else []
    assert payments(tx) == subs + [(supplier.address, amount - 8 * each)]
    assert payments(tx, "PaymentDeferred") == []
    assert [a.balance for a in eight] == [b + each for b in before]
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_payout__shares_sum_to_all__supplier_gets_nothing_and_no_event(ctx, sub1, sub2, buyer, supplier, arbiter):
    escrow = ctx.escrow
    order_id = open_order(ctx, Money("eth", None), 10**18, Party(buyer), Party(supplier), [(sub1, 6_000), (sub2, 4_000)], "shipped")
    supplier_before = supplier.balance
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert payments(tx) == [(sub1.address, 6 * 10**17), (sub2.address, 4 * 10**17)]
    assert supplier.balance == supplier_before
    # Resolved with nothing for the supplier side: the buyer alone is paid.
    order_id = open_order(ctx, Money("eth", None), 999, Party(buyer), Party(supplier), [(sub1, 6_000)], "disputed")
    buyer_before = buyer.balance
    tx = escrow.resolve(order_id, 0, sender=arbiter)
    assert payments(tx) == [(buyer.address, 999)]
    assert buyer.balance == buyer_before + 999


# ---------------------------------------------------------------- relayer gas griefing


PAID = keccak(text="Paid(uint256,address,address,uint256)")
DEFERRED = keccak(text="PaymentDeferred(uint256,address,address,uint256)")


def sweep(chain, escrow, sender, data, low, high, step):
    """Relays the same call with every gas limit from `low` to `high`, each on a fresh snapshot.

    Straight JSON-RPC, not Ape's transaction machinery: a failing Ape transaction is traced to
    find its reason, which costs a second or more each. An ``eth_call`` with the same gas limit
    answers the reason; only the limits that succeed are then sent for real, to read their logs.
    Returns ({gas: revert reason}, {gas: [(event topic, payee, amount), ...]}).
    """
    web3 = chain.provider.web3
    tx = {"from": sender.address, "to": escrow.address, "data": "0x" + data.hex()}
    reverted, logged = {}, {}
    for gas in list(range(low, high, step)) + [high]:
        with chain.isolate():
            try:
                web3.eth.call({**tx, "gas": gas})
            except Exception as err:  # web3 raises its own ContractLogicError / ValueError
                reverted[gas] = str(err)
                continue
            receipt = web3.eth.wait_for_transaction_receipt(web3.eth.send_transaction({**tx, "gas": gas}))
            assert receipt.status == 1, f"eth_call passed but the transaction failed at gas {gas}"
            logged[gas] = [
                (bytes(log.topics[0]), "0x" + bytes(log.topics[2])[-20:].hex(), int.from_bytes(bytes(log.data), "big"))
                for log in receipt.logs
                if log.address == escrow.address and bytes(log.topics[0]) in (PAID, DEFERRED)
            ]
    return reverted, logged


def check_no_starved_payment(reverted, logged, expected):
    assert logged, "the estimated gas must succeed"
    want = [(PAID, account.lower(), amount) for account, amount in expected]
    for gas, events in logged.items():
        assert all(topic != DEFERRED for topic, _, _ in events), f"a starved push became a credit at gas {gas}"
        assert events == want
    assert any("escrow: out of gas" in reason for reason in reverted.values()), reverted


def test_confirm_delivery_signed__relayer_starving_token_push__reverts_instead_of_deferring(
    project, ctx, admin, buyer, supplier, sub1, stranger, chain
):
    """The token needs 97 000 of the 100 000 gas a push hands it and fails cheaply below that (like a
    proxy checking its gas), so a starved push would leave the escrow enough gas to book a credit:
    the reserve check (100 000 + 1/63 + 5 000) refuses first. A reserve a few thousand gas short
    would let the call start with less than 100 000, and this test would see the credit."""
    escrow = ctx.escrow
    token = project.MockAdvHookToken.deploy(sender=admin)
    order_id = open_order(ctx, Money("hungry", token), 10_000, Party(buyer), Party(supplier), [(sub1, 2_000)], "shipped")
    token.set_min_gas(97_000, sender=admin)
    deadline = chain.pending_timestamp + DAY
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, order_id, h("GRN"), deadline)
    args = (order_id, h("GRN"), deadline, signature)
    needed = escrow.confirm_delivery_signed.estimate_gas_cost(*args, sender=stranger)
    data = calldata(escrow, "confirm_delivery_signed", *args)

    reverted, logged = sweep(chain, escrow, stranger, data, needed - 120_000, needed, 2_000)

    check_no_starved_payment(reverted, logged, [(sub1.address, 2_000), (supplier.address, 8_000)])


def test_confirm_delivery_signed__relayer_starving_eth_push__reverts_instead_of_deferring(
    project, ctx, admin, buyer, supplier, stranger, chain
):
    """A wallet that needs 9 000 of its 10 000 gas and fails cheaply below: the last push of the payout."""
    escrow = ctx.escrow
    wallet = project.MockAdvClaimer.deploy(0, sender=admin)
    wallet.set_need_gas(9_000, sender=admin)
    order_id = open_order(ctx, Money("eth", None), 10**18, Party(buyer), Party(supplier), [(wallet, BPS)], "shipped")
    deadline = chain.pending_timestamp + DAY
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, order_id, h("GRN"), deadline)
    args = (order_id, h("GRN"), deadline, signature)
    needed = escrow.confirm_delivery_signed.estimate_gas_cost(*args, sender=stranger)
    data = calldata(escrow, "confirm_delivery_signed", *args)

    reverted, logged = sweep(chain, escrow, stranger, data, needed - 40_000, needed, 1_000)

    check_no_starved_payment(reverted, logged, [(wallet.address, 10**18)])
