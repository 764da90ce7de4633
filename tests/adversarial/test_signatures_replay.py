"""Delivery receipts under attack: replay across orders, chains and escrows, malleable and compact
signatures, deadlines to the second. Digests are built here from the EIP-712 definition, not read
from the contract, so a wrong domain in the contract could not hide behind its own view."""

import ape
import pytest

from _adv_support import high_s, receipt_digest, sig64, sig65, sign_digest, sign_receipt, domain_separator
from conftest import STATUS, h

RECEIPT = h("GRN-77")


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + 86_400


def test_confirm_delivery_signed__receipt_for_another_order__reverts(
    escrow, make_order, buyer, stranger, chain, deadline
):
    first = make_order(stage="shipped")
    second = make_order(stage="shipped")
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, first, RECEIPT, deadline)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(second, RECEIPT, deadline, signature, sender=stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(first, h("other receipt"), deadline, signature, sender=stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(first, RECEIPT, deadline + 1, signature, sender=stranger)
    assert escrow.status(second) == STATUS["SHIPPED"]

    tx = escrow.confirm_delivery_signed(first, RECEIPT, deadline, signature, sender=stranger)

    assert tx.events.filter(escrow.DeliveryConfirmed) == [
        escrow.DeliveryConfirmed(order_id=first, confirmer=buyer.address, receipt_hash=RECEIPT)
    ]
    assert escrow.status(second) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__same_receipt_twice__second_reverts(escrow, make_order, buyer, supplier, stranger, chain, deadline):
    order_id = make_order(stage="shipped")
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, order_id, RECEIPT, deadline)
    escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    balance = supplier.balance
    with ape.reverts("escrow: not shipped"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    assert supplier.balance == balance


def test_confirm_delivery_signed__signed_for_another_chain__reverts(escrow, make_order, buyer, inspector, stranger, chain, deadline):
    order_id = make_order(stage="shipped")
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(chain.chain_id, escrow.address)
    for signer in (buyer, inspector):
        signature = sign_receipt(signer, chain.chain_id + 1, escrow.address, order_id, RECEIPT, deadline)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__signed_for_another_escrow__reverts(
    project, escrow, registry, make_order, admin, buyer, supplier, stranger, chain, deadline
):
    """Same order id, same buyer, same receipt, on a second escrow: only the verifying contract differs."""
    other = project.OrderEscrow.deploy(registry, admin, sender=admin)
    order_id = make_order(stage="shipped")
    other.create_order(
        supplier, escrow.get_order(order_id).part_id, 1, 1, "0x" + "00" * 20, 10**18, chain.pending_timestamp + 86_400,
        86_400, "0x" + "00" * 20, h("PO"), sender=buyer, value=10**18,
    )
    other.accept_order(order_id, [], sender=supplier)
    other.mark_shipped(order_id, h("ASN"), sender=supplier)
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, order_id, RECEIPT, deadline)

    with ape.reverts("escrow: invalid signature"):
        other.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)

    assert other.status(order_id) == STATUS["SHIPPED"]
    escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery_signed__high_s_twin__reverts(escrow, make_order, buyer, stranger, chain, deadline):
    order_id = make_order(stage="shipped")
    v, r, s = sign_digest(buyer.private_key, receipt_digest(chain.chain_id, escrow.address, order_id, RECEIPT, deadline))
    with ape.reverts("ecdsa: invalid signature `s` value"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, high_s(v, r, s), sender=stranger)
    escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, sig65(v, r, s), sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery_signed__eip2098_compact__accepted_once_then_replay_refused(
    escrow, make_order, inspector, supplier, stranger, chain, deadline
):
    order_id = make_order(stage="shipped")
    v, r, s = sign_digest(inspector.private_key, receipt_digest(chain.chain_id, escrow.address, order_id, RECEIPT, deadline))
    compact = sig64(v, r, s)
    assert len(compact) == 64
    balance = supplier.balance

    tx = escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, compact, sender=stranger)

    assert tx.events.filter(escrow.DeliveryConfirmed) == [
        escrow.DeliveryConfirmed(order_id=order_id, confirmer=inspector.address, receipt_hash=RECEIPT)
    ]
    assert supplier.balance == balance + 10**18
    for replay in (compact, sig65(v, r, s)):
        with ape.reverts("escrow: not shipped"):
            escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, replay, sender=stranger)
    assert supplier.balance == balance + 10**18


def test_confirm_delivery_signed__malformed_signatures__revert(escrow, make_order, buyer, stranger, chain, deadline):
    order_id = make_order(stage="shipped")
    v, r, s = sign_digest(buyer.private_key, receipt_digest(chain.chain_id, escrow.address, order_id, RECEIPT, deadline))
    good = sig65(v, r, s)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, good[:63], sender=stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, b"", sender=stranger)
    with ape.reverts("ecdsa: invalid signature"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, sig65(v, 0, s), sender=stranger)
    with ape.reverts("ecdsa: invalid signature"):
        escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, sig65(v - 27, r, s), sender=stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__signed_by_supplier_or_stranger__reverts(
    escrow, make_order, supplier, stranger, chain, deadline
):
    order_id = make_order(stage="shipped", order_inspector=None)
    for signer in (supplier, stranger):
        signature = sign_receipt(signer, chain.chain_id, escrow.address, order_id, RECEIPT, deadline)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__deadline_to_the_second__inclusive(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(stage="shipped")
    deadline = chain.pending_timestamp + 600
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, order_id, RECEIPT, deadline)
    with chain.isolate():
        chain.pending_timestamp = deadline + 1
        with ape.reverts("escrow: receipt expired"):
            escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    chain.pending_timestamp = deadline
    tx = escrow.confirm_delivery_signed(order_id, RECEIPT, deadline, signature, sender=stranger)
    assert tx.timestamp == deadline
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_domain_separator__after_chain_id_change__follows_the_chain(escrow, chain):
    """After a fork the old chain's receipts stop verifying: the separator is re-computed."""
    original = chain.chain_id
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(original, escrow.address)
    chain.provider.make_request("anvil_setChainId", [original + 7])
    try:
        assert escrow.DOMAIN_SEPARATOR() == domain_separator(original + 7, escrow.address)
        digest = escrow.receipt_digest(1, RECEIPT, 10)
        assert digest == receipt_digest(original + 7, escrow.address, 1, RECEIPT, 10)
    finally:
        chain.provider.make_request("anvil_setChainId", [original])
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(original, escrow.address)
