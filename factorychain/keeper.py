"""The keeper: settles every clock that ran out — this module DOES read the chain and send transactions.

One round (:meth:`Keeper.run_round`):

1. wait for this account's own pending transactions (a keeper restarted right after sending
   must not send the same settlement again while the first is still in the mempool);
2. bring the ledger up to date (:class:`~factorychain.ledger_sync.LedgerSync`);
3. take its candidates (:meth:`Ledger.due <factorychain.ledger.Ledger.due>`): lots whose review
   ended (``release``), orders whose shipping window closed with units unshipped
   (``refund_expired``), disputes past their arbitration deadline (``resolve_expired``) —
   oldest deadline first;
4. for each, a static ``eth_call`` of the exact call on the pending block: if it would revert
   (already settled by someone else, not due on chain yet) it is skipped with the reason and
   costs nothing; else ``eth_estimateGas``, and the transaction is sent if it fits in what is
   left of the round's gas budget (``max_gas``); what does not fit waits for the next round.

Everything the keeper knows is the chain and the ledger, both re-read every round: there is no
state of its own to lose, so it can be killed anywhere and restarted. The escrow settles each
lot and each refund at most once (a second ``release`` reverts with ``escrow: lot not
shipped``), so two keepers racing waste at most the gas of a failed transaction, never money.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from .ledger import DueAction
from .ledger_sync import LedgerSync, RpcError, SyncReport

__all__ = ["LIVE_CONFIRMATIONS", "Attempt", "Keeper", "RoundReport", "default_confirmations", "pending_time", "revert_reason"]

#: ``Error(string)`` selector of a Vyper/Solidity revert reason.
_ERROR_SELECTOR = bytes.fromhex("08c379a0")


def revert_reason(error: RpcError) -> str:
    """The revert reason of a failed ``eth_call``/``eth_estimateGas`` answer, as one line."""
    data = error.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and bytes.fromhex(data[2:10]) == _ERROR_SELECTOR:
        try:
            return str(abi_decode(["string"], bytes.fromhex(data[10:]))[0])
        except Exception:  # noqa: BLE001 - a malformed reason is still reported below
            pass
    message = error.message
    return message.split("execution reverted:", 1)[-1].strip() or message


#: Confirmation depth of the ledger on a live network unless configured (local dev chains: 0).
LIVE_CONFIRMATIONS = 12


#: Chain ids of development nodes (Anvil, Hardhat, Ganache): no reorgs, blocks mined on demand.
DEV_CHAIN_IDS = frozenset({31337, 1337})


def default_confirmations(provider: Any) -> int:
    """0 on a local development chain (network ``local``, or a dev chain id behind a URI: blocks
    are mined on demand, a deep cursor would never see the last transactions), else
    :data:`LIVE_CONFIRMATIONS`."""
    if provider.network.name == "local" or int(provider.chain_id) in DEV_CHAIN_IDS:
        return 0
    return LIVE_CONFIRMATIONS


def pending_time(rpc: Any) -> int:
    """The timestamp the next block will have: the pending block's, else the latest's + 1."""
    try:
        block = rpc("eth_getBlockByNumber", ["pending", False])
        if block and block.get("timestamp"):
            return int(block["timestamp"], 16)
    except RpcError:
        pass
    latest = rpc("eth_getBlockByNumber", ["latest", False])
    return int(latest["timestamp"], 16) + 1


@dataclass
class Attempt:
    """What the keeper did with one due item."""

    action: DueAction
    #: ``sent`` (mined, succeeded), ``failed`` (mined, reverted: someone settled it first),
    #: ``skipped`` (the static call said it would revert; nothing sent), ``deferred`` (over the
    #: round's gas budget; next round).
    status: str
    reason: str = ""
    tx_hash: str = ""
    gas_used: int = 0

    def describe(self) -> str:
        target = f"order {self.action.order_id}" + (f" lot {self.action.lot}" if self.action.lot else "")
        text = f"{self.action.function} {target}: {self.status}"
        if self.tx_hash:
            text += f" {self.tx_hash} (gas {self.gas_used:,})"
        if self.reason:
            text += f" — {self.reason}"
        return text


@dataclass
class RoundReport:
    """One round: when, what the ledger sync did, every attempt, gas used against the budget."""

    now: int
    sync: SyncReport
    attempts: list[Attempt] = field(default_factory=list)
    max_gas: int = 0

    def _count(self, status: str) -> int:
        return sum(1 for a in self.attempts if a.status == status)

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def deferred(self) -> int:
        return self._count("deferred")

    @property
    def gas_used(self) -> int:
        return sum(a.gas_used for a in self.attempts)

    def summary(self) -> str:
        moment = datetime.fromtimestamp(self.now, UTC).isoformat().replace("+00:00", "Z")
        return (
            f"round at {moment}: {len(self.attempts)} due, {self.sent} sent, {self.skipped} skipped, "
            f"{self.failed} failed, {self.deferred} deferred; gas {self.gas_used:,} of {self.max_gas:,}; "
            f"ledger at block {self.sync.last_block} (+{self.sync.events} events)"
        )


class Keeper:
    """Settles what is due on one escrow, from one account, within a gas budget per round.

    ``escrow`` is the Ape contract, ``sender`` the Ape account that pays gas (it needs no role:
    every call the keeper makes is open to anyone). ``on_attempt`` is called after each attempt
    (the CLI prints it; tests use it to stop a keeper half-way).
    """

    def __init__(
        self,
        sync: LedgerSync,
        escrow: Any,
        sender: Any,
        *,
        max_gas: int = 3_000_000,
        gas_margin: float = 1.2,
        pending_wait: float = 120.0,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        if max_gas <= 0:
            raise ValueError("max_gas must be positive")
        self.sync = sync
        self.escrow = escrow
        self.sender = sender
        self.address = to_checksum_address(str(getattr(sender, "address", sender)))
        self.max_gas = max_gas
        self.gas_margin = gas_margin
        self.pending_wait = pending_wait
        self.on_attempt = on_attempt
        self.rpc = sync.rpc
        self.codec = sync.codec

    # ---------------------------------------------------------------- chain reads

    def pending_time(self) -> int:
        return pending_time(self.rpc)

    def _call(self, action: DueAction) -> dict[str, str]:
        return {
            "from": self.address,
            "to": self.codec.addresses["escrow"],
            "data": self.codec.call_data("escrow", action.function, *action.args),
        }

    def precheck(self, action: DueAction) -> str | None:
        """``None`` if the call would succeed on the pending block, else the revert reason."""
        try:
            self.rpc("eth_call", [self._call(action), "pending"])
        except RpcError as exc:
            return revert_reason(exc)
        return None

    def estimate(self, action: DueAction) -> int:
        return int(self.rpc("eth_estimateGas", [self._call(action), "pending"]), 16)

    def _wait_own_pending(self) -> None:
        deadline = time.monotonic() + self.pending_wait
        while True:
            pending = int(self.rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
            mined = int(self.rpc("eth_getTransactionCount", [self.address, "latest"]), 16)
            if pending <= mined or time.monotonic() > deadline:
                return
            time.sleep(1.0)

    # ---------------------------------------------------------------- a round

    def run_round(self) -> RoundReport:
        self._wait_own_pending()
        sync_report = self.sync.sync()
        now = self.pending_time()
        report = RoundReport(now=now, sync=sync_report, max_gas=self.max_gas)
        budget_left = self.max_gas
        for action in self.sync.ledger.due(now):
            attempt = self._attempt(action, budget_left)
            budget_left -= attempt.gas_used
            report.attempts.append(attempt)
            if self.on_attempt is not None:
                self.on_attempt(attempt)
        return report

    def _attempt(self, action: DueAction, budget_left: int) -> Attempt:
        reason = self.precheck(action)
        if reason is not None:
            return Attempt(action, "skipped", reason)
        try:
            limit = int(self.estimate(action) * self.gas_margin)
        except RpcError as exc:  # settled between the call and the estimate
            return Attempt(action, "skipped", revert_reason(exc))
        if limit > budget_left:
            return Attempt(action, "deferred", f"needs {limit:,} gas, {max(budget_left, 0):,} left this round")
        return self._send(action, limit)

    def _send(self, action: DueAction, limit: int) -> Attempt:
        from ape.exceptions import ContractLogicError, TransactionError

        method = getattr(self.escrow, action.function)
        try:
            receipt = method(*action.args, sender=self.sender, gas_limit=limit)
        except (ContractLogicError, TransactionError) as exc:
            failed = getattr(exc, "txn", None)
            tx_hash = str(getattr(failed, "txn_hash", "") or "")
            gas_used = limit
            if tx_hash:
                try:
                    gas_used = int(self.rpc("eth_getTransactionReceipt", [tx_hash])["gasUsed"], 16)
                except (RpcError, TypeError, KeyError):
                    gas_used = limit
            message = getattr(exc, "message", "") or str(exc)
            return Attempt(action, "failed", " ".join(str(message).split()), tx_hash, gas_used)
        tx_hash = str(receipt.txn_hash)
        return Attempt(action, "sent", "", tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash, int(receipt.gas_used))

    def run_forever(
        self,
        interval: float,
        *,
        rounds: int | None = None,
        on_round: Callable[[RoundReport], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Rounds every ``interval`` seconds (``rounds`` of them, or until interrupted)."""
        done = 0
        while rounds is None or done < rounds:
            started = time.monotonic()
            report = self.run_round()
            if on_round is not None:
                on_round(report)
            done += 1
            if rounds is not None and done >= rounds:
                return
            sleep(max(0.0, interval - (time.monotonic() - started)))
