"""Delivery receipts (EIP-712, v2) under attack: a receipt signed for another shipment, another lot,
another order or another escrow; wrong domain name, version or chain; malleable, compact and
malformed signatures; replays; deadlines to the second; ERC-1271 wallets beside EOAs. Digests are
built here from the EIP-712 definition, not read from the contract, so a wrong domain or type in
the contract could not hide behind its own view."""

import ape
import pytest

from _adv_support import (
    Party,
    domain_separator,
    high_s,
    open_deal,
    pushes,
    receipt_digest,
    session_state_first,  # noqa: F401  (autouse)
    sig64,
    sig65,
    sign_digest,
    sign_receipt,
)
from conftest import DAY, LOT, PART_ID, ZERO, Money, h

RECEIPT = h("GRN-77")
INVALID = "escrow: invalid signature"
ETH = Money("eth", None)
PRICE = 10**15


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + DAY


@pytest.fixture
def two_lots(escrow, chain, admin, buyer, supplier, inspector):
    """One order, two shipped lots with different shipment hashes."""
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), inspector=inspector,
        quantity=10, unit_price=PRICE, stage="shipped", lot_quantity=4, shipment_hash=h("ASN-1"),
    )
    escrow.ship(deal.order_id, 6, h("ASN-2"), sender=supplier)
    return deal


def sign(signer, chain, escrow, order_id, lot, shipment, deadline, receipt=RECEIPT, **domain):
    return sign_receipt(signer, chain.chain_id, escrow.address, order_id, lot, shipment, receipt, deadline, **domain)


