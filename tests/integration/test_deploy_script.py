"""Operations: deploy_suite and the deployment record, `ape run deploy | roles | parts`, console extras.

Three layers:

* ``deploy_suite`` / ``load_deployment`` on the suite's own chain (Ape's isolated Anvil);
* the ``ape run`` scripts invoked in-process (click's runner, exactly the arguments a user
  types) against one standalone Anvil node reached over JSON-RPC (``--network http://…``),
  so that a deployment made by one command is there for the next;
* ``ape_console_extras.py`` loaded through Ape's own console namespace.

Every user error must end as exactly one ``Error: …`` line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tools` and the console extras live at the project root

from factorychain.deployment import (
    DEPLOYMENTS_ENV,
    Deployment,
    DeploymentError,
    deploy_suite,
    deployment_file,
    load_deployment,
    parse_role,
    read_deployment,
    role_holders,
    role_id,
)
from factorychain.keys import public_key_from_private
from factorychain.sharing import fetch_design
from factorychain.spec import part_id, spec_hash
from tools.rehearsal import AnvilNode

ADMIN_ROLE = bytes(32)
MANUFACTURER = keccak(text="MANUFACTURER_ROLE")
CERTIFIER = keccak(text="CERTIFIER_ROLE")
ARBITER = keccak(text="ARBITER_ROLE")
NODE_CHAIN_ID = 31416


# ---------------------------------------------------------------- deploy_suite on the test chain


@pytest.fixture
def records(tmp_path, monkeypatch) -> Path:
    """Deployment records go to a temporary folder, never to the repository's deployments/."""
    folder = tmp_path / "deployments"
    monkeypatch.setenv(DEPLOYMENTS_ENV, str(folder))
    return folder


def _suite(project, deployer, **kwargs):
    return deploy_suite(project, deployer, **kwargs)


def test_deploy_suite__fresh__records_chain_addresses_versions_and_roles(
    project, chain, admin, oem, certifier, arbiter, records
):
    result = _suite(project, admin, manufacturers=[oem], certifiers=[certifier], arbiters=[arbiter])

    path = records / "ethereum-local.json"
    data = json.loads(path.read_text())
    assert result.deployed is True
    assert len(result.transactions) == 6  # three deployments (registry, escrow, data anchor), three grants
    assert data["chain_id"] == chain.chain_id
    assert (data["ecosystem"], data["network"]) == ("ethereum", "local")
    assert data["registry"] == result.registry.address and data["escrow"] == result.escrow.address
    assert data["deployer"] == data["admin"] == admin.address
    assert data["contracts"]["PartRegistry"]["version"] == result.registry.VERSION()
    assert data["contracts"]["OrderEscrow"]["version"] == result.escrow.VERSION()
    assert data["contracts"]["PartRegistry"]["tx_hash"] == result.transactions[0]
    assert data["block_number"] == data["contracts"]["PartRegistry"]["block_number"] > 0
    assert data["arbitration_timeout"] == 30 * 86_400
    assert {"eth-ape", "ape-vyper", "vyper", "python"} <= set(data["tools"])
    assert data["tools"]["vyper"] == "0.4.3"
    assert data["deployed_at"].endswith("Z") and data["updated_at"].endswith("Z")
    granted = [(r["contract"], r["role"], r["account"]) for r in data["roles"]]
    assert granted == [
        ("PartRegistry", "MANUFACTURER_ROLE", oem.address),
        ("PartRegistry", "CERTIFIER_ROLE", certifier.address),
        ("OrderEscrow", "ARBITER_ROLE", arbiter.address),
    ]
    assert result.registry.hasRole(MANUFACTURER, oem) and result.registry.hasRole(CERTIFIER, certifier)
    assert result.escrow.hasRole(ARBITER, arbiter) and not result.registry.hasRole(ARBITER, arbiter)
    assert result.escrow.registry() == result.registry.address
    assert read_deployment(path) == result.deployment


