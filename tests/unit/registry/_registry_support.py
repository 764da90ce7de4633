"""Helpers and fixtures shared by the PartRegistry unit tests.

Fixtures defined here are imported by name into the modules that use them (``tests/conftest.py``
belongs to the whole suite). The file name is unique on purpose: test directories have no
``__init__.py``, so two helper modules with the same name in different directories would shadow
each other in ``sys.modules``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_hex

from conftest import h

UINT64_MAX = 2**64 - 1
REPORT = h("audit report Q3")
ENVELOPE = bytes.fromhex("04") + h("ephemeral key") + h("sealed content key")

# Revert reasons, spelled once.
MISSING_ROLE = "access_control: account is missing role"
NOT_OWNER = "registry: not part owner"
UNKNOWN_PART = "registry: unknown part"
UNKNOWN_VERSION = "registry: unknown version"
NEW_OWNER_NOT_MANUFACTURER = "registry: new owner not manufacturer"
OWNER_STILL_MANUFACTURER = "registry: owner still manufacturer"


@pytest.fixture
def other_oem(registry, admin, sub2):
    """A second manufacturer, who owns no part here."""
    registry.grantRole(registry.MANUFACTURER_ROLE(), sub2, sender=admin)
    return sub2


@pytest.fixture
def manufacturer_supplier(registry, admin, part, supplier):
    """The `part` fixture's granted, certified supplier, also made a manufacturer (so it can own parts)."""
    registry.grantRole(registry.MANUFACTURER_ROLE(), supplier, sender=admin)
    return supplier


def pin_next_block(chain: Any, offset: int = 100) -> int:
    """Fixes the timestamp of the next block (the next transaction) and returns it."""
    t = chain.pending_timestamp + offset
    chain.pending_timestamp = t
    return t


def mine_at(chain: Any, timestamp: int) -> None:
    """Mines an empty block at `timestamp`, so that views (run against the head) see that time."""
    chain.mine(timestamp=timestamp)


@contextmanager
def isolated(chain: Any) -> Iterator[None]:
    """Snapshot before, restore after: one hypothesis example's chain state never leaks into the next.

    Use this, not ``chain.isolate()``: Ape 0.8.51's ``ChainManager.isolate`` wraps its ``yield`` in
    ``except Exception: pass``, so an ``AssertionError`` raised inside it is swallowed and the test
    passes whatever happened (``with chain.isolate(): assert False`` passes).
    """
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)


def read_views(chain: Any, contract: Any, calls: list[tuple[str, tuple, str]]) -> list[Any]:
    """Reads many views of `contract` at the head in one JSON-RPC batch of ``eth_call``s.

    Each call is ``(signature, args, output types)``, e.g. ``("has_access(bytes32,address)", (part, a),
    "bool")``; a single output comes back bare, several as a tuple. For property tests that read
    dozens of views per step: one round trip instead of one (plus Ape's encoding) per view.
    """
    web3 = chain.provider.web3
    outputs = []
    with web3.batch_requests() as batch:
        for signature, args, out in calls:
            arg_types = signature[signature.index("(") + 1 : -1].split(",")
            data = keccak(text=signature)[:4] + encode(arg_types, [getattr(a, "address", a) for a in args])
            batch.add(web3.eth.call({"to": contract.address, "data": to_hex(data)}, "latest"))
            outputs.append(out.split(","))
        raw = batch.execute()
    decoded = [decode(types, result) for types, result in zip(outputs, raw, strict=True)]
    return [values[0] if len(values) == 1 else values for values in decoded]


def trace_view(chain: Any, contract: Any, method: Any, *args: Any) -> dict:
    """The node's opcode trace of a view called at the head (``debug_traceCall``): storage reads, gas."""
    call = {"to": contract.address, "data": to_hex(method.encode_input(*args))}
    return chain.provider.make_request("debug_traceCall", [call, "latest", {"disableStorage": True}])


def opcode_count(trace: dict, op: str) -> int:
    return sum(1 for step in trace["structLogs"] if step["op"] == op)
