"""factorychain.spec: part ids and spec hashes."""

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from factorychain import (
    HashMismatchError,
    InvalidInputError,
    part_id,
    part_id_from_hex,
    spec_hash,
    verify_spec_hash,
)

EMPTY_KECCAK = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


def test_spec_hash__empty_document__is_keccak_of_nothing():
    assert spec_hash(b"") == EMPTY_KECCAK


def test_part_id__is_keccak_of_utf8_part_number():
    assert part_id("BRK-2209") == keccak(b"BRK-2209")
    assert part_id("Ø-12 µm") == keccak("Ø-12 µm".encode())


def test_part_id__is_not_normalised():
    assert part_id("ab-12") != part_id("AB-12")
    assert part_id("AB-12") != part_id(" AB-12")


@pytest.mark.parametrize("bad", ["", b"AB-12", 12])
def test_part_id__empty_or_not_text__refused(bad):
    with pytest.raises(InvalidInputError, match="part number"):
        part_id(bad)


def test_part_id_from_hex__accepts_prefixed_unprefixed_and_bytes():
    raw = part_id("BRK-2209")
    assert part_id_from_hex("0x" + raw.hex()) == raw
    assert part_id_from_hex(raw.hex().upper()) == raw
    assert part_id_from_hex(raw) == raw


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("0x1234", "expected 32 bytes"),
        ("0x" + "zz" * 32, "not a hex"),
        ("0x" + "0" * 63, "odd"),
        ("0x" + "00" * 32, "zero"),
    ],
)
def test_part_id_from_hex__malformed__refused(bad, reason):
    with pytest.raises(InvalidInputError, match=reason):
        part_id_from_hex(bad)


def test_verify_spec_hash__match_passes_mismatch_raises():
    verify_spec_hash(b"design", spec_hash(b"design"))
    verify_spec_hash(b"design", "0x" + spec_hash(b"design").hex())
    with pytest.raises(HashMismatchError, match="does not match"):
        verify_spec_hash(b"design!", spec_hash(b"design"))


@settings(deadline=None)
@given(st.text(min_size=1))
def test_part_id__property__keccak_of_utf8(number):
    assert part_id(number) == keccak(number.encode("utf-8"))
    assert part_id_from_hex(part_id(number).hex()) == part_id(number)
