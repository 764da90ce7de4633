"""factorychain.receipts: EIP-712 DeliveryReceipt (v2: order, lot, shipment) digests, signing, checks."""

import json
from dataclasses import dataclass, replace

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from factorychain import (
    DomainMismatchError,
    InvalidInputError,
    Keystore,
    ReceiptExpiredError,
    ShipmentMismatchError,
    SignatureError,
    SignedReceipt,
    SignerError,
    WrongSignerError,
    build_receipt,
    check_receipt,
    domain_separator,
    is_expired,
    receipt_digest,
    sign_receipt,
    verify_receipt,
)
from factorychain.keys import SECP256K1_N, split_signature

INSPECTOR = Account.from_key(keccak(b"inspector"))
BUYER = Account.from_key(keccak(b"buyer"))
STRANGER = Account.from_key(keccak(b"stranger"))
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_ESCROW = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
CHAIN = 31337
GRN = keccak(b"goods received note 4711")
ASN = keccak(b"advance shipping notice 88231")
DEADLINE = 1_800_000_000
#: Signing refuses a deadline already past; the fixed deadline above is signed "before" it.
NOW = DEADLINE - 3_600


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def hand_domain_separator(chain_id: int, escrow: str) -> bytes:
    typehash = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    return keccak(
        typehash
        + keccak(b"FactoryChain")
        + keccak(b"2")
        + _word(chain_id)
        + bytes(12)
        + bytes.fromhex(escrow[2:])
    )


def hand_digest(
    order_id: int, lot: int, shipment_hash: bytes, receipt_hash: bytes, deadline: int, chain_id: int, escrow: str
) -> bytes:
    """EIP-712 by the book: keccak256(0x1901 || domainSeparator || hashStruct(message))."""
    typehash = keccak(
        b"DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
    )
    struct_hash = keccak(typehash + _word(order_id) + _word(lot) + shipment_hash + receipt_hash + _word(deadline))
    return keccak(b"\x19\x01" + hand_domain_separator(chain_id, escrow) + struct_hash)


#: The message of the receipt most tests sign: lot 2 of order 7, shipped as ASN, received as GRN.
MSG = (7, 2, ASN, GRN, DEADLINE, CHAIN, ESCROW)


def _sign(signer, *message, now=NOW):
    return sign_receipt(signer, *(message or MSG), now=now)


def test_digest__matches_hand_computed_eip712():
    assert receipt_digest(*MSG) == hand_digest(*MSG)
    assert domain_separator(CHAIN, ESCROW) == hand_domain_separator(CHAIN, ESCROW)


def test_type_and_domain_version__v2():
    from factorychain.receipts import DOMAIN_VERSION, RECEIPT_TYPE

    assert DOMAIN_VERSION == "2"
    assert RECEIPT_TYPE == (
        "DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
    )


@pytest.mark.parametrize(
    "index, other",
    [(0, 8), (1, 3), (2, keccak(b"another shipment")), (3, keccak(b"x")), (4, DEADLINE + 1), (5, 1), (6, OTHER_ESCROW)],
    ids=["order", "lot", "shipment", "receipt", "deadline", "chain", "escrow"],
)
def test_digest__every_field_matters(index, other):
    changed = list(MSG)
    changed[index] = other
    assert receipt_digest(*changed) != receipt_digest(*MSG)


def test_build_receipt__typed_data_shape_and_json():
    data = build_receipt(7, 2, ASN, GRN, DEADLINE, CHAIN, ESCROW.lower())
    assert data["primaryType"] == "DeliveryReceipt"
    assert data["domain"] == {
        "name": "FactoryChain",
        "version": "2",
        "chainId": CHAIN,
        "verifyingContract": ESCROW,
    }
    assert data["message"] == {
        "orderId": 7,
        "lot": 2,
        "shipmentHash": "0x" + ASN.hex(),
        "receiptHash": "0x" + GRN.hex(),
        "deadline": DEADLINE,
    }
    assert [f["name"] for f in data["types"]["DeliveryReceipt"]] == [
        "orderId",
        "lot",
        "shipmentHash",
        "receiptHash",
        "deadline",
    ]
    json.dumps(data)