def test_receipt__signed_for_another_shipment_lot_or_receipt__reverts(
    escrow, two_lots, buyer, stranger, chain, deadline
):
    order_id = two_lots.order_id
    wrong = {
        "another shipment (lot 2 named with lot 1's documents)": (2, sign(buyer, chain, escrow, order_id, 2, h("ASN-1"), deadline)),
        "a made-up shipment": (1, sign(buyer, chain, escrow, order_id, 1, h("ASN-forged"), deadline)),
        "no shipment hash": (1, sign(buyer, chain, escrow, order_id, 1, bytes(32), deadline)),
        "lot 1's receipt brought for lot 2": (2, sign(buyer, chain, escrow, order_id, 1, h("ASN-1"), deadline)),
        "another receipt hash": (1, sign(buyer, chain, escrow, order_id, 1, h("ASN-1"), deadline, receipt=h("other"))),
        "another deadline": (1, sign(buyer, chain, escrow, order_id, 1, h("ASN-1"), deadline + 1)),
    }
    for case, (lot, signature) in wrong.items():
        with ape.reverts(INVALID):
            escrow.confirm_delivery_signed(order_id, lot, RECEIPT, deadline, signature, sender=stranger)
    assert [escrow.get_lot(order_id, n).status for n in (1, 2)] == [LOT["SHIPPED"], LOT["SHIPPED"]], case

    good = sign(buyer, chain, escrow, order_id, 2, h("ASN-2"), deadline)
    tx = escrow.confirm_delivery_signed(order_id, 2, RECEIPT, deadline, good, sender=stranger)

    assert tx.events.filter(escrow.DeliveryConfirmed) == [
        escrow.DeliveryConfirmed(order_id=order_id, lot=2, confirmer=buyer.address, receipt_hash=RECEIPT)
    ]
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_receipt__lots_with_the_same_shipment_hash__still_not_interchangeable(
    escrow, chain, admin, buyer, supplier, stranger, deadline
):
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=2, unit_price=PRICE,
        stage="shipped", lot_quantity=1, shipment_hash=bytes(32),
    )
    escrow.ship(deal.order_id, 1, bytes(32), sender=supplier)
    assert escrow.get_lot(deal.order_id, 2).shipment_hash == bytes(32)
    signature = sign(buyer, chain, escrow, deal.order_id, 1, bytes(32), deadline)
    with ape.reverts(INVALID):
        escrow.confirm_delivery_signed(deal.order_id, 2, RECEIPT, deadline, signature, sender=stranger)
    escrow.confirm_delivery_signed(deal.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.get_lot(deal.order_id, 2).status == LOT["SHIPPED"]


def test_receipt__same_receipt_twice__second_reverts_and_pays_nothing(
    escrow, two_lots, buyer, supplier, stranger, chain, deadline
):
    signature = sign(buyer, chain, escrow, two_lots.order_id, 1, h("ASN-1"), deadline)
    escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    balance = supplier.balance
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert supplier.balance == balance


def test_receipt__for_another_order_with_the_same_lot_and_shipment__reverts(
    escrow, chain, admin, buyer, supplier, stranger, deadline
):
    first, second = (
        open_deal(escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=1,
                  unit_price=PRICE, stage="shipped", shipment_hash=h("ASN"))
        for _ in range(2)
    )
    signature = sign(buyer, chain, escrow, first.order_id, 1, h("ASN"), deadline)
    with ape.reverts(INVALID):
        escrow.confirm_delivery_signed(second.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    escrow.confirm_delivery_signed(first.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.get_lot(second.order_id, 1).status == LOT["SHIPPED"]


def test_receipt__for_another_escrow__reverts(project, escrow, registry, chain, admin, buyer, supplier, stranger, deadline):
    """Same order id, lot, shipment, buyer and receipt, on a second escrow: only the verifying contract differs."""
    other = project.OrderEscrow.deploy(registry, admin, sender=admin)
    deals = [
        open_deal(e, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=1,
                  unit_price=PRICE, stage="shipped", shipment_hash=h("ASN"))
        for e in (escrow, other)
    ]
    assert deals[0].order_id == deals[1].order_id == 1
    signature = sign(buyer, chain, escrow, 1, 1, h("ASN"), deadline)

    with ape.reverts(INVALID):
        other.confirm_delivery_signed(1, 1, RECEIPT, deadline, signature, sender=stranger)

    assert other.get_lot(1, 1).status == LOT["SHIPPED"]
    escrow.confirm_delivery_signed(1, 1, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.get_lot(1, 1).status == LOT["COMPLETED"]


@pytest.mark.parametrize(
    "domain",
    [dict(version="1"), dict(name="FactoryChain v2"), dict(chain="mainnet"), dict(chain="next")],
    ids=["version-1", "other-name", "mainnet", "next-chain"],
)
def test_receipt__wrong_domain__reverts(domain, escrow, two_lots, buyer, inspector, stranger, chain, deadline):
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(chain.chain_id, escrow.address)
    domain = dict(domain)
    chain_id = {"mainnet": 1, "next": chain.chain_id + 1, None: chain.chain_id}[domain.pop("chain", None)]
    for signer in (buyer, inspector):
        digest = receipt_digest(chain_id, escrow.address, two_lots.order_id, 1, h("ASN-1"), RECEIPT, deadline, **domain)
        with ape.reverts(INVALID):
            escrow.confirm_delivery_signed(
                two_lots.order_id, 1, RECEIPT, deadline, sig65(*sign_digest(signer.private_key, digest)), sender=stranger
            )
    assert escrow.get_lot(two_lots.order_id, 1).status == LOT["SHIPPED"]


def test_eip712_domain__names_factorychain_version_2_this_chain_this_escrow(escrow, chain):
    fields, name, version, chain_id, contract, salt, extensions = escrow.eip712Domain()
    assert (bytes(fields), name, version, chain_id, contract, bytes(salt), list(extensions)) == (
        b"\x0f", "FactoryChain", "2", chain.chain_id, escrow.address, bytes(32), [],
    )


def test_receipt__high_s_twin__reverts_low_s_accepted(escrow, two_lots, buyer, stranger, chain, deadline):
    digest = receipt_digest(chain.chain_id, escrow.address, two_lots.order_id, 1, h("ASN-1"), RECEIPT, deadline)
    v, r, s = sign_digest(buyer.private_key, digest)
    with ape.reverts("ecdsa: invalid signature `s` value"):
        escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, high_s(v, r, s), sender=stranger)
    escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, sig65(v, r, s), sender=stranger)
    assert escrow.get_lot(two_lots.order_id, 1).status == LOT["COMPLETED"]


def test_receipt__eip2098_compact__accepted_once_then_every_form_refused(
    escrow, two_lots, inspector, supplier, stranger, chain, deadline
):
    digest = receipt_digest(chain.chain_id, escrow.address, two_lots.order_id, 2, h("ASN-2"), RECEIPT, deadline)
    v, r, s = sign_digest(inspector.private_key, digest)
    compact = sig64(v, r, s)
    assert len(compact) == 64
    balance = supplier.balance

    tx = escrow.confirm_delivery_signed(two_lots.order_id, 2, RECEIPT, deadline, compact, sender=stranger)

    assert tx.events.filter(escrow.DeliveryConfirmed) == [
        escrow.DeliveryConfirmed(order_id=two_lots.order_id, lot=2, confirmer=inspector.address, receipt_hash=RECEIPT)
    ]
    assert supplier.balance == balance + 6 * PRICE
    for replay in (compact, sig65(v, r, s)):
        with ape.reverts("escrow: lot not shipped"):
            escrow.confirm_delivery_signed(two_lots.order_id, 2, RECEIPT, deadline, replay, sender=stranger)
    assert supplier.balance == balance + 6 * PRICE


def test_receipt__malformed_signatures__revert_with_reasons(escrow, two_lots, buyer, stranger, chain, deadline):
    digest = receipt_digest(chain.chain_id, escrow.address, two_lots.order_id, 1, h("ASN-1"), RECEIPT, deadline)
    v, r, s = sign_digest(buyer.private_key, digest)
    good = sig65(v, r, s)
    for bad, reason in (
        (good[:63], INVALID),
        (b"", INVALID),
        (sig65(v, 0, s), "ecdsa: invalid signature"),
        (sig65(v - 27, r, s), "ecdsa: invalid signature"),
    ):
        with ape.reverts(reason):
            escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, bad, sender=stranger)
    assert escrow.get_lot(two_lots.order_id, 1).status == LOT["SHIPPED"]


def test_receipt__signed_by_someone_who_may_not_confirm__reverts(
    escrow, chain, admin, buyer, supplier, inspector, arbiter, stranger, deadline
):
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), quantity=1, unit_price=PRICE,
        stage="shipped", shipment_hash=h("ASN"),
    )  # no inspector on this agreement: the usual inspector is nobody here
    for signer in (supplier, stranger, arbiter, inspector):
        signature = sign(signer, chain, escrow, deal.order_id, 1, h("ASN"), deadline)
        with ape.reverts(INVALID):
            escrow.confirm_delivery_signed(deal.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert escrow.get_lot(deal.order_id, 1).status == LOT["SHIPPED"]


def test_receipt__deadline_to_the_second__inclusive(escrow, two_lots, buyer, stranger, chain):
    deadline = chain.pending_timestamp + 600
    signature = sign(buyer, chain, escrow, two_lots.order_id, 1, h("ASN-1"), deadline)
    with chain.isolate():
        chain.pending_timestamp = deadline + 1
        with ape.reverts("escrow: receipt expired"):
            escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    chain.pending_timestamp = deadline
    tx = escrow.confirm_delivery_signed(two_lots.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert tx.timestamp == deadline
    assert escrow.get_lot(two_lots.order_id, 1).status == LOT["COMPLETED"]


def test_domain_separator__after_chain_id_change__follows_the_chain(escrow, two_lots, chain):
    """After a fork the old chain's receipts stop verifying: the separator is re-computed."""
    original = chain.chain_id
    order_id = two_lots.order_id
    chain.provider.make_request("anvil_setChainId", [original + 7])
    try:
        assert escrow.DOMAIN_SEPARATOR() == domain_separator(original + 7, escrow.address)
        assert escrow.receipt_digest(order_id, 2, RECEIPT, 10) == receipt_digest(
            original + 7, escrow.address, order_id, 2, h("ASN-2"), RECEIPT, 10
        )
    finally:
        chain.provider.make_request("anvil_setChainId", [original])
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(original, escrow.address)
    with ape.reverts("escrow: unknown lot"):
        escrow.receipt_digest(order_id, 3, RECEIPT, 10)


# ---------------------------------------------------------------- ERC-1271 wallets


@pytest.fixture
def owner(accounts):
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture
def wallet(project, admin, owner):
    return project.MockWallet1271.deploy(owner, sender=admin)


def test_wallet_inspector__owner_signature_or_approved_hash__confirms(
    escrow, chain, admin, buyer, supplier, stranger, wallet, owner, deadline
):
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(buyer), supplier=Party(supplier), inspector=wallet,
        quantity=3, unit_price=PRICE, stage="shipped", lot_quantity=1, shipment_hash=h("ASN-1"),
    )
    escrow.ship(deal.order_id, 1, h("ASN-2"), sender=supplier)
    escrow.ship(deal.order_id, 1, h("ASN-3"), sender=supplier)
    # Lot 1: the wallet's owner key signs; the wallet answers ERC-1271.
    signature = sign(owner, chain, escrow, deal.order_id, 1, h("ASN-1"), deadline)
    tx = escrow.confirm_delivery_signed(deal.order_id, 1, RECEIPT, deadline, signature, sender=stranger)
    assert tx.events.filter(escrow.DeliveryConfirmed)[0].confirmer == wallet.address
    # Lot 2: the same owner signature is no good for another lot...
    with ape.reverts(INVALID):
        escrow.confirm_delivery_signed(deal.order_id, 2, RECEIPT, deadline, signature, sender=stranger)
    # ...but a Safe-style approved digest is, with any signature bytes at all.
    digest = receipt_digest(chain.chain_id, escrow.address, deal.order_id, 2, h("ASN-2"), RECEIPT, deadline)
    wallet.approve_hash(digest, sender=owner)
    tx = escrow.confirm_delivery_signed(deal.order_id, 2, RECEIPT, deadline, b"\x01" * 65, sender=stranger)
    assert tx.events.filter(escrow.DeliveryConfirmed)[0].confirmer == wallet.address
    # Lot 3: the EOA buyer still confirms beside the wallet.
    signature = sign(buyer, chain, escrow, deal.order_id, 3, h("ASN-3"), deadline)
    tx = escrow.confirm_delivery_signed(deal.order_id, 3, RECEIPT, deadline, signature, sender=stranger)
    assert tx.events.filter(escrow.DeliveryConfirmed)[0].confirmer == buyer.address


def test_wallet_buyer__wallet_and_eoa_inspector_confirm__others_refused(
    escrow, registry, oem, chain, admin, supplier, inspector, stranger, wallet, owner, deadline
):
    registry.grant_access(PART_ID, wallet, sender=oem)
    deal = open_deal(
        escrow, chain, admin, money=ETH, buyer=Party(wallet, owner), supplier=Party(supplier), inspector=inspector,
        quantity=2, unit_price=PRICE, stage="shipped", lot_quantity=1, shipment_hash=h("ASN-1"),
    )
    escrow.ship(deal.order_id, 1, h("ASN-2"), sender=supplier)
    by_wallet = sign(owner, chain, escrow, deal.order_id, 1, h("ASN-1"), deadline)
    by_inspector = sign(inspector, chain, escrow, deal.order_id, 2, h("ASN-2"), deadline)
    # Neither the wallet (asked first) nor the EOA inspector signed these.
    for signature in (
        sign(stranger, chain, escrow, deal.order_id, 2, h("ASN-2"), deadline),
        sign(owner, chain, escrow, deal.order_id, 1, h("ASN-1"), deadline),  # lot 1's receipt for lot 2
    ):
        with ape.reverts(INVALID):
            escrow.confirm_delivery_signed(deal.order_id, 2, RECEIPT, deadline, signature, sender=stranger)

    first = escrow.confirm_delivery_signed(deal.order_id, 1, RECEIPT, deadline, by_wallet, sender=stranger)
    second = escrow.confirm_delivery_signed(deal.order_id, 2, RECEIPT, deadline, by_inspector, sender=stranger)

    assert first.events.filter(escrow.DeliveryConfirmed)[0].confirmer == wallet.address
    assert second.events.filter(escrow.DeliveryConfirmed)[0].confirmer == inspector.address
    assert pushes(second) == [("Paid", supplier.address, PRICE)]
    assert escrow.credit_of(wallet, ZERO) == 0
