"""Strict conversions between user-supplied values and bytes/ints (internal helpers).

Every public function that takes a hash, key or id accepts ``bytes`` or a hex string (with or
without ``0x``) and goes through :func:`as_bytes`, so that a malformed value fails early with an
:class:`~factorychain.errors.InvalidInputError` naming the parameter, never deep inside a library.
"""

from __future__ import annotations

import binascii

from eth_utils.address import (
    is_checksum_address,
    is_checksum_formatted_address,
    is_hex_address,
    to_checksum_address,
)

from .errors import InvalidInputError

UINT256_MAX = 2**256 - 1

BytesLike = bytes | bytearray | memoryview | str


def as_bytes(value: BytesLike, what: str, length: int | None = None) -> bytes:
    """Return ``value`` as bytes, decoding hex strings; check the length if one is given."""
    if isinstance(value, str):
        text = value.strip()
        if text[:2] in ("0x", "0X"):
            text = text[2:]
        if len(text) % 2:
            raise InvalidInputError(f"{what}: hex string has an odd number of digits")
        try:
            raw = binascii.unhexlify(text)
        except (binascii.Error, ValueError):
            raise InvalidInputError(f"{what}: not a hex string") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        raise InvalidInputError(f"{what}: expected bytes or a hex string, got {type(value).__name__}")
    if length is not None and len(raw) != length:
        raise InvalidInputError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def as_uint(value: int, what: str, minimum: int = 0, maximum: int = UINT256_MAX) -> int:
    """Check that ``value`` is an ``int`` (not a bool) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what}: expected an integer, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise InvalidInputError(f"{what}: {value} is outside [{minimum}, {maximum}]")
    return value


def to_hex(data: bytes) -> str:
    """``0x``-prefixed lowercase hex."""
    return "0x" + bytes(data).hex()


def as_address(value: object, what: str) -> str:
    """A checksummed address from a hex string or anything with an ``.address`` (Ape objects)."""
    candidate = getattr(value, "address", value)
    if isinstance(candidate, (bytes, bytearray)) and len(candidate) == 20:
        return to_checksum_address(bytes(candidate))
    if not isinstance(candidate, str) or not is_hex_address(candidate):
        raise InvalidInputError(f"{what}: not a 20-byte hex address")
    # Mixed case means EIP-55: a typo in a checksummed address must not pass silently.
    if is_checksum_formatted_address(candidate) and not is_checksum_address(candidate):
        raise InvalidInputError(f"{what}: bad EIP-55 checksum in {candidate}")
    return to_checksum_address(candidate)
