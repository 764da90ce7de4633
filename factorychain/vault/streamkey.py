"""Streams and their keys: ids as DataAnchor computes them, and the stream key's ECIES envelope.

A stream (a machine, a line, a lot) has one 32-byte **stream key**, drawn at random when the
vault is created. Every batch key is derived from it (:mod:`factorychain.vault.batch`), so the
stream key is the one secret to keep. It is never stored in the clear: it is wrapped to the
owner's own secp256k1 public key with the same ECIES envelope as design keys
(:func:`factorychain.envelopes.wrap_key`), and to an auditor's key the same way when the owner
shares the stream. The envelope's payload names a *context* instead of a part id:
``keccak256("FactoryChain vault stream key" || stream id)``, so a stream-key envelope can never be
taken for a design key (or for another stream's key).
"""

from __future__ import annotations

import os

from eth_utils.address import to_canonical_address
from sha3 import keccak_256

from .._hex import BytesLike, as_address, as_bytes
from ..envelopes import unwrap_key, wrap_key

__all__ = [
    "STREAM_KEY_SIZE",
    "envelope_context",
    "new_stream_key",
    "stream_id",
    "stream_label",
    "unwrap_stream_key",
    "wrap_stream_key",
]

STREAM_KEY_SIZE = 32
_CONTEXT_TAG = b"FactoryChain vault stream key"
_ENVELOPE_VERSION = 1


def new_stream_key() -> bytes:
    """A fresh random 32-byte stream key."""
    return os.urandom(STREAM_KEY_SIZE)


def stream_label(name: str) -> bytes:
    """The ``bytes32`` label of a stream name: keccak256 of its UTF-8 bytes, not normalised."""
    if not isinstance(name, str) or not name:
        raise ValueError("stream name must be a non-empty string")
    return keccak_256(name.encode("utf-8")).digest()


def stream_id(owner: object, label: BytesLike) -> bytes:
    """``DataAnchor.stream_id(owner, label)``: keccak256(abi_encode(owner, label))."""
    address = to_canonical_address(as_address(owner, "stream owner"))
    return keccak_256(bytes(12) + address + as_bytes(label, "stream label", 32)).digest()


def envelope_context(stream: BytesLike) -> bytes:
    """The id an envelope of this stream's key is bound to (in place of a design's part id)."""
    return keccak_256(_CONTEXT_TAG + as_bytes(stream, "stream id", 32)).digest()


def wrap_stream_key(stream_key: BytesLike, public_key: BytesLike, stream: BytesLike) -> bytes:
    """Encrypt the stream key to ``public_key`` (the owner's own, or an auditor's)."""
    return wrap_key(stream_key, public_key, envelope_context(stream), _ENVELOPE_VERSION)


def unwrap_stream_key(envelope: BytesLike, private_key: BytesLike, stream: BytesLike) -> bytes:
    """Open a stream-key envelope; :class:`~factorychain.errors.EnvelopeError` if it is not ours."""
    return unwrap_key(envelope, private_key, envelope_context(stream), _ENVELOPE_VERSION)