def test_deploy_suite__separate_admin__hands_over_both_contracts_and_deployer_keeps_no_role(
    project, admin, stranger, oem, arbiter, records
):
    result = _suite(project, stranger, admin=admin, manufacturers=[oem], arbiters=[arbiter])

    for contract in (result.registry, result.escrow):
        assert contract.hasRole(ADMIN_ROLE, admin)
        assert not contract.hasRole(ADMIN_ROLE, stranger)
    assert result.deployment.deployer == stranger.address and result.deployment.admin == admin.address
    actions = [(r.action, r.contract, r.role, r.account) for r in result.deployment.roles]
    assert actions[-4:] == [
        ("grant", "PartRegistry", "DEFAULT_ADMIN_ROLE", admin.address),
        ("grant", "OrderEscrow", "DEFAULT_ADMIN_ROLE", admin.address),
        ("renounce", "PartRegistry", "DEFAULT_ADMIN_ROLE", stranger.address),
        ("renounce", "OrderEscrow", "DEFAULT_ADMIN_ROLE", stranger.address),
    ]
    assert role_holders(result.registry, result.deployment.block_number) == {
        "DEFAULT_ADMIN_ROLE": [admin.address],
        "MANUFACTURER_ROLE": [oem.address],
    }
    assert role_holders(result.escrow, result.deployment.block_number) == {
        "DEFAULT_ADMIN_ROLE": [admin.address],
        "ARBITER_ROLE": [arbiter.address],
    }


def test_deploy_suite__second_run__reuses_record_without_any_transaction(project, admin, oem, records):
    first = _suite(project, admin, manufacturers=[oem])
    path = records / "ethereum-local.json"
    text_before = path.read_text()
    nonce_before = admin.nonce

    second = _suite(project, admin, manufacturers=[oem])

    assert second.deployed is False
    assert second.transactions == ()
    assert admin.nonce == nonce_before
    assert (second.registry.address, second.escrow.address) == (first.registry.address, first.escrow.address)
    assert path.read_text() == text_before


def test_deploy_suite__second_run_with_new_role__grants_only_that_role(project, admin, oem, certifier, records):
    first = _suite(project, admin, manufacturers=[oem])

    second = _suite(project, admin, manufacturers=[oem], certifiers=[certifier])

    assert second.deployed is False
    assert len(second.transactions) == 1
    assert second.registry.address == first.registry.address
    assert second.registry.hasRole(CERTIFIER, certifier)
    assert [r.role for r in read_deployment(records / "ethereum-local.json").roles] == [
        "MANUFACTURER_ROLE",
        "CERTIFIER_ROLE",
    ]


def test_deploy_suite__after_handover__deployer_granting_new_role__refused(project, admin, stranger, certifier, records):
    _suite(project, stranger, admin=admin)

    with pytest.raises(DeploymentError, match=f"{stranger.address} is not an admin of PartRegistry"):
        _suite(project, stranger, certifiers=[certifier])


def test_deploy_suite__after_handover__admin_grants_new_role(project, admin, stranger, certifier, records):
    _suite(project, stranger, admin=admin)

    result = _suite(project, admin, certifiers=[certifier])

    assert result.deployed is False and len(result.transactions) == 1
    assert result.registry.hasRole(CERTIFIER, certifier)


def test_deploy_suite__second_run_with_other_admin__refused(project, admin, stranger, records):
    _suite(project, admin)

    with pytest.raises(DeploymentError, match="is administered by .*, not " + stranger.address):
        _suite(project, admin, admin=stranger)


def test_deploy_suite__record_for_another_chain__refused(project, admin, chain, records):
    first = _suite(project, admin)
    path = records / "ethereum-local.json"
    path.write_text(path.read_text().replace(f'"chain_id": {chain.chain_id}', '"chain_id": 11155111'))
    nonce_before = admin.nonce

    with pytest.raises(DeploymentError, match=f"is for chain id 11155111, but the connected node reports chain id {chain.chain_id}"):
        _suite(project, admin)
    assert admin.nonce == nonce_before
    assert read_deployment(path).registry == first.registry.address


def test_deploy_suite__local_record_without_code__deploys_afresh(project, admin, records):
    # A local chain dies with the process that started it: its old record is stale, not wrong.
    first = _suite(project, admin)
    path = records / "ethereum-local.json"
    data = json.loads(path.read_text())
    data["registry"] = "0x" + "00" * 19 + "42"
    path.write_text(json.dumps(data))
    messages: list[str] = []

    second = _suite(project, admin, echo=messages.append)

    assert second.deployed is True
    assert second.registry.address != first.registry.address
    assert any("deploying afresh" in message for message in messages)
    assert read_deployment(path).registry == second.registry.address


def test_deploy_suite__fresh_flag__replaces_the_record(project, admin, records):
    first = _suite(project, admin)

    second = _suite(project, admin, fresh=True)

    assert second.deployed is True
    assert second.registry.address != first.registry.address
    assert read_deployment(records / "ethereum-local.json").escrow == second.escrow.address


