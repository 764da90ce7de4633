"""Shared by the `ape run orders` tests: a standalone Anvil node, `ape run` in this process against it
(click's runner, exactly the arguments a user types), and the party set-up done with commands too.

Accounts are Anvil's dev accounts (= Ape's TEST:: accounts): 0 admin, 1 OEM (manufacturer),
2 QA (certifier), 3 buyer, 4 supplier, 5 and 6 subcontractors, 7 gate scanner (inspector;
Anvil key #7), 8 arbiter, 9 courier / bank.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from factorychain.deployment import DEPLOYMENTS_ENV, Deployment, read_deployment
from factorychain.ledger import LEDGER_ENV
from tools.rehearsal import AnvilNode

ADMIN, OEM, QA, BUYER, SUPPLIER, SUB1, SUB2, GATE, ARBITER, BANK = (f"TEST::{i}" for i in range(10))
DAY = 86_400


@dataclass
class Shell:
    """`ape run …` on the node, in this process; the deployment record and ledger in temporary folders."""

    node: AnvilNode
    folder: Path
    runner: CliRunner

    def run(self, *args: Any, input: str | None = None) -> Result:
        from ape_run._cli import cli

        return self.runner.invoke(cli, [*map(str, args), "--network", self.node.url], input=input, catch_exceptions=False)

    def ok(self, *args: Any) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, f"ape run {' '.join(map(str, args))}\n{result.stdout}{result.stderr}"
        return result

    def orders(self, *args: Any) -> Result:
        return self.ok("orders", *args)

    def error(self, *args: Any) -> str:
        """The command fails with exactly one ``Error: …`` line on stderr (no traceback, no usage block)."""
        result = self.run(*args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 1, f"exit {result.exit_code}\n{result.stdout}{result.stderr}"
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: "), lines[0]
        assert "Traceback" not in result.stdout + result.stderr
        return lines[0]

    def later(self, seconds: int) -> None:
        """Move the node's clock on and mine a block there."""
        self.node.rpc("evm_increaseTime", [int(seconds)])
        self.node.rpc("evm_mine")

    @property
    def deployment(self) -> Deployment:
        return read_deployment(self.folder / "deployments" / f"ethereum-custom-{self.node.chain_id}.json")

    def nonce(self, account: Any) -> int:
        return self.node.nonce(account.address)

    def balance(self, address: str) -> int:
        return int(self.node.rpc("eth_getBalance", [address, "latest"]), 16)


@pytest.fixture(scope="module")
def shell(request, tmp_path_factory) -> Iterator[Shell]:
    """One node per test module (its chain id: the module's ``NODE_CHAIN_ID``)."""
    folder = tmp_path_factory.mktemp("orders-cli")
    node = AnvilNode(chain_id=getattr(request.module, "NODE_CHAIN_ID", 31_700))
    node.start()
    patch = pytest.MonkeyPatch()
    patch.setenv(DEPLOYMENTS_ENV, str(folder / "deployments"))
    patch.setenv(LEDGER_ENV, str(folder / "ledger"))
    forget_custom_chain_id()
    try:
        yield Shell(node, folder, CliRunner(mix_stderr=False))
    finally:
        patch.undo()
        node.stop()
        forget_custom_chain_id()


def forget_custom_chain_id() -> None:
    """Ape caches ``chain.chain_id`` by network name, and every node reached by URL is network
    ``custom``: a second node in the same process would be given the first one's chain id."""
    from ape.managers.chain import ChainManager

    ChainManager._chain_id_cache.pop("custom", None)


def set_up_part(shell: Shell, part: str = "PN-4711", valid_for: str = "365d") -> None:
    """Deploy, publish PART, give the buyer and the supplier access, certify the supplier — with commands."""
    folder = shell.folder
    shell.ok("deploy", "--account", ADMIN, "--manufacturer", OEM, "--certifier", QA, "--arbiter", ARBITER)
    design = folder / "bracket.step"
    design.write_bytes(b"ISO-10303-21; engine-mount bracket rev A")
    report = folder / "audit.pdf"
    report.write_bytes(b"audit passed")
    shell.ok("parts", "publish", part, design, "--store", folder / "store", "--key-file", folder / "v1.key", "--account", OEM)
    shell.ok("parts", "grant", part, BUYER, SUPPLIER, "--account", OEM)
    shell.ok("parts", "certify", part, 1, SUPPLIER, "--valid-for", valid_for, "--report", report, "--account", QA)


def number_after(pattern: str, text: str) -> int:
    """The number printed after ``pattern`` (``"order #"`` in ``Created order #3 …``)."""
    found = re.search(re.escape(pattern) + r"(\d+)", text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found.group(1))


def on_node(shell: Shell) -> Any:
    """A context in which Ape talks to the node (for checks against the chain itself)."""
    from ape import networks

    return networks.parse_network_choice(shell.node.url)


def escrow_at(shell: Shell) -> Any:
    from ape import project

    return project.OrderEscrow.at(shell.deployment.escrow)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
