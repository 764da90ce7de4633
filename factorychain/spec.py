"""Identifiers and fingerprints of part designs, exactly as ``PartRegistry`` stores them.

* ``spec_hash`` — keccak256 of the *plaintext* design document. It is what the registry records
  per version, so anyone holding the document can prove it is the one that was published.
* ``part_id`` — the SDK's convention for turning an OEM part number into the registry's
  ``bytes32`` key: keccak256 of the part number's UTF-8 bytes, with **no normalisation** (case,
  whitespace and Unicode form all matter: ``"AB-12"`` and ``"ab-12"`` are different parts). Ids
  minted some other way (for example a zero-padded number) are accepted through
  :func:`part_id_from_hex`.
"""

from __future__ import annotations

from eth_utils.crypto import keccak

from ._hex import BytesLike, as_bytes
from .errors import HashMismatchError, InvalidInputError

__all__ = ["part_id", "part_id_from_hex", "spec_hash", "verify_spec_hash"]


def spec_hash(data: bytes) -> bytes:
    """keccak256 of the plaintext design document (32 bytes)."""
    return keccak(bytes(data))


def part_id(number: str) -> bytes:
    """keccak256 of the OEM part number's UTF-8 bytes: the registry's ``bytes32`` part id."""
    if not isinstance(number, str):
        raise InvalidInputError(f"part number: expected a string, got {type(number).__name__}")
    if not number:
        raise InvalidInputError("part number: must not be empty")
    return keccak(number.encode("utf-8"))


def part_id_from_hex(value: BytesLike) -> bytes:
    """An existing ``bytes32`` part id given as hex (``0x`` optional) or bytes."""
    raw = as_bytes(value, "part id", 32)
    if raw == bytes(32):
        raise InvalidInputError("part id: must not be zero")
    return raw


def verify_spec_hash(document: bytes, expected: BytesLike) -> None:
    """Raise :class:`HashMismatchError` unless ``document`` hashes to ``expected``."""
    want = as_bytes(expected, "spec hash", 32)
    got = spec_hash(document)
    if got != want:
        raise HashMismatchError(
            f"document hash 0x{got.hex()} does not match the published spec hash 0x{want.hex()}"
        )