@pytest.mark.parametrize(
    "args, reason",
    [
        ((0, 1, ASN, GRN, DEADLINE, CHAIN, ESCROW), "order id"),
        ((1, 0, ASN, GRN, DEADLINE, CHAIN, ESCROW), "lot"),
        ((1, 1, ASN[:31], GRN, DEADLINE, CHAIN, ESCROW), "shipment hash"),
        ((1, 1, ASN, GRN[:31], DEADLINE, CHAIN, ESCROW), "receipt hash"),
        ((1, 1, ASN, GRN, -1, CHAIN, ESCROW), "deadline"),
        ((1, 1, ASN, GRN, DEADLINE, 0, ESCROW), "chain id"),
        ((1, 1, ASN, GRN, DEADLINE, CHAIN, "0x5fbDB2315678afecb367f032d93F642f64180aa3"), "checksum"),
        ((1, 1, ASN, GRN, DEADLINE, CHAIN, "0x1234"), "escrow"),
    ],
)
def test_build_receipt__malformed__refused(args, reason):
    with pytest.raises(InvalidInputError, match=reason):
        build_receipt(*args)


def _assert_canonical(signature: bytes) -> None:
    _, s, _ = split_signature(signature)
    assert len(signature) == 65 and signature[64] in (27, 28) and s <= SECP256K1_N // 2


def test_sign__private_key_hex_recovers_to_signer():
    receipt = _sign("0x" + INSPECTOR.key.hex())
    _assert_canonical(receipt.signature)
    assert verify_receipt(receipt) == INSPECTOR.address
    assert (
        receipt.order_id,
        receipt.lot,
        receipt.shipment_hash,
        receipt.receipt_hash,
        receipt.deadline,
        receipt.chain_id,
        receipt.escrow,
    ) == MSG
    assert receipt.digest() == hand_digest(*MSG)
    # What confirm_delivery_signed takes: the escrow reads the shipment hash from the lot.
    assert receipt.as_args() == (7, 2, GRN, DEADLINE, receipt.signature)


def test_sign__deadline_already_past__refused_with_one_line():
    with pytest.raises(ReceiptExpiredError, match=f"deadline {DEADLINE} is already past"):
        _sign(INSPECTOR, now=DEADLINE + 1)
    assert verify_receipt(_sign(INSPECTOR, now=DEADLINE)) == INSPECTOR.address  # inclusive, as the escrow


def test_sign__wall_clock_by_default():
    with pytest.raises(ReceiptExpiredError, match="already past"):
        sign_receipt(INSPECTOR, 7, 2, ASN, GRN, 1, CHAIN, ESCROW)
    assert verify_receipt(sign_receipt(INSPECTOR, 7, 2, ASN, GRN, 2**64, CHAIN, ESCROW)) == INSPECTOR.address


def test_sign__malformed_message_reported_before_the_deadline():
    with pytest.raises(InvalidInputError, match="lot"):
        sign_receipt(INSPECTOR, 7, 0, ASN, GRN, 1, CHAIN, ESCROW)


def test_sign__local_account_and_private_key_bytes_agree():
    # RFC 6979 signatures are deterministic: every way in gives the same bytes.
    assert _sign(INSPECTOR) == _sign(bytes(INSPECTOR.key))


def test_sign__keystore(tmp_path):
    path = tmp_path / "inspector.json"
    path.write_text(json.dumps(Account.encrypt(INSPECTOR.key, "pw", kdf="pbkdf2", iterations=2)))
    assert verify_receipt(_sign(Keystore(path, "pw"))) == INSPECTOR.address
    with pytest.raises(SignerError, match="wrong password"):
        _sign(Keystore(path, "nope"))


@dataclass
class _ApeSignature:
    """Shaped like ape.types.signatures.MessageSignature: v int, r and s bytes."""

    v: int
    r: bytes
    s: bytes


