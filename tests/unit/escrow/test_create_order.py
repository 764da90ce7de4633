"""create_order: funding in every kind of money, and every way a new order is refused."""

import ape
import pytest

from conftest import DAY, PART_ID, SPEC_V2, STATUS, URI_V2, ZERO, h
from _escrow_support import MAX_AMOUNT, MAX_QUANTITY, MAX_REVIEW, MAX_SHIP_BY, own_events
from _escrow_support import ORDER_FIELDS as FIELDS, order_as_dict as as_dict  # noqa: F401
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

AMOUNT = 5 * 10**17


@pytest.fixture
def create(escrow, part, buyer, supplier, inspector, chain):
    """create_order with sensible defaults; keyword arguments override any argument."""

    def _create(sender=None, value=None, **overrides):
        args = dict(
            supplier=supplier,
            part_id=part,
            version=1,
            quantity=1_000,
            token=ZERO,
            amount=AMOUNT,
            ship_by=chain.pending_timestamp + 7 * DAY,
            review_period=3 * DAY,
            inspector=inspector,
            po_ref=h("PO-7"),
        )
        args.update(overrides)
        if value is None:
            value = args["amount"] if args["token"] == ZERO else 0
        return escrow.create_order(*args.values(), sender=sender or buyer, value=value)

    return _create


# ---------------------------------------------------------------- success


def test_create_order__each_money__locks_amount_and_logs_order(escrow, money, part, buyer, supplier, inspector, chain):
    amount = 123_456_789_012
    kwargs = money.fund(buyer, escrow, amount)
    buyer_before, escrow_before = money.balance(buyer), money.balance(escrow)
    ship_by = chain.pending_timestamp + 5 * DAY

    tx = escrow.create_order(
        supplier, part, 1, 42, money.address, amount, ship_by, 2 * DAY, inspector, h("PO-42"), sender=buyer, **kwargs
    )

    assert tx.return_value == 1
    assert own_events(tx, escrow) == [
        escrow.OrderCreated(
            order_id=1,
            buyer=buyer.address,
            supplier=supplier.address,
            part_id=part,
            version=1,
            token=money.address,
            amount=amount,
            po_ref=h("PO-42"),
        )
    ]
    fees = tx.total_fees_paid if money.token is None else 0
    assert buyer_before - money.balance(buyer) == amount + fees
    assert money.balance(escrow) - escrow_before == amount
    assert escrow.order_count() == 1
    assert as_dict(escrow.get_order(1)) == dict(
        buyer=buyer.address,
        supplier=supplier.address,
        part_id=part,
        version=1,
        quantity=42,
        token=money.address,
        amount=amount,
        ship_by=ship_by,
        review_period=2 * DAY,
        inspector=inspector.address,
        shipped_at=0,
        status=STATUS["CREATED"],
    )
    assert escrow.payees_of(1) == []


def test_create_order__second_order__gets_next_id(create, escrow, buyer):
    create(po_ref=h("PO-A"))
    tx = create(po_ref=h("PO-B"), amount=7)
    assert tx.return_value == 2
    assert escrow.order_count() == 2
    assert own_events(tx, escrow)[0].po_ref == h("PO-B")
    assert escrow.get_order(2).amount == 7
    assert escrow.get_order(1).amount == AMOUNT


def test_create_order__usdt_returning_nothing__pulls_exactly(escrow, usdt, part, buyer, supplier, chain):
    usdt.mint(buyer, 10**6, sender=buyer)
    usdt.approve(escrow, 10**6, sender=buyer)
    tx = escrow.create_order(
        supplier, part, 1, 1, usdt, 10**6, chain.pending_timestamp + DAY, DAY, ZERO, h("PO-U"), sender=buyer
    )
    assert tx.return_value == 1
    assert usdt.balanceOf(escrow) == 10**6
    assert usdt.balanceOf(buyer) == 0
    assert usdt.allowance(buyer, escrow) == 0


