"""Networks from the operator's shell: no node URI, an L2 testnet's node, standalone nodes, one record each.

Every command here is a real `ape run …` (or `make deploy`) process with its own Ape data folder,
as an operator types it (issue 14; issue 11's network defects):

* a live network with no node URI stops in ONE line naming the setting, before any account prompt
  and without trying a public RPC endpoint (there is none reachable here: a try would show);
* `--network base:sepolia:node` against a standalone OP-stack Anvil that has Base Sepolia's chain
  id (84532), configured the documented way: deploys, records `base-sepolia.json`, links the
  transactions to the configured explorer offline, and `--publish` says in one line that there is
  no key — or, with a key and no way out, that the explorer API cannot be reached;
* a node URI of the wrong chain: one line;
* standalone nodes: `ethereum:local:node` with the node's URI in the config, and a node reached by
  bare URI (Ape's `custom` network) get their own records; the bare-URI record is keyed by chain
  id, a record from before that key is still read when its chain id matches, and named in the
  one-line error when it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from factorychain.networks import node_uri_hint  # noqa: E402
from tools.rehearsal import AnvilNode, tool_path  # noqa: E402

BASE_SEPOLIA = 84532
CUSTOM_CHAIN_ID = 31_501
LOCAL_CHAIN_ID = 31_337  # anvil's default: what `anvil` on :8545 reports
TIMEOUT = 240


def _env(data_folder: Path, records: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("ETHERSCAN_API_KEY", "WEB3_PROVIDER_URI")}
    env.update(
        PATH=tool_path(),
        APE_DATA_FOLDER=str(data_folder),
        FACTORYCHAIN_DEPLOYMENTS=str(records),
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _ape(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([shutil.which("ape", path=env["PATH"]) or "ape", *args], env)


def _error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("Error:")]


def _assert_one_line(done: subprocess.CompletedProcess[str], expected: str) -> str:
    everything = done.stdout + done.stderr
    assert done.returncode == 1, everything
    assert "Traceback" not in everything, everything
    assert [line for line in done.stderr.splitlines() if line.strip()] == _error_lines(done), done.stderr
    assert len(_error_lines(done)) == 1, done.stderr
    assert expected in _error_lines(done)[0], _error_lines(done)[0]
    return _error_lines(done)[0]


def _data_folder(tmp_path: Path, config: str = "") -> Path:
    folder = tmp_path / "ape-data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ape-config.yaml").write_text(config or "{}\n", encoding="utf-8")
    return folder


# ---------------------------------------------------------------- no node URI


@pytest.mark.parametrize(
    "command",
    [["roles", "list"], ["parts", "show", "PN-4711"], ["orders", "list"], ["keeper", "--once", "--account", "TEST::1"], ["vault", "show"]],
    ids=["roles", "parts", "orders", "keeper", "vault"],
)
def test_every_script__live_network_without_uri__the_same_one_line(tmp_path, command):
    env = _env(_data_folder(tmp_path), tmp_path / "records")

    done = _ape("run", *command, "--network", "arbitrum:sepolia:node", env=env)

    line = _assert_one_line(done, "arbitrum:sepolia has no node URI")
    assert line == "Error: " + node_uri_hint("arbitrum", "sepolia")
    assert "RPC at" not in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(("ecosystem", "network"), [("ethereum", "sepolia"), ("base", "sepolia"), ("polygon", "amoy")])
def test_deploy__live_network_without_uri__one_line_naming_the_setting(tmp_path, ecosystem, network):
    env = _env(_data_folder(tmp_path), tmp_path / "records")
    started = time.monotonic()

    done = _ape("run", "deploy", "--network", f"{ecosystem}:{network}:node", env=env)

    line = _assert_one_line(done, f"{ecosystem}:{network} has no node URI")
    assert line == "Error: " + node_uri_hint(ecosystem, network)
    assert f"node: {{{ecosystem}: {{{network}: {{uri: https://…}}}}}}" in line and "~/.ape/ape-config.yaml" in line
    # Stopped before anything else: no account prompt, no public endpoint tried, nothing recorded.
    assert "Select an account" not in done.stdout and "RPC at" not in done.stdout + done.stderr
    assert not (tmp_path / "records").exists()
    assert time.monotonic() - started < TIMEOUT


def test_make_deploy__arbitrum_without_uri__one_ape_line_and_no_traceback(tmp_path):
    env = _env(_data_folder(tmp_path), tmp_path / "records")
    # -o: the set-up stamps count as fresh (this test checks the command, not pip).
    done = _run(
        ["make", "-s", "-o", ".venv/.installed", "-o", "node_modules/.installed", "deploy",
         "ARGS=--network arbitrum:sepolia:node --account TEST::0"],
        env,
    )  # fmt: skip

    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    assert _error_lines(done) == ["Error: " + node_uri_hint("arbitrum", "sepolia")]
    assert "RPC at" not in done.stdout + done.stderr


# ---------------------------------------------------------------- an L2 testnet's node (a standalone stand-in)


@pytest.fixture(scope="module")
def base_sepolia_node() -> Iterator[AnvilNode]:
    """An OP-stack Anvil with Base Sepolia's chain id, mining every second (Base Sepolia wants confirmations)."""
    node = AnvilNode(chain_id=BASE_SEPOLIA, extra_args=("--network", "optimism", "--block-time", "1"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def base_deploy(base_sepolia_node, tmp_path_factory):
    folder = tmp_path_factory.mktemp("base-sepolia")
    config = (
        "node:\n  base:\n    sepolia:\n"
        f"      uri: {base_sepolia_node.url}\n"
        # One confirmation instead of Base Sepolia's two: fewer seconds, same code path.
        "base:\n  sepolia:\n    required_confirmations: 1\n"
    )
    env = _env(_data_folder(folder, config), folder / "records")
    done = _ape("run", "deploy", "--network", "base:sepolia:node", "--account", "TEST::0", "--publish", env=env)
    return folder, env, done


def test_deploy__base_sepolia_node__records_base_sepolia_and_links_the_explorer(base_deploy):
    folder, _env_, done = base_deploy
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((folder / "records" / "base-sepolia.json").read_text())
    assert (record["ecosystem"], record["network"], record["chain_id"]) == ("base", "sepolia", BASE_SEPOLIA)
    assert set(record["contracts"]) == {"PartRegistry", "OrderEscrow", "DataAnchor"}
    # Ape links each transaction to the explorer configured in ape-config.yaml, with no network access.
    assert "Submitted https://sepolia.basescan.org/tx/0x" in done.stdout


def test_deploy_publish__no_api_key__one_line_and_the_deployment_stands(base_deploy):
    folder, _env_, done = base_deploy
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if "explorer verification" in line]
    assert lines == [
        "explorer verification skipped: set ETHERSCAN_API_KEY (one Etherscan API v2 key covers "
        "Ethereum, Base, Arbitrum, Optimism and Polygon) and re-run with --publish"
    ]
    assert (folder / "records" / "base-sepolia.json").is_file()


def test_deploy_publish__key_but_explorer_unreachable__reuses_and_fails_in_one_line(base_deploy, base_sepolia_node):
    folder, env, first = base_deploy
    assert first.returncode == 0, first.stdout + first.stderr
    record = json.loads((folder / "records" / "base-sepolia.json").read_text())
    nonce = base_sepolia_node.nonce(record["deployer"])

    done = _ape(
        "run", "deploy", "--network", "base:sepolia:node", "--account", "TEST::0", "--publish",
        env={**env, "ETHERSCAN_API_KEY": "offline-test-key"},
    )  # fmt: skip

    line = _assert_one_line(done, "PartRegistry: cannot reach the explorer API (https://api.etherscan.io/v2/api?chainid=84532)")
    assert f"Verifying PartRegistry at {record['registry']} on https://sepolia.basescan.org" in done.stdout
    assert "Reusing PartRegistry" in done.stdout and base_sepolia_node.nonce(record["deployer"]) == nonce
    assert line.startswith("Error: ")


def test_deploy__uri_of_another_chain__one_line(tmp_path, base_sepolia_node):
    config = f"node:\n  ethereum:\n    sepolia:\n      uri: {base_sepolia_node.url}\n"
    env = _env(_data_folder(tmp_path, config), tmp_path / "records")

    done = _ape("run", "deploy", "--network", "ethereum:sepolia:node", "--account", "TEST::0", env=env)

    line = _assert_one_line(done, "cannot connect:")
    assert str(BASE_SEPOLIA) in line and "11155111" in line
    assert not (tmp_path / "records").exists()


# ---------------------------------------------------------------- standalone nodes, one record each


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[tuple[AnvilNode, AnvilNode]]:
    """`anvil` as a user starts it (chain id 31337) and a second node with its own chain id."""
    plain, other = AnvilNode(chain_id=LOCAL_CHAIN_ID), AnvilNode(chain_id=CUSTOM_CHAIN_ID)
    plain.start()
    other.start()
    yield plain, other
    plain.stop()
    other.stop()


@pytest.fixture(scope="module")
def node_records(two_nodes, tmp_path_factory):
    plain, other = two_nodes
    folder = tmp_path_factory.mktemp("standalone")
    # Ape's `node` provider signs local transactions for chain id 1337 unless told the node's.
    config = f"node:\n  ethereum:\n    local:\n      uri: {plain.url}\n      chain_id: {LOCAL_CHAIN_ID}\n"
    env = _env(_data_folder(folder, config), folder / "records")
    local = _ape("run", "deploy", "--network", "ethereum:local:node", "--account", "TEST::0", env=env)
    custom = _ape("run", "deploy", "--network", other.url, "--account", "TEST::0", env=env)
    return folder, env, local, custom


def test_standalone_nodes__local_node_and_bare_uri__one_record_each(two_nodes, node_records):
    plain, other = two_nodes
    folder, _env_, local, custom = node_records
    assert local.returncode == 0, local.stdout + local.stderr
    assert custom.returncode == 0, custom.stdout + custom.stderr
    records = folder / "records"
    assert sorted(path.name for path in records.glob("*.json")) == ["ethereum-custom-31501.json", "ethereum-local.json"]
    local_record = json.loads((records / "ethereum-local.json").read_text())
    custom_record = json.loads((records / "ethereum-custom-31501.json").read_text())
    assert (local_record["network"], local_record["chain_id"]) == ("local", LOCAL_CHAIN_ID)
    assert (custom_record["network"], custom_record["chain_id"]) == ("custom", CUSTOM_CHAIN_ID)
    assert plain.code_size(local_record["registry"]) > 0 and other.code_size(custom_record["registry"]) > 0


def test_standalone_nodes__record_from_before_the_chain_id_key__read_when_its_chain_matches(two_nodes, node_records):
    _plain, other = two_nodes
    folder, env, _local, custom = node_records
    assert custom.returncode == 0, custom.stdout + custom.stderr
    records = folder / "records"
    legacy = records / "ethereum-custom.json"
    (records / "ethereum-custom-31501.json").rename(legacy)
    try:
        done = _ape("run", "roles", "list", "--network", other.url, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(legacy.read_text())["registry"] in done.stdout
    finally:
        legacy.rename(records / "ethereum-custom-31501.json")


def test_standalone_nodes__record_of_another_chain__one_line_naming_it(two_nodes, node_records, tmp_path):
    plain, _other = two_nodes
    folder, env, _local, custom = node_records
    assert custom.returncode == 0, custom.stdout + custom.stderr
    elsewhere = tmp_path / "records"
    elsewhere.mkdir()
    shutil.copy(folder / "records" / "ethereum-custom-31501.json", elsewhere / "ethereum-custom.json")

    done = _ape("run", "roles", "list", "--network", plain.url, env={**env, "FACTORYCHAIN_DEPLOYMENTS": str(elsewhere)})

    line = _assert_one_line(done, f"no deployment recorded for ethereum:custom chain id {LOCAL_CHAIN_ID}")
    assert f"{elsewhere / 'ethereum-custom.json'} is for chain id {CUSTOM_CHAIN_ID}" in line


def test_standalone_node__local_node_without_its_chain_id__one_line_before_any_transaction(two_nodes, tmp_path):
    plain, _other = two_nodes
    config = f"node:\n  ethereum:\n    local:\n      uri: {plain.url}\n"
    env = _env(_data_folder(tmp_path, config), tmp_path / "records")

    done = _ape("run", "deploy", "--network", "ethereum:local:node", "--account", "TEST::0", env=env)

    line = _assert_one_line(done, f"the node reports chain id {LOCAL_CHAIN_ID}, but Ape signs for ethereum:local:node with chain id 1337")
    assert f"node: {{ethereum: {{local: {{chain_id: {LOCAL_CHAIN_ID}}}}}}}" in line
    assert "Deploying" not in done.stdout


def test_deploy__web3_provider_uri_of_another_chain__one_line_and_no_public_endpoint(tmp_path, base_sepolia_node):
    env = _env(_data_folder(tmp_path), tmp_path / "records", WEB3_PROVIDER_URI=base_sepolia_node.url)

    done = _ape("run", "deploy", "--network", "ethereum:sepolia:node", "--account", "TEST::0", env=env)

    line = _assert_one_line(done, "cannot connect:")
    assert str(BASE_SEPOLIA) in line and "11155111" in line
    assert "RPC at" not in done.stdout + done.stderr and "has no node URI" not in line


def test_make_console_check__live_network_without_uri__one_line_and_status_1(capsys, monkeypatch):
    from factorychain.networks import main

    monkeypatch.delenv("WEB3_PROVIDER_URI", raising=False)
    assert main(["--network", "base:sepolia:node"]) == 1
    assert capsys.readouterr().err.strip() == "Error: " + node_uri_hint("base", "sepolia")
    # A local network, a URI given on the command line, or no --network at all: nothing to say.
    assert main(["--network", "ethereum:local:foundry"]) == 0
    assert main(["--network", "base:sepolia:https://sepolia.base.example"]) == 0
    assert main([]) == 0
    assert capsys.readouterr().err == ""
