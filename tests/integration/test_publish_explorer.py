"""Explorer verification (`ape run deploy --publish`), tested offline: the input the explorer gets.

The explorer rebuilds each contract from a Vyper standard-JSON input and compares bytecode. Here
the input :mod:`factorychain.explorer` builds is compiled again with the pinned Vyper and must give
exactly the bytecode Ape deployed — snekmate imports, Venom and ``optimize codesize`` included —
and the constructor arguments cut from a real creation transaction must be the ABI encoding of
what was passed. The input ape-etherscan 0.8.7 builds by itself is kept here as evidence of why
it is not used (it does not compile). The network side (no key, unsupported network, an
unreachable API) is in test_networks_nodes.py, through real `ape run deploy` processes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_abi import encode
from vyper.cli.vyper_json import compile_json

from factorychain.explorer import (
    API_KEY_ENV,
    KNOWN_CHAINS,
    LICENSE_AGPL_3,
    PUBLISHED_CONTRACTS,
    ExplorerError,
    constructor_arguments,
    skip_reason,
    standard_json_input,
    verification_request,
)

ROOT = Path(__file__).resolve().parents[2]
EIP170_LIMIT = 24_576


def _compile(standard_json: dict, source_id: str, name: str) -> dict:
    request = json.loads(json.dumps(standard_json))
    request["settings"]["outputSelection"] = {source_id: ["evm.bytecode.object", "evm.deployedBytecode.object"]}
    output = compile_json(request)
    assert not output.get("errors"), output.get("errors")
    return output["contracts"][source_id][name]["evm"]


@functools.cache
def _inputs() -> dict[str, dict]:
    return {name: standard_json_input(f"contracts/{name}.vy", project_root=ROOT) for name in PUBLISHED_CONTRACTS}


@pytest.fixture
def inputs() -> dict[str, dict]:
    """Built once per module run (three `vyper -f solc_json` processes), a plain function: no chain state."""
    return _inputs()


@pytest.mark.parametrize("name", PUBLISHED_CONTRACTS)
def test_standard_json_input__compiled_again__gives_the_bytecode_ape_deploys(project, inputs, name):
    evm = _compile(inputs[name], f"contracts/{name}.vy", name)
    contract_type = project.get_contract(name).contract_type

    assert "0x" + evm["deployedBytecode"]["object"].removeprefix("0x") == contract_type.runtime_bytecode.bytecode
    assert "0x" + evm["bytecode"]["object"].removeprefix("0x") == contract_type.deployment_bytecode.bytecode


def test_standard_json_input__imports__snekmate_modules_under_their_import_paths(inputs):
    escrow = inputs["OrderEscrow"]["sources"]
    assert {
        "contracts/OrderEscrow.vy",
        "contracts/interfaces/IPartRegistry.vyi",
        "snekmate/auth/access_control.vy",
        "snekmate/utils/eip712_domain_separator.vy",
        "snekmate/utils/ecdsa.vy",
        "snekmate/utils/signature_checker.vy",
    } <= set(escrow)
    assert "snekmate/utils/merkle_proof_verification.vy" in inputs["DataAnchor"]["sources"]
    assert "snekmate/auth/access_control.vy" in inputs["PartRegistry"]["sources"]
    # Nothing machine-specific: no absolute path, no virtual-environment folder in any source id.
    for data in inputs.values():
        for source_id in data["sources"]:
            assert not source_id.startswith("/") and "site-packages" not in source_id and ".venv" not in source_id


def test_standard_json_input__escrow__venom_and_codesize_come_from_its_pragmas(inputs):
    escrow = inputs["OrderEscrow"]
    source = escrow["sources"]["contracts/OrderEscrow.vy"]["content"]

    assert "# pragma experimental-codegen" in source and "# pragma optimize codesize" in source
    # A second optimisation level in settings would conflict with the pragma (Vyper refuses).
    assert escrow["settings"] == {"evmVersion": "cancun", "outputSelection": {"contracts/OrderEscrow.vy": ["*"]}}
    assert escrow["language"] == "Vyper"
    evm = _compile(escrow, "contracts/OrderEscrow.vy", "OrderEscrow")
    assert len(bytes.fromhex(evm["deployedBytecode"]["object"].removeprefix("0x"))) <= EIP170_LIMIT


def test_ape_etherscan_own_input__does_not_compile__why_factorychain_builds_its_own(project):
    """ape-etherscan 0.8.7's SourceVerifier input: project sources only, Ape's cached settings."""
    from ape import compilers
    from ape_etherscan.verify import SourceVerifier

    compiler = compilers.registered_compilers[".vy"]
    failures = {}
    for name in ("PartRegistry", "OrderEscrow"):
        contract_type = project.get_contract(name).contract_type
        settings = {str(v): s for v, s in compiler.get_compiler_settings([ROOT / contract_type.source_id], project=project).items()}
        flat = SourceVerifier._unwrap_vyper_settings(SimpleNamespace(contract_type=contract_type), settings["0.4.3"])
        verifier = SourceVerifier.__new__(SourceVerifier)
        verifier.project = project
        data = SourceVerifier._get_standard_input_json(verifier, contract_type.source_id, **dict(flat))
        with pytest.raises(Exception) as error:  # noqa: PT011 - Vyper raises different types for the two
            _compile(data, contract_type.source_id, name)
        failures[name] = str(error.value)
    assert "snekmate" in failures["PartRegistry"]  # the imported modules are not in the input
    assert "snekmate" in failures["OrderEscrow"] or "settings conflict" in failures["OrderEscrow"]


def test_constructor_arguments__real_escrow_deployment__abi_encoding_of_registry_and_admin(project, chain, admin):
    registry = project.PartRegistry.deploy(admin, sender=admin)
    escrow = project.OrderEscrow.deploy(registry.address, admin, sender=admin)
    creation_input = chain.get_receipt(escrow.txn_hash).transaction.data

    args = constructor_arguments(bytes(creation_input), project.OrderEscrow.contract_type.deployment_bytecode.bytecode)

    assert args == encode(["address", "address"], [registry.address, admin.address]).hex()
    request = verification_request(
        "OrderEscrow",
        escrow.address,
        bytes(creation_input),
        project.OrderEscrow.contract_type.deployment_bytecode.bytecode,
        project_root=ROOT,
        compiler_version="0.4.3",
    )
    assert request.contract_name == "contracts/OrderEscrow.vy:OrderEscrow"
    assert (request.constructor_arguments, request.evm_version, request.license_type) == (args, "cancun", LICENSE_AGPL_3)
    anchor = project.DataAnchor.deploy(sender=admin)
    no_args = constructor_arguments(
        bytes(chain.get_receipt(anchor.txn_hash).transaction.data), project.DataAnchor.contract_type.deployment_bytecode.bytecode
    )
    assert no_args == ""


def test_constructor_arguments__input_not_from_this_build__one_line_error():
    with pytest.raises(ExplorerError, match="does not start with the compiled bytecode") as error:
        constructor_arguments("0x6001", "0x6002")
    assert "\n" not in str(error.value)


def _network(ecosystem: str, name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, ecosystem=SimpleNamespace(name=ecosystem))


@pytest.mark.parametrize(
    ("ecosystem", "name", "environ", "expected"),
    [
        ("base", "sepolia", {}, f"explorer verification skipped: set {API_KEY_ENV} (one Etherscan API v2 key covers"),
        ("base", "sepolia", {API_KEY_ENV: "  "}, f"explorer verification skipped: set {API_KEY_ENV}"),
        ("ethereum", "local", {API_KEY_ENV: "k"}, "explorer verification skipped: ape-etherscan has no explorer for ethereum:local"),
        ("ethereum", "custom", {API_KEY_ENV: "k"}, "explorer verification skipped: ape-etherscan has no explorer for ethereum:custom"),
        ("polygon", "amoy", {API_KEY_ENV: "k"}, None),
        ("arbitrum", "mainnet", {API_KEY_ENV: "k"}, None),
    ],
)
def test_skip_reason__key_and_network__one_line_or_none(ecosystem, name, environ, expected):
    reason = skip_reason(_network(ecosystem, name), environ)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(expected) and "\n" not in reason


def test_etherscan_chain_list__unreachable__known_list_and_local_chain_has_no_explorer(networks):
    """Offline, ape-etherscan would raise ConnectionError from every `network.explorer` lookup."""
    import ape_etherscan.client
    import ape_etherscan.explorer

    chains = ape_etherscan.explorer.get_supported_chains()
    assert ape_etherscan.client.get_supported_chains() == chains
    ids = {int(chain["chainid"]) for chain in chains}
    # Online this is Etherscan's own list; offline the known one — both hold every network we deploy to.
    assert {int(chain["chainid"]) for chain in KNOWN_CHAINS} <= ids
    assert networks.active_provider.network.explorer is None  # the test chain (31337) has none


# ---------------------------------------------------------------- publish_deployment against a stand-in explorer


class _FakeClient:
    def __init__(self, log: list, address: str, verdicts: list[str]):
        self.log, self.address, self.verdicts = log, address, verdicts

    def verify_source_code(self, standard_json, compiler_version, **kwargs):
        self.log.append({"address": self.address, "standard_json": standard_json, "compiler_version": compiler_version, **kwargs})
        return f"guid-{len(self.log)}"

    def check_verify_status(self, guid):
        return self.verdicts.pop(0) if len(self.verdicts) > 1 else self.verdicts[0]


class _FakeExplorer:
    etherscan_uri = "https://sepolia.basescan.org"
    etherscan_api_uri = "https://api.etherscan.io/v2/api?chainid=84532"

    def __init__(self, verdicts: list[str]):
        self.log: list[dict] = []
        self.verdicts = verdicts
        self._client_factory = SimpleNamespace(get_contract_client=lambda address: _FakeClient(self.log, address, list(self.verdicts)))

    def get_address_url(self, address: str) -> str:
        return f"{self.etherscan_uri}/address/{address}"


@pytest.fixture
def suite(project, admin):
    from factorychain.deployment import deploy_suite

    return deploy_suite(project, admin, write=False)


def _with_explorer(monkeypatch, networks, explorer):
    monkeypatch.setattr(type(networks.active_provider.network), "explorer", property(lambda _self: explorer))


def test_publish_deployment__explorer_passes__three_requests_with_the_right_inputs(project, networks, admin, suite, monkeypatch):
    from factorychain.explorer import publish_deployment

    explorer = _FakeExplorer(["Pending in queue", "Pass - Verified"])
    _with_explorer(monkeypatch, networks, explorer)
    lines: list[str] = []

    urls = publish_deployment(suite.deployment, project, echo=lines.append, poll_seconds=0)

    record = suite.deployment
    assert [entry["contract_name"] for entry in explorer.log] == [
        "contracts/PartRegistry.vy:PartRegistry", "contracts/OrderEscrow.vy:OrderEscrow", "contracts/DataAnchor.vy:DataAnchor",
    ]  # fmt: skip
    assert [entry["address"] for entry in explorer.log] == [record.registry, record.escrow, record.anchor]
    by_name = {entry["contract_name"].split(":")[1]: entry for entry in explorer.log}
    assert by_name["OrderEscrow"]["constructor_arguments"] == encode(["address", "address"], [record.registry, admin.address]).hex()
    assert by_name["PartRegistry"]["constructor_arguments"] == encode(["address"], [admin.address]).hex()
    assert by_name["DataAnchor"]["constructor_arguments"] == ""
    for entry in explorer.log:
        assert (entry["compiler_version"], entry["language"], entry["evm_version"], entry["license_type"]) == ("0.4.3", "vyper", "cancun", 13)
    assert "snekmate/utils/ecdsa.vy" in by_name["OrderEscrow"]["standard_json"]["sources"]
    assert urls == {
        "PartRegistry": f"https://sepolia.basescan.org/address/{record.registry}#code",
        "OrderEscrow": f"https://sepolia.basescan.org/address/{record.escrow}#code",
        "DataAnchor": f"https://sepolia.basescan.org/address/{record.anchor}#code",
    }
    assert lines[-1] == f"Verified DataAnchor: {urls['DataAnchor']}"


def test_publish_deployment__explorer_fails_a_contract__one_line_naming_it(project, networks, suite, monkeypatch):
    from factorychain.explorer import publish_deployment

    _with_explorer(monkeypatch, networks, _FakeExplorer(["Fail - Unable to verify. Compiled contract deployment bytecode does NOT match"]))

    with pytest.raises(ExplorerError, match=r"^PartRegistry: verification failed: Unable to verify\. Compiled contract") as error:
        publish_deployment(suite.deployment, project, poll_seconds=0)
    assert "\n" not in str(error.value)
