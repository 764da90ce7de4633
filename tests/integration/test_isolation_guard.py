"""The suite's `chain.isolate()` must let failures out (Ape 0.8.51's own swallows them)."""

import pytest


def test_chain_isolate__failure_inside__is_raised(chain):
    with pytest.raises(AssertionError, match="inside isolate"):
        with chain.isolate():
            raise AssertionError("inside isolate")


def test_chain_isolate__state_is_restored(chain, admin, stranger):
    before = stranger.balance
    with chain.isolate():
        admin.transfer(stranger, 12345)
        assert stranger.balance == before + 12345
    assert stranger.balance == before
