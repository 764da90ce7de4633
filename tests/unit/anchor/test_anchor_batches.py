"""DataAnchor.anchor and the batch views: who may anchor, what is stored, what is logged."""

import ape
import pytest
from eth_utils import keccak

from _anchor_support import NOT_WRITER, UNKNOWN_STREAM, URI, data_anchor, gateway, stream  # noqa: F401

ROOT = keccak(b"batch root")


def test_anchor__by_owner__stores_batch_and_logs(data_anchor, stream, oem, chain):
    tx = data_anchor.anchor(stream, ROOT, 65_536, URI, sender=oem)

    assert tx.return_value == 1
    assert tx.events == [
        data_anchor.BatchAnchored(stream=stream, batch=1, writer=oem, root=ROOT, record_count=65_536, uri=URI)
    ]
    batch = data_anchor.get_batch(stream, 1)
    assert (batch.root, batch.record_count, batch.writer) == (ROOT, 65_536, oem.address)
    assert batch.anchored_at == chain.blocks[tx.block_number].timestamp
    assert data_anchor.root_of(stream, 1) == ROOT
    assert data_anchor.batch_count(stream) == 1


def test_anchor__by_writer__recorded_as_writer(data_anchor, stream, gateway):
    tx = data_anchor.anchor(stream, ROOT, 7, URI, sender=gateway)

    assert data_anchor.get_batch(stream, tx.return_value).writer == gateway.address


def test_anchor__numbers_batches_per_stream(data_anchor, stream, oem, buyer):
    other = bytes(data_anchor.create_stream(keccak(b"line-3"), sender=buyer).return_value)

    numbers = [data_anchor.anchor(stream, keccak(bytes([i])), 1, URI, sender=oem).return_value for i in range(3)]
    first_other = data_anchor.anchor(other, ROOT, 1, URI, sender=buyer).return_value

    assert numbers == [1, 2, 3]
    assert first_other == 1
    assert [data_anchor.root_of(stream, n) for n in numbers] == [keccak(bytes([i])) for i in range(3)]


def test_anchor__same_root_twice__two_batches(data_anchor, stream, oem):
    data_anchor.anchor(stream, ROOT, 1, URI, sender=oem)

    assert data_anchor.anchor(stream, ROOT, 1, URI, sender=oem).return_value == 2


@pytest.mark.parametrize("count", [1, 2**56 - 1])
def test_anchor__record_count_bounds__accepted(data_anchor, stream, oem, count):
    tx = data_anchor.anchor(stream, ROOT, count, URI, sender=oem)

    assert data_anchor.get_batch(stream, tx.return_value).record_count == count


@pytest.mark.parametrize(
    "root, count, reason",
    [
        (bytes(32), 1, "anchor: empty root"),
        (ROOT, 0, "anchor: no records"),
        (ROOT, 2**56, "anchor: too many records"),
        (ROOT, 2**256 - 1, "anchor: too many records"),
    ],
)
def test_anchor__bad_batch__reverts(data_anchor, stream, oem, root, count, reason):
    with ape.reverts(reason):
        data_anchor.anchor(stream, root, count, URI, sender=oem)


def test_anchor__unknown_stream__reverts(data_anchor, oem):
    with ape.reverts(UNKNOWN_STREAM):
        data_anchor.anchor(keccak(b"nothing"), ROOT, 1, URI, sender=oem)


def test_anchor__stranger__reverts(data_anchor, stream, stranger):
    with ape.reverts(NOT_WRITER):
        data_anchor.anchor(stream, ROOT, 1, URI, sender=stranger)


def test_anchor__writer_of_another_stream__reverts(data_anchor, stream, oem, buyer, supplier):
    other = bytes(data_anchor.create_stream(keccak(b"line-3"), sender=buyer).return_value)
    data_anchor.add_writer(other, supplier, sender=buyer)

    with ape.reverts(NOT_WRITER):
        data_anchor.anchor(stream, ROOT, 1, URI, sender=supplier)


def test_anchor__long_uri__logged_not_stored(data_anchor, stream, oem, chain):
    uri = "s3://" + "b" * 251
    tx = data_anchor.anchor(stream, ROOT, 1, uri, sender=oem)

    assert tx.events[0].uri == uri
    trace = chain.provider.make_request("debug_traceTransaction", [tx.txn_hash, {"disableStorage": True}])
    stores = [step for step in trace["structLogs"] if step["op"] == "SSTORE"]
    assert len(stores) == 3  # the stream word, the root, the packed batch word


def test_get_batch__unknown__all_zero(data_anchor, stream):
    batch = data_anchor.get_batch(stream, 1)

    assert (batch.root, batch.record_count, batch.anchored_at) == (bytes(32), 0, 0)
    assert int(batch.writer, 16) == 0
    assert data_anchor.root_of(stream, 0) == bytes(32)


def test_views__unknown_stream__zero(data_anchor):
    unknown = keccak(b"nothing")

    assert int(data_anchor.stream_owner(unknown), 16) == 0
    assert data_anchor.batch_count(unknown) == 0
