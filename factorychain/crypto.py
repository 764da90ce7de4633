"""Encryption of design documents (AES-256-GCM, one fresh 32-byte content key per version).

Ciphertext format, version 1 (all of it is public; only the content key is secret)::

    offset  size  field
    0       5     magic  b"FCDOC"
    5       1     format version (1)
    6       12    nonce (random)
    18      n+16  AES-256-GCM ciphertext of the n-byte document, followed by the 16-byte tag

The GCM associated data is ``magic || format version || part_id (32 bytes) || version (uint256,
32 bytes big-endian)``. The part id and registry version are therefore authenticated without
being stored: a ciphertext published for one part or version fails to decrypt as any other, and
the header cannot be altered without failing the tag.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._hex import BytesLike, as_bytes, as_uint
from .errors import DecryptionError

__all__ = [
    "CONTENT_KEY_SIZE",
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "MAGIC",
    "NONCE_SIZE",
    "TAG_SIZE",
    "associated_data",
    "decrypt_document",
    "encrypt_document",
    "new_content_key",
]

MAGIC = b"FCDOC"
FORMAT_VERSION = 1
CONTENT_KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
HEADER_SIZE = len(MAGIC) + 1 + NONCE_SIZE


def new_content_key() -> bytes:
    """A fresh random 32-byte AES-256 key. Draw one per published version; never reuse it."""
    return AESGCM.generate_key(bit_length=8 * CONTENT_KEY_SIZE)


def associated_data(part_id: BytesLike, version: int) -> bytes:
    """The authenticated (unencrypted) context binding a ciphertext to one part version."""
    pid = as_bytes(part_id, "part id", 32)
    ver = as_uint(version, "version", minimum=1)
    return MAGIC + bytes([FORMAT_VERSION]) + pid + ver.to_bytes(32, "big")


def encrypt_document(plaintext: bytes, key: BytesLike, part_id: BytesLike, version: int) -> bytes:
    """Encrypt ``plaintext`` for ``(part_id, version)`` under ``key``; returns the v1 format."""
    cipher = AESGCM(as_bytes(key, "content key", CONTENT_KEY_SIZE))
    aad = associated_data(part_id, version)
    nonce = os.urandom(NONCE_SIZE)
    return MAGIC + bytes([FORMAT_VERSION]) + nonce + cipher.encrypt(nonce, bytes(plaintext), aad)


def decrypt_document(ciphertext: bytes, key: BytesLike, part_id: BytesLike, version: int) -> bytes:
    """Decrypt a v1 ciphertext; :class:`DecryptionError` if it is not one or fails authentication."""
    cipher = AESGCM(as_bytes(key, "content key", CONTENT_KEY_SIZE))
    aad = associated_data(part_id, version)
    data = bytes(ciphertext)
    if data[: len(MAGIC)] != MAGIC:
        raise DecryptionError("not a FactoryChain encrypted document (bad magic bytes)")
    if len(data) < HEADER_SIZE + TAG_SIZE:
        raise DecryptionError("encrypted document is truncated")
    if data[len(MAGIC)] != FORMAT_VERSION:
        raise DecryptionError(f"unsupported encrypted document format version {data[len(MAGIC)]}")
    nonce = data[len(MAGIC) + 1 : HEADER_SIZE]
    try:
        return cipher.decrypt(nonce, data[HEADER_SIZE:], aad)
    except InvalidTag:
        raise DecryptionError(
            "decryption failed: wrong content key, wrong part id/version, or tampered document"
        ) from None