def test_deploy_suite__out_path__writes_there_only(project, admin, records, tmp_path):
    target = tmp_path / "elsewhere" / "suite.json"

    result = _suite(project, admin, path=target)

    assert read_deployment(target).registry == result.registry.address
    assert not (records / "ethereum-local.json").exists()


def test_deploy_suite__arbitration_timeout__set_and_recorded(project, admin, records):
    result = _suite(project, admin, arbitration_timeout=3_600)

    assert result.escrow.arbitration_timeout() == 3_600
    assert read_deployment(records / "ethereum-local.json").arbitration_timeout == 3_600


@pytest.mark.parametrize("seconds", [3_599, 365 * 86_400 + 1])
def test_deploy_suite__arbitration_timeout_out_of_range__refused_before_any_transaction(project, admin, records, seconds):
    nonce_before = admin.nonce

    with pytest.raises(DeploymentError, match="arbitration timeout must be between 3600 s"):
        _suite(project, admin, arbitration_timeout=seconds)
    assert admin.nonce == nonce_before
    assert not records.exists()


def test_deploy_suite__write_false__leaves_no_file(project, admin, records):
    result = _suite(project, admin, write=False)

    assert result.deployed is True and result.deployment.path == records / "ethereum-local.json"
    assert not records.exists()


def test_deploy_suite__unlock_hook__runs_once_and_only_when_sending(project, admin, oem, records):
    calls: list[int] = []
    _suite(project, admin, manufacturers=[oem], before_first_transaction=lambda: calls.append(1))
    assert calls == [1]

    _suite(project, admin, manufacturers=[oem], before_first_transaction=lambda: calls.append(2))

    assert calls == [1]


def test_load_deployment__recorded__checks_and_returns_record(project, admin, records):
    result = _suite(project, admin)

    assert load_deployment(project=project) == result.deployment


def test_load_deployment__no_record__names_network_and_command(project, records):
    # The test chain is started for one process: the line must not suggest deploying there (issue 11).
    with pytest.raises(DeploymentError, match=r"no deployment recorded for ethereum:local .*started for one command and gone after it: start a standalone node \(`anvil`\) and use --network ethereum:local:node") as error:
        load_deployment(project=project)
    assert "run `ape run deploy --network ethereum:local`" not in str(error.value) and "\n" not in str(error.value)


def test_load_deployment__escrow_wired_elsewhere__refused(project, admin, records):
    first = _suite(project, admin)
    other = _suite(project, admin, fresh=True, write=False)
    path = records / "ethereum-local.json"
    data = json.loads(path.read_text())
    data["escrow"] = other.escrow.address
    path.write_text(json.dumps(data))

    with pytest.raises(DeploymentError, match=f"uses registry {other.registry.address}, not the recorded {first.registry.address}"):
        load_deployment(project=project)


def test_load_deployment__escrow_v1_record__refused_in_one_line(project, admin, records):
    _suite(project, admin)
    path = records / "ethereum-local.json"
    data = json.loads(path.read_text())
    data["contracts"]["OrderEscrow"]["version"] = "1.0.0"
    path.write_text(json.dumps(data))

    with pytest.raises(DeploymentError, match="records OrderEscrow 1.0.0, but this code speaks escrow v2; deploy a new suite") as error:
        load_deployment(project=project)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"format": 2}', "unsupported format 2"),
        ('{"format": 1, "ecosystem": "ethereum"}', "missing field 'network'"),
    ],
)
def test_read_deployment__malformed__one_line_error(tmp_path, content, message):
    path = tmp_path / "record.json"
    path.write_text(content)

    with pytest.raises(DeploymentError, match=message) as raised:
        read_deployment(path)
    assert "\n" not in str(raised.value)


def test_read_deployment__bad_address__names_the_field(project, admin, records):
    _suite(project, admin)
    path = records / "ethereum-local.json"
    data = json.loads(path.read_text())
    data["escrow"] = "0x1234"
    path.write_text(json.dumps(data))

    with pytest.raises(DeploymentError, match="escrow: '0x1234' is not an address"):
        read_deployment(path)


