"""The keeper as an operator runs it, on a standalone Anvil node over JSON-RPC: `ape run keeper`
killed mid-round (SIGKILL) and restarted, two `ape run keeper --once` processes at the same time,
and the Silverback bot (`silverback run keeper`) settling what a time jump made due.

The deployment and the orders are made in-process over the same node; time moves with
`evm_increaseTime`. Each check counts the settlements on chain from a fresh ledger: every due
item exactly once, nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import DAY, GRACE, PENALTY_CAP, PENALTY_PER_DAY, REVIEW, UNIT_PRICE, ZERO, h

from factorychain.deployment import deploy_suite, read_deployment
from factorychain.ledger import Ledger
from factorychain.ledger_sync import LedgerSync, codec_from_project, http_rpc
from tools.rehearsal import AnvilNode, tool_path

ROOT = Path(__file__).resolve().parents[2]
PART = h("PN-KEEPER")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def node():
    # Chain id 31337: the Silverback run reaches it as `ethereum:local:foundry` (APE_FOUNDRY_HOST).
    started = AnvilNode(chain_id=31337)
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def suite(node, tmp_path_factory):
    """A deployment on the node with an active agreement; returns helpers to make due items."""
    from ape import accounts, networks, project

    folder = tmp_path_factory.mktemp("keeper-shell")
    record = folder / "deployment.json"
    test = accounts.test_accounts
    admin, oem, certifier, buyer, supplier, sub1, _, _, arbiter, _ = (test[i] for i in range(10))
    with networks.parse_network_choice(node.url):
        result = deploy_suite(project, admin, manufacturers=[oem], certifiers=[certifier], arbiters=[arbiter], path=record, fresh=True)
        registry, escrow = result.registry, result.escrow
        now = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        registry.register_part(PART, h("spec"), "ipfs://spec.enc", sender=oem)
        registry.grant_access(PART, buyer, sender=oem)
        registry.grant_access(PART, supplier, sender=oem)
        registry.certify(PART, 1, supplier, now + 3650 * DAY, h("audit"), sender=certifier)
        terms = (supplier.address, PART, 1, ZERO, UNIT_PRICE, 10**9, now + 3000 * DAY, REVIEW, ZERO, GRACE,
                 PENALTY_PER_DAY, PENALTY_CAP)  # fmt: skip
        agreement = escrow.propose_agreement(terms, sender=buyer).return_value
        escrow.accept_agreement(agreement, [(sub1.address, 1_000)], sender=supplier)

    def make_due(refunds: int = 0, releases: int = 0, disputes: int = 0) -> None:
        """Orders whose clocks have all run out once this returns (time moved 31 days)."""
        with networks.parse_network_choice(node.url):
            escrow_ = project.OrderEscrow.at(escrow.address)
            latest = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
            for kind, count in (("refund", refunds), ("release", releases), ("dispute", disputes)):
                for _ in range(count):
                    order = escrow_.create_order(agreement, 10, latest + 7 * DAY, h(kind), sender=buyer, value=10 * UNIT_PRICE).return_value
                    if kind != "refund":
                        escrow_.ship(order, 10, h("ASN"), sender=supplier)
                    if kind == "dispute":
                        escrow_.dispute(order, 1, h("why"), sender=buyer)
        node.rpc("evm_increaseTime", [31 * DAY])
        node.rpc("evm_mine")

    return {"record": record, "folder": folder, "make_due": make_due, "escrow": escrow.address}


def settlements(node, suite, project) -> tuple[Counter, int]:
    """Every settlement on the node, counted from a fresh ledger; and what is still due."""
    deployment = read_deployment(suite["record"])
    ledger = Ledger.open(None, chain_id=deployment.chain_id, escrow=deployment.escrow, registry=deployment.registry,
                         start_block=deployment.block_number)  # fmt: skip
    sync = LedgerSync(ledger, http_rpc(node.url), codec_from_project(project, deployment.registry, deployment.escrow))
    sync.sync()
    found = Counter()
    for event in ledger.events(contract="escrow"):
        if event.name in ("LotReleased", "DisputeResolved"):
            found[(event.name, event.args["order_id"], event.args["lot"])] += 1
        elif event.name == "OrderRefunded":
            found[(event.name, event.args["order_id"], 0)] += 1
    now = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16) + 1
    return found, len(ledger.due(now))


def keeper_process(node, suite, account: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PATH": tool_path(), "FACTORYCHAIN_LEDGER_DIR": str(suite["folder"] / f"ledger-{account}")}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "ape"), "run", "keeper", "--network", node.url, "--account", account,
         "--deployment", str(suite["record"]), "--confirmations", "0", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def test_keeper_killed_mid_round__restart_finishes__each_item_once(node, suite, project):
    suite["make_due"](refunds=6, releases=2)
    running = keeper_process(node, suite, "TEST::9", "--interval", "5s")
    lines = []
    deadline = time.monotonic() + 240
    try:
        for line in running.stdout:
            lines.append(line)
            if ": sent 0x" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(running.pid, signal.SIGKILL)  # mid-round: at most one settlement went out
        running.wait(timeout=30)
    assert any(": sent 0x" in line for line in lines), "".join(lines)
    done, due = settlements(node, suite, project)
    assert sum(done.values()) >= 1 and due >= 1

    finished = keeper_process(node, suite, "TEST::9", "--once")
    output, _ = finished.communicate(timeout=300)
    assert finished.returncode == 0, output
    done, due = settlements(node, suite, project)
    assert due == 0 and len(done) == 8 and set(done.values()) == {1}, (done, output)


def test_two_keepers_at_once__each_item_once__no_money_lost(node, suite, project):
    from ape import networks

    before, _ = settlements(node, suite, project)
    suite["make_due"](refunds=3, releases=3, disputes=2)
    with networks.parse_network_choice(node.url) as provider:
        escrow_balance = provider.get_balance(suite["escrow"])
    first = keeper_process(node, suite, "TEST::9", "--once")
    second = keeper_process(node, suite, "TEST::7", "--once")
    out_first, _ = first.communicate(timeout=300)
    out_second, _ = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, out_first + out_second
    done, due = settlements(node, suite, project)
    new = done - before
    assert due == 0 and len(new) == 8 and set(done.values()) == {1}, (done, out_first, out_second)
    sent = (out_first + out_second).count(": sent 0x")
    failed = (out_first + out_second).count(": failed")
    assert sent == 8 and failed <= 8, out_first + out_second
    with networks.parse_network_choice(node.url) as provider:
        # Everything the eight orders held went out: the refunds to the buyer, the lots to the
        # supplier side and the buyer; nothing else left or stayed.
        assert escrow_balance - provider.get_balance(suite["escrow"]) == 8 * 10 * UNIT_PRICE


def test_silverback_bot__settles_what_a_time_jump_made_due(node, suite, project):
    silverback = Path(sys.executable).parent / "silverback"
    if not silverback.exists():
        pytest.fail("silverback is not installed: run `make setup` (requirements.lock pins it)")
    before, _ = settlements(node, suite, project)
    env = {
        **os.environ, "PATH": tool_path(), "APE_FOUNDRY_HOST": node.url,
        "FACTORYCHAIN_DEPLOYMENT": str(suite["record"]), "FACTORYCHAIN_LEDGER_DIR": str(suite["folder"] / "ledger-bot"),
        "KEEPER_CONFIRMATIONS": "0", "KEEPER_INTERVAL": "0",
    }  # fmt: skip
    bot = subprocess.Popen(
        [str(silverback), "run", "keeper", "--network", "ethereum:local:foundry", "--account", "TEST::6"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    # The bot's output is drained by a thread for the whole run, so that a chatty bot can never
    # block on a full pipe, and all of it is in the failure message.
    lines: list[str] = []
    first_round = threading.Event()

    def drain() -> None:
        for line in bot.stdout:
            lines.append(line)
            if "round at" in line or "Traceback" in line:
                first_round.set()
        first_round.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        first_round.wait(timeout=120)  # the bot has started and done its first round
        assert any("round at" in line for line in lines), "".join(lines)
        suite["make_due"](refunds=1, releases=1, disputes=1)  # the time jump mines a block: a round
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            done, due = settlements(node, suite, project)
            if len(done - before) == 3 and due == 0:
                break
            time.sleep(2)
    finally:
        os.killpg(bot.pid, signal.SIGINT)
        try:
            bot.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(bot.pid, signal.SIGKILL)
            bot.wait()
        reader.join(timeout=10)
    done, due = settlements(node, suite, project)
    assert len(done - before) == 3 and due == 0 and set(done.values()) == {1}, "".join(lines)


def test_keeper_dry_run_lists_what_is_due__and_mistakes_are_one_line(node, suite, monkeypatch):
    from ape_run._cli import cli as ape_cli
    from click.testing import CliRunner

    monkeypatch.setenv("FACTORYCHAIN_LEDGER_DIR", str(suite["folder"] / "ledger-dry"))
    runner = CliRunner(mix_stderr=False)
    common = ["--network", node.url, "--deployment", str(suite["record"]), "--confirmations", "0"]
    # Settle whatever earlier tests on this node left due, so that only this test's item is listed.
    runner.invoke(ape_cli, ["keeper", "--once", "--account", "TEST::9", *common], catch_exceptions=False)
    suite["make_due"](refunds=1)
    listed = runner.invoke(ape_cli, ["keeper", "--dry-run", *common], catch_exceptions=False)
    assert listed.exit_code == 0, listed.stdout + listed.stderr
    assert "1 due" in listed.stdout and "refund_expired order" in listed.stdout
    no_account = runner.invoke(ape_cli, ["keeper", "--once", *common], catch_exceptions=False)
    assert no_account.exit_code == 1 and no_account.stderr.count("\n") == 1 and "--account" in no_account.stderr
    bad_gas = runner.invoke(ape_cli, ["keeper", "--once", "--max-gas", "lots", "--account", "TEST::9", *common])
    assert bad_gas.exit_code == 1 and "Error: --max-gas: 'lots'" in bad_gas.stderr
    # None of the refused commands sent anything: the item is still due.
    listed_again = runner.invoke(ape_cli, ["keeper", "--dry-run", *common], catch_exceptions=False)
    assert "1 due" in listed_again.stdout
    done = runner.invoke(ape_cli, ["keeper", "--once", "--account", "TEST::9", *common], catch_exceptions=False)
    assert done.exit_code == 0 and "refund_expired order" in done.stdout and ": sent 0x" in done.stdout
