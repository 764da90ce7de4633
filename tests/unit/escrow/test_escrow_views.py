"""Views: get_order field by field, payees_of, status, order_count, deadlines, receipt_digest.

(Named test_escrow_views.py: tests/unit/registry/test_views.py exists, and basenames must be unique.)
"""

import pytest
from eth_abi import encode
from eth_utils import keccak

from conftest import DAY, PART_ID, SPEC_V2, STATUS, URI_V2, ZERO, Money, h
from _escrow_support import ALL_STAGES, ARBITRATION_DEFAULT
from _escrow_support import ORDER_FIELDS as FIELDS, order_as_dict as as_dict  # noqa: F401
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)



def test_get_order__unknown_id__all_zero(escrow):
    order = as_dict(escrow.get_order(1))
    assert order == dict(
        buyer=ZERO,
        supplier=ZERO,
        part_id=b"\x00" * 32,
        version=0,
        quantity=0,
        token=ZERO,
        amount=0,
        ship_by=0,
        review_period=0,
        inspector=ZERO,
        shipped_at=0,
        status=0,
    )


def test_get_order__through_the_lifecycle__every_field_exact(escrow, make_order, usdc6, buyer, supplier, inspector, chain):
    t0 = chain.pending_timestamp + 50
    chain.pending_timestamp = t0
    order_id = make_order(money=Money("six", usdc6), amount=2_500_000, quantity=77, ship_in=4 * DAY, review_period=DAY)
    expected = dict(
        buyer=buyer.address,
        supplier=supplier.address,
        part_id=PART_ID,
        version=1,
        quantity=77,
        token=usdc6.address,
        amount=2_500_000,
        ship_by=t0 + 4 * DAY,
        review_period=DAY,
        inspector=inspector.address,
        shipped_at=0,
        status=STATUS["CREATED"],
    )
    assert as_dict(escrow.get_order(order_id)) == expected

    escrow.accept_order(order_id, [], sender=supplier)
    assert as_dict(escrow.get_order(order_id)) == {**expected, "status": STATUS["ACCEPTED"]}

    chain.pending_timestamp = t0 + DAY
    escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
    shipped = {**expected, "status": STATUS["SHIPPED"], "shipped_at": t0 + DAY}
    assert as_dict(escrow.get_order(order_id)) == shipped

    escrow.dispute(order_id, h("dent"), sender=inspector)
    assert as_dict(escrow.get_order(order_id)) == {**shipped, "status": STATUS["DISPUTED"]}


def test_get_order__neighbouring_orders__do_not_bleed_into_each_other(escrow, make_order, registry, oem, buyer, supplier, chain):
    registry.revise_part(PART_ID, SPEC_V2, URI_V2, sender=oem)
    first = make_order(amount=1, quantity=2**64 - 1, review_period=90 * DAY, order_inspector=None)
    second_tx = escrow.create_order(
        supplier, PART_ID, 2, 1, ZERO, 5, 2**40 - 1, 1, buyer, h("PO"), sender=buyer, value=5
    )
    second = second_tx.return_value
    a, b = escrow.get_order(first), escrow.get_order(second)
    assert (a.amount, a.quantity, a.review_period, a.inspector, a.version) == (1, 2**64 - 1, 90 * DAY, ZERO, 1)
    assert (b.amount, b.quantity, b.review_period, b.inspector, b.version, b.ship_by) == (5, 1, 1, buyer.address, 2, 2**40 - 1)


class TestEveryStage:
    """One order per status, built once for the class (see `staged`)."""

    @pytest.mark.parametrize("stage", ALL_STAGES)
    def test_status__every_stage__flag_value(self, escrow, staged, stage):
        order_id = staged[stage]
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.get_order(order_id).status == STATUS[stage.upper()]


def test_status__unknown_id__zero(escrow):
    assert escrow.status(0) == 0
    assert escrow.status(12345) == 0


def test_payees_of__before_and_after_acceptance__exact(escrow, make_order, supplier, sub1, sub2, buyer):
    order_id = make_order()
    assert escrow.payees_of(order_id) == []
    escrow.accept_order(order_id, [(sub2.address, 42), (sub1.address, 9_000)], sender=supplier)
    expected = [(sub2.address, 42), (sub1.address, 9_000)]
    assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == expected
    escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == expected  # kept after payout


def test_payees_of__eight__in_declaration_order(escrow, make_order, supplier, accounts):
    crowd = [accounts.generate_test_account().address for _ in range(8)]
    order_id = make_order()
    declared = [(a, i + 1) for i, a in enumerate(crowd)]
    escrow.accept_order(order_id, declared, sender=supplier)
    assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == declared


def test_payees_of__unknown_id__empty(escrow):
    assert escrow.payees_of(3) == []


def test_order_count__counts_every_order_ever_created(escrow, make_order, buyer):
    assert escrow.order_count() == 0
    first = make_order()
    make_order()
    escrow.cancel_order(first, sender=buyer)
    assert escrow.order_count() == 2
    assert make_order() == 3


def test_deadlines__through_the_lifecycle(escrow, make_order, supplier, buyer, admin, chain):
    t0 = chain.pending_timestamp + 10
    chain.pending_timestamp = t0
    order_id = make_order(ship_in=5 * DAY, review_period=2 * DAY)
    ship_by = t0 + 5 * DAY
    assert escrow.deadlines(order_id) == (ship_by, 0, 0)
    escrow.accept_order(order_id, [], sender=supplier)
    assert escrow.deadlines(order_id) == (ship_by, 0, 0)
    chain.pending_timestamp = t0 + DAY
    escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
    assert escrow.deadlines(order_id) == (ship_by, t0 + 3 * DAY, 0)
    chain.pending_timestamp = t0 + 2 * DAY
    escrow.dispute(order_id, h("dent"), sender=buyer)
    assert escrow.deadlines(order_id) == (ship_by, t0 + 3 * DAY, t0 + 2 * DAY + ARBITRATION_DEFAULT)
    escrow.set_arbitration_timeout(3_600, sender=admin)
    assert escrow.deadlines(order_id) == (ship_by, t0 + 3 * DAY, t0 + 2 * DAY + 3_600)


def test_deadlines__unknown_id__zero(escrow):
    assert escrow.deadlines(8) == (0, 0, 0)


def test_receipt_digest__matches_eip712_computed_in_python(escrow, chain):
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak(text="FactoryChain"),
                keccak(text="1"),
                chain.chain_id,
                escrow.address,
            ],
        )
    )
    typehash = keccak(text="DeliveryReceipt(uint256 orderId,bytes32 receiptHash,uint256 deadline)")
    for order_id, receipt_hash, deadline in [(1, h("GRN"), 1_800_000_000), (2**256 - 1, b"\x00" * 32, 0)]:
        struct_hash = keccak(encode(["bytes32", "uint256", "bytes32", "uint256"], [typehash, order_id, receipt_hash, deadline]))
        assert escrow.receipt_digest(order_id, receipt_hash, deadline) == keccak(b"\x19\x01" + domain + struct_hash)


def test_credit_of__nobody_owed__zero(escrow, buyer, erc20):
    assert escrow.credit_of(buyer, ZERO) == 0
    assert escrow.credit_of(buyer, erc20) == 0


def test_registry__is_the_constructor_argument(escrow, registry):
    assert escrow.registry() == registry.address
