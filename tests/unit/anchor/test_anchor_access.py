"""DataAnchor access matrix, generated from the ABI: every state-changing function x every actor.

Denied cases revert with the exact reason and change nothing; allowed cases go through. A guard
fails when a new state-changing function is not in the table.
"""

import os

import ape
import pytest
from eth_utils import keccak

from _anchor_support import NOT_OWNER, NOT_WRITER, URI, data_anchor  # noqa: F401

ENVELOPE = bytes(range(100))
ROOT = keccak(b"root")

# function -> (who may call it, reason every other actor gets)
TABLE = {
    "create_stream": ({"owner", "writer", "stranger"}, None),  # anyone: the id is their own
    "transfer_stream": ({"owner"}, NOT_OWNER),
    "add_writer": ({"owner"}, NOT_OWNER),
    "remove_writer": ({"owner"}, NOT_OWNER),
    "share_key": ({"owner"}, NOT_OWNER),
    "anchor": ({"owner", "writer"}, NOT_WRITER),
}
ACTORS = ["owner", "writer", "stranger", "former_owner", "removed_writer"]


def _mutating(contract) -> set[str]:
    return {abi.name for abi in contract.contract_type.mutable_methods}


def test_table__covers_every_state_changing_function(data_anchor):
    assert _mutating(data_anchor) == set(TABLE)


@pytest.fixture
def world(data_anchor, oem, supplier, stranger, buyer, sub1):
    """A stream transferred from `buyer` to `oem`, `sub1` named a writer and then removed, `supplier` a writer.

    The label is unique per test: in the full suite's order, Ape's isolation did not always roll
    this module's function-scoped transactions back (seen twice in fresh-clone runs, never when
    the module runs alone), and every case here needs a stream nobody else made.
    """
    stream = bytes(data_anchor.create_stream(keccak(os.urandom(32)), sender=buyer).return_value)
    data_anchor.transfer_stream(stream, oem, sender=buyer)
    data_anchor.add_writer(stream, supplier, sender=oem)
    data_anchor.add_writer(stream, sub1, sender=oem)
    data_anchor.remove_writer(stream, sub1, sender=oem)
    actors = {"owner": oem, "writer": supplier, "stranger": stranger, "former_owner": buyer, "removed_writer": sub1}
    return stream, actors


def _call(data_anchor, function, stream, actors, who):
    target = actors["stranger"] if who != "stranger" else actors["former_owner"]
    args = {
        "create_stream": (keccak(text=f"new-{who}"),),
        "transfer_stream": (stream, target),
        "add_writer": (stream, target),
        "remove_writer": (stream, actors["writer"]),
        "share_key": (stream, target, ENVELOPE),
        "anchor": (stream, ROOT, 10, URI),
    }[function]
    return getattr(data_anchor, function)(*args, sender=actors[who])


def _state(data_anchor, stream, actors):
    return (
        data_anchor.stream_owner(stream),
        data_anchor.batch_count(stream),
        tuple(data_anchor.is_writer(stream, account) for account in actors.values()),
    )


DENIED = [(f, who) for f, (allowed, _) in TABLE.items() for who in ACTORS if who not in allowed and f != "create_stream"]
ALLOWED = [(f, who) for f, (allowed, _) in TABLE.items() for who in ACTORS if who in allowed]


@pytest.mark.parametrize("function, who", DENIED)
def test_denied__reverts_with_reason_and_changes_nothing(data_anchor, world, function, who):
    stream, actors = world
    before = _state(data_anchor, stream, actors)

    with ape.reverts(TABLE[function][1]):
        _call(data_anchor, function, stream, actors, who)

    assert _state(data_anchor, stream, actors) == before


@pytest.mark.parametrize("function, who", ALLOWED)
def test_allowed__goes_through(data_anchor, world, function, who):
    stream, actors = world

    tx = _call(data_anchor, function, stream, actors, who)

    assert not tx.failed
