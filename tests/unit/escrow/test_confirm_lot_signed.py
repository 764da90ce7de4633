"""confirm_delivery_signed: an EIP-712 DeliveryReceipt by the buyer or inspector, relayed by anyone.

The digest is computed in `_lot_support` from SPEC v2's words (domain "FactoryChain"/"2", chain id,
the escrow; `DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,
uint256 deadline)`), checked against eth_account's typed-data encoder and the contract's
`receipt_digest`, and signed with eth_account from the test accounts' private keys.
"""

import ape
import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from conftest import DAY, LOT, UNIT_PRICE, ZERO, h, make_terms
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import (
    ASN,
    ASN_2,
    GRN,
    STAGED_LOTS,
    Balances,
    as_contract,
    domain_separator,
    receipt_digest,
    settlement_deltas,
    sign_digest,
    staged,  # noqa: F401  (fixture)
    to_compact,
    to_high_s,
)

QUANTITY = 501
VALUE = QUANTITY * UNIT_PRICE


@pytest.fixture
def sign(escrow, chain):
    """Signs a receipt for a lot of this escrow on this chain; any field may be overridden.

    `shipment_hash` defaults to the lot's stored hash (what an honest signer reads from the chain).
    """

    def _sign(signer, order_id, lot, *, deadline, receipt_hash=GRN, shipment_hash=None, chain_id=None, contract=None):
        if shipment_hash is None:
            shipment_hash = bytes(escrow.get_lot(order_id, lot).shipment_hash)
        digest = receipt_digest(
            chain_id=chain.chain_id if chain_id is None else chain_id,
            verifying_contract=contract or escrow,
            order_id=order_id,
            lot=lot,
            shipment_hash=shipment_hash,
            receipt_hash=receipt_hash,
            deadline=deadline,
        )
        return sign_digest(signer, digest)

    return _sign


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + DAY


def confirmed(escrow, order_id, lot, confirmer, receipt_hash=GRN):
    return escrow.DeliveryConfirmed(order_id=order_id, lot=lot, confirmer=confirmer, receipt_hash=receipt_hash)


# ---------------------------------------------------------------- the digest


def test_receipt_digest__own_encoder_matches_contract_and_eth_account(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=4, stage="shipped", lot_quantity=1)
    escrow.ship(order_id, 1, ASN_2, sender=supplier)
    fields = dict(chain_id=chain.chain_id, verifying_contract=escrow, order_id=order_id, receipt_hash=GRN, deadline=1_900_000_000)
    ours = receipt_digest(lot=2, shipment_hash=ASN_2, **fields)

    assert escrow.receipt_digest(order_id, 2, GRN, 1_900_000_000) == ours
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(chain.chain_id, escrow)
    typed = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "DeliveryReceipt": [
                    {"name": "orderId", "type": "uint256"},
                    {"name": "lot", "type": "uint256"},
                    {"name": "shipmentHash", "type": "bytes32"},
                    {"name": "receiptHash", "type": "bytes32"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "DeliveryReceipt",
            "domain": {"name": "FactoryChain", "version": "2", "chainId": chain.chain_id, "verifyingContract": escrow.address},
            "message": {"orderId": order_id, "lot": 2, "shipmentHash": ASN_2, "receiptHash": GRN, "deadline": 1_900_000_000},
        }
    )
    assert keccak(b"\x19" + typed.version + typed.header + typed.body) == ours
    # Every field moves the digest; lot 1 differs from lot 2 by its number and its shipment hash.
    assert escrow.receipt_digest(order_id, 1, GRN, 1_900_000_000) == receipt_digest(lot=1, shipment_hash=ASN, **fields)
    assert escrow.receipt_digest(order_id, 1, GRN, 1_900_000_000) != ours
    assert escrow.receipt_digest(order_id, 2, h("other"), 1_900_000_000) != ours
    assert escrow.receipt_digest(order_id, 2, GRN, 1_900_000_001) != ours


def test_receipt_digest__typehash_and_domain_views(escrow, chain):
    assert escrow.RECEIPT_TYPEHASH() == keccak(
        text="DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
    )
    domain = escrow.eip712Domain()
    assert (domain[1], domain[2], domain[3], domain[4]) == ("FactoryChain", "2", chain.chain_id, escrow.address)