def test_deployment_file__network_names__one_file_per_ecosystem_and_network(tmp_path):
    assert deployment_file("ethereum", "sepolia", tmp_path) == tmp_path / "ethereum-sepolia.json"
    assert deployment_file("arbitrum", "mainnet-fork", tmp_path) == tmp_path / "arbitrum-mainnet-fork.json"
    assert deployment_file("base", "sepolia", tmp_path, chain_id=84532) == tmp_path / "base-sepolia.json"
    # A node reached by bare URI is Ape's network `custom` whatever node it is: keyed by chain id.
    assert deployment_file("ethereum", "custom", tmp_path, chain_id=31337) == tmp_path / "ethereum-custom-31337.json"
    assert deployment_file("ethereum", "custom", tmp_path) == tmp_path / "ethereum-custom.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("manufacturer", "MANUFACTURER_ROLE"),
        ("Certifier", "CERTIFIER_ROLE"),
        ("ARBITER_ROLE", "ARBITER_ROLE"),
        ("arbiter_role", "ARBITER_ROLE"),
        ("admin", "DEFAULT_ADMIN_ROLE"),
        ("DEFAULT_ADMIN_ROLE", "DEFAULT_ADMIN_ROLE"),
    ],
)
def test_parse_role__known_spellings__canonical_name(text, expected):
    assert parse_role(text) == expected


def test_parse_role__unknown__lists_the_choices():
    with pytest.raises(DeploymentError, match="unknown role 'owner'; expected one of: admin, arbiter, certifier, manufacturer"):
        parse_role("owner")


def test_role_id__matches_contract_constants(project, admin, records):
    result = _suite(project, admin, write=False)

    assert role_id("MANUFACTURER_ROLE") == result.registry.MANUFACTURER_ROLE()
    assert role_id("CERTIFIER_ROLE") == result.registry.CERTIFIER_ROLE()
    assert role_id("ARBITER_ROLE") == result.escrow.ARBITER_ROLE()
    assert role_id("DEFAULT_ADMIN_ROLE") == result.registry.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE


def test_role_holders__revoked_and_renounced__drop_out(project, admin, oem, certifier, records):
    result = _suite(project, admin, manufacturers=[oem, certifier])
    result.registry.revokeRole(MANUFACTURER, oem, sender=admin)

    assert role_holders(result.registry, result.deployment.block_number)["MANUFACTURER_ROLE"] == [certifier.address]
    result.registry.renounceRole(MANUFACTURER, certifier, sender=certifier)
    assert "MANUFACTURER_ROLE" not in role_holders(result.registry, result.deployment.block_number)


# ---------------------------------------------------------------- console extras (Ape's own loader)


def _console_namespace(project):
    from ape_console._cli import ApeConsoleNamespace

    return ApeConsoleNamespace(project=project)


def test_console_extras__with_record__contracts_roles_and_sdk_in_scope(project, admin, oem, records, capsys):
    result = _suite(project, admin, manufacturers=[oem])

    namespace = _console_namespace(project)

    assert namespace["registry"].address == result.registry.address
    assert namespace["escrow"].address == result.escrow.address
    assert namespace["deployment"] == result.deployment
    assert namespace["registry"].hasRole(namespace["MANUFACTURER_ROLE"], oem)
    assert namespace["ARBITER_ROLE"] == result.escrow.ARBITER_ROLE()
    assert namespace["spec_hash"](b"x") == keccak(b"x")
    assert callable(namespace["sign_receipt"]) and namespace["factorychain"].__name__ == "factorychain"
    # Escrow v2 helpers and status names.
    assert namespace["escrow"].VERSION() == "2.0.0"
    assert all(callable(namespace[name]) for name in ("agreement_terms", "payee_shares", "sign_lot_receipt", "preview_lot_payout"))
    assert namespace["LOT_STATUS"][1] == "SHIPPED" and namespace["AGREEMENT_STATUS"][2] == "ACTIVE"
    out = capsys.readouterr().out
    assert f"FactoryChain on ethereum:local (chain id {result.deployment.chain_id})" in out


def test_console_extras__no_record_on_local_chain__one_line_hint_to_deploy_here(project, records, capsys):
    namespace = _console_namespace(project)

    assert namespace.get("registry") is None
    assert namespace["part_id"]("PN-1") == keccak(b"PN-1")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FactoryChain")]
    assert lines == [
        "FactoryChain: this local chain starts empty; "
        "`suite = deploy_suite(project, accounts.test_accounts[0])` deploys one here"
    ]
    suite = namespace["deploy_suite"](project, namespace["accounts"].test_accounts[0])
    assert suite.deployed and (records / "ethereum-local.json").is_file()


