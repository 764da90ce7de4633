"""Issue 11: `ape run roles list` on `--network ethereum:local` (a chain Ape starts for the command
and loses with it) must not tell the user to deploy there; it names what works instead.

Runs `ape run roles list --network ethereum:local:foundry` in this process: that is the Anvil Ape
started for this test session (a managed process, like a user's one-shot `ethereum:local`).
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from factorychain.deployment import DEPLOYMENTS_ENV, Deployment, write_deployment

ADDRESS = "0x" + "11" * 20


def _roles_list(monkeypatch, folder):
    from ape_run._cli import cli

    monkeypatch.setenv(DEPLOYMENTS_ENV, str(folder))
    result = CliRunner(mix_stderr=False).invoke(cli, ["roles", "list", "--network", "ethereum:local:foundry"], catch_exceptions=False)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _never_deploy_on_ephemeral_local(line: str) -> None:
    # `--network ethereum:local` alone (or with the managing provider) is the defect; `:node` is a standalone node.
    assert not re.search(r"--network ethereum:local(:foundry)?(?![:\w])", line.replace("--network ethereum:local runs", "")), line
    assert "ape run deploy --network ethereum:local`" not in line


def test_roles_list__ephemeral_local_nothing_recorded__points_at_a_standalone_node(monkeypatch, tmp_path, chain):
    line = _roles_list(monkeypatch, tmp_path / "none")

    assert line.startswith("Error: no deployment recorded for ethereum:local")
    assert "gone when it ends" in line and "anvil" in line and "--network ethereum:local:node" in line
    _never_deploy_on_ephemeral_local(line)


def test_roles_list__ephemeral_local_other_networks_recorded__names_them(monkeypatch, tmp_path, chain):
    folder = tmp_path / "records"
    for network, chain_id in (("sepolia", 11_155_111), ("custom", 31_700)):
        record = Deployment(
            ecosystem="ethereum", network=network, chain_id=chain_id, registry=ADDRESS, escrow=ADDRESS,
            deployer=ADDRESS, admin=ADDRESS, block_number=1, contracts={}, arbitration_timeout=3_600,
        )  # fmt: skip
        write_deployment(record, folder / f"ethereum-{network}.json")

    line = _roles_list(monkeypatch, folder)

    assert "pass the --network you deployed to: " in line
    assert "ethereum:sepolia (chain id 11155111)" in line
    assert "the node's URL you deployed with (chain id 31700, ethereum-custom.json)" in line
    _never_deploy_on_ephemeral_local(line)


@pytest.mark.parametrize("name", ["ethereum-local.json"])
def test_roles_list__stale_local_record__one_line_names_the_standalone_node(monkeypatch, tmp_path, chain, name):
    # A record written against a standalone node on network `local`: on a fresh one-shot chain its
    # contracts are not there; the line says why and what to pass instead.
    record = Deployment(
        ecosystem="ethereum", network="local", chain_id=chain.chain_id, registry=ADDRESS, escrow=ADDRESS,
        deployer=ADDRESS, admin=ADDRESS, block_number=1, contracts={}, arbitration_timeout=3_600,
    )  # fmt: skip
    write_deployment(record, tmp_path / name)

    line = _roles_list(monkeypatch, tmp_path)

    assert "no contract code at the recorded" in line
    assert "runs a chain started for this command alone" in line and "--network ethereum:local:node" in line
    _never_deploy_on_ephemeral_local(line)