def test_create_order__largest_packed_values__stored_exactly(escrow, erc20, part, buyer, supplier):
    erc20.mint(buyer, MAX_AMOUNT, sender=buyer)
    erc20.approve(escrow, MAX_AMOUNT, sender=buyer)
    escrow.create_order(
        supplier, part, 1, MAX_QUANTITY, erc20, MAX_AMOUNT, MAX_SHIP_BY, MAX_REVIEW, ZERO, h("PO-MAX"), sender=buyer
    )
    order = escrow.get_order(1)
    assert (order.buyer, order.supplier, order.part_id, order.version) == (buyer.address, supplier.address, part, 1)
    assert (order.quantity, order.amount, order.ship_by, order.review_period) == (
        MAX_QUANTITY,
        MAX_AMOUNT,
        MAX_SHIP_BY,
        MAX_REVIEW,
    )
    assert (order.token, order.inspector, order.shipped_at, order.status) == (erc20.address, ZERO, 0, STATUS["CREATED"])
    assert erc20.balanceOf(escrow) == MAX_AMOUNT


def test_create_order__smallest_values__accepted(create, escrow, chain):
    t = chain.pending_timestamp + 100
    chain.pending_timestamp = t
    create(quantity=1, amount=1, ship_by=t + 1, review_period=1, inspector=ZERO)
    order = escrow.get_order(1)
    assert (order.quantity, order.amount, order.ship_by, order.review_period, order.inspector) == (1, 1, t + 1, 1, ZERO)


def test_create_order__ship_by_to_the_second__past_or_now_rejected_next_second_ok(create, escrow, chain):
    t = chain.pending_timestamp + 1_000
    chain.pending_timestamp = t
    with ape.reverts("escrow: ship-by in the past"):
        create(ship_by=t - 1)
    chain.pending_timestamp = t  # a reverted transaction is mined too: pin the clock again
    with ape.reverts("escrow: ship-by in the past"):
        create(ship_by=t)
    chain.pending_timestamp = t
    tx = create(ship_by=t + 1)
    assert tx.timestamp == t
    assert escrow.get_order(tx.return_value).ship_by == t + 1


def test_create_order__inspector_is_buyer__accepted(create, escrow, buyer):
    create(inspector=buyer)
    assert escrow.get_order(1).inspector == buyer.address


def test_create_order__part_owner_as_buyer_or_supplier__has_access(create, escrow, oem, buyer, supplier):
    create(sender=oem)  # the OEM owns the part: access without a grant
    create(sender=buyer, supplier=oem)
    assert escrow.get_order(1).buyer == oem.address
    assert escrow.get_order(2).supplier == oem.address


def test_create_order__revised_version__accepted(create, escrow, registry, oem):
    registry.revise_part(PART_ID, SPEC_V2, URI_V2, sender=oem)
    create(version=2)
    assert escrow.get_order(1).version == 2


# ---------------------------------------------------------------- argument validation


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"supplier": ZERO}, "escrow: zero supplier"),
        ({"quantity": 0}, "escrow: zero quantity"),
        ({"quantity": MAX_QUANTITY + 1}, "escrow: quantity too large"),
        ({"amount": 0}, "escrow: zero amount"),
        ({"ship_by": MAX_SHIP_BY + 1}, "escrow: ship-by too far"),
        ({"review_period": 0}, "escrow: bad review period"),
        ({"review_period": MAX_REVIEW + 1}, "escrow: bad review period"),
        ({"version": 0}, "escrow: unknown version"),
        ({"version": 2}, "escrow: unknown version"),
        ({"version": 2**32 + 1}, "escrow: unknown version"),
        ({"part_id": h("no such part")}, "escrow: unknown version"),
    ],
    ids=[
        "zero_supplier",
        "zero_quantity",
        "quantity_above_uint64",
        "zero_amount",
        "ship_by_above_uint40",
        "review_period_zero",
        "review_period_90_days_plus_1",
        "version_0",
        "version_2_unknown",
        "version_above_uint32",
        "unknown_part",
    ],
)
def test_create_order__bad_argument__reverts(create, escrow, overrides, reason):
    with ape.reverts(reason):
        create(**overrides)
    assert escrow.order_count() == 0


