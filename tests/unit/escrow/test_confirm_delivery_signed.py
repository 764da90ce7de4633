"""confirm_delivery_signed: an EIP-712 DeliveryReceipt signed off chain, relayed by anyone.

The typed data is built here from SPEC's words (domain "FactoryChain"/"1", chain id, the escrow's
address; `DeliveryReceipt(uint256 orderId,bytes32 receiptHash,uint256 deadline)`) and signed with
eth-account, independently of the contract's own `receipt_digest`.
"""

import ape
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from conftest import DAY, PART_ID, STATUS, ZERO, h
from _escrow_support import ALL_STAGES, expected_payout, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
AMOUNT = 10**18 + 3
GRN = h("GRN-2024-0815")


def typed_receipt(*, chain_id: int, verifying_contract: str, order_id: int, receipt_hash: bytes, deadline: int) -> dict:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "DeliveryReceipt": [
                {"name": "orderId", "type": "uint256"},
                {"name": "receiptHash", "type": "bytes32"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "DeliveryReceipt",
        "domain": {"name": "FactoryChain", "version": "1", "chainId": chain_id, "verifyingContract": verifying_contract},
        "message": {"orderId": order_id, "receiptHash": receipt_hash, "deadline": deadline},
    }


def sign_typed(private_key, **fields) -> bytes:
    """65-byte r|s|v signature of the receipt."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_receipt(**fields)), private_key)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def digest_of(**fields) -> bytes:
    message = encode_typed_data(full_message=typed_receipt(**fields))
    return keccak(b"\x19" + message.version + message.header + message.body)


@pytest.fixture
def sign(escrow, chain):
    """Signs a receipt for this escrow on this chain unless told otherwise."""

    def _sign(signer, order_id, *, receipt_hash=GRN, deadline=None, chain_id=None, contract=None) -> bytes:
        key = signer.private_key if hasattr(signer, "private_key") else signer
        return sign_typed(
            key,
            chain_id=chain.chain_id if chain_id is None else chain_id,
            verifying_contract=(contract or escrow).address,
            order_id=order_id,
            receipt_hash=receipt_hash,
            deadline=deadline,
        )

    return _sign


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + DAY


# ---------------------------------------------------------------- valid receipts, EOAs


@pytest.mark.parametrize("signer_name", ["buyer", "inspector"])
@pytest.mark.parametrize("relayer_name", ["stranger", "supplier"])
def test_confirm_delivery_signed__by_buyer_or_inspector__relayed_pays_out(
    escrow, make_order, sign, deadline, supplier, sub1, request, signer_name, relayer_name
):
    payees = [(sub1, 1_234)]
    order_id = make_order(amount=AMOUNT, payees=payees, stage="shipped")
    signer = request.getfixturevalue(signer_name)
    relayer = request.getfixturevalue(relayer_name)
    signature = sign(signer, order_id, deadline=deadline)
    sub1_before = sub1.balance

    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=relayer)

    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, confirmer=signer.address, receipt_hash=GRN),
        *expected_payout(escrow, order_id, ZERO, supplier, AMOUNT, payees),
    ]
    assert sub1.balance - sub1_before == AMOUNT * 1_234 // 10_000
    assert escrow.balance == 0
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery_signed__eip2098_compact_signature__accepted(escrow, make_order, sign, deadline, buyer, stranger):
    order_id = make_order(stage="shipped")
    full = sign(buyer, order_id, deadline=deadline)
    r, s, v = full[:32], int.from_bytes(full[32:64], "big"), full[64]
    compact = r + (s | ((v - 27) << 255)).to_bytes(32, "big")
    escrow.confirm_delivery_signed(order_id, GRN, deadline, compact, sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_receipt_digest__matches_eth_account_digest(escrow, chain):
    fields = dict(order_id=42, receipt_hash=GRN, deadline=1_900_000_000)
    expected = digest_of(chain_id=chain.chain_id, verifying_contract=escrow.address, **fields)
    assert escrow.receipt_digest(42, GRN, 1_900_000_000) == expected
    assert escrow.receipt_digest(43, GRN, 1_900_000_000) != expected


# ---------------------------------------------------------------- deadline and replay


def test_confirm_delivery_signed__deadline_to_the_second__at_ok_after_expired(escrow, make_order, sign, buyer, stranger, chain):
    order_id = make_order(stage="shipped")
    t = chain.pending_timestamp + 500
    signature = sign(buyer, order_id, deadline=t)
    with chain.isolate():
        chain.pending_timestamp = t + 1
        with ape.reverts("escrow: receipt expired"):
            escrow.confirm_delivery_signed(order_id, GRN, t, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
    chain.pending_timestamp = t
    tx = escrow.confirm_delivery_signed(order_id, GRN, t, signature, sender=stranger)
    assert tx.timestamp == t
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery_signed__replayed__reverts(escrow, make_order, sign, deadline, buyer, stranger):
    order_id = make_order(stage="shipped")
    signature = sign(buyer, order_id, deadline=deadline)
    escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
    with ape.reverts("escrow: not shipped"):
        escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
    assert escrow.balance == 0


def test_confirm_delivery_signed__expired_on_unknown_order__expiry_checked_first(escrow, stranger, chain):
    with ape.reverts("escrow: receipt expired"):
        escrow.confirm_delivery_signed(99, GRN, chain.pending_timestamp - 1, b"\x01" * 65, sender=stranger)


def test_confirm_delivery_signed__unknown_order__reverts(escrow, sign, deadline, buyer, stranger):
    signature = sign(buyer, 99, deadline=deadline)
    with ape.reverts("escrow: unknown order"):
        escrow.confirm_delivery_signed(99, GRN, deadline, signature, sender=stranger)


class TestRefused:
    """Invalid receipts and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("signer_name", ["stranger", "supplier", "sub1", "arbiter"])
    def test_confirm_delivery_signed__wrong_signer__reverts(
        self, escrow, staged, sign, deadline, request, signer_name, stranger
    ):
        order_id = staged["shipped"]
        balance = escrow.balance
        signature = sign(request.getfixturevalue(signer_name), order_id, deadline=deadline)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    def test_confirm_delivery_signed__signed_for_other_chain__reverts(
        self, escrow, staged, sign, deadline, buyer, stranger, chain
    ):
        order_id = staged["shipped"]
        balance = escrow.balance
        signature = sign(buyer, order_id, deadline=deadline, chain_id=chain.chain_id + 1)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    def test_confirm_delivery_signed__signed_for_other_escrow__reverts(
        self, escrow, staged, project, registry, admin, sign, deadline, buyer, stranger
    ):
        other = project.OrderEscrow.deploy(registry, admin, sender=admin)
        order_id = staged["shipped"]
        balance = escrow.balance
        signature = sign(buyer, order_id, deadline=deadline, contract=other)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("field", ["receipt_hash", "deadline"])
    def test_confirm_delivery_signed__tampered_field__reverts(self, escrow, staged, sign, deadline, buyer, stranger, field):
        order_id = staged["shipped"]
        balance = escrow.balance
        signature = sign(buyer, order_id, deadline=deadline)
        receipt_hash, sent_deadline = (h("other GRN"), deadline) if field == "receipt_hash" else (GRN, deadline + 1)
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, receipt_hash, sent_deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    def test_confirm_delivery_signed__malleable_high_s__reverts(self, escrow, staged, sign, deadline, buyer, stranger):
        order_id = staged["shipped"]
        balance = escrow.balance
        signature = sign(buyer, order_id, deadline=deadline)
        r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
        flipped = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
        with ape.reverts("ecdsa: invalid signature `s` value"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, flipped, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize(
        "signature",
        [b"\x00" * 65, b"\x01" * 65, b"\x01" * 64 + b"\x00"],
        ids=["all_zero", "garbage_v1", "garbage_v0"],
    )
    def test_confirm_delivery_signed__unrecoverable_65_bytes__reverts(self, escrow, staged, deadline, stranger, signature):
        order_id = staged["shipped"]
        balance = escrow.balance
        with ape.reverts("ecdsa: invalid signature"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize(
        "signature",
        [b"", b"\x01", b"\x01" * 63, b"\x01" * 64, b"\x01" * 64 + b"\x1b"],
        ids=["empty", "one_byte", "63_bytes", "64_garbage", "65_garbage_recovering_someone"],
    )
    def test_confirm_delivery_signed__short_or_garbage_signature__reverts(self, escrow, staged, deadline, stranger, signature):
        order_id = staged["shipped"]
        balance = escrow.balance
        with ape.reverts("escrow: invalid signature"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, signature, sender=stranger)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "shipped"])
    def test_confirm_delivery_signed__not_shipped__reverts(self, escrow, staged, sign, buyer, stranger, chain, stage):
        order_id = staged[stage]
        deadline = chain.pending_timestamp + DAY
        balance = escrow.balance
        with ape.reverts("escrow: not shipped"):
            escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(buyer, order_id, deadline=deadline), sender=stranger)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