def test_receipt_digest__received_lot__names_a_zero_shipment_hash(escrow, make_order, buyer, chain):
    order_id = make_order(quantity=4, stage="received")
    assert escrow.receipt_digest(order_id, 1, GRN, 5) == receipt_digest(
        chain_id=chain.chain_id, verifying_contract=escrow, order_id=order_id, lot=1, shipment_hash=b"\x00" * 32,
        receipt_hash=GRN, deadline=5,
    )


@pytest.mark.parametrize("lot", [0, 2])
def test_receipt_digest__missing_lot__reverts(escrow, make_order, lot):
    order_id = make_order(quantity=4, stage="shipped")
    with ape.reverts("escrow: unknown lot"):
        escrow.receipt_digest(order_id, lot, GRN, 5)
    with ape.reverts("escrow: unknown lot"):
        escrow.receipt_digest(order_id + 1, 1, GRN, 5)


# ---------------------------------------------------------------- valid receipts, EOAs


@pytest.mark.parametrize("signer_name", ["buyer", "inspector"])
@pytest.mark.parametrize("relayer_name", ["stranger", "supplier"])
def test_confirm_delivery_signed__buyer_or_inspector_receipt__relayed_pays_everyone(
    escrow, make_order, money, sign, deadline, buyer, supplier, sub1, sub2, inspector, stranger, request, signer_name, relayer_name
):
    payees = [(sub1, 1_234), (sub2, 8_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="shipped")
    signer = request.getfixturevalue(signer_name)
    relayer = request.getfixturevalue(relayer_name)
    signature = sign(signer, order_id, 1, deadline=deadline)
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, inspector, stranger, escrow])

    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=relayer)

    assert own_events(tx, escrow) == [
        confirmed(escrow, order_id, 1, signer),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, VALUE, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=0),
    )
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery_signed__late_lot_on_assigned_order__penalty_and_assignee(
    escrow, make_order, sign, buyer, supplier, sub1, stranger, admin, chain, eth
):
    payees = [(sub1, 2_000)]
    order_id = make_order(quantity=QUANTITY, payees=payees)
    escrow.assign_payout(order_id, admin, sender=supplier)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1
    escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
    deadline = chain.pending_timestamp + DAY
    balances = Balances.of(eth, [buyer, supplier, sub1, admin, escrow])

    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(buyer, order_id, 1, deadline=deadline), sender=stranger)

    assert own_events(tx, escrow)[1:] == expected_paid_events(escrow, order_id, ZERO, payees, admin, buyer, VALUE, VALUE, 100)
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=admin, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=100),
    )


def test_confirm_delivery_signed__compact_64_byte_signature__accepted(escrow, make_order, sign, deadline, buyer, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    signature = to_compact(sign(buyer, order_id, 1, deadline=deadline))
    assert len(signature) == 64
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, buyer)


def test_confirm_delivery_signed__high_s_twin__reverts(escrow, make_order, sign, deadline, inspector, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    signature = to_high_s(sign(inspector, order_id, 1, deadline=deadline))
    with ape.reverts("ecdsa: invalid signature `s` value"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]
    assert escrow.balance == 4 * UNIT_PRICE


def test_confirm_delivery_signed__no_inspector__buyer_receipt_still_accepted(escrow, make_order, sign, deadline, buyer, stranger):
    order_id = make_order(quantity=4, stage="shipped", inspector=None)
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(buyer, order_id, 1, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, buyer)


def test_confirm_delivery_signed__no_inspector__inspector_account_receipt_reverts(
    escrow, make_order, sign, deadline, inspector, stranger
):
    order_id = make_order(quantity=4, stage="shipped", inspector=None)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(inspector, order_id, 1, deadline=deadline), sender=stranger)


def test_confirm_delivery_signed__after_review_end__still_accepted(escrow, make_order, sign, buyer, stranger, chain):
    order_id = make_order(quantity=4, stage="shipped")
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + DAY
    deadline = chain.pending_timestamp + 60
    escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(buyer, order_id, 1, deadline=deadline), sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery_signed__zero_shipment_hash_lot__receipt_names_zero(escrow, make_order, sign, deadline, supplier, buyer, stranger):
    order_id = make_order(quantity=4)
    escrow.ship(order_id, 4, b"\x00" * 32, sender=supplier)
    signature = sign(buyer, order_id, 1, deadline=deadline, shipment_hash=b"\x00" * 32)
    escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


# ---------------------------------------------------------------- deadline and replay