def test_create_order__amount_above_uint96__reverts(create, escrow, erc20, buyer):
    erc20.mint(buyer, MAX_AMOUNT + 1, sender=buyer)
    erc20.approve(escrow, MAX_AMOUNT + 1, sender=buyer)
    with ape.reverts("escrow: amount too large"):
        create(token=erc20, amount=MAX_AMOUNT + 1)
    assert erc20.balanceOf(buyer) == MAX_AMOUNT + 1


def test_create_order__buyer_is_supplier__reverts(create, supplier):
    with ape.reverts("escrow: buyer is supplier"):
        create(sender=supplier, supplier=supplier)


def test_create_order__inspector_is_supplier__reverts(create, supplier):
    with ape.reverts("escrow: inspector is supplier"):
        create(inspector=supplier)


def test_create_order__review_period_90_days__accepted(create, escrow):
    create(review_period=MAX_REVIEW)
    assert escrow.get_order(1).review_period == MAX_REVIEW


def test_create_order__buyer_without_access__reverts(create, stranger):
    with ape.reverts("escrow: buyer has no access"):
        create(sender=stranger)


def test_create_order__supplier_without_access__reverts(create, stranger):
    with ape.reverts("escrow: supplier has no access"):
        create(supplier=stranger)


def test_create_order__buyer_access_revoked__reverts(create, registry, oem, buyer):
    registry.revoke_access(PART_ID, buyer, sender=oem)
    with ape.reverts("escrow: buyer has no access"):
        create()


# ---------------------------------------------------------------- funding


@pytest.mark.parametrize("delta", [-1, +1, None], ids=["one_wei_short", "one_wei_over", "nothing"])
def test_create_order__eth_wrong_value__reverts(create, escrow, buyer, delta):
    value = 0 if delta is None else AMOUNT + delta
    with ape.reverts("escrow: wrong value"):
        create(value=value)
    assert escrow.order_count() == 0
    assert escrow.balance == 0


def test_create_order__token_with_value__reverts(create, escrow, erc20, buyer):
    erc20.mint(buyer, AMOUNT, sender=buyer)
    erc20.approve(escrow, AMOUNT, sender=buyer)
    with ape.reverts("escrow: unexpected value"):
        create(token=erc20, value=1)
    assert erc20.balanceOf(buyer) == AMOUNT


def test_create_order__token_not_a_contract__reverts(create, stranger):
    with ape.reverts("escrow: token is not a contract"):
        create(token=stranger.address)


def test_create_order__fee_on_transfer_token__reverts(create, escrow, fee_token, buyer):
    fee_token.mint(buyer, AMOUNT, sender=buyer)
    fee_token.approve(escrow, AMOUNT, sender=buyer)
    with ape.reverts("escrow: fee-on-transfer token"):
        create(token=fee_token)
    assert fee_token.balanceOf(buyer) == AMOUNT
    assert fee_token.balanceOf(escrow) == 0


def test_create_order__return_false_token_without_allowance__reverts(create, escrow, false_token, buyer):
    false_token.mint(buyer, AMOUNT, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        create(token=false_token)
    assert false_token.balanceOf(buyer) == AMOUNT


def test_create_order__return_false_token_with_allowance__works(create, escrow, false_token, buyer):
    false_token.mint(buyer, AMOUNT, sender=buyer)
    false_token.approve(escrow, AMOUNT, sender=buyer)
    create(token=false_token)
    assert false_token.balanceOf(escrow) == AMOUNT


@pytest.mark.parametrize("missing", ["allowance", "balance"])
def test_create_order__reverting_token_transfer__reverts(create, escrow, erc20, buyer, missing):
    if missing == "allowance":
        erc20.mint(buyer, AMOUNT, sender=buyer)
    else:
        erc20.approve(escrow, AMOUNT, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        create(token=erc20)
    assert escrow.order_count() == 0


def test_create_order__usdt_without_allowance__reverts(create, usdt, buyer):
    usdt.mint(buyer, AMOUNT, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        create(token=usdt)
    assert usdt.balanceOf(buyer) == AMOUNT


def test_create_order__paused__reverts(create, escrow, admin):
    escrow.pause(sender=admin)
    with ape.reverts("pausable: contract is paused"):
        create()
    assert escrow.order_count() == 0
