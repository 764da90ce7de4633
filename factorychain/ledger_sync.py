"""Reads a deployment's logs from a node into its :class:`~factorychain.ledger.Ledger` — this module DOES talk to the chain.

    sync = LedgerSync.for_deployment(deployment, project, confirmations=12)
    report = sync.sync()            # incremental: from the cursor (or the deployment block) to head - 12
    sync.ledger.owed("0x…")

**How.** Raw ``eth_getLogs`` over block ranges, filtered by both addresses (registry and
escrow) in one request — an order of magnitude faster than one ``ContractEvent.range`` per event
type — decoded with eth_abi from the ABIs. Ranges shrink by half when a node refuses one as too
large. Block times come from the logs' ``blockTimestamp`` where the node sends it (Anvil,
recent geth/reth), else from the block headers. The few facts an event does not carry (an
agreement's review and grace periods, inspector and late terms) are read once, with
``get_agreement`` at the proposal's block hash.

**Confirmations and reorgs.** Only blocks at depth >= ``confirmations`` are written, so a reorg
shallower than that never leaves a wrong row. Each sync first checks that the block under the
cursor still has the hash recorded; if not (a deeper reorg, or a dev chain reverted to a
snapshot), it walks back through the block hashes the ledger stored to the newest one the node
still agrees with, drops every event above it and rebuilds (:meth:`Ledger.rollback_to`). A
chunk is written only if the hash of its last block is the same before and after its logs were
read.

**Several processes** may sync the same file: each chunk is committed only if the cursor is
still where this process read it (otherwise it re-reads and goes on from there).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FactoryChainError
from .ledger import DecodedEvent, EventCodec, Ledger, ledger_path

if TYPE_CHECKING:
    from .deployment import Deployment

__all__ = ["LedgerSync", "RpcError", "SyncReport", "ape_rpc", "codec_from_project", "http_rpc"]

Rpc = Callable[[str, Sequence[Any]], Any]

#: Messages by which nodes refuse an ``eth_getLogs`` range as too large (then it is halved).
_MAX_RETRIES = 8
_RANGE_ERRORS = ("limit", "range", "too many", "exceed", "response size", "timeout", "10000")


class RpcError(FactoryChainError):
    """A JSON-RPC error answer (``code``, ``message``, ``data`` kept)."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.code = error.get("code")
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method}: {self.message} (code {self.code})")


def http_rpc(url: str, timeout: float = 60.0) -> Rpc:
    """A JSON-RPC caller over plain HTTP (no Ape needed)."""
    counter = iter(range(1, 1 << 62))

    def call(method: str, params: Sequence[Any] = ()) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": next(counter), "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if answer.get("error"):
            raise RpcError(method, answer["error"])
        return answer.get("result")

    return call


def ape_rpc(provider: Any = None) -> Rpc:
    """A JSON-RPC caller through the connected Ape provider's web3 transport (raw answers)."""
    if provider is None:
        from ape.utils.basemodel import ManagerAccessMixin

        provider = ManagerAccessMixin.network_manager.active_provider
    transport = provider.web3.provider

    def call(method: str, params: Sequence[Any] = ()) -> Any:
        answer = transport.make_request(method, list(params))
        if answer.get("error"):
            raise RpcError(method, answer["error"])
        return answer.get("result")

    return call


def codec_from_project(project: Any, registry: str, escrow: str) -> EventCodec:
    """An :class:`EventCodec` from the project's compiled ``PartRegistry`` and ``OrderEscrow`` ABIs."""

    def abi(contract_type: Any) -> list[dict[str, Any]]:
        return [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]

    return EventCodec(
        {"registry": abi(project.PartRegistry.contract_type), "escrow": abi(project.OrderEscrow.contract_type)},
        {"registry": registry, "escrow": escrow},
    )


@dataclass(frozen=True)
class SyncReport:
    """What one :meth:`LedgerSync.sync` did."""

    first_block: int | None  # first block scanned (None: nothing new)
    last_block: int | None  # the cursor after the sync
    head: int  # the node's head when the sync started
    events: int  # events written
    dropped: int  # events dropped by a reorg rollback
    reorg_ancestor: int | None  # the block the ledger rolled back to, if a reorg was found
    seconds: float


