"""The keeper as a Silverback bot: a round on new blocks (at most one per ``KEEPER_INTERVAL``) and
one every minute, so that clocks running out on a quiet chain are settled too.

    silverback run keeper --network ethereum:sepolia:node --account keeper
    APE_FOUNDRY_HOST=http://127.0.0.1:8545 silverback run keeper --network ethereum:local:foundry --account TEST::9

Run from the repository root (the bot reads the project's compiled contracts). The round is
:meth:`factorychain.keeper.Keeper.run_round`, the same as ``ape run keeper``'s. Settings come
from the environment:

    FACTORYCHAIN_DEPLOYMENT   deployment record (default deployments/<ecosystem>-<network>.json)
    FACTORYCHAIN_LEDGER_DIR   folder of ledger databases (default ~/.factorychain/ledger)
    KEEPER_MAX_GAS            gas budget per round (default 3000000)
    KEEPER_CONFIRMATIONS      ledger confirmation depth (default 0 on a local chain, else 12)
    KEEPER_INTERVAL           minimum seconds between block-triggered rounds (default 15)

Each handler returns the round's counts, which Silverback records as metrics.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ape import chain, project
from ape.logging import logger
from silverback import SilverbackBot

from factorychain.deployment import load_deployment
from factorychain.keeper import Keeper, default_confirmations
from factorychain.ledger_sync import LedgerSync

bot = SilverbackBot(signer_required=True)

_lock = threading.Lock()
_state: dict[str, Any] = {"keeper": None, "last": 0.0, "again": False}


def _keeper() -> Keeper:
    if _state["keeper"] is None:
        deployment = load_deployment(os.environ.get("FACTORYCHAIN_DEPLOYMENT") or None, project=project)
        depth_text = os.environ.get("KEEPER_CONFIRMATIONS", "")
        depth = int(depth_text) if depth_text else default_confirmations(chain.provider)
        sync = LedgerSync.for_deployment(deployment, project, confirmations=depth)
        escrow = project.OrderEscrow.at(deployment.escrow)
        max_gas = int(os.environ.get("KEEPER_MAX_GAS", "3000000"))
        _state["keeper"] = Keeper(sync, escrow, bot.signer, max_gas=max_gas, on_attempt=lambda a: logger.info(a.describe()))
        logger.info(f"keeper on escrow {deployment.escrow}, ledger {sync.ledger.path}, {depth} confirmation(s)")
    return _state["keeper"]


def _round(*, force: bool) -> dict[str, int]:
    """One round, or -- if a round is running -- a note that the running one must go again.

    Triggers never get lost: a block that arrives while a round is running (rounds run in worker
    threads, and one can take seconds) makes the running round repeat once it ends, so the state
    that block brought is always looked at. Block triggers closer than ``KEEPER_INTERVAL`` to the
    last round are skipped; the minute cron catches what they would have seen.
    """
    interval = float(os.environ.get("KEEPER_INTERVAL", "15"))
    if not force and time.monotonic() - _state["last"] < interval:
        return {}
    totals = {"due": 0, "sent": 0, "failed": 0, "gas": 0}
    while True:
        if not _lock.acquire(blocking=False):
            _state["again"] = True  # seen by the running round after it releases the lock
            return totals
        try:
            _state["again"] = False
            report = _keeper().run_round()
            _state["last"] = time.monotonic()
            logger.info(report.summary())
        finally:
            _lock.release()
        for key, value in (("due", len(report.attempts)), ("sent", report.sent), ("failed", report.failed), ("gas", report.gas_used)):
            totals[key] += value
        if not _state["again"]:
            return totals


@bot.on_startup()
def startup(_startup_state: Any) -> dict[str, int]:
    return _round(force=True)


@bot.on_(chain.blocks)
def on_block(_block: Any) -> dict[str, int]:
    return _round(force=False)


@bot.cron("* * * * *")
def every_minute(_time: Any) -> dict[str, int]:
    return _round(force=True)
