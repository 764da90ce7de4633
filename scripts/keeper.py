"""Settle every clock that ran out on the recorded deployment: releases, refunds, expired disputes.

    ape run keeper --once    --network ethereum:sepolia:node --account keeper      # one round
    ape run keeper           --network ethereum:sepolia:node --account keeper --autosign \
                             --interval 5m --max-gas 3000000                      # a round every 5 minutes
    ape run keeper --dry-run --network ethereum:sepolia:node                       # what is due, nothing sent

Each round syncs the deployment's ledger (SQLite, one file per chain id + escrow, in
``$FACTORYCHAIN_LEDGER_DIR`` or ``~/.factorychain/ledger``), takes what is due from it, checks
each call with a static ``eth_call`` and sends those that pass, until the round's gas budget is
spent. The account needs no role, only ETH for gas. State lives on chain and in the ledger:
stop it any time, start it again, run two — the escrow settles each item once, a second keeper
wastes at most a failed transaction. The same round runs as a Silverback bot: ``bots/keeper.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.networks import NodeCommand
from factorychain.keeper import LIVE_CONFIRMATIONS, Attempt, Keeper, RoundReport, default_confirmations, pending_time
from factorychain.ledger_sync import LedgerSync
from scripts._common import (
    autosign_option,
    deployment_option,
    enable_autosign,
    fail,
    load_suite,
    one_line_errors,
    parse_duration,
)

def _parse_gas(value: str) -> int:
    text = value.replace("_", "").replace(",", "").strip()
    if not text.isdigit() or int(text) == 0:
        fail(f"--max-gas: {value!r} is not a positive whole number of gas units")
    return int(text)


@click.command(cls=NodeCommand, short_help="Settle what is due: releases, refunds, expired disputes")
@account_option(prompt=False)
@autosign_option()
@deployment_option()
@click.option("--once", is_flag=True, help="Run one round and exit (for cron or systemd timers).")
@click.option("--interval", default="60s", show_default=True, help="Time between rounds: seconds or 30s/5m/1h.")
@click.option("--max-gas", "max_gas_text", default="3000000", show_default=True, help="Gas budget per round.")
@click.option(
    "--confirmations",
    type=int,
    default=None,
    help=f"Index only blocks this deep (default: 0 on a local chain, {LIVE_CONFIRMATIONS} elsewhere).",
)
@click.option("--ledger", "ledger_path", default=None, metavar="FILE", help="Ledger database to use instead of the default.")
@click.option("--dry-run", is_flag=True, help="Sync the ledger and list what is due; send nothing.")
@click.option("--rounds", type=int, default=None, hidden=True, help="Stop after this many rounds (tests).")
@one_line_errors
def cli(
    provider: Any,
    account: Any,
    autosign: bool,
    deployment_path: str | None,
    once: bool,
    interval: str,
    max_gas_text: str,
    confirmations: int | None,
    ledger_path: str | None,
    dry_run: bool,
    rounds: int | None,
) -> None:
    from ape import project

    max_gas = _parse_gas(max_gas_text)
    seconds = parse_duration(interval, "--interval")
    if confirmations is not None and confirmations < 0:
        fail("--confirmations must be 0 or more")
    deployment, _registry, escrow = load_suite(project, deployment_path)
    depth = default_confirmations(provider) if confirmations is None else confirmations
    sync = LedgerSync.for_deployment(deployment, project, confirmations=depth, path=Path(ledger_path) if ledger_path else None)
    click.echo(f"keeper on escrow {deployment.escrow} (chain {deployment.chain_id}), ledger {sync.ledger.path}, "
               f"{depth} confirmation(s), gas budget {max_gas:,} per round")  # fmt: skip

    if dry_run:
        report = sync.sync()
        due = sync.ledger.due(pending_time(sync.rpc))
        click.echo(f"ledger at block {report.last_block} (+{report.events} events); {len(due)} due")
        for action in due:
            target = f"order {action.order_id}" + (f" lot {action.lot}" if action.lot else "")
            click.echo(f"  {action.function} {target} (deadline {action.due_at} passed)")
        return
    if account is None:
        fail("--account: which account pays the gas? (any account with ETH; see `ape accounts list`)")

    enable_autosign(account, autosign)

    def show(attempt: Attempt) -> None:
        click.echo(f"  {attempt.describe()}")

    def summary(report: RoundReport) -> None:
        click.echo(report.summary())

    keeper = Keeper(sync, escrow, account, max_gas=max_gas, on_attempt=show)
    try:
        keeper.run_forever(seconds, rounds=1 if once else rounds, on_round=summary)
    except KeyboardInterrupt:
        click.echo("keeper stopped")
