"""Explorer verification of a deployment (``ape run deploy --publish``) through ape-etherscan.

Why not ``ape-etherscan``'s own ``publish_contract``: for Vyper 0.4 it builds a standard-JSON
input from the project's sources only, so every ``snekmate`` import is missing (all three
contracts fail with ``ModuleNotFound: snekmate.…``), and it passes the compiler settings Ape
cached (``optimize: gas``), which conflict with OrderEscrow's ``# pragma optimize codesize``
(Vyper refuses: "settings conflict"). Both measured with ape-etherscan 0.8.7 and Vyper 0.4.3;
``tests/integration/test_publish_explorer.py`` keeps the evidence.

What this module does instead: :func:`standard_json_input` asks the pinned Vyper itself for the
input (``vyper -f solc_json``, the format Vyper documents for verification), with every imported
module under its import path (``snekmate/auth/access_control.vy``), the EVM version of the
project's ``ape-config.yaml``, and the contract's own pragmas (Venom, ``optimize codesize``) left
in the source where Vyper reads them. The tests compile that input again and compare it with the
bytecode Ape deployed. :func:`publish_deployment` then sends it through ape-etherscan's client
(``verifysourcecode``, ``codeformat=vyper-json``) with the constructor arguments cut from the
creation transaction, and waits for the explorer's verdict.

One Etherscan v2 key (``ETHERSCAN_API_KEY``) covers Ethereum, Base, Arbitrum, Optimism and
Polygon. Without it, or on a network ape-etherscan has no explorer for, verification is skipped
with one line and the deployment stands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FactoryChainError

__all__ = [
    "API_KEY_ENV",
    "LICENSE_AGPL_3",
    "PUBLISHED_CONTRACTS",
    "ExplorerError",
    "VerificationRequest",
    "constructor_arguments",
    "guard_etherscan_chain_list",
    "publish_deployment",
    "skip_reason",
    "standard_json_input",
    "verification_request",
]

#: The variable ape-etherscan reads its key from (Etherscan API v2: one key for every chain).
API_KEY_ENV = "ETHERSCAN_API_KEY"
#: The contracts ``--publish`` verifies, in deployment order.
PUBLISHED_CONTRACTS = ("PartRegistry", "OrderEscrow", "DataAnchor")
#: Etherscan's licence code for AGPL-3.0 (the contracts' ``@license``).
LICENSE_AGPL_3 = 13
#: Seconds to wait for the explorer's verdict on one contract.
VERDICT_TIMEOUT = 300


class ExplorerError(FactoryChainError):
    """Verification could not be prepared or was refused; the message is one line."""


# ---------------------------------------------------------------- the input (no chain access)


def _site_prefixes() -> list[str]:
    prefixes = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return sorted((p.rstrip("/") + "/" for p in prefixes), key=len, reverse=True)


def standard_json_input(
    source: str | os.PathLike[str],
    *,
    project_root: str | os.PathLike[str],
    evm_version: str = "cancun",
    vyper: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The Vyper standard-JSON input an explorer needs to rebuild ``source`` (relative to the root).

    Sources are keyed by the path an ``import`` resolves them at: project files relative to the
    project root, installed modules (snekmate) relative to site-packages. Settings hold only
    ``evmVersion`` and ``outputSelection``: optimisation level and code generator come from the
    contract's pragmas, which stay in its source (a second value in ``settings`` would conflict).
    """
    root = Path(project_root).resolve()
    relative = Path(source)
    if relative.is_absolute():
        relative = relative.resolve().relative_to(root)
    site = sysconfig.get_paths()["purelib"]
    command = [*(vyper or (sys.executable, "-m", "vyper")), "-f", "solc_json", "--evm-version", evm_version]
    command += ["-p", site, "-p", ".", str(relative)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ExplorerError(f"vyper could not produce the verification input for {relative}: {last}")
    produced = json.loads(done.stdout)
    sources: dict[str, Any] = {}
    prefixes = _site_prefixes() + [str(root) + "/"]
    for source_id, body in produced["sources"].items():
        key = source_id
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix) :]
                break
        else:
            marker = "/site-packages/"
            if marker in key:  # a relative path into a virtual environment
                key = key.split(marker, 1)[1]
        sources[key] = {"content": body["content"]}
    return {
        "language": "Vyper",
        "sources": sources,
        "settings": {"evmVersion": evm_version, "outputSelection": {str(relative): ["*"]}},
    }


def constructor_arguments(creation_input: str | bytes, creation_bytecode: str | bytes) -> str:
    """Hex (no ``0x``) of the ABI-encoded constructor arguments: the creation input after the bytecode."""

    def hexed(value: str | bytes) -> str:
        text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
        return text[2:].lower() if text.startswith("0x") else text.lower()

    data, code = hexed(creation_input), hexed(creation_bytecode)
    if not code or not data.startswith(code):
        raise ExplorerError("the creation transaction does not start with the compiled bytecode (rebuilt since?)")
    return data[len(code) :]