def test_confirm_delivery_signed__deadline_to_the_second__at_ok_after_expired(escrow, make_order, sign, buyer, stranger, chain):
    order_id = make_order(quantity=4, stage="shipped")
    t = chain.pending_timestamp + 500
    signature = sign(buyer, order_id, 1, deadline=t)
    with chain.isolate():
        chain.pending_timestamp = t + 1
        with ape.reverts("escrow: receipt expired"):
            escrow.confirm_delivery_signed(order_id, 1, GRN, t, signature, sender=stranger)
        assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]
    chain.pending_timestamp = t
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, t, signature, sender=stranger)
    assert tx.timestamp == t
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery_signed__replayed__reverts(escrow, make_order, money, sign, deadline, buyer, stranger):
    order_id = make_order(money=money, quantity=4, stage="shipped")
    signature = sign(buyer, order_id, 1, deadline=deadline)
    escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    for replay in (signature, to_compact(signature)):
        with ape.reverts("escrow: lot not shipped"):
            escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, replay, sender=stranger)
    assert money.balance(escrow) == 0


def test_confirm_delivery_signed__expired_on_unknown_order__expiry_checked_first(escrow, stranger, chain):
    with ape.reverts("escrow: receipt expired"):
        escrow.confirm_delivery_signed(99, 1, GRN, chain.pending_timestamp - 1, b"\x01" * 65, sender=stranger)


def test_confirm_delivery_signed__unknown_order__reverts(escrow, sign, deadline, buyer, stranger, chain):
    digest = receipt_digest(
        chain_id=chain.chain_id, verifying_contract=escrow, order_id=99, lot=1, shipment_hash=b"\x00" * 32, receipt_hash=GRN,
        deadline=deadline,
    )
    with ape.reverts("escrow: unknown order"):
        escrow.confirm_delivery_signed(99, 1, GRN, deadline, sign_digest(buyer, digest), sender=stranger)


@pytest.mark.parametrize("lot", [0, 2])
def test_confirm_delivery_signed__unknown_lot_valid_buyer_signature__reverts(escrow, make_order, sign, deadline, buyer, stranger, lot):
    order_id = make_order(quantity=4, stage="shipped")
    signature = sign(buyer, order_id, lot, deadline=deadline, shipment_hash=b"\x00" * 32)
    with ape.reverts("escrow: unknown lot"):
        escrow.confirm_delivery_signed(order_id, lot, GRN, deadline, signature, sender=stranger)


# ---------------------------------------------------------------- receipts that do not match


@pytest.mark.parametrize("signer_name", ["supplier", "sub1", "stranger", "arbiter", "admin"])
def test_confirm_delivery_signed__wrong_signer__reverts(escrow, make_order, sign, deadline, sub1, stranger, request, signer_name):
    order_id = make_order(quantity=4, stage="shipped", payees=[(sub1, 100)])
    signature = sign(request.getfixturevalue(signer_name), order_id, 1, deadline=deadline)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]
    assert escrow.balance == 4 * UNIT_PRICE


def test_confirm_delivery_signed__assignee_signature__reverts(escrow, make_order, sign, deadline, supplier, admin, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    escrow.assign_payout(order_id, admin, sender=supplier)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(admin, order_id, 1, deadline=deadline), sender=stranger)


@pytest.fixture
def two_lots(escrow, make_order, supplier):
    """Two shipped lots of one order and a shipped lot of a second order of the same buyer."""
    order_id = make_order(quantity=4, stage="shipped", lot_quantity=2)
    escrow.ship(order_id, 2, ASN_2, sender=supplier)
    other = make_order(quantity=4, stage="shipped")
    return order_id, other