def test_console_extras__record_for_other_chain__one_line_and_console_survives(project, admin, chain, records, capsys):
    # Any problem other than "nothing recorded yet" is the loader's own one-line message.
    _suite(project, admin)
    path = records / "ethereum-local.json"
    path.write_text(path.read_text().replace(f'"chain_id": {chain.chain_id}', '"chain_id": 5'))

    namespace = _console_namespace(project)

    assert namespace.get("escrow") is None
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FactoryChain")]
    assert len(lines) == 1 and f"is for chain id 5, but the connected node reports chain id {chain.chain_id}" in lines[0]


def test_console_extras__corrupt_record__one_line_and_console_survives(project, records, capsys):
    records.mkdir(parents=True)
    (records / "ethereum-local.json").write_text("{oops")

    namespace = _console_namespace(project)

    assert namespace.get("escrow") is None
    assert callable(namespace["spec_hash"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FactoryChain")]
    assert len(lines) == 1 and "not valid JSON" in lines[0]


# ---------------------------------------------------------------- `ape run …` against a standalone node


@pytest.fixture(scope="module")
def node():
    """A standalone Anvil (Anvil's default dev accounts = Ape's TEST:: accounts), reached over JSON-RPC."""
    started = AnvilNode(chain_id=NODE_CHAIN_ID)
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def node_records(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("node-deployments")


@pytest.fixture
def ape_run(node, node_records, monkeypatch):
    """`ape run <args>` in this process, on the standalone node; returns click's Result."""
    from ape_run._cli import cli

    monkeypatch.setenv(DEPLOYMENTS_ENV, str(node_records))
    runner = CliRunner(mix_stderr=False)

    def run(*args: str, network: str | None = None):
        return runner.invoke(cli, [*args, "--network", network or node.url], catch_exceptions=False)

    return run


def _assert_one_line_error(result, fragment: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, result.stdout + result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def node_deployment(node, node_records) -> Deployment:
    """The suite deployed on the node by `ape run deploy`, TEST::0 staying admin."""
    from ape_run._cli import cli

    args = [
        "deploy", "--network", node.url, "--account", "TEST::0",
        "--manufacturer", "TEST::1", "--certifier", "TEST::2", "--arbiter", "TEST::8",
        "--arbitration-timeout", "14d",
    ]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DEPLOYMENTS_ENV, str(node_records))
        result = CliRunner(mix_stderr=False).invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Deployed on ethereum:custom (chain id 31416)" in result.stdout
    return read_deployment(node_records / f"ethereum-custom-{NODE_CHAIN_ID}.json")


def test_deploy_cli__first_run__records_the_node_chain_and_roles(node, node_deployment, accounts):
    assert node_deployment.chain_id == NODE_CHAIN_ID
    assert (node_deployment.ecosystem, node_deployment.network) == ("ethereum", "custom")
    assert node_deployment.arbitration_timeout == 14 * 86_400
    assert node.code_size(node_deployment.registry) > 0 and node.code_size(node_deployment.escrow) > 0
    assert [(r.role, r.account) for r in node_deployment.roles] == [
        ("MANUFACTURER_ROLE", accounts[1].address),
        ("CERTIFIER_ROLE", accounts[2].address),
        ("ARBITER_ROLE", accounts[8].address),
    ]


def test_deploy_cli__second_run__reuses_and_sends_nothing(ape_run, node, node_deployment, node_records):
    deployer = node_deployment.deployer
    nonce_before = node.nonce(deployer)
    text_before = (node_records / f"ethereum-custom-{NODE_CHAIN_ID}.json").read_text()

    result = ape_run("deploy", "--account", "TEST::0", "--manufacturer", "TEST::1", "--arbitration-timeout", "14d")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"Reusing PartRegistry at {node_deployment.registry}" in result.stdout
    assert "0 transaction(s) sent" in result.stdout
    assert node.nonce(deployer) == nonce_before
    assert (node_records / f"ethereum-custom-{NODE_CHAIN_ID}.json").read_text() == text_before


def _tampered(node_deployment: Deployment, target: Path, **changes) -> str:
    target.write_text(json.dumps({**node_deployment.to_json(), **changes}))
    return str(target)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--admin", "0x1234"), "--admin: '0x1234' is not a valid address"),
        (("--manufacturer", "0x" + "aB" * 20), "has a bad checksum"),
        (("--certifier", "nobody-alias"), "--certifier: 'nobody-alias' is neither an address nor a known account alias"),
        (("--arbiter", "TEST::99"), "--arbiter: 'TEST::99' is not a test account"),
        (("--arbitration-timeout", "soon"), "--arbitration-timeout: 'soon' is not a duration"),
        (("--arbitration-timeout", "30m"), "arbitration timeout must be between 3600 s"),
    ],
)
def test_deploy_cli__bad_argument__one_line_error(ape_run, node_deployment, args, fragment):
    _assert_one_line_error(ape_run("deploy", "--account", "TEST::0", *args), fragment)


def test_deploy_cli__out_is_a_directory__one_line_error(ape_run, tmp_path):
    _assert_one_line_error(ape_run("deploy", "--account", "TEST::0", "--out", str(tmp_path)), "is a directory")


def test_deploy_cli__record_for_wrong_chain__one_line_error(ape_run, node, node_deployment, tmp_path):
    wrong = _tampered(node_deployment, tmp_path / "wrong.json", chain_id=1)
    nonce_before = node.nonce(node_deployment.deployer)

    result = ape_run("deploy", "--account", "TEST::0", "--out", wrong)

    _assert_one_line_error(result, f"is for chain id 1, but the connected node reports chain id {NODE_CHAIN_ID}")
    assert node.nonce(node_deployment.deployer) == nonce_before


def test_deploy_cli__record_without_code__one_line_error(ape_run, node_deployment, tmp_path):
    gone = _tampered(node_deployment, tmp_path / "gone.json", escrow="0x" + "00" * 19 + "77")

    result = ape_run("deploy", "--account", "TEST::0", "--out", gone)

    _assert_one_line_error(result, "no contract code at the recorded OrderEscrow address")


def test_deploy_cli__out_new_file__deploys_a_second_suite_there(ape_run, node_deployment, tmp_path):
    target = tmp_path / "second.json"

    result = ape_run("deploy", "--account", "TEST::9", "--out", str(target))

    assert result.exit_code == 0, result.stdout + result.stderr
    second = read_deployment(target)
    assert second.registry != node_deployment.registry and second.deployer == second.admin
    assert second.chain_id == NODE_CHAIN_ID


def test_roles_cli__list__shows_every_holder(ape_run, node_deployment, accounts):
    result = ape_run("roles", "list")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    t = accounts
    assert f"PartRegistry {node_deployment.registry}" in lines
    assert f"  MANUFACTURER_ROLE   {t[1].address}" in lines
    assert f"  CERTIFIER_ROLE      {t[2].address}" in lines
    assert f"  ARBITER_ROLE        {t[8].address}" in lines
    assert lines.count(f"  DEFAULT_ADMIN_ROLE  {t[0].address}") == 2


def test_roles_cli__grant_then_revoke__chain_follows(ape_run, node_deployment, accounts):
    target = accounts[6].address

    granted = ape_run("roles", "grant", "arbiter", target, "--account", "TEST::0")
    again = ape_run("roles", "grant", "arbiter", target, "--account", "TEST::0")
    listed = ape_run("roles", "list")
    revoked = ape_run("roles", "revoke", "ARBITER_ROLE", target, "--account", "TEST::0")
    relisted = ape_run("roles", "list")

    assert granted.exit_code == 0 and f"Granted ARBITER_ROLE on OrderEscrow to {target}" in granted.stdout
    assert f"{target} already holds ARBITER_ROLE on OrderEscrow" in again.stdout
    assert target in listed.stdout
    assert revoked.exit_code == 0 and f"Revoked ARBITER_ROLE on OrderEscrow from {target}" in revoked.stdout
    assert target not in relisted.stdout


def test_roles_cli__admin_handover_then_renounce__new_admin_only(ape_run, node, accounts, tmp_path):
    # On a suite of its own, so the shared deployment keeps TEST::0 as admin.
    record = tmp_path / "handover.json"
    t = accounts
    assert ape_run("deploy", "--account", "TEST::7", "--out", str(record)).exit_code == 0

    granted = ape_run("roles", "grant", "admin", "TEST::5", "--account", "TEST::7", "--deployment", str(record))
    renounced = ape_run("roles", "renounce", "admin", "--account", "TEST::7", "--deployment", str(record))
    listed = ape_run("roles", "list", "--deployment", str(record))
    last = ape_run("roles", "renounce", "admin", "--account", "TEST::5", "--deployment", str(record))

    assert granted.exit_code == 0 and renounced.exit_code == 0, granted.stderr + renounced.stderr
    assert listed.stdout.count(f"  DEFAULT_ADMIN_ROLE  {t[5].address}") == 2
    assert t[7].address not in listed.stdout
    _assert_one_line_error(last, "would leave PartRegistry")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("grant", "owner", "TEST::3", "--account", "TEST::0"), "unknown role 'owner'"),
        (("grant", "certifier", "--account", "TEST::0"), "give at least one account"),
        (("grant", "certifier", "0xnope", "--account", "TEST::0"), "account: '0xnope' is not a valid address"),
        (("grant", "certifier", "TEST::3", "--account", "TEST::3"), "is not an admin of PartRegistry"),
        (("grant", "arbiter", "TEST::3", "--account", "TEST::0", "--contract", "registry"), "ARBITER_ROLE lives on OrderEscrow"),
        (("grant", "admin", "TEST::3", "--account", "TEST::0", "--contract", "vault"), "--contract: 'vault' is not one of"),
        (("revoke", "certifier", "TEST::3", "--account", "TEST::1"), "is not an admin of PartRegistry"),
        (("renounce", "arbiter", "--account", "TEST::3"), "does not hold ARBITER_ROLE"),
    ],
)
def test_roles_cli__bad_argument__one_line_error(ape_run, node_deployment, args, fragment):
    _assert_one_line_error(ape_run("roles", *args), fragment)


