"""Gas of escrow v2: issue 10's scenarios, every call against its floor, code size and compiler
variants -> docs/gas.md, docs/gas.json, docs/gas.png.

    ape run bench                              # what `make bench` runs (a few minutes)
    ape run bench --fill 0 --no-variants       # scenarios and one pass of the calls only
    ape run bench --suite-timing --hypothesis 50   # also time the test suite and hypothesis on Anvil
    ape run bench --set-baseline               # make this run the "before" later runs compare with

First issue 10's four scenarios on fresh contracts, printed as `scenario <name>: <gas>` with their
targets, and each contract's runtime size against EIP-170. Then every state-changing call, brought
into a stated case (bench/scenarios.py), with `tx.gas_used` beside the floor computed from the
transaction's own input (bench/floor.py, docs/gas-floor.md); then 1 000 more agreements, orders
and lots, and every call again, to show the cost does not grow. Last, the escrow compiled four ways
(bench/variants.py), each run through the scenarios on an Anvil of the bench's own with the size
limit disabled.
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
from ape import accounts, chain, networks, project
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from bench import report
from bench import variants as V
from bench.scenarios import Bench, hypothesis_rate, run_scenarios

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


def _variants(evm_version: str, sources: str) -> dict[str, Any]:
    """Compile the four variants, deploy each on an unlimited Anvil, run the scenarios on each."""
    started = time.monotonic()
    cache = ROOT / ".build" / "bench_variants"
    cache.mkdir(parents=True, exist_ok=True)
    compiled = []
    for variant in V.VARIANTS:
        click.echo(f"  compiling: {variant.label} ...")
        compiled.append(V.compile_variant(ROOT, variant, evm_version, cache))
    provider = chain.provider
    rows = []
    with V.unlimited_anvil(provider.mnemonic, provider.number_of_accounts, provider.test_config.hd_path, evm_version) as uri:
        with networks.ethereum.local.use_provider("foundry", provider_settings={"host": uri}):
            for c in compiled:
                click.echo(f"  scenarios: {c.variant.label} ...")
                run = run_scenarios(project, chain, accounts, V.container(c))
                rows.append({
                    "key": c.variant.key,
                    "label": c.variant.label,
                    "shipped": c.variant.shipped,
                    "flags": " ".join(c.variant.flags),
                    "compiler_runtime": c.runtime_size,
                    "deployed": run.sizes["OrderEscrow"],
                    "compile_seconds": c.seconds,
                    "scenarios": {name: s.gas for name, s in run.scenarios.items()},
                })
    data = {"measured": _now(), "sources_sha256": sources, "rows": rows, "seconds": round(time.monotonic() - started, 1)}
    data["conclusion"] = report.variant_conclusion(rows)
    return data


@click.command(cls=ConnectedProviderCommand)
@click.option("--fill", default=1_000, show_default=True,
              help="Agreements, orders and lots added before the second pass (0: no scale pass).")
@click.option("--variants/--no-variants", "with_variants", default=True, show_default=True,
              help="Compile and run the four compiler variants (else the last table is carried over).")
@click.option("--suite-timing", is_flag=True, help="Also time `ape test tests -q` under HYPOTHESIS_PROFILE=ci (minutes).")
@click.option("--hypothesis", "hypothesis_examples", default=0, show_default=True, help="Time this many hypothesis examples on Anvil (0: skip).")
@click.option("--out-dir", default=ROOT / "docs", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Where gas.md, gas.json and gas.png go.")
@click.option("--set-baseline", is_flag=True, help="Make this run the 'before' that later runs are compared with.")
def cli(fill: int, with_variants: bool, suite_timing: bool, hypothesis_examples: int, out_dir: Path, set_baseline: bool) -> None:
    """Measure issue 10's scenarios and every call against its floor."""
    if not chain.provider.network.is_local:
        raise click.ClickException("bench deploys throwaway contracts with the test accounts: use a local network (the default)")
    if fill < 0 or hypothesis_examples < 0:
        raise click.ClickException("--fill and --hypothesis take a number >= 0")
    started = time.monotonic()
    logger.set_level("WARNING")
    json_path = out_dir / "gas.json"
    previous: dict[str, Any] = json.loads(json_path.read_text()) if json_path.exists() else {}
    if previous.get("meta", {}).get("interface") != report.INTERFACE:
        previous = {}  # a v1 file: nothing in it compares with v2 (v1's numbers live in bench/v1_gas.json)
    v1 = report.load_v1()
    evm_version = project.config.get("vyper").get("evm_version", "cancun")
    sources = [p for p in (ROOT / "contracts").rglob("*.vy*") if "mocks" not in p.parts]
    digest = report.sources_digest(sources)
    # The notes in docs/gas.md were read from traces of these two contracts (and their interfaces).
    notes_digest = report.sources_digest(
        [p for p in sources if p.name in ("OrderEscrow.vy", "PartRegistry.vy") or p.suffix == ".vyi"]
    )

    click.echo("issue 10's scenarios on fresh contracts ...")
    scen = run_scenarios(project, chain, accounts)
    for name in report.SCENARIOS:
        click.echo(report.scenario_line(name, scen.scenarios[name].gas, v1))
    anchor = project.DataAnchor.deploy(sender=accounts.test_accounts[0])
    scen.sizes["DataAnchor"] = len(chain.provider.get_code(anchor.address))
    for name, size in scen.sizes.items():
        click.echo(f"size {name}: {size} bytes of {report.EIP170_LIMIT} (EIP-170), {report.EIP170_LIMIT - size} to spare")

    bench = Bench(project, chain, accounts)
    click.echo("deploying and measuring every call ...")
    bench.deploy()
    first = bench.run()
    second = None
    fill_seconds = 0.0
    if fill:
        click.echo(f"adding {fill} agreements, {fill} orders and {fill} lots ...")
        fill_seconds = bench.fill(agreements=fill, orders=fill, lots=fill)
        click.echo("measuring every call again ...")
        second = bench.run()

    timing: dict[str, Any] = dict(previous.get("timing", {}))
    if hypothesis_examples:
        click.echo(f"timing {hypothesis_examples} hypothesis examples ...")
        timing["hypothesis"] = hypothesis_rate(bench, hypothesis_examples) | {"measured": _now()}

    variants = previous.get("variants")
    if with_variants:
        click.echo("compiler variants (vyper CLI; an Anvil without the size limit) ...")
        variants = _variants(evm_version, digest)
    timing["bench_seconds"] = round(time.monotonic() - started, 1)
    if suite_timing:
        click.echo("timing the test suite (HYPOTHESIS_PROFILE=ci) ...")
        timing["suite"] = _time_suite()

    meta = {
        "interface": report.INTERFACE,
        "generated": _now(),
        "evm_version": evm_version,
        "vyper": str(project.config.get("vyper").get("version", "?")).lstrip("="),
        "sources_sha256": digest,
        "notes_sha256": notes_digest,
        "fill": {"agreements": fill, "orders": fill, "lots": fill, "seconds": round(fill_seconds, 1)},
    }
    data = report.build(
        report.pass_to_dict(first),
        report.pass_to_dict(second) if second else None,
        scenarios=report.scenarios_to_dict(scen),
        variants=variants,
        meta=meta,
        timing=timing,
        baseline=None if set_baseline else previous.get("baseline"),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    (out_dir / "gas.md").write_text(report.render(data, v1))
    report.plot(data, out_dir / "gas.png")

    calls = data["first"]["calls"]
    width = max(len(k) for k in calls)
    for key in report.ROWS:
        if key in calls:
            c = calls[key]
            click.echo(f"{key:<{width}}  {c['gas']:>8}  floor {c['floor']:>8}  {c['gas'] / c['floor']:.2f}")
    above = report.above_threshold(calls)
    click.echo("calls above 1.5x their floor: " + (", ".join(above) if above else "none"))
    if second:
        grown = report.growth(data["first"], data["second"])
        worst = max(grown, key=grown.get)
        click.echo(f"largest growth after the fill, beyond calldata: {grown[worst]} gas ({worst})")
    for money, fit in data["payout_fit"].items():
        click.echo(f"payout per extra subcontractor, {money}: {fit['gas']['slope']:.0f} gas (floor {fit['floor']['slope']:.0f})")
    if variants:
        for row in variants["rows"]:
            sc = row["scenarios"]
            click.echo(
                f"variant {row['key']}: {row['deployed']} bytes{'' if row['deployed'] <= report.EIP170_LIMIT else ' (too big)'}; "
                + " ".join(f"{n} {sc[n]}" for n in report.SCENARIOS)
            )
    click.echo(f"wrote {out_dir / 'gas.md'}, gas.json, gas.png ({time.monotonic() - started:.1f} s)")