@pytest.mark.parametrize(
    "variant",
    ["other_lot", "other_shipment_hash", "other_order", "other_escrow", "other_chain_id", "other_receipt_hash", "other_deadline"],
)
@pytest.mark.parametrize("signer_name", ["buyer", "inspector"])
def test_confirm_delivery_signed__receipt_for_something_else__reverts(
    escrow, project, registry, admin, two_lots, sign, deadline, stranger, chain, request, variant, signer_name
):
    order_id, other = two_lots
    signer = request.getfixturevalue(signer_name)
    submitted = dict(order_id=order_id, lot=2, receipt_hash=GRN, deadline=deadline)
    signed = dict(order_id=order_id, lot=2, deadline=deadline, receipt_hash=GRN, shipment_hash=ASN_2)
    if variant == "other_lot":
        signed.update(lot=1, shipment_hash=ASN)
    elif variant == "other_shipment_hash":
        signed.update(shipment_hash=ASN)  # lot 2, but the shipment of lot 1
    elif variant == "other_order":
        signed.update(order_id=other, lot=1, shipment_hash=ASN)
        submitted.update(lot=1)  # order 1 lot 1 carries ASN too: only the order id differs
    elif variant == "other_escrow":
        signed.update(contract=project.OrderEscrow.deploy(registry, admin, sender=admin))
    elif variant == "other_chain_id":
        signed.update(chain_id=chain.chain_id + 1)
    elif variant == "other_receipt_hash":
        signed.update(receipt_hash=h("another GRN"))
    else:
        submitted.update(deadline=deadline + 1)
    signature = sign(signer, signed.pop("order_id"), signed.pop("lot"), **signed)
    balance = escrow.balance

    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(*submitted.values(), signature, sender=stranger)

    assert escrow.balance == balance
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2)] == [LOT["SHIPPED"]] * 2
    assert escrow.get_lot(other, 1).status == LOT["SHIPPED"]


@pytest.mark.parametrize(
    "signature",
    [b"", b"\x01", b"\x01" * 63, b"\x01" * 64 + b"\x1b" + b""],
    ids=["empty", "one_byte", "63_bytes", "65_garbage_recovering_someone"],
)
def test_confirm_delivery_signed__garbage_signature__reverts(escrow, make_order, deadline, stranger, signature):
    order_id = make_order(quantity=4, stage="shipped")
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_confirm_delivery_signed__unrecoverable_signature__reverts_with_ecdsa_reason(escrow, make_order, deadline, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    with ape.reverts("ecdsa: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"\x00" * 65, sender=stranger)


# ---------------------------------------------------------------- wrong lot statuses


class TestRefused:
    """A valid buyer receipt for a lot in every status but SHIPPED (see `staged`)."""

    @pytest.mark.parametrize("status", ["disputed", "released", "confirmed", "resolved", "received"])
    def test_confirm_delivery_signed__lot_not_shipped__reverts(self, escrow, staged, sign, buyer, stranger, chain, status):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        deadline = chain.pending_timestamp + DAY
        balance = escrow.balance
        with ape.reverts("escrow: lot not shipped"):
            escrow.confirm_delivery_signed(order_id, lot, GRN, deadline, sign(buyer, order_id, lot, deadline=deadline), sender=stranger)
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.balance == balance

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_confirm_delivery_signed__order_without_lots__unknown_lot(self, escrow, staged, sign, buyer, stranger, chain, which):
        deadline = chain.pending_timestamp + DAY
        signature = sign(buyer, staged[which], 1, deadline=deadline, shipment_hash=b"\x00" * 32)
        with ape.reverts("escrow: unknown lot"):
            escrow.confirm_delivery_signed(staged[which], 1, GRN, deadline, signature, sender=stranger)


# ---------------------------------------------------------------- ERC-1271 wallets


@pytest.fixture
def owner(accounts, admin):
    """The key behind the wallet: a fresh account that is no party of anything."""
    account = accounts.generate_test_account()
    admin.transfer(account, 10**20)
    return account


@pytest.fixture
def wallet(project, owner):
    return project.MockWallet1271.deploy(owner, sender=owner)


@pytest.fixture
def wallet_buyer_order(escrow, registry, part, oem, wallet, owner, supplier, inspector, chain):
    """A shipped ETH order whose buyer is the wallet; `inspector` may be overridden (ZERO: none)."""

    def _make(order_inspector=inspector):
        registry.grant_access(part, wallet, sender=oem)
        terms = make_terms(supplier, valid_until=chain.pending_timestamp + 365 * DAY, inspector=order_inspector)
        as_contract(wallet, escrow, "propose_agreement", terms, sender=owner)
        agreement_id = escrow.agreement_count()
        escrow.accept_agreement(agreement_id, [], sender=supplier)
        as_contract(
            wallet, escrow, "create_order", agreement_id, 4, chain.pending_timestamp + 7 * DAY, h("PO-W"),
            sender=owner, value=4 * UNIT_PRICE,
        )
        order_id = escrow.order_count()
        assert escrow.get_order(order_id).buyer == wallet.address
        escrow.ship(order_id, 4, ASN, sender=supplier)
        return order_id

    return _make


def test_confirm_delivery_signed__wallet_buyer_owner_signature__wallet_is_confirmer(
    escrow, wallet_buyer_order, wallet, owner, sign, deadline, supplier, stranger, eth
):
    order_id = wallet_buyer_order()
    balances = Balances.of(eth, [wallet, supplier, escrow])
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(owner, order_id, 1, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow) == [
        confirmed(escrow, order_id, 1, wallet),
        escrow.Paid(order_id=order_id, payee=supplier, token=ZERO, amount=4 * UNIT_PRICE),
    ]
    balances.expect(tx, {supplier: 4 * UNIT_PRICE, escrow: -4 * UNIT_PRICE})


def test_confirm_delivery_signed__wallet_buyer_preapproved_digest__empty_signature_accepted(
    escrow, wallet_buyer_order, wallet, owner, deadline, stranger
):
    order_id = wallet_buyer_order()
    wallet.approve_hash(escrow.receipt_digest(order_id, 1, GRN, deadline), sender=owner)
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"", sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, wallet)


def test_confirm_delivery_signed__wallet_buyer_foreign_key__reverts(escrow, wallet_buyer_order, sign, deadline, stranger):
    order_id = wallet_buyer_order(order_inspector=ZERO)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(stranger, order_id, 1, deadline=deadline), sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_confirm_delivery_signed__wallet_buyer_digest_approved_for_other_lot__reverts(
    escrow, wallet_buyer_order, wallet, owner, deadline, stranger, supplier
):
    order_id = wallet_buyer_order()
    wallet.approve_hash(escrow.receipt_digest(order_id, 1, h("other GRN"), deadline), sender=owner)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"", sender=stranger)