# ---------------------------------------------------------------- invalid receipts on their own orders


def test_confirm_delivery_signed__signed_for_other_order__reverts(escrow, make_order, sign, deadline, buyer, stranger):
    first = make_order(stage="shipped")
    second = make_order(stage="shipped")
    signature = sign(buyer, first, deadline=deadline)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(second, GRN, deadline, signature, sender=stranger)
    assert escrow.status(second) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__no_inspector_random_key__reverts(escrow, make_order, sign, deadline, stranger):
    order_id = make_order(stage="shipped", order_inspector=None)
    random_key = Account.create()
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(random_key.key, order_id, deadline=deadline), sender=stranger)


def test_confirm_delivery_signed__no_inspector_buyer__still_accepted(escrow, make_order, sign, deadline, buyer, stranger):
    order_id = make_order(stage="shipped", order_inspector=None)
    escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(buyer, order_id, deadline=deadline), sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


# ---------------------------------------------------------------- ERC-1271 wallets


@pytest.fixture
def owner(accounts, admin):
    account = accounts.generate_test_account()
    admin.transfer(account, 10**20)
    return account


@pytest.fixture
def wallet(project, owner, registry, oem):
    contract = project.MockWallet1271.deploy(owner, sender=owner)
    registry.grant_access(PART_ID, contract, sender=oem)
    return contract


