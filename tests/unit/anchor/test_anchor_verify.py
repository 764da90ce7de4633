"""DataAnchor.verify: snekmate's proof check against an anchored root, exact proof length only.

The trees come from the SDK (factorychain.vault.merkle), so these tests also pin that the SDK's
trees and proofs are the ones snekmate's `merkle_proof_verification` accepts.
"""

import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from _anchor_support import URI, anchor_tree, data_anchor, proof_of, stream  # noqa: F401
from factorychain.vault.merkle import hash_pair, tree_depth


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13, 64, 100])
def test_verify__every_leaf_of_a_batch__true(data_anchor, stream, oem, count):
    batch, levels = anchor_tree(data_anchor, stream, oem, count)

    for index in range(count):
        proof = proof_of(levels, index)
        assert len(proof) == tree_depth(count) == data_anchor.proof_length(count)
        assert data_anchor.verify(stream, batch, levels[0][index], proof)


@given(count=st.integers(min_value=1, max_value=300), data=st.data())
def test_verify__random_batch_and_leaf__true_and_tampering_false(data_anchor, stream, oem, chain, count, data):
    with chain.isolate():
        batch, levels = anchor_tree(data_anchor, stream, oem, count)
        index = data.draw(st.integers(min_value=0, max_value=count - 1))
        proof = proof_of(levels, index)
        leaf = levels[0][index]

        assert data_anchor.verify(stream, batch, leaf, proof)
        assert not data_anchor.verify(stream, batch, keccak(leaf), proof)
        if proof:
            position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
            bad = list(proof)
            bad[position] = keccak(bad[position])
            assert not data_anchor.verify(stream, batch, leaf, bad)


def test_verify__leaf_of_another_batch__false(data_anchor, stream, oem):
    first, levels = anchor_tree(data_anchor, stream, oem, 8)
    second, _ = anchor_tree(data_anchor, stream, oem, 8)

    assert data_anchor.verify(stream, first, levels[0][3], proof_of(levels, 3))
    assert not data_anchor.verify(stream, second, levels[0][3], proof_of(levels, 3))


def test_verify__inner_node_as_leaf__false(data_anchor, stream, oem):
    batch, levels = anchor_tree(data_anchor, stream, oem, 8)
    inner = levels[1][1]  # parent of leaves 2 and 3: a valid path to the root, but one level short
    short_proof = [levels[1][0], levels[2][1]]

    assert hash_pair(hash_pair(inner, short_proof[0]), short_proof[1]) == levels[-1][0]
    assert not data_anchor.verify(stream, batch, inner, short_proof)


def test_verify__padding_leaf__false(data_anchor, stream, oem):
    batch, levels = anchor_tree(data_anchor, stream, oem, 3)  # padded with one zero leaf
    zero_proof = [levels[0][2], hash_pair(levels[0][0], levels[0][1])]

    assert hash_pair(hash_pair(bytes(32), zero_proof[0]), zero_proof[1]) == levels[-1][0]
    assert not data_anchor.verify(stream, batch, bytes(32), zero_proof)


def test_verify__extra_proof_element__false(data_anchor, stream, oem):
    batch, levels = anchor_tree(data_anchor, stream, oem, 4)

    assert not data_anchor.verify(stream, batch, levels[0][0], proof_of(levels, 0) + [bytes(32)])


def test_verify__single_record__leaf_is_root_with_empty_proof(data_anchor, stream, oem):
    batch, levels = anchor_tree(data_anchor, stream, oem, 1)

    assert data_anchor.verify(stream, batch, levels[0][0], [])
    assert not data_anchor.verify(stream, batch, levels[0][0], [levels[0][0]])


def test_verify__unknown_batch_or_stream__false(data_anchor, stream, oem):
    batch, levels = anchor_tree(data_anchor, stream, oem, 2)

    assert not data_anchor.verify(stream, batch + 1, levels[0][0], proof_of(levels, 0))
    assert not data_anchor.verify(keccak(b"nothing"), batch, levels[0][0], proof_of(levels, 0))


@pytest.mark.parametrize("count, depth", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1_000_000, 20), (2**56 - 1, 56)])
def test_proof_length__is_ceil_log2(data_anchor, count, depth):
    assert data_anchor.proof_length(count) == depth == tree_depth(count)


@pytest.mark.parametrize("count, reason", [(0, "anchor: no records"), (2**56, "anchor: too many records")])
def test_proof_length__out_of_range__reverts(data_anchor, count, reason):
    import ape

    with ape.reverts(reason):
        data_anchor.proof_length(count)
