"""DataAnchor's packed words, field by field: the bits next to each field must never leak into it.

Written for mutants that `make mutate` found alive (docs/mutation.md): a mask one bit too wide
reads the neighbouring field's lowest bit, which only shows when that bit is 1 -- an odd record
count next to the anchoring time, an odd batch count next to the stream's generation.
"""

import ape
import pytest
from eth_utils import keccak

from _anchor_support import NOT_WRITER, URI, data_anchor, stream  # noqa: F401

ROOT = keccak(b"packing root")


@pytest.mark.parametrize("count", [1, 3, 65_537, (1 << 56) - 1])
def test_get_batch__odd_record_count__anchored_at_is_the_block_time(data_anchor, stream, oem, chain, count):
    """The record count sits right above the 40-bit time: its lowest bit is not part of the time."""
    tx = data_anchor.anchor(stream, ROOT, count, URI, sender=oem)

    batch = data_anchor.get_batch(stream, tx.return_value)
    assert batch.anchored_at == chain.blocks[tx.block_number].timestamp
    assert batch.record_count == count


def test_writer_named_at_odd_batch_count__keeps_anchoring_as_the_count_grows(data_anchor, stream, oem, supplier):
    """The batch count sits right above the 32-bit generation: a writer named when the count is odd
    (1) stays a writer when it becomes even (2), odd (3) and even again (4)."""
    data_anchor.anchor(stream, ROOT, 2, URI, sender=oem)  # one batch: an odd count
    data_anchor.add_writer(stream, supplier, sender=oem)

    for expected in (2, 3, 4):
        assert data_anchor.is_writer(stream, supplier)
        tx = data_anchor.anchor(stream, keccak(bytes([expected])), 2, URI, sender=supplier)
        assert tx.return_value == expected
    assert data_anchor.batch_count(stream) == 4


def test_writer_named_at_even_batch_count__refused_after_removal_whatever_the_count(data_anchor, stream, oem, supplier):
    """And the other way round: a writer removed at an odd count stays removed at an even one."""
    data_anchor.add_writer(stream, supplier, sender=oem)  # zero batches: an even count
    data_anchor.anchor(stream, ROOT, 2, URI, sender=supplier)
    data_anchor.remove_writer(stream, supplier, sender=oem)

    assert not data_anchor.is_writer(stream, supplier)
    with ape.reverts(NOT_WRITER):
        data_anchor.anchor(stream, keccak(b"late"), 2, URI, sender=supplier)
    data_anchor.anchor(stream, keccak(b"owner"), 2, URI, sender=oem)  # two batches: even
    assert not data_anchor.is_writer(stream, supplier)
    with ape.reverts(NOT_WRITER):
        data_anchor.anchor(stream, keccak(b"later"), 2, URI, sender=supplier)


@pytest.mark.parametrize("offset", [0, 1])
def test_get_batch__odd_and_even_block_time__anchored_at_to_the_second(data_anchor, stream, oem, chain, offset):
    """Every bit of the 40-bit time is kept, the lowest one too: an odd and an even block time."""
    when = chain.pending_timestamp + 100
    when += (when + offset) % 2  # offset 0: even, offset 1: odd
    chain.pending_timestamp = when
    tx = data_anchor.anchor(stream, ROOT, 2, URI, sender=oem)

    assert chain.blocks[tx.block_number].timestamp == when
    assert data_anchor.get_batch(stream, tx.return_value).anchored_at == when
