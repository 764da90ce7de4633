"""Shared fixtures of the ledger and keeper tests: a ledger of the session's escrow, a keeper."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from factorychain.keeper import Keeper
from factorychain.ledger import Ledger
from factorychain.ledger_sync import LedgerSync, ape_rpc, codec_from_project


@pytest.fixture(autouse=True)
def session_state_first(
    registry, escrow, part, erc20, usdt, usdc6,
    admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
):  # fmt: skip
    """Names every session fixture statically, so that Ape builds them before any test's snapshot."""


def deployment_block(contract: Any) -> int:
    """The block the contract was deployed in (where the ledger starts)."""
    from ape import chain

    return int(chain.contracts.get_creation_metadata(contract.address).block)


@pytest.fixture
def make_sync(project, registry, escrow, chain, tmp_path) -> Callable[..., LedgerSync]:
    """``make_sync(confirmations=0, name="ledger")``: a LedgerSync of the session's deployment,
    its SQLite file in the test's temporary folder (the same name reopens the same file)."""

    def _make(*, confirmations: int = 0, name: str = "ledger", chunk_blocks: int = 5_000) -> LedgerSync:
        ledger = Ledger.open(
            tmp_path / f"{name}.sqlite",
            chain_id=chain.chain_id,
            escrow=escrow.address,
            registry=registry.address,
            start_block=deployment_block(registry),
        )
        codec = codec_from_project(project, registry.address, escrow.address)
        return LedgerSync(ledger, ape_rpc(chain.provider), codec, confirmations=confirmations, chunk_blocks=chunk_blocks)

    return _make


@pytest.fixture
def make_keeper(make_sync, escrow, stranger) -> Callable[..., Keeper]:
    """``make_keeper(sender=stranger, max_gas=…, name=…, on_attempt=…)``: a keeper on its own ledger file."""

    def _make(*, sender: Any = None, name: str = "keeper", max_gas: int = 5_000_000, **kwargs: Any) -> Keeper:
        return Keeper(make_sync(name=name), escrow, sender or stranger, max_gas=max_gas, pending_wait=0, **kwargs)

    return _make


def own_events(receipt: Any, escrow: Any) -> list[Any]:
    return [log for log in receipt.events if log.contract_address == escrow.address]