@dataclass(frozen=True)
class VerificationRequest:
    """Everything sent to the explorer's ``verifysourcecode`` for one contract."""

    contract: str
    address: str
    contract_name: str  # "<source id>:<name>", as Etherscan wants for vyper-json
    compiler_version: str  # "0.4.3" (ape-etherscan sends "vyper:0.4.3")
    standard_json: dict[str, Any]
    constructor_arguments: str
    evm_version: str
    license_type: int = LICENSE_AGPL_3


def verification_request(
    contract: str,
    address: str,
    creation_input: str | bytes,
    creation_bytecode: str | bytes,
    *,
    project_root: str | os.PathLike[str],
    compiler_version: str,
    evm_version: str = "cancun",
) -> VerificationRequest:
    """Build the request for ``contract`` deployed at ``address`` (no chain or network access)."""
    source = f"contracts/{contract}.vy"
    return VerificationRequest(
        contract=contract,
        address=address,
        contract_name=f"{source}:{contract}",
        compiler_version=compiler_version,
        standard_json=standard_json_input(source, project_root=project_root, evm_version=evm_version),
        constructor_arguments=constructor_arguments(creation_input, creation_bytecode),
        evm_version=evm_version,
    )


# ---------------------------------------------------------------- sending (ape-etherscan)