def test_roles_cli__no_record_for_network__one_line_error(ape_run, monkeypatch, tmp_path):
    monkeypatch.setenv(DEPLOYMENTS_ENV, str(tmp_path / "empty"))

    _assert_one_line_error(ape_run("roles", "list"), f"no deployment recorded for ethereum:custom chain id {NODE_CHAIN_ID}")


def test_roles_cli__missing_deployment_file__one_line_error(ape_run, tmp_path):
    _assert_one_line_error(
        ape_run("roles", "list", "--deployment", str(tmp_path / "nope.json")), "no deployment file at"
    )


def test_parts_cli__publish_share_certify__partner_reads_the_design(ape_run, node, node_deployment, accounts, tmp_path):
    from ape import networks, project

    t = accounts
    design = tmp_path / "bracket-revA.step"
    design.write_bytes(b"ISO-10303-21; bracket rev A")
    revision = tmp_path / "bracket-revB.step"
    revision.write_bytes(b"ISO-10303-21; bracket rev B")
    report = tmp_path / "audit.pdf"
    report.write_bytes(b"audit passed")
    store = tmp_path / "store"
    key_v1 = tmp_path / "keys" / "v1.key"
    partner_pubkey = "0x" + public_key_from_private(t[4].private_key).hex()

    published = ape_run(
        "parts", "publish", "PN-OPS-1", str(design), "--store", str(store), "--key-file", str(key_v1), "--account", "TEST::1"
    )
    revised = ape_run(
        "parts", "publish", "PN-OPS-1", str(revision), "--store", str(store), "--version", "2",
        "--key-file", str(tmp_path / "keys" / "v2.key"), "--account", "TEST::1",
    )  # fmt: skip
    shown = ape_run("parts", "show", "PN-OPS-1")
    granted = ape_run("parts", "grant", "PN-OPS-1", t[4].address, "--account", "TEST::1")
    shared = ape_run(
        "parts", "share-key", "PN-OPS-1", "1", "--partner-pubkey", partner_pubkey, "--key-file", str(key_v1), "--account", "TEST::1"
    )
    certified = ape_run(
        "parts", "certify", "PN-OPS-1", "1", "TEST::4", "--valid-for", "365d", "--report", str(report), "--account", "TEST::2"
    )

    for result in (published, revised, shown, granted, shared, certified):
        assert result.exit_code == 0, result.stdout + result.stderr
    pid = part_id("PN-OPS-1")
    assert f"Registered 'PN-OPS-1' (0x{pid.hex()}) version 1" in published.stdout
    assert "version 2" in revised.stdout and "Revised" in revised.stdout
    assert f"  v1 spec 0x{spec_hash(design.read_bytes()).hex()} file://" in shown.stdout
    assert f"  v2 spec 0x{spec_hash(revision.read_bytes()).hex()} file://" in shown.stdout
    assert key_v1.stat().st_mode & 0o777 == 0o600
    with networks.parse_network_choice(node.url):
        registry = project.PartRegistry.at(node_deployment.registry)
        assert registry.has_access(pid, t[4])
        assert registry.is_certified(pid, 1, t[4])
        assert fetch_design(registry, pid, 1, t[4].private_key, start_block=node_deployment.block_number) == design.read_bytes()

    uncertified = ape_run("parts", "uncertify", "PN-OPS-1", "1", "TEST::4", "--account", "TEST::2")
    revoked = ape_run("parts", "revoke", "PN-OPS-1", "TEST::4", "--account", "TEST::1")
    assert uncertified.exit_code == 0 and revoked.exit_code == 0, uncertified.stderr + revoked.stderr
    with networks.parse_network_choice(node.url):
        registry = project.PartRegistry.at(node_deployment.registry)
        assert not registry.has_access(pid, t[4])
        assert not registry.is_certified(pid, 1, t[4])


