"""Guard: function-scoped isolation still holds late in the suite.

Modules that connect to a standalone Anvil node in-process (tests/ledger, tests/orders_cli,
tests/integration's deploy and parts tests) run before this one in full-suite order. Once, after
them, a test's transactions leaked into the next test. The first test below moves value and
creates a stream; the second checks that both are gone again. If this module fails only in the full
suite, an earlier module left the main provider's snapshot stack wrong.
"""

from __future__ import annotations

import pytest
from _anchor_support import data_anchor  # noqa: F401
from conftest import ZERO, h

GIFT = 123_456_789
_seen: dict[str, int] = {}


@pytest.fixture
def stranger_balance(stranger):
    return stranger.balance


def test_isolation_guard__a_test_changes_the_chain(chain, admin, stranger, data_anchor, stranger_balance):
    _seen["balance"] = stranger_balance
    _seen["height"] = chain.blocks.height
    admin.transfer(stranger, GIFT)
    data_anchor.create_stream(h("isolation-guard"), sender=admin)
    assert data_anchor.stream_owner(data_anchor.stream_id(admin, h("isolation-guard"))) == admin
    assert stranger.balance == stranger_balance + GIFT


def test_isolation_guard__the_next_test_does_not_see_it(chain, admin, stranger, data_anchor):
    assert "balance" in _seen, "run the whole module: the first test records the state before it"
    assert stranger.balance == _seen["balance"]
    assert chain.blocks.height == _seen["height"]
    assert data_anchor.stream_owner(data_anchor.stream_id(admin, h("isolation-guard"))) == ZERO
