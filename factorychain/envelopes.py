"""Key envelopes: a design's content key encrypted to one partner's secp256k1 public key.

An envelope is what ``PartRegistry.share_key`` publishes in its ``KeyShared`` event. It is
ECIES as implemented by ``eciespy`` (ephemeral secp256k1 key, HKDF-SHA256, AES-256-GCM with a
16-byte nonce), with the ephemeral public key compressed to save calldata::

    envelope = ephemeral public key (33) || nonce (16) || tag (16) || encrypted payload (100)
    payload  = b"FCK" || format (1) || part_id (32) || version (uint256, 32) || content key (32)

165 bytes in all, well under the registry's ``Bytes[512]``. The payload names the part and
version it unlocks, so an envelope copied to another part or version is refused on opening.
Anyone can read an envelope on chain; only the holder of the partner's private key can open it.
"""

from __future__ import annotations

import ecies
from ecies.config import Config

from ._hex import BytesLike, as_bytes, as_uint
from .crypto import CONTENT_KEY_SIZE
from .errors import EnvelopeError
from .keys import normalize_public_key, parse_private_key

__all__ = ["ENVELOPE_SIZE", "MAX_ENVELOPE_SIZE", "unwrap_key", "wrap_key"]

MAX_ENVELOPE_SIZE = 512
_MAGIC = b"FCK"
_FORMAT = 1
_PAYLOAD_SIZE = len(_MAGIC) + 1 + 32 + 32 + CONTENT_KEY_SIZE
# Pinned here rather than taken from ecies.ECIES_CONFIG, which is a mutable module global.
_ECIES = Config(
    elliptic_curve="secp256k1",
    is_ephemeral_key_compressed=True,
    is_hkdf_key_compressed=False,
    symmetric_algorithm="aes-256-gcm",
    symmetric_nonce_length=16,
)
ENVELOPE_SIZE = 33 + 16 + 16 + _PAYLOAD_SIZE


def _payload_prefix(part_id: BytesLike, version: int) -> bytes:
    pid = as_bytes(part_id, "part id", 32)
    ver = as_uint(version, "version", minimum=1)
    return _MAGIC + bytes([_FORMAT]) + pid + ver.to_bytes(32, "big")


def wrap_key(content_key: BytesLike, public_key: BytesLike, part_id: BytesLike, version: int) -> bytes:
    """Encrypt ``content_key`` of ``(part_id, version)`` to ``public_key``; returns the envelope."""
    key = as_bytes(content_key, "content key", CONTENT_KEY_SIZE)
    payload = _payload_prefix(part_id, version) + key
    envelope = ecies.encrypt(normalize_public_key(public_key), payload, config=_ECIES)
    if len(envelope) > MAX_ENVELOPE_SIZE:  # dev: cannot happen with the fixed-size payload
        raise EnvelopeError(f"envelope is {len(envelope)} bytes, over {MAX_ENVELOPE_SIZE}")
    return envelope


def unwrap_key(envelope: BytesLike, private_key: BytesLike, part_id: BytesLike, version: int) -> bytes:
    """Open an envelope with the partner's private key; returns the 32-byte content key.

    Raises :class:`EnvelopeError` when the envelope was not made for this key, was altered,
    or unlocks a different part or version than the one asked for.
    """
    data = as_bytes(envelope, "envelope")
    secret = parse_private_key(private_key)
    expected_prefix = _payload_prefix(part_id, version)
    try:
        payload = ecies.decrypt(secret, data, config=_ECIES)
    except (ValueError, TypeError, IndexError):
        raise EnvelopeError(
            "cannot open key envelope: it is not addressed to this private key, or was altered"
        ) from None
    if len(payload) != _PAYLOAD_SIZE or payload[: len(_MAGIC) + 1] != _MAGIC + bytes([_FORMAT]):
        raise EnvelopeError("key envelope opened but does not hold a FactoryChain content key")
    if payload[: len(expected_prefix)] != expected_prefix:
        raise EnvelopeError("key envelope is for a different part id or version")
    return payload[len(expected_prefix) :]
