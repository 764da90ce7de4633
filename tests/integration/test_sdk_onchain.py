"""The SDK against real contracts on Anvil: design sharing round trips and relayed receipts."""

from __future__ import annotations

from pathlib import Path

import ape
import pytest
from eth_utils import keccak
from hypothesis import given, strategies as st

from conftest import DAY, STATUS, h
from factorychain import (
    LocalStore,
    fetch_design,
    part_id as make_part_id,
    publish_design,
    share_design_key,
    sign_receipt,
)
from factorychain.errors import (
    DecryptionError,
    DomainMismatchError,
    EnvelopeError,
    EnvelopeNotFoundError,
    HashMismatchError,
    ReceiptError,
    WrongSignerError,
)
from factorychain.keys import public_key_from_private
from factorychain.orders import relay_receipt

DESIGN_A = b"bracket rev A: S355, 8 mm, 4x M10"
DESIGN_B = b"bracket rev B: S355, 10 mm, 4x M12"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def shared_part(registry, oem, supplier, store):
    """A design published by the OEM and its key shared with the supplier."""
    pid = make_part_id("PN-SDK-1")
    design = publish_design(registry, oem, pid, DESIGN_A, store)
    registry.grant_access(pid, supplier, sender=oem)
    share_design_key(registry, oem, pid, 1, public_key_from_private(supplier.private_key), design.content_key)
    return pid, design


def test_round_trip__partner_reads_verified_design(registry, supplier, shared_part):
    pid, design = shared_part
    assert registry.spec_hash(pid, 1) == keccak(DESIGN_A)
    assert registry.spec_uri(pid, 1) == design.uri
    assert fetch_design(registry, pid, 1, supplier.private_key) == DESIGN_A


def test_round_trip__ciphertext_in_store_is_not_the_design(shared_part):
    _, design = shared_part
    stored = Path(design.uri.removeprefix("file://")).read_bytes()
    assert DESIGN_A not in stored
    assert len(stored) > len(DESIGN_A)


def test_stranger__has_no_envelope(registry, stranger, shared_part):
    pid, _ = shared_part
    with pytest.raises(EnvelopeNotFoundError):
        fetch_design(registry, pid, 1, stranger.private_key)


