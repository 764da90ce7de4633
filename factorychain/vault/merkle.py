"""Merkle trees of record leaves, exactly as snekmate's ``merkle_proof_verification`` checks them.

* A **leaf** commits to one record: ``keccak256(salt (32) || index (uint64, 8) || schema hash (32)
  || record bytes)``. The salt is secret until the record is disclosed, so nobody can test guesses
  of a low-entropy reading against a leaf; the index pins the record's place in its batch; the
  schema hash binds the CSV header (or the JSON Lines format) the record is read with.
  A leaf preimage is at least 72 bytes, never the 64 bytes an inner node hashes, so an inner node
  can never be passed off as a leaf (the reason OpenZeppelin's trees hash leaves twice; the fixed
  72-byte prefix gets the same guarantee with one hash).
* An **inner node** is snekmate's ``_hash_pair``: ``keccak256(min(a, b) || max(a, b))`` with the
  words compared as ``uint256`` (big-endian bytes compare the same way).
* The tree is **padded** with zero leaves to the next power of two (only ``O(log n)`` extra hashes:
  a subtree of padding has a known hash), so every proof of a batch of ``n`` records has exactly
  ``ceil(log2 n)`` hashes. ``DataAnchor.verify`` refuses any other length, and a zero leaf.
"""

from __future__ import annotations

from collections.abc import Sequence

from sha3 import keccak_256

from .._hex import BytesLike, as_bytes
from ..errors import InvalidInputError

__all__ = [
    "MAX_RECORDS",
    "ZERO",
    "hash_pair",
    "leaf_hash",
    "merkle_levels",
    "merkle_proof",
    "merkle_root",
    "process_proof",
    "tree_depth",
]

ZERO = bytes(32)
#: DataAnchor packs the record count in 56 bits.
MAX_RECORDS = (1 << 56) - 1
_MAX_DEPTH = 56


def hash_pair(a: bytes, b: bytes) -> bytes:
    """snekmate's ``_hash_pair``: keccak256 of the two words, smaller first."""
    return keccak_256(a + b).digest() if a < b else keccak_256(b + a).digest()


def leaf_hash(salt: BytesLike, index: int, schema_hash: BytesLike, record: bytes) -> bytes:
    """The leaf of ``record`` at ``index`` of its batch (see the module docstring)."""
    salt_bytes = as_bytes(salt, "salt", 32)
    schema = as_bytes(schema_hash, "schema hash", 32)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_RECORDS:
        raise InvalidInputError(f"record index: {index!r} is not an integer in [0, 2**56 - 1)")
    return keccak_256(salt_bytes + index.to_bytes(8, "big") + schema + bytes(record)).digest()


def tree_depth(count: int) -> int:
    """``ceil(log2(count))``: the length of every proof in a tree of ``count`` leaves (0 for one)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_RECORDS:
        raise InvalidInputError(f"record count: {count!r} is not an integer in [1, 2**56 - 1]")
    return (count - 1).bit_length()


def _zero_hashes(depth: int) -> list[bytes]:
    zeros = [ZERO]
    for _ in range(depth):
        zeros.append(hash_pair(zeros[-1], zeros[-1]))
    return zeros


_ZEROS = _zero_hashes(_MAX_DEPTH)


def merkle_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the padded tree, leaves first, root last (a one-element list).

    Padding is implicit: a level with an odd number of nodes is completed with the hash of an
    all-zero subtree of that height. Memory is about twice the leaves'.
    """
    if not leaves:
        raise InvalidInputError("a Merkle tree needs at least one leaf")
    if len(leaves) > MAX_RECORDS:
        raise InvalidInputError(f"a batch holds at most {MAX_RECORDS} records")
    k = keccak_256
    level = list(leaves)
    levels = [level]
    height = 0
    while len(level) > 1:
        if len(level) & 1:
            level = level + [_ZEROS[height]]
        pairs = iter(level)
        # The hot loop of every ingest: snekmate's sorted-pair hash, inlined.
        level = [k(a + b).digest() if a < b else k(b + a).digest() for a, b in zip(pairs, pairs)]
        levels.append(level)
        height += 1
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root of the padded tree over ``leaves``."""
    return merkle_levels(leaves)[-1][0]


def merkle_proof(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The ``ceil(log2 n)`` sibling hashes from leaf ``index`` up to the root."""
    count = len(levels[0])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise InvalidInputError(f"record index {index!r} is outside the batch (0 .. {count - 1})")
    proof: list[bytes] = []
    position = index
    for height, level in enumerate(levels[:-1]):
        sibling = position ^ 1
        proof.append(level[sibling] if sibling < len(level) else _ZEROS[height])
        position >>= 1
    return proof


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """snekmate's ``_process_proof``: the root a proof leads to from ``leaf``."""
    computed = bytes(leaf)
    for sibling in proof:
        computed = hash_pair(computed, bytes(sibling))
    return computed
