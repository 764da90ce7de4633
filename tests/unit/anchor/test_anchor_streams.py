"""DataAnchor streams: create, transfer, writers, key sharing."""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from _anchor_support import LABEL, NOT_OWNER, URI, data_anchor, gateway, stream  # noqa: F401
from conftest import ZERO
from factorychain.vault.streamkey import stream_id as sdk_stream_id

ENVELOPE = bytes(range(165))


def test_create_stream__returns_id_of_owner_and_label__logs_it(data_anchor, oem):
    tx = data_anchor.create_stream(LABEL, sender=oem)

    expected = keccak(encode(["address", "bytes32"], [oem.address, LABEL]))
    assert bytes(tx.return_value) == expected == sdk_stream_id(oem.address, LABEL)
    assert data_anchor.stream_id(oem, LABEL) == expected
    assert tx.events == [data_anchor.StreamCreated(stream=expected, owner=oem, label=LABEL)]
    assert data_anchor.stream_owner(expected) == oem
    assert data_anchor.batch_count(expected) == 0


def test_create_stream__same_label_other_owner__different_stream(data_anchor, stream, buyer):
    other = bytes(data_anchor.create_stream(LABEL, sender=buyer).return_value)

    assert other != stream
    assert data_anchor.stream_owner(other) == buyer


def test_create_stream__twice__reverts(data_anchor, stream, oem):
    with ape.reverts("anchor: stream exists"):
        data_anchor.create_stream(LABEL, sender=oem)


def test_create_stream__empty_label__reverts(data_anchor, oem):
    with ape.reverts("anchor: empty label"):
        data_anchor.create_stream(bytes(32), sender=oem)


def test_add_writer__by_owner__logged_and_can_anchor(data_anchor, stream, oem, supplier):
    tx = data_anchor.add_writer(stream, supplier, sender=oem)

    assert tx.events == [data_anchor.WriterAdded(stream=stream, writer=supplier)]
    assert data_anchor.is_writer(stream, supplier)


def test_add_writer__again__no_event(data_anchor, stream, oem, gateway):
    tx = data_anchor.add_writer(stream, gateway, sender=oem)

    assert tx.events == []
    assert data_anchor.is_writer(stream, gateway)


def test_add_writer__zero__reverts(data_anchor, stream, oem):
    with ape.reverts("anchor: zero writer"):
        data_anchor.add_writer(stream, ZERO, sender=oem)


def test_remove_writer__by_owner__cannot_anchor_any_more(data_anchor, stream, oem, gateway):
    tx = data_anchor.remove_writer(stream, gateway, sender=oem)

    assert tx.events == [data_anchor.WriterRemoved(stream=stream, writer=gateway)]
    assert not data_anchor.is_writer(stream, gateway)
    with ape.reverts("anchor: not writer"):
        data_anchor.anchor(stream, keccak(b"root"), 1, URI, sender=gateway)


def test_remove_writer__not_a_writer__no_event(data_anchor, stream, oem, buyer):
    tx = data_anchor.remove_writer(stream, buyer, sender=oem)

    assert tx.events == []


def test_is_writer__owner_yes_stranger_no_unknown_stream_no(data_anchor, stream, oem, stranger):
    assert data_anchor.is_writer(stream, oem)
    assert not data_anchor.is_writer(stream, stranger)
    assert not data_anchor.is_writer(keccak(b"nothing"), oem)


def test_transfer_stream__new_owner_controls__old_writers_retired(data_anchor, stream, oem, buyer, gateway):
    tx = data_anchor.transfer_stream(stream, buyer, sender=oem)

    assert tx.events == [data_anchor.StreamTransferred(stream=stream, previous_owner=oem, new_owner=buyer)]
    assert data_anchor.stream_owner(stream) == buyer
    assert not data_anchor.is_writer(stream, gateway)
    assert not data_anchor.is_writer(stream, oem)
    with ape.reverts("anchor: not writer"):
        data_anchor.anchor(stream, keccak(b"root"), 1, URI, sender=gateway)
    with ape.reverts(NOT_OWNER):
        data_anchor.add_writer(stream, oem, sender=oem)
    data_anchor.anchor(stream, keccak(b"root"), 1, URI, sender=buyer)


def test_transfer_stream__writer_named_again__works(data_anchor, stream, oem, buyer, gateway):
    data_anchor.transfer_stream(stream, buyer, sender=oem)

    tx = data_anchor.add_writer(stream, gateway, sender=buyer)

    assert tx.events == [data_anchor.WriterAdded(stream=stream, writer=gateway)]
    assert data_anchor.is_writer(stream, gateway)


def test_transfer_stream__keeps_batches(data_anchor, stream, oem, buyer):
    data_anchor.anchor(stream, keccak(b"root"), 3, URI, sender=oem)

    data_anchor.transfer_stream(stream, buyer, sender=oem)

    assert data_anchor.batch_count(stream) == 1
    assert data_anchor.get_batch(stream, 1).root == keccak(b"root")
    assert data_anchor.anchor(stream, keccak(b"root2"), 3, URI, sender=buyer).return_value == 2


def test_transfer_stream__to_zero__reverts(data_anchor, stream, oem):
    with ape.reverts("anchor: zero owner"):
        data_anchor.transfer_stream(stream, ZERO, sender=oem)


def test_share_key__by_owner__logs_envelope_and_writes_nothing(data_anchor, stream, oem, inspector, chain):
    tx = data_anchor.share_key(stream, inspector, ENVELOPE, sender=oem)

    assert tx.events == [data_anchor.StreamKeyShared(stream=stream, reader=inspector, envelope=ENVELOPE)]
    trace = chain.provider.make_request("debug_traceTransaction", [tx.txn_hash, {"disableStorage": True}])
    opcodes = {step["op"] for step in trace["structLogs"]}
    assert "LOG3" in opcodes and "SSTORE" not in opcodes


@pytest.mark.parametrize("reader, envelope, reason", [(ZERO, ENVELOPE, "anchor: zero reader"), ("inspector", b"", "anchor: empty envelope")])
def test_share_key__bad_arguments__revert(data_anchor, stream, oem, inspector, reader, envelope, reason):
    with ape.reverts(reason):
        data_anchor.share_key(stream, inspector if reader == "inspector" else reader, envelope, sender=oem)


@pytest.mark.parametrize("call", ["transfer_stream", "add_writer", "remove_writer", "share_key"])
def test_owner_functions__on_unknown_stream__revert(data_anchor, oem, buyer, call):
    unknown = keccak(b"no such stream")
    args = {"transfer_stream": (buyer,), "add_writer": (buyer,), "remove_writer": (buyer,), "share_key": (buyer, ENVELOPE)}[call]

    with ape.reverts(NOT_OWNER):
        getattr(data_anchor, call)(unknown, *args, sender=oem)


def test_version_and_limits(data_anchor):
    assert data_anchor.VERSION() == "1.0.0"
    assert data_anchor.MAX_RECORDS() == 2**56 - 1