class LedgerSync:
    """Brings one :class:`Ledger` up to ``head - confirmations`` from a node."""

    def __init__(
        self,
        ledger: Ledger,
        rpc: Rpc,
        codec: EventCodec,
        *,
        confirmations: int = 0,
        chunk_blocks: int = 5_000,
    ) -> None:
        if confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        self.ledger = ledger
        self.rpc = rpc
        self.codec = codec
        self.confirmations = confirmations
        self.chunk_blocks = max(1, chunk_blocks)
        self.addresses = [codec.addresses["escrow"], codec.addresses["registry"]]

    @classmethod
    def for_deployment(
        cls,
        deployment: Deployment,
        project: Any,
        *,
        confirmations: int = 0,
        path: str | Path | None = None,
        directory: str | Path | None = None,
        rpc: Rpc | None = None,
        chunk_blocks: int = 5_000,
    ) -> LedgerSync:
        """The ledger of a recorded deployment (``<ledger dir>/<chain id>-<escrow>.sqlite``) and its syncer."""
        target = Path(path) if path is not None else ledger_path(deployment.chain_id, deployment.escrow, directory)
        ledger = Ledger.open(
            target,
            chain_id=deployment.chain_id,
            escrow=deployment.escrow,
            registry=deployment.registry,
            start_block=deployment.block_number,
        )
        codec = codec_from_project(project, deployment.registry, deployment.escrow)
        return cls(ledger, rpc or ape_rpc(), codec, confirmations=confirmations, chunk_blocks=chunk_blocks)

    # ---------------------------------------------------------------- node reads

    def head(self) -> int:
        return int(self.rpc("eth_blockNumber", []), 16)

    def header(self, number: int) -> dict[str, Any] | None:
        return self.rpc("eth_getBlockByNumber", [hex(number), False])

    def _logs(self, first: int, last: int) -> list[dict[str, Any]]:
        return self.rpc(
            "eth_getLogs", [{"address": self.addresses, "fromBlock": hex(first), "toBlock": hex(last)}]
        )

    # ---------------------------------------------------------------- reorgs

    def check_reorg(self) -> tuple[int | None, int]:
        """``(ancestor, dropped)``: roll back if the chain under the cursor changed; ``(None, 0)`` if not."""
        cursor = self.ledger.cursor
        if cursor is None:
            return None, 0
        number, block_hash = cursor
        header = self.header(number)
        if header is not None and header["hash"] == block_hash:
            return None, 0
        ancestor = self.ledger.start_block - 1
        for stored_number, stored_hash in self.ledger.stored_blocks(below=number):
            found = self.header(stored_number)
            if found is not None and found["hash"] == stored_hash:
                ancestor = stored_number
                break
        return ancestor, self.ledger.rollback_to(ancestor)

    # ---------------------------------------------------------------- sync

    def sync(self, *, until: int | None = None, max_chunks: int | None = None) -> SyncReport:
        """Scan from the cursor (or the deployment block) to ``head - confirmations`` (or ``until``)."""
        started = time.perf_counter()
        ancestor, dropped = self.check_reorg()
        head = self.head()
        target = head - self.confirmations
        if until is not None:
            target = min(target, until)
        written = 0
        first_scanned: int | None = None
        chunks = 0
        retries = 0
        while True:
            cursor = self.ledger.cursor
            first = cursor[0] + 1 if cursor else self.ledger.start_block
            if first > target or (max_chunks is not None and chunks >= max_chunks):
                break
            last = min(target, first + self.chunk_blocks - 1)
            try:
                events, through = self._read_range(first, last)
            except _Retry:
                retries += 1
                if retries > _MAX_RETRIES:
                    raise RpcError("eth_getLogs", {"message": f"blocks {first}..{last} kept changing while read"}) from None
                time.sleep(0.2 * retries)
                continue
            except RpcError as exc:
                if any(word in exc.message.lower() for word in _RANGE_ERRORS) and last > first:
                    self.chunk_blocks = max(1, (last - first + 1) // 2)
                    continue
                raise
            retries = 0
            if self.ledger.append(events, through=through, expect_cursor=cursor):
                written += len(events)
                first_scanned = first if first_scanned is None else first_scanned
                chunks += 1
            # else: another process moved the cursor; go on from where it is now
        return SyncReport(
            first_block=first_scanned,
            last_block=self.ledger.cursor[0] if self.ledger.cursor else None,
            head=head,
            events=written,
            dropped=dropped,
            reorg_ancestor=ancestor,
            seconds=time.perf_counter() - started,
        )

    def _read_range(self, first: int, last: int) -> tuple[list[DecodedEvent], tuple[int, str, int | None]]:
        before = self.header(last)
        if before is None:
            raise _Retry()
        logs = self._logs(first, last)
        after = self.header(last)
        if after is None or after["hash"] != before["hash"]:
            raise _Retry()  # the chain moved under us: read the range again
        events = []
        times: dict[int, int] = {}
        for log in logs:
            if log.get("removed"):
                continue
            event = self.codec.decode(log)
            if event is None:
                continue
            if event.block_time is None:
                number = event.block_number
                if number not in times:
                    header = self.header(number)
                    if header is None or header["hash"] != event.block_hash:
                        raise _Retry()
                    times[number] = int(header["timestamp"], 16)
                event.block_time = times[number]
            if event.contract == "escrow" and event.name == "AgreementProposed":
                event.extra = self._agreement_terms(event)
            events.append(event)
        return events, (last, after["hash"], int(after["timestamp"], 16))

    def _agreement_terms(self, event: DecodedEvent) -> dict[str, Any]:
        """The terms ``AgreementProposed`` does not carry, read at the proposal's block (they never change)."""
        data = self.codec.call_data("escrow", "get_agreement", event.args["agreement_id"])
        try:
            answer = self.rpc(
                "eth_call", [{"to": self.codec.addresses["escrow"], "data": data}, {"blockHash": event.block_hash}]
            )
        except RpcError:
            raise _Retry() from None  # the block is gone (reorg): read the range again
        (agreement, *_rest) = self.codec.decode_output("escrow", "get_agreement", answer)
        terms = agreement[0]
        return {
            "review_period": int(terms[7]),
            "inspector": terms[8],
            "grace_period": int(terms[9]),
            "penalty_bps_per_day": int(terms[10]),
            "penalty_cap_bps": int(terms[11]),
        }


class _Retry(Exception):
    """The chain changed while a range was read; read it again."""