def test_parts_cli__failed_publish__leaves_no_key_file(ape_run, node_deployment, tmp_path):
    design = tmp_path / "d.step"
    design.write_bytes(b"design")
    key = tmp_path / "k.key"

    result = ape_run("parts", "publish", "PN-OPS-2", str(design), "--store", str(tmp_path), "--key-file", str(key), "--account", "TEST::3")

    _assert_one_line_error(result, "lacks MANUFACTURER_ROLE")
    assert not key.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("publish", "PN-X", "/nonexistent/design.step", "--store", "/tmp", "--account", "TEST::1"), "DESIGN_FILE: no such file"),
        (("show", "PN-never-registered"), "unknown part 'PN-never-registered'"),
        (("grant", "PN-never-registered", "TEST::4", "--account", "TEST::1"), "unknown part"),
        (("grant", "PN-X", "--account", "TEST::1"), "give at least one partner"),
        (("certify", "PN-X", "one", "TEST::4", "--valid-for", "1d", "--report-hash", "0x" + "11" * 32, "--account", "TEST::2"), "VERSION: 'one'"),
        (("certify", "PN-X", "1", "TEST::4", "--report-hash", "0x" + "11" * 32, "--account", "TEST::2"), "exactly one of --valid-for and --valid-until"),
        (("certify", "PN-X", "1", "TEST::4", "--valid-for", "1d", "--account", "TEST::2"), "exactly one of --report and --report-hash"),
        (("certify", "PN-X", "1", "TEST::4", "--valid-until", "tomorrow", "--report-hash", "0x" + "11" * 32, "--account", "TEST::2"), "--valid-until: 'tomorrow'"),
        (("certify", "PN-X", "1", "TEST::4", "--valid-for", "1d", "--report-hash", "0x11", "--account", "TEST::2"), "--report-hash: '0x11' is not 32 bytes"),
        (("share-key", "PN-X", "1", "--partner-pubkey", "0x04", "--key-file", "/nonexistent.key", "--account", "TEST::1"), "--key-file: no such file"),
    ],
)
def test_parts_cli__bad_argument__one_line_error(ape_run, node_deployment, args, fragment):
    _assert_one_line_error(ape_run("parts", *args), fragment)


