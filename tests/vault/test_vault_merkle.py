"""factorychain.vault.merkle: leaves, padded trees and proofs, as snekmate hashes them."""

import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from factorychain.errors import InvalidInputError
from factorychain.vault.merkle import (
    hash_pair,
    leaf_hash,
    merkle_levels,
    merkle_proof,
    merkle_root,
    process_proof,
    tree_depth,
)

SCHEMA = keccak(b"\x02")


def test_hash_pair__is_snekmate_sorted_pair():
    a, b = keccak(b"a"), keccak(b"b")
    low, high = sorted([a, b], key=lambda x: int.from_bytes(x, "big"))

    assert hash_pair(a, b) == hash_pair(b, a) == keccak(low + high)


def test_leaf_hash__layout_is_salt_index_schema_record():
    salt = bytes(range(32))

    assert leaf_hash(salt, 5, SCHEMA, b"845.2") == keccak(salt + (5).to_bytes(8, "big") + SCHEMA + b"845.2")


def test_leaf_hash__preimage_never_64_bytes():
    # 72 bytes of prefix: no record makes a leaf preimage look like an inner node's.
    assert len(bytes(32) + (0).to_bytes(8, "big") + SCHEMA) == 72


@pytest.mark.parametrize("salt, index", [(b"short", 0), (bytes(32), -1), (bytes(32), 2**56)])
def test_leaf_hash__bad_input__invalid_input(salt, index):
    with pytest.raises(InvalidInputError):
        leaf_hash(salt, index, SCHEMA, b"x")


@pytest.mark.parametrize("count, depth", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11), (1_000_000, 20)])
def test_tree_depth__ceil_log2(count, depth):
    assert tree_depth(count) == depth


def test_root__one_leaf__is_the_leaf():
    leaf = keccak(b"only")

    assert merkle_root([leaf]) == leaf


def test_root__three_leaves__padded_with_zero_leaf():
    leaves = [keccak(bytes([i])) for i in range(3)]

    assert merkle_root(leaves) == hash_pair(hash_pair(leaves[0], leaves[1]), hash_pair(leaves[2], bytes(32)))


def test_root__five_leaves__padded_with_zero_subtrees():
    leaves = [keccak(bytes([i])) for i in range(5)]
    z1 = hash_pair(bytes(32), bytes(32))
    left = hash_pair(hash_pair(leaves[0], leaves[1]), hash_pair(leaves[2], leaves[3]))
    right = hash_pair(hash_pair(leaves[4], bytes(32)), z1)

    assert merkle_root(leaves) == hash_pair(left, right)


@given(count=st.integers(min_value=1, max_value=200), data=st.data())
def test_proof__any_leaf__leads_to_root_with_ceil_log2_hashes(count, data):
    leaves = [keccak(i.to_bytes(4, "big")) for i in range(count)]
    levels = merkle_levels(leaves)
    index = data.draw(st.integers(min_value=0, max_value=count - 1))

    proof = merkle_proof(levels, index)

    assert len(proof) == tree_depth(count)
    assert process_proof(leaves[index], proof) == levels[-1][0]


def test_proof__index_outside__invalid_input():
    levels = merkle_levels([keccak(b"a"), keccak(b"b")])

    with pytest.raises(InvalidInputError, match="outside the batch"):
        merkle_proof(levels, 2)


def test_levels__no_leaves__invalid_input():
    with pytest.raises(InvalidInputError, match="at least one leaf"):
        merkle_levels([])