class _ApeLikeAccount:
    """Duck-typed like an Ape account: ``address`` and ``sign_message(SignableMessage)``."""

    def __init__(self, key: bytes, address: str | None = None, high_s: bool = False, decline: bool = False):
        self.key = key
        self.address = address or Account.from_key(key).address
        self.high_s = high_s
        self.decline = decline

    def sign_message(self, msg):
        if self.decline:
            return None
        signed = Account.sign_message(msg, self.key)
        s, v = signed.s, signed.v
        if self.high_s:
            s, v = SECP256K1_N - s, 55 - v
        return _ApeSignature(v=v, r=signed.r.to_bytes(32, "big"), s=s.to_bytes(32, "big"))


class _RawHashOnlyAccount:
    def __init__(self, key: bytes):
        self.key = key
        self.address = Account.from_key(key).address
        self.hashes: list[bytes] = []

    def sign_message(self, msg):
        raise NotImplementedError("plugin cannot sign typed data")

    def sign_raw_msghash(self, msghash):
        self.hashes.append(bytes(msghash))
        return Account.unsafe_sign_hash(msghash, self.key)


def test_sign__ape_like_account():
    assert verify_receipt(_sign(_ApeLikeAccount(INSPECTOR.key))) == INSPECTOR.address


def test_sign__high_s_from_signer__normalised_low_s():
    receipt = _sign(_ApeLikeAccount(INSPECTOR.key, high_s=True))
    _assert_canonical(receipt.signature)
    assert receipt == _sign(INSPECTOR)


def test_sign__falls_back_to_raw_hash():
    account = _RawHashOnlyAccount(INSPECTOR.key)
    receipt = _sign(account)
    assert account.hashes == [hand_digest(*MSG)]
    assert verify_receipt(receipt) == INSPECTOR.address


def test_sign__declined__signer_error():
    with pytest.raises(SignerError, match="did not sign"):
        _sign(_ApeLikeAccount(INSPECTOR.key, decline=True))


def test_sign__account_signing_with_another_key__signer_error():
    imposter = _ApeLikeAccount(STRANGER.key, address=INSPECTOR.address)
    with pytest.raises(SignerError, match=f"not to the signer {INSPECTOR.address}"):
        _sign(imposter)


@pytest.mark.parametrize(
    "signer", [object(), 42, "0x1234", b"\x00" * 32], ids=["object", "int", "short-hex", "zero-key"]
)
def test_sign__unusable_signer__signer_error(signer):
    with pytest.raises(SignerError):
        _sign(signer)


@pytest.mark.parametrize(
    "change",
    [{"order_id": 8}, {"lot": 1}, {"shipment_hash": keccak(b"another shipment")}, {"deadline": DEADLINE + 1}],
    ids=["order", "lot", "shipment", "deadline"],
)
def test_verify__altered_field_recovers_someone_else(change):
    assert verify_receipt(replace(_sign(INSPECTOR), **change)) != INSPECTOR.address


def test_verify__high_s__refused_as_non_canonical():
    receipt = _sign(INSPECTOR)
    r, s, v = split_signature(receipt.signature)
    high = r.to_bytes(32, "big") + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    with pytest.raises(SignatureError, match="high s"):
        verify_receipt(replace(receipt, signature=high))


@pytest.mark.parametrize("signature", [b"\x01" * 64, b"\x01" * 64 + b"\x05"], ids=["short", "bad-v"])
def test_verify__malformed_signature__signature_error(signature):
    with pytest.raises(SignatureError, match="invalid"):
        verify_receipt(replace(_sign(INSPECTOR), signature=signature))


@pytest.fixture(scope="module")
def receipt():
    return _sign(INSPECTOR)


def test_check__inspector_accepted(receipt):
    signer = check_receipt(
        receipt, [BUYER.address, INSPECTOR], chain_id=CHAIN, escrow=ESCROW, shipment_hash=ASN, now=DEADLINE - 60
    )
    assert signer == INSPECTOR.address


def test_check__foreign_chain_id__domain_mismatch(receipt):
    with pytest.raises(DomainMismatchError, match="chain id 31337, not 1"):
        check_receipt(receipt, [INSPECTOR.address], chain_id=1, now=0)


def test_check__other_escrow__domain_mismatch(receipt):
    with pytest.raises(DomainMismatchError, match=f"not {OTHER_ESCROW}"):
        check_receipt(receipt, [INSPECTOR.address], escrow=OTHER_ESCROW.lower(), now=0)


