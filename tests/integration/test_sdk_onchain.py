"""The SDK against real contracts on Anvil: design sharing, agreements from human terms, lot receipts, payout previews."""

from __future__ import annotations

from pathlib import Path

import ape
import pytest
from eth_utils import keccak
from hypothesis import given, strategies as st

from conftest import DAY, LOT, h
from factorychain import (
    LocalStore,
    Terms,
    agreement_terms,
    domain_separator,
    fetch_design,
    lot_transfers,
    order_confirmers,
    part_id as make_part_id,
    payee_shares,
    penalty_if_shipped,
    preview_lot_payout,
    publish_design,
    receipt_digest,
    relay_receipt,
    share_design_key,
    sign_lot_receipt,
    sign_receipt,
)
from factorychain.errors import (
    DecryptionError,
    DomainMismatchError,
    EnvelopeError,
    EnvelopeNotFoundError,
    HashMismatchError,
    LotNotShippedError,
    ReceiptExpiredError,
    ShipmentMismatchError,
    WrongSignerError,
)
from factorychain.keys import public_key_from_private

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


# ---------------------------------------------------------------- agreements from human values


def test_agreement_terms__accepted_by_the_escrow_as_is(escrow, part, buyer, supplier, inspector, sub1, sub2, chain):
    terms = agreement_terms(
        supplier=supplier, part_id=part, version=1, unit_price="0.0125", max_quantity=3_000,
        valid_until=chain.pending_timestamp + 365 * DAY, review_period="3d", inspector=inspector,
        grace_period="5d", penalty_per_day="1%", penalty_cap="10%",
    )  # fmt: skip
    agreement_id = escrow.propose_agreement(terms, sender=buyer).return_value
    escrow.accept_agreement(agreement_id, payee_shares([(sub1, "15%"), (sub2, "8%")]), sender=supplier)

    stored = escrow.get_agreement(agreement_id)
    assert Terms.from_struct(stored.terms) == terms
    assert [(p.account, p.share_bps) for p in escrow.payees_of(agreement_id)] == [(sub1.address, 1_500), (sub2.address, 800)]
    assert stored.status == 2


def test_order_confirmers__from_the_agreement(escrow, make_order, buyer, inspector):
    assert order_confirmers(escrow, make_order()) == [buyer.address, inspector.address]
    assert order_confirmers(escrow, make_order(inspector=None)) == [buyer.address]


# ---------------------------------------------------------------- lot receipts


def test_sdk_receipt__by_inspector__relayed_and_pays(escrow, make_order, inspector, stranger, supplier, chain):
    order_id = make_order(stage="shipped")
    receipt = sign_lot_receipt(escrow, inspector, order_id, 1, h("GRN-7"), chain.pending_timestamp + DAY)
    assert receipt.shipment_hash == h("ASN-1") and receipt.chain_id == chain.chain_id
    before = supplier.balance

    tx = relay_receipt(escrow, receipt, stranger)

    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]
    assert supplier.balance - before == 1_000 * 10**15
    confirmed = tx.events.filter(escrow.DeliveryConfirmed)
    assert [(e.order_id, e.lot, e.confirmer, e.receipt_hash) for e in confirmed] == [
        (order_id, 1, inspector.address, h("GRN-7"))
    ]