@pytest.fixture
def wallet_order(escrow, wallet, owner, supplier, inspector, chain):
    """A shipped order whose buyer is the wallet; returns (order_id, inspector used)."""

    def _make(order_inspector=inspector):
        data = escrow.create_order.encode_input(
            supplier, PART_ID, 1, 10, ZERO, AMOUNT, chain.pending_timestamp + 7 * DAY, 3 * DAY, order_inspector, h("PO-W")
        )
        wallet.call(escrow, data, value=AMOUNT, sender=owner)
        order_id = escrow.order_count()
        assert escrow.get_order(order_id).buyer == wallet.address
        escrow.accept_order(order_id, [], sender=supplier)
        escrow.mark_shipped(order_id, h("ASN-W"), sender=supplier)
        return order_id

    return _make


def test_confirm_delivery_signed__wallet_buyer_owner_signature__accepted(
    escrow, wallet_order, wallet, owner, sign, deadline, supplier, stranger
):
    order_id = wallet_order()
    before = supplier.balance
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(owner, order_id, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, confirmer=wallet.address, receipt_hash=GRN),
        escrow.Paid(order_id=order_id, payee=supplier.address, token=ZERO, amount=AMOUNT),
    ]
    assert supplier.balance - before == AMOUNT


def test_confirm_delivery_signed__wallet_buyer_preapproved_hash__accepted(
    escrow, wallet_order, wallet, owner, deadline, stranger
):
    order_id = wallet_order()
    wallet.approve_hash(escrow.receipt_digest(order_id, GRN, deadline), sender=owner)
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, b"", sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=wallet.address, receipt_hash=GRN)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_confirm_delivery_signed__wallet_buyer_rejects_foreign_key__reverts(
    escrow, wallet_order, sign, deadline, stranger
):
    order_id = wallet_order()
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(stranger, order_id, deadline=deadline), sender=stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]


def test_confirm_delivery_signed__wallet_buyer_hash_approved_for_other_receipt__reverts(
    escrow, wallet_order, wallet, owner, deadline, stranger
):
    order_id = wallet_order()
    wallet.approve_hash(escrow.receipt_digest(order_id, h("other GRN"), deadline), sender=owner)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, GRN, deadline, b"", sender=stranger)


def test_confirm_delivery_signed__wallet_buyer_eoa_inspector_signs__confirmer_is_inspector(
    escrow, wallet_order, inspector, sign, deadline, stranger
):
    order_id = wallet_order()
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(inspector, order_id, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=inspector.address, receipt_hash=GRN)


def test_confirm_delivery_signed__wallet_buyer_no_inspector_stranger_signs__reverts(
    escrow, wallet_order, sign, deadline, stranger
):
    order_id = wallet_order(order_inspector=ZERO)
    with ape.reverts("escrow: invalid signature"):
        escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(stranger, order_id, deadline=deadline), sender=stranger)


def test_confirm_delivery_signed__wallet_inspector_owner_signature__confirmer_is_wallet(
    escrow, make_order, wallet, owner, sign, deadline, stranger
):
    order_id = make_order(stage="shipped", order_inspector=wallet)
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(owner, order_id, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=wallet.address, receipt_hash=GRN)


def test_confirm_delivery_signed__wallet_inspector_eoa_buyer_signs__confirmer_is_buyer(
    escrow, make_order, wallet, buyer, sign, deadline, stranger
):
    order_id = make_order(stage="shipped", order_inspector=wallet)
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, sign(buyer, order_id, deadline=deadline), sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=buyer.address, receipt_hash=GRN)


def test_confirm_delivery_signed__wallet_inspector_preapproved_empty_signature__accepted(
    escrow, make_order, wallet, owner, deadline, stranger
):
    order_id = make_order(stage="shipped", order_inspector=wallet)
    wallet.approve_hash(escrow.receipt_digest(order_id, GRN, deadline), sender=owner)
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, b"", sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=wallet.address, receipt_hash=GRN)


def test_confirm_delivery_signed__wallet_inspector_preapproved_65_byte_contract_signature__accepted(
    escrow, make_order, wallet, owner, deadline, stranger
):
    """A Safe-style approved-hash signature (r = owner, s = 0, v = 1) is 65 bytes but no ECDSA signature.

    The inspector's wallet accepts it; the buyer (an EOA) checked first must not make the call revert.
    """
    order_id = make_order(stage="shipped", order_inspector=wallet)
    wallet.approve_hash(escrow.receipt_digest(order_id, GRN, deadline), sender=owner)
    approved_hash_signature = bytes(12) + bytes.fromhex(owner.address[2:]) + bytes(32) + b"\x01"
    tx = escrow.confirm_delivery_signed(order_id, GRN, deadline, approved_hash_signature, sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(order_id=order_id, confirmer=wallet.address, receipt_hash=GRN)
    assert escrow.status(order_id) == STATUS["COMPLETED"]
