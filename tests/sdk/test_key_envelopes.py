"""factorychain.envelopes: content keys wrapped to a partner's secp256k1 public key."""

import coincurve
import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from factorychain import EnvelopeError, InvalidInputError, public_key_from_private, unwrap_key, wrap_key
from factorychain.envelopes import ENVELOPE_SIZE, MAX_ENVELOPE_SIZE
from factorychain.keys import SECP256K1_N

PARTNER_SK = keccak(b"supplier key")
STRANGER_SK = keccak(b"stranger key")
PARTNER_PK = public_key_from_private(PARTNER_SK)
PART = keccak(b"BRK-2209")
CONTENT_KEY = keccak(b"content key")


def test_round_trip():
    envelope = wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1)
    assert unwrap_key(envelope, PARTNER_SK, PART, 1) == CONTENT_KEY


def test_envelope__fits_registry_bytes_512():
    envelope = wrap_key(CONTENT_KEY, PARTNER_PK, PART, 2**256 - 1)
    assert len(envelope) == ENVELOPE_SIZE == 165 <= MAX_ENVELOPE_SIZE == 512


def test_wrap__fresh_ephemeral_key_each_time():
    assert wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1) != wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1)


@pytest.mark.parametrize(
    "public_key",
    [
        PARTNER_PK,
        PARTNER_PK[1:],
        coincurve.PublicKey(PARTNER_PK).format(compressed=True),
        "0x" + PARTNER_PK.hex(),
        PARTNER_PK[1:].hex(),
    ],
    ids=["uncompressed", "64-byte", "compressed", "hex", "hex-64"],
)
def test_wrap__every_public_key_encoding(public_key):
    assert (
        unwrap_key(wrap_key(CONTENT_KEY, public_key, PART, 1), "0x" + PARTNER_SK.hex(), PART, 1)
        == CONTENT_KEY
    )


def test_unwrap__wrong_private_key__refused():
    envelope = wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1)
    with pytest.raises(EnvelopeError, match="not addressed to this private key"):
        unwrap_key(envelope, STRANGER_SK, PART, 1)


@pytest.mark.parametrize(
    "part, version", [(keccak(b"OTHER"), 1), (PART, 2)], ids=["other-part", "other-version"]
)
def test_unwrap__other_part_or_version__refused(part, version):
    envelope = wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1)
    with pytest.raises(EnvelopeError, match="different part id or version"):
        unwrap_key(envelope, PARTNER_SK, part, version)


@pytest.mark.parametrize("where", [0, 1, 33, 48, 64, 100, -1])
def test_unwrap__tampered__refused(where):
    envelope = bytearray(wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1))
    envelope[where] ^= 0x04
    with pytest.raises(EnvelopeError):
        unwrap_key(bytes(envelope), PARTNER_SK, PART, 1)


@pytest.mark.parametrize("keep", [0, 1, 33, 64, ENVELOPE_SIZE - 1])
def test_unwrap__truncated__refused(keep):
    envelope = wrap_key(CONTENT_KEY, PARTNER_PK, PART, 1)[:keep]
    with pytest.raises(EnvelopeError):
        unwrap_key(envelope, PARTNER_SK, PART, 1)


@pytest.mark.parametrize(
    "public_key, reason",
    [
        (b"\x04" + b"\x01" * 64, "not a point"),
        (b"\x02" * 20, "expected 33, 64 or 65 bytes"),
        ("0xnothex", "not a hex"),
    ],
)
def test_wrap__bad_public_key__refused(public_key, reason):
    with pytest.raises(InvalidInputError, match=reason):
        wrap_key(CONTENT_KEY, public_key, PART, 1)


def test_wrap__content_key_not_32_bytes__refused():
    with pytest.raises(InvalidInputError, match="content key: expected 32 bytes"):
        wrap_key(CONTENT_KEY[:16], PARTNER_PK, PART, 1)


secrets = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))


@settings(deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    secrets,
    secrets,
    st.binary(min_size=32, max_size=32),
    st.integers(1, 2**64),
)
def test_wrap_unwrap__property(content_key, partner_sk, other_sk, part, version):
    envelope = wrap_key(content_key, public_key_from_private(partner_sk), part, version)
    assert len(envelope) <= MAX_ENVELOPE_SIZE
    assert unwrap_key(envelope, partner_sk, part, version) == content_key
    if other_sk != partner_sk:
        with pytest.raises(EnvelopeError):
            unwrap_key(envelope, other_sk, part, version)


@settings(deadline=None)
@given(st.binary(max_size=600))
def test_unwrap__garbage__property__only_envelope_error(garbage):
    with pytest.raises(EnvelopeError):
        unwrap_key(garbage, PARTNER_SK, PART, 1)