def test_sdk_receipt__by_buyer__accepted_without_sdk_checks(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(stage="shipped")
    shipment = escrow.get_lot(order_id, 1).shipment_hash
    receipt = sign_receipt(
        buyer, order_id, 1, shipment, h("GRN-7"), chain.pending_timestamp + DAY, chain.chain_id, escrow,
        now=chain.pending_timestamp,
    )  # fmt: skip
    escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


@pytest.mark.parametrize("shipment", [h("ASN-9"), bytes(32)], ids=["hash", "zero-hash"])
def test_sdk_digest__matches_contract(escrow, make_order, supplier, inspector, chain, shipment):
    order_id = make_order(lot_quantity=400, stage="shipped")
    escrow.ship(order_id, 600, shipment, sender=supplier)
    receipt = sign_lot_receipt(escrow, inspector, order_id, 2, h("GRN-7"), chain.pending_timestamp + DAY)
    assert receipt.shipment_hash == shipment
    assert escrow.receipt_digest(order_id, 2, h("GRN-7"), receipt.deadline) == receipt.digest()
    assert bytes(escrow.DOMAIN_SEPARATOR()) == domain_separator(chain.chain_id, escrow)
    assert receipt_digest(order_id, 2, shipment, h("GRN-7"), 5, chain.chain_id, escrow) == escrow.receipt_digest(
        order_id, 2, h("GRN-7"), 5
    )


def test_sign__expired_at_chain_time__refused(escrow, make_order, inspector, chain):
    order_id = make_order(stage="shipped")
    with pytest.raises(ReceiptExpiredError, match="already past"):
        sign_lot_receipt(escrow, inspector, order_id, 1, h("GRN-7"), chain.pending_timestamp - 1)


def test_relay__wrong_signer__refused_before_gas(escrow, make_order, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = sign_lot_receipt(escrow, stranger, order_id, 1, h("GRN-7"), chain.pending_timestamp + DAY, check=False)
    with pytest.raises(WrongSignerError):
        relay_receipt(escrow, receipt, stranger)
    with pytest.raises(WrongSignerError):
        sign_lot_receipt(escrow, stranger, order_id, 1, h("GRN-7"), chain.pending_timestamp + DAY)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_relay__foreign_chain__refused_and_contract_agrees(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    foreign = sign_receipt(
        inspector, order_id, 1, h("ASN-1"), h("GRN-7"), chain.pending_timestamp + DAY, chain.chain_id + 1, escrow,
        now=chain.pending_timestamp,
    )  # fmt: skip
    with pytest.raises(DomainMismatchError):
        relay_receipt(escrow, foreign, stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(*foreign.as_args(), sender=stranger)


def test_relay__another_shipment__refused_and_contract_agrees(escrow, make_order, supplier, inspector, stranger, chain):
    """A receipt for lot 2 that names lot 1's shipment: the SDK says why, the escrow refuses it."""
    order_id = make_order(lot_quantity=400, stage="shipped")
    escrow.ship(order_id, 600, h("ASN-2"), sender=supplier)
    wrong = sign_receipt(
        inspector, order_id, 2, h("ASN-1"), h("GRN-7"), chain.pending_timestamp + DAY, chain.chain_id, escrow,
        now=chain.pending_timestamp,
    )  # fmt: skip
    with pytest.raises(ShipmentMismatchError, match="was shipped as 0x" + h("ASN-2").hex()):
        relay_receipt(escrow, wrong, stranger)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(*wrong.as_args(), sender=stranger)


def test_relay__expired__refused_and_contract_agrees(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = sign_lot_receipt(escrow, inspector, order_id, 1, h("GRN-7"), chain.pending_timestamp + 60)
    chain.pending_timestamp += 61
    with pytest.raises(ReceiptExpiredError):
        relay_receipt(escrow, receipt, stranger)
    with ape.reverts("escrow: receipt expired"):
        escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)


def test_relay__replayed__refused(escrow, make_order, inspector, stranger, chain):
    order_id = make_order(stage="shipped")
    receipt = sign_lot_receipt(escrow, inspector, order_id, 1, h("GRN-7"), chain.pending_timestamp + DAY)
    relay_receipt(escrow, receipt, stranger)
    with pytest.raises(LotNotShippedError, match=f"lot 1 of order {order_id} is COMPLETED, not SHIPPED"):
        relay_receipt(escrow, receipt, stranger)
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery_signed(*receipt.as_args(), sender=stranger)


# ---------------------------------------------------------------- payout previews against the escrow's pushes


def test_preview__late_assigned_lot__equals_the_paid_events(
    escrow, make_order, money, buyer, supplier, sub1, sub2, stranger, chain
):
    """Two days late, assigned to a bank: the SDK's preview is what the escrow pays, to the wei."""
    order_id = make_order(money=money, quantity=777, payees=[(sub1, 1_500), (sub2, 800)], unit_price=10**15 + 3)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 2 * DAY
    assert penalty_if_shipped(escrow, order_id) == 200
    escrow.ship(order_id, 777, h("ASN-late"), sender=supplier)
    assert escrow.get_lot(order_id, 1).penalty_bps == 200

    expected = lot_transfers(escrow, order_id, 1)
    payout = preview_lot_payout(escrow, order_id, 1)
    tx = escrow.confirm_delivery(order_id, 1, h("GRN"), sender=buyer)

    paid = [(e.payee, e.amount) for e in tx.events.filter(escrow.Paid)]
    assert paid == expected
    assert [a for a, _ in expected] == [sub1.address, sub2.address, stranger.address, buyer.address]
    assert payout.total == 777 * (10**15 + 3) and payout.penalty == payout.value * 200 // 10_000


def test_preview__resolution__equals_the_paid_events(escrow, make_order, arbiter, sub1, chain):
    order_id = make_order(payees=[(sub1, 2_500)], stage="disputed")
    expected = lot_transfers(escrow, order_id, 1, supplier_bps=6_100)
    tx = escrow.resolve(order_id, 1, 6_100, sender=arbiter)
    assert [(e.payee, e.amount) for e in tx.events.filter(escrow.Paid)] == expected