def test_check__other_shipment__shipment_mismatch(receipt):
    other = keccak(b"another shipment")
    with pytest.raises(ShipmentMismatchError, match=f"lot 2 of order 7 was shipped as 0x{other.hex()}"):
        check_receipt(receipt, [INSPECTOR.address], shipment_hash=other, now=0)
    with pytest.raises(InvalidInputError, match="shipment hash"):
        check_receipt(receipt, [INSPECTOR.address], shipment_hash=b"\x01", now=0)


def test_check__deadline_to_the_second(receipt):
    assert check_receipt(receipt, [INSPECTOR.address], now=DEADLINE) == INSPECTOR.address
    with pytest.raises(ReceiptExpiredError, match="has passed"):
        check_receipt(receipt, [INSPECTOR.address], now=DEADLINE + 1)


def test_check__min_remaining_margin(receipt):
    assert check_receipt(receipt, [INSPECTOR.address], now=DEADLINE - 30, min_remaining=30)
    with pytest.raises(ReceiptExpiredError, match="30s margin"):
        check_receipt(receipt, [INSPECTOR.address], now=DEADLINE - 29, min_remaining=30)


def test_check__wall_clock_by_default():
    fresh = sign_receipt(INSPECTOR, 7, 2, ASN, GRN, 2**64, CHAIN, ESCROW)
    stale = sign_receipt(INSPECTOR, 7, 2, ASN, GRN, 1, CHAIN, ESCROW, now=0)
    assert check_receipt(fresh, [INSPECTOR.address]) == INSPECTOR.address
    with pytest.raises(ReceiptExpiredError):
        check_receipt(stale, [INSPECTOR.address])


def test_check__signer_not_expected__wrong_signer(receipt):
    with pytest.raises(
        WrongSignerError, match=f"signed by {INSPECTOR.address}, expected one of: {BUYER.address}"
    ):
        check_receipt(receipt, [BUYER.address], now=0)
    with pytest.raises(WrongSignerError, match="nobody"):
        check_receipt(receipt, [], now=0)


def test_is_expired__boundaries():
    assert not is_expired(100, now=100)
    assert is_expired(100, now=101)
    assert not is_expired(2**64)
    assert is_expired(0)


def test_signed_receipt__dict_round_trip(receipt):
    data = json.loads(json.dumps(receipt.to_dict()))
    assert data["lot"] == 2 and data["shipment_hash"] == "0x" + ASN.hex()
    assert SignedReceipt.from_dict(data) == receipt
    assert SignedReceipt.from_dict({**data, "signer": "ignored"}) == receipt


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"signature": None}, "missing field"),
        ({"lot": None, "shipment_hash": None}, "missing field\\(s\\) lot, shipment_hash \\(a v1 receipt"),
        ({"lot": 0}, "lot"),
        ({"shipment_hash": "0x12"}, "shipment hash"),
        ({"receipt_hash": "0x12"}, "receipt hash"),
        ({"order_id": "7"}, "order id"),
        ({"escrow": "nope"}, "escrow"),
    ],
)
def test_signed_receipt__from_bad_dict__refused(receipt, change, reason):
    data = {k: v for k, v in (receipt.to_dict() | change).items() if v is not None}
    with pytest.raises(InvalidInputError, match=reason):
        SignedReceipt.from_dict(data)


secrets = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))
addresses = st.binary(min_size=20, max_size=20).map(lambda b: Account.from_key(keccak(b)).address)
hashes = st.binary(min_size=32, max_size=32)


@settings(deadline=None)
@given(
    secrets,
    st.integers(1, 2**256 - 1),
    st.integers(1, 2**256 - 1),
    hashes,
    hashes,
    st.integers(0, 2**256 - 1),
    st.integers(1, 2**64),
    addresses,
)
def test_sign_verify__property(key, order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow):
    message = (order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    receipt = sign_receipt(key, *message, now=0)
    assert receipt.digest() == hand_digest(*message)
    _assert_canonical(receipt.signature)
    assert verify_receipt(receipt) == Account.from_key(key).address
    assert SignedReceipt.from_dict(receipt.to_dict()) == receipt
