"""Gas of every state-changing call against its floor -> docs/gas.md, docs/gas.json, docs/gas.png.

    ape run bench                              # what `make bench` runs (about a minute)
    ape run bench --fill 0                     # skip the 1 000-orders scale pass
    ape run bench --suite-timing --hypothesis 50   # also time the test suite and hypothesis on Anvil
    ape run bench --set-baseline               # make this run the "before" later runs compare with

Deploys fresh contracts on a local Anvil chain with the test accounts, brings every call into a
stated case (see bench/scenarios.py) and sets `tx.gas_used` beside the floor computed from the
transaction's own input (bench/floor.py, docs/gas-floor.md). Then it adds 1 000 orders and 1 000
parts and measures everything again, to show the cost does not grow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from bench import report
from bench.scenarios import Bench, hypothesis_rate

ROOT = Path(__file__).resolve().parent.parent


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _time_suite() -> dict[str, Any]:
    """Wall time of the whole suite as CI runs it, in a separate process (its own Anvil)."""
    started = time.monotonic()
    proc = subprocess.run(
        # A module that fails to import must not hide how long the rest takes: run what collects.
        ["ape", "test", "tests", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"],
        cwd=ROOT,
        env=os.environ | {"HYPOTHESIS_PROFILE": "ci"},
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    lines = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    summary = lines[-1].strip("= ") if lines else f"exit code {proc.returncode}"
    return {"seconds": round(seconds, 1), "summary": summary, "exit_code": proc.returncode, "measured": _now()}


@click.command(cls=ConnectedProviderCommand)
@click.option("--fill", default=1_000, show_default=True, help="Orders and parts added before the second pass (0: no scale pass).")
@click.option("--suite-timing", is_flag=True, help="Also time `ape test tests -q` under HYPOTHESIS_PROFILE=ci (minutes).")
@click.option("--hypothesis", "hypothesis_examples", default=0, show_default=True, help="Time this many hypothesis examples on Anvil (0: skip).")
@click.option("--out-dir", default=ROOT / "docs", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Where gas.md, gas.json and gas.png go.")
@click.option("--set-baseline", is_flag=True, help="Make this run the 'before' that later runs are compared with.")
def cli(fill: int, suite_timing: bool, hypothesis_examples: int, out_dir: Path, set_baseline: bool) -> None:
    """Measure the gas of every call and compare it with its floor."""
    if not chain.provider.network.is_local:
        raise click.ClickException("bench deploys throwaway contracts with the test accounts: use a local network (the default)")
    if fill < 0 or hypothesis_examples < 0:
        raise click.ClickException("--fill and --hypothesis take a number >= 0")
    started = time.monotonic()
    logger.set_level("WARNING")
    json_path = out_dir / "gas.json"
    previous: dict[str, Any] = json.loads(json_path.read_text()) if json_path.exists() else {}

    bench = Bench(project, chain, accounts)
    click.echo("deploying and measuring every call ...")
    bench.deploy()
    first = bench.run()
    second = None
    fill_seconds = 0.0
    if fill:
        click.echo(f"adding {fill} orders and {fill} parts ...")
        fill_seconds = bench.fill(parts=fill, orders=fill)
        click.echo("measuring every call again ...")
        second = bench.run()

    timing: dict[str, Any] = dict(previous.get("timing", {}))
    timing["bench_seconds"] = round(time.monotonic() - started, 1)
    if hypothesis_examples:
        click.echo(f"timing {hypothesis_examples} hypothesis examples ...")
        timing["hypothesis"] = hypothesis_rate(bench, hypothesis_examples) | {"measured": _now()}
    if suite_timing:
        click.echo("timing the test suite (HYPOTHESIS_PROFILE=ci) ...")
        timing["suite"] = _time_suite()

    sources = [p for p in (ROOT / "contracts").rglob("*.vy*") if "mocks" not in p.parts]
    meta = {
        "generated": _now(),
        "evm_version": project.config.get("vyper").get("evm_version", "?"),
        "vyper": str(project.config.get("vyper").get("version", "?")).lstrip("="),
        "sources_sha256": report.sources_digest(sources),
        "fill": {"orders": fill, "parts": fill, "seconds": round(fill_seconds, 1)},
    }
    data = report.build(
        report.pass_to_dict(first),
        report.pass_to_dict(second) if second else None,
        meta=meta,
        timing=timing,
        baseline=None if set_baseline else previous.get("baseline"),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    (out_dir / "gas.md").write_text(report.render(data))
    report.plot(data, out_dir / "gas.png")

    calls = data["first"]["calls"]
    width = max(len(k) for k in calls)
    for key in report.ROWS:
        if key in calls:
            c = calls[key]
            click.echo(f"{key:<{width}}  {c['gas']:>8}  floor {c['floor']:>8}  {c['ratio']:.2f}")
    life = data["lifecycle"]
    click.echo(f"lifecycle: {life['gas']} gas, floor {life['floor']}, ratio {life['ratio']:.2f}")
    click.echo(f"wrote {out_dir / 'gas.md'}, gas.json, gas.png ({time.monotonic() - started:.1f} s)")