def test_tampered_ciphertext__refused(registry, supplier, shared_part):
    pid, design = shared_part
    path = Path(design.uri.removeprefix("file://"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DecryptionError):
        fetch_design(registry, pid, 1, supplier.private_key)


def test_envelope_for_another_key__refused(registry, oem, supplier, sub1, shared_part):
    """An envelope addressed to the supplier's address but encrypted to another key opens for nobody."""
    pid, design = shared_part
    registry.grant_access(pid, sub1, sender=oem)
    # Encrypted to sub1's key but published for sub1: the supplier's key must not open it.
    share_design_key(registry, oem, pid, 1, public_key_from_private(sub1.private_key), design.content_key)
    assert fetch_design(registry, pid, 1, sub1.private_key) == DESIGN_A
    wrong = share_design_key(
        registry, oem, pid, 1, public_key_from_private(sub1.private_key), design.content_key, partner=supplier
    )
    assert wrong.partner == supplier.address
    # The supplier still reads through its own, older envelope...
    assert fetch_design(registry, pid, 1, supplier.private_key) == DESIGN_A


def test_only_wrong_envelopes__refused(registry, oem, sub2, sub1, store):
    pid = make_part_id("PN-SDK-2")
    design = publish_design(registry, oem, pid, DESIGN_A, store)
    registry.grant_access(pid, sub2, sender=oem)
    share_design_key(
        registry, oem, pid, 1, public_key_from_private(sub1.private_key), design.content_key, partner=sub2
    )
    with pytest.raises(EnvelopeError):
        fetch_design(registry, pid, 1, sub2.private_key)


def test_hash_mismatch__refused(registry, oem, supplier, store):
    """A document swapped in the store under a valid key but a different plaintext is caught by spec_hash."""
    pid = make_part_id("PN-SDK-3")
    design = publish_design(registry, oem, pid, DESIGN_A, store)
    registry.grant_access(pid, supplier, sender=oem)
    share_design_key(registry, oem, pid, 1, public_key_from_private(supplier.private_key), design.content_key)
    from factorychain import encrypt_document

    forged = encrypt_document(DESIGN_B, design.content_key, pid, 1)
    Path(design.uri.removeprefix("file://")).write_bytes(forged)
    with pytest.raises(HashMismatchError):
        fetch_design(registry, pid, 1, supplier.private_key)


def test_revoked_partner__cannot_read_next_version(registry, oem, supplier, sub1, shared_part, store):
    pid, _ = shared_part
    registry.grant_access(pid, sub1, sender=oem)
    registry.revoke_access(pid, supplier, sender=oem)
    v2 = publish_design(registry, oem, pid, DESIGN_B, store)
    assert v2.version == 2
    share_design_key(registry, oem, pid, 2, public_key_from_private(sub1.private_key), v2.content_key)
    assert fetch_design(registry, pid, 2, sub1.private_key) == DESIGN_B
    with pytest.raises(EnvelopeNotFoundError):
        fetch_design(registry, pid, 2, supplier.private_key)
    # Re-keyed: the revoked partner's old key does not open the new version.
    from factorychain import decrypt_document

    _, old = shared_part
    with pytest.raises(DecryptionError):
        decrypt_document(Path(v2.uri.removeprefix("file://")).read_bytes(), old.content_key, pid, 2)


def test_share_key__to_partner_without_access__refused_before_sending(registry, oem, stranger, shared_part):
    pid, design = shared_part
    from factorychain.errors import RegistryError

    with pytest.raises(RegistryError):
        share_design_key(registry, oem, pid, 1, public_key_from_private(stranger.private_key), design.content_key)


@given(document=st.binary(min_size=0, max_size=4096))
def test_round_trip__any_document(registry, oem, supplier, chain, tmp_path_factory, document):
    with chain.isolate():
        store = LocalStore(tmp_path_factory.mktemp("prop"))
        pid = make_part_id("PN-PROP")
        design = publish_design(registry, oem, pid, document, store)
        registry.grant_access(pid, supplier, sender=oem)
        share_design_key(registry, oem, pid, 1, public_key_from_private(supplier.private_key), design.content_key)
        assert fetch_design(registry, pid, 1, supplier.private_key) == document


# ---------------------------------------------------------------- receipts


def _receipt(signer, escrow, chain, order_id, *, deadline=None, chain_id=None, escrow_address=None):
    return sign_receipt(
        signer.private_key,
        order_id,
        h("GRN-7"),
        deadline if deadline is not None else chain.pending_timestamp + DAY,
        chain_id if chain_id is not None else chain.chain_id,
        escrow_address or escrow.address,
    )


def test_sdk_receipt__by_inspector__relayed_and_pays(escrow, make_order, inspector, stranger, supplier, chain):
    order_id = make_order(stage="shipped")
    before = supplier.balance
    tx = relay_receipt(escrow, _receipt(inspector, escrow, chain, order_id), stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]
    assert supplier.balance - before == 10**18
    confirmed = tx.events.filter(escrow.DeliveryConfirmed)
    assert [(e.order_id, e.confirmer, e.receipt_hash) for e in confirmed] == [(order_id, inspector.address, h("GRN-7"))]


def test_sdk_receipt__by_buyer__accepted_without_sdk_checks(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = _receipt(buyer, escrow, chain, order_id)
    escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_sdk_digest__matches_contract(escrow, make_order, inspector, chain):
    order_id = make_order(stage="shipped")
    receipt = _receipt(inspector, escrow, chain, order_id)
    assert escrow.receipt_digest(order_id, h("GRN-7"), receipt.deadline) == receipt.digest()


def test_relay__wrong_signer__refused_before_gas(escrow, make_order, stranger, chain):
    order_id = make_order(stage="shipped")
    with pytest.raises(WrongSignerError):
        relay_receipt(escrow, _receipt(stranger, escrow, chain, order_id), stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


def test_relay__foreign_chain__refused_and_contract_agrees(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    foreign = _receipt(inspector, escrow, chain, order_id, chain_id=chain.chain_id + 1)
    with pytest.raises(DomainMismatchError):
        relay_receipt(escrow, foreign, stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(*foreign.as_args(), sender=stranger)


def test_relay__expired__refused_and_contract_agrees(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = _receipt(inspector, escrow, chain, order_id, deadline=chain.pending_timestamp + 60)
    chain.pending_timestamp += 61
    with pytest.raises(ReceiptError):
        relay_receipt(escrow, receipt, stranger)
    with ape.reverts("escrow: receipt expired"):
        escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)


def test_relay__replayed__refused(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = _receipt(inspector, escrow, chain, order_id)
    relay_receipt(escrow, receipt, stranger)
    with pytest.raises(ReceiptError):
        relay_receipt(escrow, receipt, stranger)
    with ape.reverts("escrow: not shipped"):
        escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)
