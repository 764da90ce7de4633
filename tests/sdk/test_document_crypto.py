"""factorychain.crypto: AES-256-GCM documents bound to (part id, version)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factorychain import (
    DecryptionError,
    InvalidInputError,
    decrypt_document,
    encrypt_document,
    new_content_key,
)
from factorychain.crypto import HEADER_SIZE, MAGIC, NONCE_SIZE, TAG_SIZE, associated_data

PART = bytes.fromhex("11" * 32)
OTHER_PART = bytes.fromhex("22" * 32)
DOC = b"%PDF-1.7 brake caliper, rev C\n" * 40


@pytest.fixture
def key():
    return new_content_key()


def test_round_trip(key):
    assert decrypt_document(encrypt_document(DOC, key, PART, 3), key, PART, 3) == DOC


def test_format__magic_version_nonce_then_ciphertext_and_tag(key):
    blob = encrypt_document(DOC, key, PART, 1)
    assert blob.startswith(MAGIC + b"\x01")
    assert HEADER_SIZE == len(MAGIC) + 1 + NONCE_SIZE == 18
    assert len(blob) == HEADER_SIZE + len(DOC) + TAG_SIZE


def test_encrypt__fresh_nonce_each_time(key):
    a, b = encrypt_document(DOC, key, PART, 1), encrypt_document(DOC, key, PART, 1)
    assert a != b and a[len(MAGIC) + 1 : HEADER_SIZE] != b[len(MAGIC) + 1 : HEADER_SIZE]


def test_new_content_key__32_random_bytes():
    keys = {new_content_key() for _ in range(16)}
    assert len(keys) == 16 and all(len(k) == 32 for k in keys)


def test_associated_data__binds_part_and_version():
    aad = associated_data(PART, 2)
    assert aad == MAGIC + b"\x01" + PART + (2).to_bytes(32, "big")


@pytest.mark.parametrize(
    "where",
    [len(MAGIC) + 1, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 100, -TAG_SIZE, -1],
    ids=["nonce-first", "nonce-last", "ciphertext-first", "ciphertext-middle", "tag-first", "tag-last"],
)
def test_decrypt__tampered_byte__refused(key, where):
    blob = bytearray(encrypt_document(DOC, key, PART, 1))
    blob[where] ^= 0x01
    with pytest.raises(DecryptionError, match="wrong content key, wrong part id/version, or tampered"):
        decrypt_document(bytes(blob), key, PART, 1)


def test_decrypt__bad_magic__refused(key):
    blob = bytearray(encrypt_document(DOC, key, PART, 1))
    blob[0] ^= 0x01
    with pytest.raises(DecryptionError, match="bad magic"):
        decrypt_document(bytes(blob), key, PART, 1)


def test_decrypt__unknown_format_version__refused(key):
    blob = bytearray(encrypt_document(DOC, key, PART, 1))
    blob[len(MAGIC)] = 2
    with pytest.raises(DecryptionError, match="format version 2"):
        decrypt_document(bytes(blob), key, PART, 1)


@pytest.mark.parametrize("keep", [0, 3, HEADER_SIZE, HEADER_SIZE + TAG_SIZE - 1])
def test_decrypt__truncated__refused(key, keep):
    blob = encrypt_document(DOC, key, PART, 1)[:keep]
    with pytest.raises(DecryptionError):
        decrypt_document(blob, key, PART, 1)


def test_decrypt__wrong_key__refused(key):
    blob = encrypt_document(DOC, key, PART, 1)
    with pytest.raises(DecryptionError):
        decrypt_document(blob, new_content_key(), PART, 1)


def test_decrypt__swapped_to_other_part__refused(key):
    blob = encrypt_document(DOC, key, PART, 1)
    with pytest.raises(DecryptionError):
        decrypt_document(blob, key, OTHER_PART, 1)


def test_decrypt__swapped_to_other_version__refused(key):
    blob = encrypt_document(DOC, key, PART, 1)
    with pytest.raises(DecryptionError):
        decrypt_document(blob, key, PART, 2)


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"key": b"short"}, "content key: expected 32 bytes"),
        ({"key": "0xnothex" + "00" * 28}, "content key: not a hex"),
        ({"part_id": b"\x01" * 31}, "part id: expected 32 bytes"),
        ({"version": 0}, r"version: 0 is outside"),
        ({"version": True}, "version: expected an integer"),
    ],
)
def test_encrypt__malformed_arguments__refused(kwargs, reason):
    args = {"plaintext": DOC, "key": new_content_key(), "part_id": PART, "version": 1} | kwargs
    with pytest.raises(InvalidInputError, match=reason):
        encrypt_document(**args)


documents = st.binary(max_size=4096)
keys = st.binary(min_size=32, max_size=32)
part_ids = st.binary(min_size=32, max_size=32)
versions = st.integers(min_value=1, max_value=2**256 - 1)


@settings(deadline=None)
@given(documents, keys, part_ids, versions)
def test_round_trip__property(document, key, pid, version):
    assert decrypt_document(encrypt_document(document, key, pid, version), key, pid, version) == document


@settings(deadline=None)
@given(documents, keys, part_ids, versions, st.data())
def test_any_bit_flip__property__refused(document, key, pid, version, data):
    blob = bytearray(encrypt_document(document, key, pid, version))
    bit = data.draw(st.integers(min_value=0, max_value=8 * len(blob) - 1), label="bit")
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        decrypt_document(bytes(blob), key, pid, version)


@settings(deadline=None)
@given(documents, keys, keys, part_ids, versions)
def test_other_key__property__refused(document, key, other, pid, version):
    blob = encrypt_document(document, key, pid, version)
    if other != key:
        with pytest.raises(DecryptionError):
            decrypt_document(blob, other, pid, version)
