"""Helpers shared by the PartRegistry unit tests (no fixtures: every module asks for what it uses).

The file name is unique on purpose: test directories have no ``__init__.py``, so two helper modules
with the same name in different directories would shadow each other in ``sys.modules``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conftest import h

UINT64_MAX = 2**64 - 1
REPORT = h("audit report Q3")
ENVELOPE = bytes.fromhex("04") + h("ephemeral key") + h("sealed content key")

# Revert reasons, spelled once.
MISSING_ROLE = "access_control: account is missing role"
NOT_OWNER = "registry: not part owner"
UNKNOWN_PART = "registry: unknown part"
UNKNOWN_VERSION = "registry: unknown version"


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