def test_confirm_delivery_signed__wallet_buyer_eoa_inspector__inspector_receipt_accepted(
    escrow, wallet_buyer_order, sign, deadline, inspector, stranger
):
    order_id = wallet_buyer_order()
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(inspector, order_id, 1, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, inspector)


def test_confirm_delivery_signed__wallet_buyer_compact_inspector_signature__accepted(
    escrow, wallet_buyer_order, sign, deadline, inspector, stranger
):
    order_id = wallet_buyer_order()
    signature = to_compact(sign(inspector, order_id, 1, deadline=deadline))
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, signature, sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, inspector)


def test_confirm_delivery_signed__wallet_inspector_owner_signature__wallet_is_confirmer(
    escrow, make_order, wallet, owner, sign, deadline, stranger
):
    order_id = make_order(quantity=4, stage="shipped", inspector=wallet)
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(owner, order_id, 1, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, wallet)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_confirm_delivery_signed__wallet_inspector_eoa_buyer_signs__buyer_is_confirmer(
    escrow, make_order, wallet, buyer, sign, deadline, stranger
):
    order_id = make_order(quantity=4, stage="shipped", inspector=wallet)
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(buyer, order_id, 1, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, buyer)


def test_confirm_delivery_signed__wallet_inspector_preapproved_digest__accepted(
    escrow, make_order, wallet, owner, deadline, stranger
):
    order_id = make_order(quantity=4, stage="shipped", inspector=wallet)
    wallet.approve_hash(escrow.receipt_digest(order_id, 1, GRN, deadline), sender=owner)
    tx = escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"", sender=stranger)
    assert own_events(tx, escrow)[0] == confirmed(escrow, order_id, 1, wallet)


def test_confirm_delivery_signed__wallet_inspector_foreign_key__reverts(escrow, make_order, wallet, sign, deadline, stranger):
    order_id = make_order(quantity=4, stage="shipped", inspector=wallet)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(stranger, order_id, 1, deadline=deadline), sender=stranger)


def test_confirm_delivery_signed__wallet_owner_key_on_eoa_buyer_order__reverts(
    escrow, make_order, owner, sign, deadline, stranger
):
    """The wallet's owner is nobody on an order where the wallet has no role."""
    order_id = make_order(quantity=4, stage="shipped")
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, sign(owner, order_id, 1, deadline=deadline), sender=stranger)


def test_confirm_delivery_signed__wallet_receipt_replayed__reverts(escrow, make_order, wallet, owner, deadline, stranger):
    order_id = make_order(quantity=4, stage="shipped", inspector=wallet)
    wallet.approve_hash(escrow.receipt_digest(order_id, 1, GRN, deadline), sender=owner)
    escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"", sender=stranger)
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery_signed(order_id, 1, GRN, deadline, b"", sender=stranger)