def skip_reason(network: Any, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``--publish`` cannot verify on ``network`` (one line), or None if it can try."""
    env = os.environ if environ is None else environ
    choice = f"{network.ecosystem.name}:{network.name}"
    try:
        from ape_etherscan.utils import NETWORKS
    except ImportError:  # pragma: no cover - pinned in requirements.lock
        return "explorer verification skipped: ape-etherscan is not installed (make setup)"
    if network.name not in NETWORKS.get(network.ecosystem.name, ()):
        return f"explorer verification skipped: ape-etherscan has no explorer for {choice}"
    if not env.get(API_KEY_ENV, "").strip():
        return (
            f"explorer verification skipped: set {API_KEY_ENV} (one Etherscan API v2 key covers "
            "Ethereum, Base, Arbitrum, Optimism and Polygon) and re-run with --publish"
        )
    return None


def publish_deployment(
    deployment: Any,
    project: Any,
    *,
    echo: Callable[[str], None] = lambda _line: None,
    timeout: float = VERDICT_TIMEOUT,
    poll_seconds: float = 3.0,
) -> dict[str, str]:
    """Verify the deployment's contracts on the connected network's explorer: name -> explorer URL.

    Raises :class:`ExplorerError` (one line) when the explorer refuses a contract; contracts
    verified before stay verified, and re-running ``ape run deploy --publish`` retries the rest.
    """
    from ape.utils.basemodel import ManagerAccessMixin

    provider = ManagerAccessMixin.network_manager.active_provider
    assert provider is not None  # dev: the deploy command is connected
    network = provider.network
    explorer = network.explorer
    if explorer is None or not hasattr(explorer, "_client_factory"):
        raise ExplorerError(f"no Etherscan explorer for {network.ecosystem.name}:{network.name}")
    from ape_etherscan.exceptions import EtherscanResponseError

    vyper_version = str(deployment.tools.get("vyper") or _vyper_version())
    urls: dict[str, str] = {}
    for name in PUBLISHED_CONTRACTS:
        entry = deployment.contracts.get(name)
        if not entry:
            continue
        address = str(entry["address"])
        creation_input = ManagerAccessMixin.chain_manager.get_receipt(entry["tx_hash"]).transaction.data
        creation_code = project.get_contract(name).contract_type.deployment_bytecode.bytecode
        request = verification_request(
            name,
            address,
            bytes(creation_input),
            creation_code,
            project_root=project.path,
            compiler_version=vyper_version,
            evm_version=_evm_version(project),
        )
        client = explorer._client_factory.get_contract_client(address)
        echo(f"Verifying {name} at {address} on {explorer.etherscan_uri}")
        try:
            guid = client.verify_source_code(
                request.standard_json,
                request.compiler_version,
                contract_name=request.contract_name,
                optimization_used=True,
                constructor_arguments=request.constructor_arguments,
                evm_version=request.evm_version,
                license_type=request.license_type,
                language="vyper",
            )
        except EtherscanResponseError as exc:
            if "already verified" in str(exc).lower():
                urls[name] = explorer.get_address_url(address) + "#code"
                echo(f"{name} was already verified: {urls[name]}")
                continue
            raise ExplorerError(f"{name}: the explorer refused the verification: {_one_line(exc)}") from None
        except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
            raise ExplorerError(f"{name}: cannot reach the explorer API ({explorer.etherscan_api_uri}): {_one_line(exc)}") from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = str(client.check_verify_status(guid))
            except EtherscanResponseError as exc:
                status = "Already Verified" if "already verified" in str(exc).lower() else f"Fail - {_one_line(exc)}"
            except OSError as exc:
                status = f"Fail - cannot reach the explorer API: {_one_line(exc)}"
            if status.startswith("Pass") or status == "Already Verified":
                break
            if status.startswith("Fail"):
                raise ExplorerError(f"{name}: verification failed: {status.removeprefix('Fail - ')}")
            if time.monotonic() > deadline:
                raise ExplorerError(f"{name}: no verdict from the explorer within {timeout:.0f} s (guid {guid})")
            time.sleep(poll_seconds)
        urls[name] = explorer.get_address_url(address) + "#code"
        echo(f"Verified {name}: {urls[name]}")
    return urls


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _vyper_version() -> str:
    from importlib import metadata

    return metadata.version("vyper")


def _evm_version(project: Any) -> str:
    try:
        return str(project.config.get_config("vyper").evm_version or "cancun")
    except Exception:  # noqa: BLE001 - the project's config names it; cancun is this project's setting
        return "cancun"


# ---------------------------------------------------------------- offline guard for ape-etherscan

#: The explorers of the networks FactoryChain deploys to, as Etherscan's ``/v2/chainlist`` lists them.
KNOWN_CHAINS: tuple[dict[str, str], ...] = tuple(
    {"chainid": str(chain_id), "blockexplorer": explorer, "apiurl": f"https://api.etherscan.io/v2/api?chainid={chain_id}"}
    for chain_id, explorer in (
        (1, "https://etherscan.io"),
        (11155111, "https://sepolia.etherscan.io"),
        (8453, "https://basescan.org"),
        (84532, "https://sepolia.basescan.org"),
        (42161, "https://arbiscan.io"),
        (421614, "https://sepolia.arbiscan.io"),
        (10, "https://optimistic.etherscan.io"),
        (11155420, "https://sepolia-optimism.etherscan.io"),
        (137, "https://polygonscan.com"),
        (80002, "https://amoy.polygonscan.com"),
    )
)
_CHAIN_LIST: list[dict[str, str]] = []


def _guarded_supported_chains(original: Callable[[], list[dict[str, str]]]) -> Callable[[], list[dict[str, str]]]:
    def supported_chains() -> list[dict[str, str]]:
        if not _CHAIN_LIST:
            try:
                _CHAIN_LIST.extend(original())
            except Exception:  # noqa: BLE001 - offline (CI, air-gapped node): the known list, not a crash
                _CHAIN_LIST.extend(dict(chain) for chain in KNOWN_CHAINS)
        return list(_CHAIN_LIST)

    supported_chains.__wrapped__ = original  # type: ignore[attr-defined]
    return supported_chains


def _patch_chain_list(module: Any) -> None:
    current = getattr(module, "get_supported_chains", None)
    if current is not None and not hasattr(current, "__wrapped__"):
        module.get_supported_chains = _guarded_supported_chains(current)
    elif current is not None and getattr(current, "__name__", "") != "supported_chains":
        module.get_supported_chains = _guarded_supported_chains(current.__wrapped__)


class _ChainListHook:
    """Import hook: patch ``ape_etherscan.client`` the moment it is loaded (before its importers bind the name)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "ape_etherscan.client":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            _patch_chain_list(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def guard_etherscan_chain_list() -> None:
    """Keep ape-etherscan from failing every ``network.explorer`` lookup when api.etherscan.io is unreachable.

    ape-etherscan 0.8.7 asks ``https://api.etherscan.io/v2/chainlist`` whether *any* chain has an
    explorer (Ape's ``NetworkAPI.explorer`` calls ``supports_chain`` for every network not matched
    first, ``ethereum:local`` included); offline (CI, an air-gapped node) that raises
    ``ConnectionError`` out of Ape wherever it looks for an explorer (a missing contract's error
    message, the confirmation log of a live network's transaction). Guarded, an unreachable chain
    list is replaced by :data:`KNOWN_CHAINS` (the networks in ``ape-config.yaml``): local chains
    then have no explorer, as without the plugin. Online, the real list is used. Idempotent.
    """
    if "ape_etherscan.client" in sys.modules:
        _patch_chain_list(sys.modules["ape_etherscan.client"])
        if "ape_etherscan.explorer" in sys.modules:
            _patch_chain_list(sys.modules["ape_etherscan.explorer"])
        return
    if not any(isinstance(finder, _ChainListHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ChainListHook())
