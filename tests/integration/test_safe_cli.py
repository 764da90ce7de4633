"""A Safe multisig as admin and arbiter, from the shell: `ape run deploy --admin <safe>`,
`ape run roles grant|revoke --safe`, `ape run orders resolve --safe`, on a standalone Anvil.

The Safe (v1.4.1, owners TEST::7, TEST::8, TEST::9, threshold 2) is deployed inside the test from
ape-safe's package data. Each owner's step is a separate `ape run` invocation (click's runner, in
this process, exactly the arguments a user types); the only thing they share is the proposal file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orders_cli"))  # the shared Shell

from _orders_cli_support import Shell, forget_custom_chain_id  # noqa: E402
from factorychain.deployment import DEPLOYMENTS_ENV, read_deployment, role_id  # noqa: E402
from factorychain.ledger import LEDGER_ENV  # noqa: E402
from tools.rehearsal import AnvilNode  # noqa: E402

NODE_CHAIN_ID = 31_714
ADMIN, OEM, QA, BUYER, SUPPLIER = (f"TEST::{i}" for i in range(5))
OWNER1, OWNER2, OWNER3 = "TEST::7", "TEST::8", "TEST::9"
ARBITER_ROLE = role_id("ARBITER_ROLE")
ADMIN_ROLE = role_id("DEFAULT_ADMIN_ROLE")
DAY = 86_400


@dataclass
class SafeShell(Shell):
    """The orders tests' shell, plus the Safe's address and a way onto the node from Python."""

    safe: str = ""

    def on_node(self) -> Any:
        from ape import networks

        return networks.parse_network_choice(self.node.url)


@pytest.fixture(scope="module")
def shell(tmp_path_factory) -> Iterator[SafeShell]:
    folder = tmp_path_factory.mktemp("safe-cli")
    node = AnvilNode(chain_id=NODE_CHAIN_ID)
    node.start()
    patch = pytest.MonkeyPatch()
    patch.setenv(DEPLOYMENTS_ENV, str(folder / "deployments"))
    patch.setenv(LEDGER_ENV, str(folder / "ledger"))
    forget_custom_chain_id()
    try:
        sh = SafeShell(node, folder, CliRunner(mix_stderr=False))
        from ape import accounts

        from factorychain.safe import create_safe, deploy_safe_contracts

        with sh.on_node():
            test = accounts.test_accounts
            singleton, factory = deploy_safe_contracts(test[0])
            sh.safe = create_safe(factory, singleton, [test[7], test[8], test[9]], 2, sender=test[0], salt=42).address
        sh.ok("deploy", "--account", ADMIN, "--admin", sh.safe, "--manufacturer", OEM, "--certifier", QA)
        yield sh
    finally:
        patch.undo()
        node.stop()
        forget_custom_chain_id()


def _record(shell: SafeShell) -> Any:
    # ethereum-custom.json, or one record per node chain (ethereum-custom-<chain id>.json).
    (path,) = sorted((shell.folder / "deployments").glob("ethereum-custom*.json"))
    return read_deployment(path)


def _escrow(shell: SafeShell) -> Any:
    from ape import project

    return project.OrderEscrow.at(_record(shell).escrow)


def _registry(shell: SafeShell) -> Any:
    from ape import project

    return project.PartRegistry.at(_record(shell).registry)


def _address(alias: str) -> str:
    from ape import accounts

    return accounts.test_accounts[int(alias.split("::")[1])].address


def test_deploy__admin_safe__the_safe_is_sole_admin_of_both(shell):
    listed = shell.ok("roles", "list").stdout

    with shell.on_node():
        for contract in (_registry(shell), _escrow(shell)):
            assert contract.hasRole(ADMIN_ROLE, shell.safe)
            assert not contract.hasRole(ADMIN_ROLE, _address(ADMIN))
    assert listed.count(f"DEFAULT_ADMIN_ROLE  {shell.safe}\n") == 2


def test_roles_grant__deployer_key_no_longer_admin__one_line_names_safe_option(shell):
    line = shell.error("roles", "grant", "arbiter", "TEST::6", "--account", ADMIN)

    assert "is not an admin of OrderEscrow" in line and "--safe" in line


def test_roles_grant_via_safe__two_owners_two_runs__granted_by_the_safe(shell, tmp_path):
    proposal = tmp_path / "grant-arbiter.json"
    target = _address("TEST::6")
    command = ("roles", "grant", "arbiter", target, "--safe", shell.safe, "--proposal", proposal, "--yes")

    first = shell.ok(*command, "--account", OWNER1)
    with shell.on_node():
        assert not _escrow(shell).hasRole(ARBITER_ROLE, target)
    data = json.loads(proposal.read_text())
    (tx,) = data["transactions"]
    assert list(data["signatures"][tx["safe_tx_hash"]]) == [_address(OWNER1)]
    second = shell.ok(*command, "--account", OWNER3)

    with shell.on_node():
        escrow = _escrow(shell)
        assert escrow.hasRole(ARBITER_ROLE, target)
        (granted,) = [log for log in escrow.RoleGranted.range(0, None) if log.account == target and log.role == ARBITER_ROLE]
        assert granted.sender == shell.safe
        nonce_hash = escrow.provider.web3.eth.call({"to": shell.safe, "data": "0x" + keccak(text="nonce()")[:4].hex()})
        assert int.from_bytes(bytes(nonce_hash), "big") == tx["nonce"] + 1
    out1, out2 = first.stdout, second.stdout
    assert f"{shell.safe} (Safe 1.4.1, 2 of 3 owners)" in out1
    assert f"safeTxHash {tx['safe_tx_hash']}" in out1 and f"safeTxHash {tx['safe_tx_hash']}" in out2
    assert "Signed 1 of 2" in out1 and "Executed Safe tx" not in out1
    assert f"sign as owner {_address(OWNER3)} (2 of 2 signatures)" in out2
    assert f"Executed Safe tx {tx['nonce']} (grantRole(ARBITER_ROLE, {target}) on OrderEscrow)" in out2
    again = shell.ok(*command, "--account", OWNER2)
    assert f"{target} already holds ARBITER_ROLE on OrderEscrow" in again.stdout


def test_roles_revoke_via_safe__proposal_then_execute(shell, tmp_path):
    proposal = tmp_path / "revoke.json"
    command = ("roles", "revoke", "manufacturer", OEM, "--safe", shell.safe, "--proposal", proposal, "--yes")

    shell.ok(*command, "--account", OWNER2)
    shell.ok(*command, "--account", OWNER1)

    with shell.on_node():
        assert not _registry(shell).hasRole(role_id("MANUFACTURER_ROLE"), _address(OEM))
    shell.ok("roles", "grant", "manufacturer", OEM, "--safe", shell.safe, "--proposal", tmp_path / "back.json", "--yes", "--account", OWNER1)
    shell.ok("roles", "grant", "manufacturer", OEM, "--safe", shell.safe, "--proposal", tmp_path / "back.json", "--yes", "--account", OWNER2)


def test_roles_grant_via_safe__not_an_owner__one_line_threshold_named(shell, tmp_path):
    proposal = tmp_path / "p.json"
    line = shell.error("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", BUYER)

    assert f"{_address(BUYER)} is not an owner of Safe {shell.safe}" in line
    assert "0 of 2 signatures so far" in line and not proposal.exists()


def test_roles_grant_via_safe__non_owner_cannot_finish_one_signature(shell, tmp_path):
    proposal = tmp_path / "p.json"
    command = ("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--yes")
    shell.ok(*command, "--account", OWNER1)

    line = shell.error(*command, "--account", BUYER)

    assert "is not an owner" in line and "1 of 2 signatures so far" in line
    with shell.on_node():
        assert not _registry(shell).hasRole(role_id("CERTIFIER_ROLE"), _address("TEST::5"))


def test_roles_grant_via_safe__forged_signature_in_file__not_counted(shell, tmp_path):
    # A signature filed under an owner but made by someone else does not count towards the threshold.
    proposal = tmp_path / "p.json"
    command = ("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--yes")
    shell.ok(*command, "--account", OWNER1)
    data = json.loads(proposal.read_text())
    (tx_hash,) = data["signatures"]
    data["signatures"][tx_hash][_address(OWNER2)] = data["signatures"][tx_hash][_address(OWNER1)]
    proposal.write_text(json.dumps(data))

    line = shell.error(*command, "--account", BUYER)

    assert "1 of 2 signatures so far" in line


def test_roles_grant_via_safe__file_for_another_command__one_line(shell, tmp_path):
    proposal = tmp_path / "p.json"
    shell.ok("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", OWNER1)

    line = shell.error("roles", "grant", "certifier", "TEST::6", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", OWNER2)

    assert "holds other transactions than this command builds" in line


def test_roles_grant_via_safe__unknown_safe__one_line(shell):
    stranger = _address("TEST::5")

    line = shell.error("roles", "grant", "certifier", "TEST::5", "--safe", stranger, "--yes", "--account", OWNER1)
    alias = shell.error("roles", "grant", "certifier", "TEST::5", "--safe", "no-such-safe", "--yes", "--account", OWNER1)

    assert line == f"Error: --safe: unknown Safe: no contract at {stranger} on chain {NODE_CHAIN_ID}"
    assert "neither an address nor a Safe alias known to ape-safe" in alias


def test_roles_grant_via_safe__no_terminal_no_yes__nothing_signed(shell, tmp_path):
    proposal = tmp_path / "p.json"

    line = shell.error("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--account", OWNER1)

    assert "nothing sent: there is no terminal to confirm on" in line and not proposal.exists()


def _disputed_order(shell: SafeShell, inspector: str = "0x" + "00" * 20) -> int:
    """A part, an agreement and a disputed lot of one order, set up on the node directly."""
    from ape import accounts, chain

    test = accounts.test_accounts
    registry, escrow = _registry(shell), _escrow(shell)
    part = keccak(text="PN-SAFE")
    now = chain.pending_timestamp
    if registry.latest_version(part) == 0:
        registry.register_part(part, keccak(text="spec"), "ipfs://x", sender=test[1])
        registry.grant_access(part, test[3], sender=test[1])
        registry.grant_access(part, test[4], sender=test[1])
        registry.certify(part, 1, test[4], now + 365 * DAY, keccak(text="audit"), sender=test[2])
    zero = "0x" + "00" * 20
    terms = (test[4].address, part, 1, zero, 10**15, 10_000, now + 100 * DAY, 3 * DAY, inspector, 5 * DAY, 100, 1_000)
    agreement = escrow.propose_agreement(terms, sender=test[3]).return_value
    escrow.accept_agreement(agreement, [], sender=test[4])
    order = escrow.create_order(agreement, 1_000, now + 7 * DAY, keccak(text="PO-S"), sender=test[3], value=10**18).return_value
    escrow.ship(order, 1_000, keccak(text="ASN"), sender=test[4])
    escrow.dispute(order, 1, keccak(text="bent"), sender=test[3])
    return int(order)


def test_orders_resolve_via_safe__safe_is_arbiter__two_owners_rule(shell, tmp_path):
    grant = ("roles", "grant", "arbiter", shell.safe, "--safe", shell.safe, "--proposal", tmp_path / "g.json", "--yes")
    shell.ok(*grant, "--account", OWNER1)
    shell.ok(*grant, "--account", OWNER2)
    with shell.on_node():
        order = _disputed_order(shell)
        supplier_before = _escrow(shell).provider.get_balance(_address(SUPPLIER))
    resolve = ("orders", "resolve", order, 1, "--supplier-share", "70%", "--safe", shell.safe, "--proposal", tmp_path / "r.json", "--yes")

    first = shell.ok(*resolve, "--account", OWNER2)
    second = shell.ok(*resolve, "--account", OWNER3)

    with shell.on_node():
        assert _escrow(shell).provider.get_balance(_address(SUPPLIER)) - supplier_before == 7 * 10**17
    assert "Resolve lot 1 of order" in first.stdout and "Signed 1 of 2" in first.stdout and "Resolved" not in first.stdout
    assert f"Resolved lot 1 of order #{order} at 70.00 % to the supplier side" in second.stdout, second.stdout
    assert "paid     0.70 ETH" in second.stdout and "paid     0.30 ETH" in second.stdout


def test_orders_resolve_via_safe__safe_is_the_inspector__party_refused_in_one_line(shell, tmp_path):
    grant = ("roles", "grant", "arbiter", shell.safe, "--safe", shell.safe, "--proposal", tmp_path / "g.json", "--yes")
    shell.ok(*grant, "--account", OWNER1)
    shell.ok(*grant, "--account", OWNER2)  # (or "already holds" when an earlier test granted it)
    with shell.on_node():
        order = _disputed_order(shell, inspector=shell.safe)
    proposal = tmp_path / "r.json"

    line = shell.error("orders", "resolve", order, 1, "--supplier-share", "50%", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", OWNER1)

    assert line == (
        f"Error: the escrow would refuse this from Safe {shell.safe}: escrow: arbiter is a party "
        "(the arbiter is a party of this order and may not rule on it)"
    )
    assert not proposal.exists()


def test_orders_resolve_via_safe__safe_without_arbiter_role__one_line_before_signing(shell, tmp_path):
    with shell.on_node():
        order = _disputed_order(shell)
        escrow = _escrow(shell)
        holds = escrow.hasRole(ARBITER_ROLE, shell.safe)
    if holds:  # an earlier test made the Safe an arbiter: take the role back through the Safe
        revoke = ("roles", "revoke", "arbiter", shell.safe, "--safe", shell.safe, "--proposal", tmp_path / "rv.json", "--yes")
        shell.ok(*revoke, "--account", OWNER1)
        shell.ok(*revoke, "--account", OWNER2)
    proposal = tmp_path / "r.json"

    line = shell.error("orders", "resolve", order, 1, "--supplier-share", "70%", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", OWNER1)

    assert line.startswith(f"Error: the escrow would refuse this from Safe {shell.safe}: access_control: account is missing role")
    assert "the Safe does not hold ARBITER_ROLE" in line and not proposal.exists()


def test_roles_grant_via_safe__owner_runs_twice__one_line_already_signed(shell, tmp_path):
    proposal = tmp_path / "p.json"
    command = ("roles", "grant", "certifier", "TEST::5", "--safe", shell.safe, "--proposal", proposal, "--yes", "--account", OWNER2)
    shell.ok(*command)
    before = proposal.read_text()

    line = shell.error(*command)

    assert f"{_address(OWNER2)} has signed this proposal already (1 of 2 signatures)" in line
    assert proposal.read_text() == before


def test_roles_grant_via_safe__ape_safe_alias__resolved_to_the_safe(shell, tmp_path, monkeypatch):
    # `ape safe add` saves <alias>.json in ape-safe's data folder; here that folder is a temporary one.
    from ape import accounts

    container = accounts.containers["safe"]
    monkeypatch.setitem(container.__dict__, "data_folder", tmp_path / "safes")
    (tmp_path / "safes").mkdir()
    (tmp_path / "safes" / "ops.json").write_text(json.dumps({"address": shell.safe, "deployed_chain_ids": [NODE_CHAIN_ID]}))
    monkeypatch.setattr(type(container), "_accounts", {})

    first = shell.ok("roles", "grant", "certifier", "TEST::6", "--safe", "ops", "--proposal", tmp_path / "p.json", "--yes", "--account", OWNER1)

    assert f"{shell.safe} (Safe 1.4.1, 2 of 3 owners)" in first.stdout and "Signed 1 of 2" in first.stdout


def test_roles_renounce_via_safe__last_admin_refused_arbiter_renounced(shell, tmp_path):
    last = shell.error("roles", "renounce", "admin", "--safe", shell.safe, "--yes", "--account", OWNER1)
    assert "without any admin" in last
    with shell.on_node():
        holds = _escrow(shell).hasRole(ARBITER_ROLE, shell.safe)
    if not holds:
        grant = ("roles", "grant", "arbiter", shell.safe, "--safe", shell.safe, "--proposal", tmp_path / "g.json", "--yes")
        shell.ok(*grant, "--account", OWNER1)
        shell.ok(*grant, "--account", OWNER2)
    command = ("roles", "renounce", "arbiter", "--safe", shell.safe, "--proposal", tmp_path / "r.json", "--yes")

    shell.ok(*command, "--account", OWNER3)
    done = shell.ok(*command, "--account", OWNER1)

    assert "Executed Safe tx" in done.stdout and f"renounceRole(ARBITER_ROLE, {shell.safe}) on OrderEscrow" in done.stdout
    with shell.on_node():
        assert not _escrow(shell).hasRole(ARBITER_ROLE, shell.safe)
