"""Deploying the FactoryChain suite and finding it again — most functions here DO touch the chain.

One deployment = one ``PartRegistry`` + one ``OrderEscrow`` wired to it, recorded in a JSON
file per network that every later tool reads (``ape run roles``, ``ape run parts``, the console,
the demo)::

    deployments/<ecosystem>-<network>.json      e.g. deployments/ethereum-sepolia.json
    deployments/<ecosystem>-custom-<chain id>.json  a node reached by bare URI (``--network http://…``)

A node reached by bare URI is Ape's network ``custom`` whatever node it is, so its record is keyed
by the node's chain id too: two standalone nodes (chain ids 31337 and 31338) keep two records.
Records written before that key (``ethereum-custom.json``) are still read when their chain id is
the node's. Name a node for good with a custom network in ``ape-config.yaml`` (its record is then
``<ecosystem>-<name>.json``).

The directory is ``<project>/deployments`` unless the ``FACTORYCHAIN_DEPLOYMENTS`` environment
variable names another one (tests and rehearsals point it at a temporary folder). The chain id
is stored *inside* the file and checked on every load, so a node URI that points at the wrong
chain is caught instead of silently deploying or transacting there.

Pure (no chain access): :func:`deployments_dir`, :func:`deployment_file`, :func:`read_deployment`,
:func:`write_deployment`, :func:`role_id`, :func:`parse_role`. Everything else takes Ape objects
(``project``, ``sender`` accounts) and reads or writes the connected chain.

How :func:`deploy_suite` sets roles up: both contracts are deployed with the *deployer* as
admin, so it can grant the requested roles itself; if another admin was asked for, that admin
is then granted ``DEFAULT_ADMIN_ROLE`` on both contracts and only then does the deployer renounce
its own. The file is written as soon as both contracts exist, so a run interrupted halfway
(an RPC hiccup during the grants) is finished by running the same command again.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import is_address, keccak, to_checksum_address

from .errors import FactoryChainError
from .explorer import guard_etherscan_chain_list

# ape-etherscan must not turn every explorer lookup into a crash when its chain list is unreachable.
guard_etherscan_chain_list()

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager

__all__ = [
    "ADMIN_ROLE_NAME",
    "DEPLOYMENTS_ENV",
    "FORMAT_VERSION",
    "ROLE_CONTRACTS",
    "DeployResult",
    "Deployment",
    "DeploymentError",
    "RoleChange",
    "check_deployment",
    "connect",
    "deploy_suite",
    "deployment_file",
    "deployments_dir",
    "load_deployment",
    "network_record",
    "parse_role",
    "read_deployment",
    "role_holders",
    "role_id",
    "write_deployment",
]

FORMAT_VERSION = 1
DEPLOYMENTS_ENV = "FACTORYCHAIN_DEPLOYMENTS"
REGISTRY = "PartRegistry"
ESCROW = "OrderEscrow"
#: The data vault's anchor: no roles, no link to the others; recorded beside them.
ANCHOR = "DataAnchor"
ADMIN_ROLE_NAME = "DEFAULT_ADMIN_ROLE"
#: Major version of the escrow interface this code speaks (``OrderEscrow.VERSION()``).
ESCROW_MAJOR = "2"

#: Which contract each role lives on. The admin role exists on both and is always handled on both.
ROLE_CONTRACTS: dict[str, tuple[str, ...]] = {
    ADMIN_ROLE_NAME: (REGISTRY, ESCROW),
    "MANUFACTURER_ROLE": (REGISTRY,),
    "CERTIFIER_ROLE": (REGISTRY,),
    "ARBITER_ROLE": (ESCROW,),
}

#: Short names accepted on command lines, besides the full role names (case-insensitive).
_ROLE_ALIASES = {
    "manufacturer": "MANUFACTURER_ROLE",
    "certifier": "CERTIFIER_ROLE",
    "arbiter": "ARBITER_ROLE",
    "admin": ADMIN_ROLE_NAME,
}

# Same bounds as OrderEscrow.set_arbitration_timeout, checked first for a readable error.
MIN_ARBITRATION_TIMEOUT = 3_600
MAX_ARBITRATION_TIMEOUT = 365 * 86_400

# Networks whose chain dies with the process that started it: a record left behind by an
# earlier run is stale rather than wrong, and is replaced instead of refused.
_EPHEMERAL_NETWORKS = frozenset({"local"})
#: Ape's name for a network given only as a URI (``--network http://127.0.0.1:8545``).
AD_HOC_NETWORK = "custom"
#: Providers that start their own chain for one command (it vanishes when the command ends).
_PROCESS_PROVIDERS = frozenset({"foundry", "test"})


class DeploymentError(FactoryChainError):
    """The deployment file or the chain is not what the operation needs; the message is one line."""


# ---------------------------------------------------------------- roles (pure)


def role_id(name: str) -> bytes:
    """The ``bytes32`` id of a role name: ``keccak256(name)``, or 32 zero bytes for the admin role."""
    return bytes(32) if name == ADMIN_ROLE_NAME else keccak(text=name)


def parse_role(text: str) -> str:
    """The canonical role name for ``manufacturer`` / ``MANUFACTURER_ROLE`` / ``admin`` …"""
    cleaned = text.strip()
    lowered = cleaned.lower()
    if lowered in _ROLE_ALIASES:
        return _ROLE_ALIASES[lowered]
    if lowered.endswith("_role") and lowered[: -len("_role")] in _ROLE_ALIASES:
        return _ROLE_ALIASES[lowered[: -len("_role")]]
    if cleaned.upper() in ROLE_CONTRACTS:
        return cleaned.upper()
    known = ", ".join(sorted(_ROLE_ALIASES))
    raise DeploymentError(f"unknown role {text!r}; expected one of: {known}")


# ---------------------------------------------------------------- the record (pure)


@dataclass(frozen=True)
class RoleChange:
    """One role transaction sent by :func:`deploy_suite`."""

    action: str  # "grant" or "renounce"
    contract: str  # "PartRegistry" or "OrderEscrow"
    role: str  # role name
    account: str
    tx_hash: str


@dataclass(frozen=True)
class Deployment:
    """What ``deployments/<ecosystem>-<network>.json`` holds."""

    ecosystem: str
    network: str
    chain_id: int
    registry: str
    escrow: str
    deployer: str
    admin: str
    #: Block of the registry's deployment: where event scans (roles, key envelopes) start.
    block_number: int
    #: Contract name -> {"address", "tx_hash", "block_number", "version"}.
    contracts: dict[str, dict[str, Any]]
    arbitration_timeout: int
    roles: tuple[RoleChange, ...] = ()
    #: Package versions that built and sent the deployment (eth-ape, ape-vyper, vyper, python).
    tools: dict[str, str] = field(default_factory=dict)
    deployed_at: str = ""
    updated_at: str = ""
    format: int = FORMAT_VERSION
    #: Where the record was read from or written to (not stored in the file).
    path: Path | None = field(default=None, compare=False)

    @property
    def network_choice(self) -> str:
        return f"{self.ecosystem}:{self.network}"

    @property
    def anchor(self) -> str | None:
        """The DataAnchor's address, if this deployment has one (records before the vault do not)."""
        entry = self.contracts.get(ANCHOR)
        return _checksum(entry["address"], f"{ANCHOR} address") if entry else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        data["roles"] = [asdict(change) for change in self.roles]
        order = [
            "format", "ecosystem", "network", "chain_id", "registry", "escrow", "deployer", "admin",
            "block_number", "arbitration_timeout", "contracts", "roles", "tools", "deployed_at",
            "updated_at",
        ]  # fmt: skip
        return {key: data[key] for key in order}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> Deployment:
        where = str(path) if path else "deployment record"
        if not isinstance(data, Mapping):
            raise DeploymentError(f"{where}: not a JSON object")
        if data.get("format") != FORMAT_VERSION:
            raise DeploymentError(f"{where}: unsupported format {data.get('format')!r} (expected {FORMAT_VERSION})")
        try:
            roles = tuple(RoleChange(**change) for change in data.get("roles", []))
            record = cls(
                ecosystem=str(data["ecosystem"]),
                network=str(data["network"]),
                chain_id=int(data["chain_id"]),
                registry=_checksum(data["registry"], f"{where}: registry"),
                escrow=_checksum(data["escrow"], f"{where}: escrow"),
                deployer=_checksum(data["deployer"], f"{where}: deployer"),
                admin=_checksum(data["admin"], f"{where}: admin"),
                block_number=int(data["block_number"]),
                contracts={str(k): dict(v) for k, v in dict(data["contracts"]).items()},
                arbitration_timeout=int(data["arbitration_timeout"]),
                roles=roles,
                tools={str(k): str(v) for k, v in dict(data.get("tools", {})).items()},
                deployed_at=str(data.get("deployed_at", "")),
                updated_at=str(data.get("updated_at", "")),
                path=path,
            )
        except KeyError as missing:
            raise DeploymentError(f"{where}: missing field {missing.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise DeploymentError(f"{where}: malformed record ({exc})") from None
        return record


def _checksum(value: Any, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise DeploymentError(f"{what}: {value!r} is not an address")
    return to_checksum_address(value)


def deployments_dir(project_root: str | os.PathLike[str] | None = None) -> Path:
    """``$FACTORYCHAIN_DEPLOYMENTS`` if set, else ``<project_root or cwd>/deployments``."""
    override = os.environ.get(DEPLOYMENTS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(project_root if project_root is not None else Path.cwd()) / "deployments"


def deployment_file(
    ecosystem: str,
    network: str,
    directory: str | os.PathLike[str] | None = None,
    chain_id: int | None = None,
) -> Path:
    """The record's path for a network: ``<dir>/<ecosystem>-<network>.json``.

    For Ape's ad-hoc network ``custom`` (a node reached by bare URI) with ``chain_id`` given:
    ``<dir>/<ecosystem>-custom-<chain_id>.json``, one record per node chain.
    """
    parts = [ecosystem, network]
    if network == AD_HOC_NETWORK and chain_id is not None:
        parts.append(str(int(chain_id)))
    safe = "-".join(part.replace(":", "_").replace("/", "_") for part in parts)
    return Path(directory if directory is not None else deployments_dir()) / f"{safe}.json"


def network_record(
    ecosystem: str, network: str, chain_id: int, directory: str | os.PathLike[str] | None = None
) -> Path:
    """The record file for the connected node: the chain-keyed one, or a pre-key record of the same chain.

    Only the ad-hoc ``custom`` network has two candidates: ``<ecosystem>-custom-<chain id>.json``
    and, from before records were keyed by chain id, ``<ecosystem>-custom.json`` — read (and
    updated in place) only when its chain id is the node's.
    """
    keyed = deployment_file(ecosystem, network, directory, chain_id)
    if network != AD_HOC_NETWORK or keyed.is_file():
        return keyed
    legacy = deployment_file(ecosystem, network, directory)
    if legacy.is_file():
        try:
            if read_deployment(legacy).chain_id == chain_id:
                return legacy
        except DeploymentError:
            pass
    return keyed


def read_deployment(path: str | os.PathLike[str]) -> Deployment:
    """Parse a deployment file (no chain access)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeploymentError(f"no deployment file at {target}") from None
    except OSError as exc:
        raise DeploymentError(f"cannot read {target}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeploymentError(f"{target}: not valid JSON (line {exc.lineno})") from None
    return Deployment.from_json(data, target)


def write_deployment(deployment: Deployment, path: str | os.PathLike[str] | None = None) -> Deployment:
    """Write the record atomically (to ``path`` or ``deployment.path``); returns it with ``path`` set."""
    target = Path(path) if path is not None else deployment.path
    if target is None:
        raise DeploymentError("no path to write the deployment record to")
    stamped = replace(deployment, updated_at=_now(), path=target)
    text = json.dumps(stamped.to_json(), indent=2) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise DeploymentError(f"cannot write {target}: {exc.strerror or exc}") from None
    return stamped


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _tool_versions(project: Any) -> dict[str, str]:
    versions: dict[str, str] = {}
    for package in ("eth-ape", "ape-vyper", "ape-foundry"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    # The compiler that actually built the deployed bytecode, as the project manifest records it.
    vyper_version = None
    try:
        for compiler in project.manifest.compilers or []:
            if compiler.name == "vyper" and REGISTRY in (compiler.contractTypes or []):
                vyper_version = str(compiler.version)
    except Exception:  # noqa: BLE001 - a manifest without compiler data just falls back below
        vyper_version = None
    if vyper_version is None:
        try:
            vyper_version = metadata.version("vyper")
        except metadata.PackageNotFoundError:
            vyper_version = "unknown"
    versions["vyper"] = vyper_version
    versions["python"] = ".".join(str(part) for part in sys.version_info[:3])
    return versions


# ---------------------------------------------------------------- chain access


def _address(value: Any) -> str:
    return to_checksum_address(str(getattr(value, "address", value)))


def _tx_hash(receipt: Any) -> str:
    value = getattr(receipt, "txn_hash", receipt)
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _connected_network() -> tuple[str, str, int]:
    from ape.utils.basemodel import ManagerAccessMixin

    provider = ManagerAccessMixin.network_manager.active_provider
    if provider is None or not provider.is_connected:
        raise DeploymentError("not connected to a network; pass --network")
    network = provider.network
    return network.ecosystem.name, network.name, _node_chain_id(provider)


def _node_chain_id(provider: Any) -> int:
    """The chain id the node reports now (Ape caches one per network *name*, wrong for ``custom``).

    On ``<ecosystem>:local:node`` (a standalone node) Ape signs with the chain id of its config
    (1337 unless set), which Anvil (31337) rejects only at the first transaction: refuse first.
    """
    name = provider.network.name
    if name == AD_HOC_NETWORK or (name == "local" and getattr(provider, "name", "") == "node"):
        try:
            answer = provider.make_request("eth_chainId", [])
            reported = int(answer, 16) if isinstance(answer, str) else int(answer)
        except Exception:  # noqa: BLE001 - fall back to Ape's value below
            return int(provider.chain_id)
        if name == "local" and reported != int(provider.chain_id):
            ecosystem = provider.network.ecosystem.name
            raise DeploymentError(
                f"the node reports chain id {reported}, but Ape signs for {ecosystem}:local:node with chain id "
                f"{provider.chain_id}: set `node: {{{ecosystem}: {{local: {{chain_id: {reported}}}}}}}` in ape-config.yaml"
            )
        return reported
    return int(provider.chain_id)


def check_deployment(deployment: Deployment) -> None:
    """Raise :class:`DeploymentError` unless the connected chain is the record's and holds its code."""
    from ape.utils.basemodel import ManagerAccessMixin

    _, _, chain_id = _connected_network()
    where = deployment.path or deployment.network_choice
    if chain_id != deployment.chain_id:
        raise DeploymentError(
            f"{where} is for chain id {deployment.chain_id}, but the connected node reports chain id {chain_id}"
        )
    escrow_version = str(deployment.contracts.get(ESCROW, {}).get("version", ""))
    if escrow_version and escrow_version.split(".")[0] != ESCROW_MAJOR:
        raise DeploymentError(
            f"{where} records OrderEscrow {escrow_version}, but this code speaks escrow v{ESCROW_MAJOR}; "
            "deploy a new suite with `ape run deploy --fresh`"
        )
    provider = ManagerAccessMixin.network_manager.active_provider
    assert provider is not None  # dev: checked by _connected_network
    recorded = [(REGISTRY, deployment.registry), (ESCROW, deployment.escrow)]
    if deployment.anchor is not None:
        recorded.append((ANCHOR, deployment.anchor))
    for name, address in recorded:
        if len(provider.get_code(address)) == 0:
            raise DeploymentError(
                f"{where}: no contract code at the recorded {name} address {address} on chain {chain_id}"
            )


def connect(deployment: Deployment, project: ProjectManager) -> tuple[ContractInstance, ContractInstance]:
    """``(registry, escrow)`` contract objects at the recorded addresses (checks nothing)."""
    registry = project.PartRegistry.at(deployment.registry)
    escrow = project.OrderEscrow.at(deployment.escrow)
    return registry, escrow


def load_deployment(
    path: str | os.PathLike[str] | None = None,
    *,
    project: ProjectManager | None = None,
    check: bool = True,
) -> Deployment:
    """The record for the connected network (or at ``path``), checked against the chain.

    Checks chain id, code at both addresses and that the escrow is wired to the recorded
    registry; raises :class:`DeploymentError` with one line naming the file otherwise.
    """
    if path is None:
        ecosystem, network, chain_id = _connected_network()
        root = project.path if project is not None else None
        path = network_record(ecosystem, network, chain_id, deployments_dir(root))
        if not Path(path).is_file():
            raise DeploymentError(_no_record_message(ecosystem, network, chain_id, Path(path)))
    deployment = read_deployment(path)
    if check:
        check_deployment(deployment)
        if project is not None:
            _, escrow = connect(deployment, project)
            linked = _address(escrow.registry())
            if linked != deployment.registry:
                raise DeploymentError(
                    f"{deployment.path}: the escrow at {deployment.escrow} uses registry {linked}, "
                    f"not the recorded {deployment.registry}"
                )
    return deployment


def _no_record_message(ecosystem: str, network: str, chain_id: int, path: Path) -> str:
    from ape.utils.basemodel import ManagerAccessMixin

    provider = ManagerAccessMixin.network_manager.active_provider
    provider_name = getattr(provider, "name", "")
    if network == "local" and provider_name in _PROCESS_PROVIDERS:
        # `--network ethereum:local` starts a chain that ends with the command: never suggest deploying there.
        return (
            f"no deployment recorded for {ecosystem}:{network} ({path}); this chain is started for one command "
            f"and gone after it: start a standalone node (`anvil`) and use --network {ecosystem}:local:node, "
            "or a live network (docs/operations.md, Standalone node)"
        )
    if network == AD_HOC_NETWORK:
        legacy = deployment_file(ecosystem, network, path.parent)
        other = ""
        if legacy.is_file():
            try:
                other = f"; {legacy} is for chain id {read_deployment(legacy).chain_id}"
            except DeploymentError:
                other = ""
        return (
            f"no deployment recorded for {ecosystem}:{network} chain id {chain_id} ({path}){other}; "
            "run `ape run deploy` with the same --network first"
        )
    choice = f"{ecosystem}:{network}" + (f":{provider_name}" if network == "local" and provider_name else "")
    return f"no deployment recorded for {ecosystem}:{network} ({path}); run `ape run deploy --network {choice}` first"


def role_holders(contract: ContractInstance, start_block: int) -> dict[str, list[str]]:
    """Who holds each of the contract's roles now: role name -> addresses, in order of first grant.

    Candidates come from the contract's ``RoleGranted`` events since ``start_block`` (the record's
    ``block_number``); each is confirmed with ``hasRole`` at the head, so revocations and
    renunciations drop out. Roles nobody holds are left out.
    """
    from ape.types.events import LogFilter
    from ape.utils.basemodel import ManagerAccessMixin

    names = {role_id(name): name for name, where in ROLE_CONTRACTS.items() if contract.contract_type.name in where}
    provider = ManagerAccessMixin.network_manager.active_provider
    assert provider is not None  # dev: callers hold a connected contract
    # Straight to the provider (paged eth_getLogs): Ape's query manager would import its
    # SQL cache plugin, seconds of start-up for one small scan.
    log_filter = LogFilter.from_event(
        contract.RoleGranted, addresses=[contract.address], start_block=start_block, stop_block=None
    )
    seen: dict[tuple[str, str], None] = {}
    for log in provider.get_contract_logs(log_filter):
        role = bytes(log.event_arguments["role"])
        if role in names:
            seen.setdefault((names[role], _address(log.event_arguments["account"])), None)
    holders: dict[str, list[str]] = {}
    for name, account in seen:
        if contract.hasRole(role_id(name), account):
            holders.setdefault(name, []).append(account)
    return {name: holders[name] for name in ROLE_CONTRACTS if name in holders}


@dataclass(frozen=True)
class DeployResult:
    """What one :func:`deploy_suite` run did."""

    deployment: Deployment
    registry: Any
    escrow: Any
    #: True if the contracts were deployed by this run, False if an existing record was reused.
    deployed: bool
    #: Hashes of every transaction this run sent, in order (empty when nothing had to change).
    transactions: tuple[str, ...]
    #: The DataAnchor (deployed beside the others, or reused).
    anchor: Any = None


def deploy_suite(
    project: ProjectManager,
    deployer: AccountAPI,
    *,
    admin: Any | None = None,
    manufacturers: Iterable[Any] = (),
    certifiers: Iterable[Any] = (),
    arbiters: Iterable[Any] = (),
    arbitration_timeout: int | None = None,
    path: str | os.PathLike[str] | None = None,
    fresh: bool = False,
    write: bool = True,
    echo: Callable[[str], None] | None = None,
    before_first_transaction: Callable[[], None] | None = None,
) -> DeployResult:
    """Deploy (or reuse) the suite on the connected network and bring its roles to what is asked.

    ``admin`` defaults to the deployer (or, when reusing, to the recorded admin). Existing record
    at ``path`` (default: the connected network's file) and not ``fresh``: check it against the
    chain, deploy nothing, and grant only the roles not held yet (which needs the sender to be
    admin). ``write=False`` keeps everything in memory (the demo and unit tests).
    ``before_first_transaction`` runs once, only if a transaction is about to be sent (the CLI
    unlocks the account there, so a refused record or a no-op re-run never asks for a passphrase).
    """
    say = echo or (lambda _message: None)
    pending_unlock = [before_first_transaction] if before_first_transaction else []

    def about_to_send() -> None:
        while pending_unlock:
            pending_unlock.pop()()

    ecosystem, network, chain_id = _connected_network()
    target = Path(path) if path is not None else network_record(ecosystem, network, chain_id, deployments_dir(project.path))
    sender = _address(deployer)
    wanted_admin = _address(admin) if admin is not None else None
    grants = {
        "MANUFACTURER_ROLE": _unique(manufacturers),
        "CERTIFIER_ROLE": _unique(certifiers),
        "ARBITER_ROLE": _unique(arbiters),
    }
    if arbitration_timeout is not None and not (
        MIN_ARBITRATION_TIMEOUT <= arbitration_timeout <= MAX_ARBITRATION_TIMEOUT
    ):
        raise DeploymentError(
            f"arbitration timeout must be between {MIN_ARBITRATION_TIMEOUT} s (1 hour) and "
            f"{MAX_ARBITRATION_TIMEOUT} s (365 days), got {arbitration_timeout}"
        )

    existing: Deployment | None = None
    if write and not fresh and target.is_file():
        existing = read_deployment(target)
        try:
            check_deployment(existing)
        except DeploymentError as stale:
            if network not in _EPHEMERAL_NETWORKS or existing.chain_id != chain_id:
                raise
            say(f"{target}: {stale}; the local chain was reset, deploying afresh")
            existing = None
    sent: list[str] = []

    if existing is not None:
        if wanted_admin is not None and wanted_admin != existing.admin:
            raise DeploymentError(
                f"{target} is administered by {existing.admin}, not {wanted_admin}; hand over with "
                "`ape run roles grant admin <new>` and `ape run roles renounce admin`"
            )
        registry, escrow = connect(existing, project)
        linked = _address(escrow.registry())
        if linked != existing.registry:
            raise DeploymentError(
                f"{target}: the escrow at {existing.escrow} uses registry {linked}, not the recorded {existing.registry}"
            )
        say(f"Reusing {REGISTRY} at {existing.registry} and {ESCROW} at {existing.escrow} ({target})")
        record = existing
        deployed = False
        if existing.anchor is not None:
            anchor = project.DataAnchor.at(existing.anchor)
        else:  # a record from before the data vault: add the anchor beside the others
            say(f"Deploying {ANCHOR} (the record has none yet)")
            about_to_send()
            anchor = project.DataAnchor.deploy(sender=deployer)
            from ape.utils.basemodel import ManagerAccessMixin

            receipt = ManagerAccessMixin.chain_manager.get_receipt(anchor.txn_hash)
            entry = {
                "address": _address(anchor),
                "tx_hash": _tx_hash(receipt),
                "block_number": int(receipt.block_number),
                "version": str(anchor.VERSION()),
            }
            record = replace(existing, contracts={**existing.contracts, ANCHOR: entry})
            sent.append(_tx_hash(receipt))
    else:
        final_admin = wanted_admin or sender
        say(f"Deploying {REGISTRY} from {sender} on {ecosystem}:{network} (chain id {chain_id})")
        about_to_send()
        registry = project.PartRegistry.deploy(sender, sender=deployer)
        say(f"Deploying {ESCROW} wired to {registry.address}")
        escrow = project.OrderEscrow.deploy(registry.address, sender, sender=deployer)
        say(f"Deploying {ANCHOR}")
        anchor = project.DataAnchor.deploy(sender=deployer)
        from ape.utils.basemodel import ManagerAccessMixin

        chain = ManagerAccessMixin.chain_manager
        contracts: dict[str, dict[str, Any]] = {}
        for name, contract in ((REGISTRY, registry), (ESCROW, escrow), (ANCHOR, anchor)):
            receipt = chain.get_receipt(contract.txn_hash)
            contracts[name] = {
                "address": _address(contract),
                "tx_hash": _tx_hash(receipt),
                "block_number": int(receipt.block_number),
                "version": str(contract.VERSION()),
            }
            sent.append(_tx_hash(receipt))
        block = int(contracts[REGISTRY]["block_number"])
        timestamp = chain.blocks[block].timestamp
        record = Deployment(
            ecosystem=ecosystem,
            network=network,
            chain_id=chain_id,
            registry=_address(registry),
            escrow=_address(escrow),
            deployer=sender,
            admin=final_admin,
            block_number=block,
            contracts=contracts,
            arbitration_timeout=int(escrow.arbitration_timeout()),
            tools=_tool_versions(project),
            deployed_at=datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z"),
            path=target,
        )
        deployed = True
        # Recorded before any role is touched: an interrupted run is completed by re-running.
        if write:
            record = write_deployment(record, target)
            say(f"Recorded the deployment in {target}")

    contracts_by_name = {REGISTRY: registry, ESCROW: escrow}
    changes: list[RoleChange] = []

    def ensure_admin_rights(contract_name: str) -> None:
        if not contracts_by_name[contract_name].hasRole(role_id(ADMIN_ROLE_NAME), sender):
            raise DeploymentError(
                f"{sender} is not an admin of {contract_name} at {_address(contracts_by_name[contract_name])}; "
                f"run this as the admin {record.admin}"
            )

    def grant(contract_name: str, role: str, account: str) -> None:
        contract = contracts_by_name[contract_name]
        if contract.hasRole(role_id(role), account):
            return
        ensure_admin_rights(contract_name)
        about_to_send()
        receipt = contract.grantRole(role_id(role), account, sender=deployer)
        changes.append(RoleChange("grant", contract_name, role, account, _tx_hash(receipt)))
        sent.append(_tx_hash(receipt))
        say(f"Granted {role} on {contract_name} to {account}")

    for role, accounts in grants.items():
        for account in accounts:
            for contract_name in ROLE_CONTRACTS[role]:
                grant(contract_name, role, account)

    if arbitration_timeout is not None and int(escrow.arbitration_timeout()) != arbitration_timeout:
        ensure_admin_rights(ESCROW)
        about_to_send()
        receipt = escrow.set_arbitration_timeout(arbitration_timeout, sender=deployer)
        sent.append(_tx_hash(receipt))
        say(f"Set the arbitration timeout to {arbitration_timeout} s")

    # Hand administration over: grant the new admin on both contracts before renouncing anything.
    if record.admin != record.deployer and sender == record.deployer:
        for contract_name in (REGISTRY, ESCROW):
            grant(contract_name, ADMIN_ROLE_NAME, record.admin)
        for contract_name in (REGISTRY, ESCROW):
            contract = contracts_by_name[contract_name]
            if contract.hasRole(role_id(ADMIN_ROLE_NAME), sender):
                about_to_send()
                receipt = contract.renounceRole(role_id(ADMIN_ROLE_NAME), sender, sender=deployer)
                changes.append(RoleChange("renounce", contract_name, ADMIN_ROLE_NAME, sender, _tx_hash(receipt)))
                sent.append(_tx_hash(receipt))
                say(f"Renounced the deployer's {ADMIN_ROLE_NAME} on {contract_name}")

    record = replace(
        record,
        roles=record.roles + tuple(changes),
        arbitration_timeout=int(escrow.arbitration_timeout()),
    )
    if write and (deployed or changes or record != existing):
        record = write_deployment(record, target)
    return DeployResult(record, registry, escrow, deployed, tuple(sent), anchor)


def _unique(accounts: Iterable[Any]) -> Sequence[str]:
    seen: dict[str, None] = {}
    for account in accounts:
        seen.setdefault(_address(account), None)
    return list(seen)