def test_parts_cli__not_the_owner__one_line_error(ape_run, node_deployment, tmp_path):
    design = tmp_path / "d.step"
    design.write_bytes(b"owned by TEST::1")
    assert ape_run("parts", "publish", "PN-OPS-3", str(design), "--store", str(tmp_path), "--key-file", str(tmp_path / "k"), "--account", "TEST::1").exit_code == 0

    _assert_one_line_error(
        ape_run("parts", "grant", "PN-OPS-3", "TEST::4", "--account", "TEST::3"), "is owned by"
    )


def test_parts_cli__certifying_without_access__reverts_in_one_line(ape_run, node_deployment, tmp_path):
    design = tmp_path / "d.step"
    design.write_bytes(b"nobody has access")
    assert ape_run("parts", "publish", "PN-OPS-4", str(design), "--store", str(tmp_path), "--key-file", str(tmp_path / "k"), "--account", "TEST::1").exit_code == 0

    result = ape_run("parts", "certify", "PN-OPS-4", "1", "TEST::6", "--valid-for", "30d", "--report-hash", "0x" + "22" * 32, "--account", "TEST::2")

    _assert_one_line_error(result, "the registry would refuse this: registry: supplier has no access")


def test_parts_cli__key_file_exists__refused_before_publishing(ape_run, node_deployment, tmp_path):
    design = tmp_path / "d.step"
    design.write_bytes(b"design")
    key = tmp_path / "existing.key"
    key.write_text("0x" + "ab" * 32 + "\n")

    result = ape_run("parts", "publish", "PN-OPS-5", str(design), "--store", str(tmp_path), "--key-file", str(key), "--account", "TEST::1")

    _assert_one_line_error(result, "already exists; refusing to overwrite a content key")
    assert key.read_text() == "0x" + "ab" * 32 + "\n"
    assert "Registered" not in result.stdout
