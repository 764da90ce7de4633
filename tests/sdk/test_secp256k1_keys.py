"""factorychain.keys: keys, addresses, signatures, public-key recovery, keystores."""

import json

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from factorychain import (
    InvalidInputError,
    Keystore,
    SignerError,
    address_from_private_key,
    address_from_public_key,
    normalize_public_key,
    normalize_signature,
    public_key_from_private,
    recover_public_key_from_message,
    recover_public_key_from_transaction,
)
from factorychain.keys import SECP256K1_N, parse_private_key, recover_public_key, split_signature

SK = keccak(b"partner key")
ACCOUNT = Account.from_key(SK)
PK = public_key_from_private(SK)


def test_address__matches_eth_account():
    assert address_from_private_key(SK) == ACCOUNT.address
    assert address_from_public_key(PK) == ACCOUNT.address
    assert address_from_public_key(coincurve.PublicKey(PK).format(compressed=True)) == ACCOUNT.address


def test_public_key__65_bytes_uncompressed():
    assert len(PK) == 65 and PK[0] == 4
    assert normalize_public_key(PK[1:]) == PK
    assert normalize_public_key("0x" + PK.hex()) == PK


@pytest.mark.parametrize("value", [b"\x00" * 32, SECP256K1_N.to_bytes(32, "big"), b"\x01" * 31])
def test_parse_private_key__out_of_range_or_short__refused(value):
    with pytest.raises(InvalidInputError, match="private key"):
        parse_private_key(value)


def _signature(digest: bytes) -> bytes:
    return bytes(Account.unsafe_sign_hash(digest, SK).signature)


def test_normalize_signature__high_s_flipped_and_still_recovers():
    digest = keccak(b"m")
    low = _signature(digest)
    r, s, v = split_signature(low)
    high = r.to_bytes(32, "big") + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    assert normalize_signature(high) == low
    assert recover_public_key(digest, high) == PK == recover_public_key(digest, low)


def test_normalize_signature__v_0_1_becomes_27_28():
    low = _signature(keccak(b"m"))
    as01 = low[:64] + bytes([low[64] - 27])
    assert normalize_signature(as01) == low


@pytest.mark.parametrize(
    "signature, reason",
    [
        (b"\x01" * 64, "expected 65 bytes"),
        (b"\x01" * 64 + b"\x1d", "v must be 27 or 28"),
        (b"\x00" * 32 + b"\x01" * 32 + b"\x1b", "out of range"),
    ],
)
def test_split_signature__malformed__refused(signature, reason):
    with pytest.raises(InvalidInputError, match=reason):
        split_signature(signature)


def test_recover_public_key_from_message__personal_sign():
    signed = Account.sign_message(encode_defunct(text="FactoryChain partner key"), SK)
    assert recover_public_key_from_message("FactoryChain partner key", signed.signature) == PK
    signed = Account.sign_message(encode_defunct(primitive=b"\x00\x01"), SK)
    assert recover_public_key_from_message(b"\x00\x01", signed.signature) == PK


def test_recover_public_key_from_transaction__eip1559():
    tx = {
        "type": 2,
        "chainId": 31337,
        "nonce": 0,
        "to": "0x" + "11" * 20,
        "value": 1,
        "gas": 21000,
        "maxFeePerGas": 10**9,
        "maxPriorityFeePerGas": 1,
        "data": b"",
    }
    raw = Account.sign_transaction(tx, SK).raw_transaction
    assert recover_public_key_from_transaction(raw) == PK
    assert recover_public_key_from_transaction("0x" + bytes(raw).hex()) == PK


def test_recover_public_key_from_transaction__legacy_or_garbage__refused():
    legacy = {
        "nonce": 0,
        "to": "0x" + "11" * 20,
        "value": 1,
        "gas": 21000,
        "gasPrice": 1,
        "data": b"",
        "chainId": 1,
    }
    with pytest.raises(InvalidInputError, match="only typed"):
        recover_public_key_from_transaction(Account.sign_transaction(legacy, SK).raw_transaction)
    with pytest.raises(InvalidInputError, match="cannot decode"):
        recover_public_key_from_transaction(b"\x02\x01\x02")


@pytest.fixture
def keystore_file(tmp_path):
    path = tmp_path / "partner.json"
    # pbkdf2 with few iterations: the format is the same, the test stays fast.
    path.write_text(json.dumps(Account.encrypt(SK, "correct horse", kdf="pbkdf2", iterations=2)))
    return path


def test_keystore__decrypts_with_password(keystore_file):
    store = Keystore(keystore_file, "correct horse")
    assert store.private_key() == SK and store.address() == ACCOUNT.address
    assert "correct horse" not in repr(store)


def test_keystore__wrong_password__signer_error(keystore_file):
    with pytest.raises(SignerError, match="wrong password"):
        Keystore(keystore_file, "battery staple").private_key()


def test_keystore__missing_or_not_json__signer_error(tmp_path):
    with pytest.raises(SignerError, match="cannot read keystore"):
        Keystore(tmp_path / "nope.json", "x").private_key()
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SignerError, match="not valid JSON"):
        Keystore(tmp_path / "bad.json", "x").private_key()
    (tmp_path / "empty.json").write_text("{}")
    with pytest.raises(SignerError, match="keystore"):
        Keystore(tmp_path / "empty.json", "x").private_key()
