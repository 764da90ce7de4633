"""A Safe multisig (safe.global) as FactoryChain admin or arbiter — built on ape-safe's package data.

An operator holds ``DEFAULT_ADMIN_ROLE`` or ``ARBITER_ROLE`` in a Safe instead of one laptop key:
every role change and every ruling is a *Safe transaction* (``to``, ``data``, ``nonce`` …) that
M of the Safe's N owners sign (EIP-712, domain = the Safe's address and chain id) and that anyone
then executes with ``execTransaction``. The contracts see ``msg.sender`` = the Safe, so the escrow's
``hasRole`` and "arbiter is a party" checks apply to the Safe itself.

What comes from ape-safe (0.8.23): the Safe contracts' ABIs *and bytecode* (its package data holds
Safe v1.3.0 and v1.4.1 manifests, so a Safe can be deployed on a local chain with no network
access: :func:`deploy_safe_contracts`, :func:`create_safe`), the EIP-712 ``SafeTx`` type and its
hash, and the signature packing. What it does not do offline, and is therefore done here:

* ``SafeAccount.contract`` looks up the singleton's address in the safe-deployments JSON on
  raw.githubusercontent.com unless the singleton was deployed by ``SafeFactory.inject`` in the
  *same* process; :class:`Safe` builds the contract object from the manifest ABI alone.
* On a local network ape-safe's queue of proposed transactions is ``MockSafeClient``, a dict in
  memory that dies with the process; elsewhere it is Safe's hosted Transaction Service (internet
  and ``APE_SAFE_GATEWAY_API_KEY``). Owners on different machines therefore collect signatures
  here in a small JSON *proposal file* (:class:`Proposal`) that works on every network, offline.
* ``ContractContainer.at`` on an address Ape has not cached asks the network's explorer; with
  ape-etherscan installed that is an HTTPS request even on a local chain. Safe contracts are
  opened with ``fetch_from_explorer=False, detect_proxy=False``.

Pure: :class:`SafeCall`, :class:`Proposal` (file I/O only). Everything else reads the chain.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import is_address, keccak, to_checksum_address

from .errors import FactoryChainError

__all__ = [
    "DEFAULT_SAFE_VERSION",
    "PROPOSAL_FORMAT",
    "Proposal",
    "Safe",
    "SafeCall",
    "SafeError",
    "SafeTxEntry",
    "create_safe",
    "deploy_safe_contracts",
    "safe_reason",
]

#: The Safe version :func:`create_safe` deploys (the newest ape-safe ships bytecode for).
DEFAULT_SAFE_VERSION = "1.4.1"
PROPOSAL_FORMAT = 1
_PROPOSAL_KIND = "factorychain-safe-proposal"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Safe's storage slot 0 holds the singleton ("master copy") a proxy delegates to.
_SINGLETON_SLOT = 0

#: Safe's revert codes (contracts/libraries/Errors in safe-smart-account) a user can cause, in words.
GS_REASONS = {
    "GS013": "the inner call reverted (the Safe's transaction failed)",
    "GS020": "not enough signatures for the Safe's threshold",
    "GS021": "a signature is malformed",
    "GS022": "a signature is malformed",
    "GS023": "a signature is malformed",
    "GS024": "a contract signature is invalid",
    "GS025": "an owner's approval is missing (approveHash)",
    "GS026": "a signature is not from an owner of the Safe, or the signatures are out of order or for another nonce",
}


class SafeError(FactoryChainError):
    """The Safe, its owners or a proposal is not what the operation needs; the message is one line."""


def safe_reason(reason: str) -> str:
    """A Safe revert code (``GS026``) followed by its meaning; other reasons unchanged."""
    return f"{reason} ({GS_REASONS[reason]})" if reason in GS_REASONS else reason


# ---------------------------------------------------------------- what the Safe is asked to do (pure)


@dataclass(frozen=True)
class SafeCall:
    """One call the Safe makes: ``to`` with ``data`` (and ``value`` wei); ``description`` for people."""

    to: str
    data: bytes
    description: str
    value: int = 0


@dataclass(frozen=True)
class SafeTxEntry:
    """One Safe transaction of a proposal, with the hash the owners sign."""

    description: str
    to: str
    value: int
    data: bytes
    nonce: int
    safe_tx_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "to": self.to,
            "value": str(self.value),
            "data": "0x" + self.data.hex(),
            "operation": 0,
            "nonce": self.nonce,
            "safe_tx_hash": self.safe_tx_hash,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SafeTxEntry:
        if int(data.get("operation", 0)) != 0:
            raise SafeError("proposal: only plain calls (operation 0) are supported, not delegatecall")
        return cls(
            description=str(data["description"]),
            to=to_checksum_address(str(data["to"])),
            value=int(data["value"]),
            data=bytes.fromhex(str(data["data"]).removeprefix("0x")),
            nonce=int(data["nonce"]),
            safe_tx_hash=str(data["safe_tx_hash"]).lower(),
        )


@dataclass
class Proposal:
    """The Safe transactions of one command and the owners' signatures so far, as a JSON file.

    The file only *carries signatures*: every owner's command rebuilds the transactions from the
    chain and its own arguments and checks they hash to the same ``safe_tx_hash`` before signing,
    so nobody signs what a file says. Signatures are keyed by hash, then by owner.
    """

    chain_id: int
    safe: str
    transactions: list[SafeTxEntry]
    signatures: dict[str, dict[str, str]] = field(default_factory=dict)
    command: str = ""
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PROPOSAL_FORMAT,
            "kind": _PROPOSAL_KIND,
            "chain_id": self.chain_id,
            "safe": self.safe,
            "command": self.command,
            "transactions": [entry.to_json() for entry in self.transactions],
            "signatures": self.signatures,
        }

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Proposal:
        target = Path(path)
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SafeError(f"no proposal file at {target}") from None
        except OSError as exc:
            raise SafeError(f"cannot read {target}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise SafeError(f"{target}: not valid JSON (line {exc.lineno})") from None
        if not isinstance(data, dict) or data.get("kind") != _PROPOSAL_KIND or data.get("format") != PROPOSAL_FORMAT:
            raise SafeError(f"{target}: not a FactoryChain Safe proposal (format {PROPOSAL_FORMAT})")
        try:
            signatures = {
                str(tx_hash).lower(): {to_checksum_address(owner): str(sig) for owner, sig in dict(by_owner).items()}
                for tx_hash, by_owner in dict(data.get("signatures", {})).items()
            }
            return cls(
                chain_id=int(data["chain_id"]),
                safe=to_checksum_address(str(data["safe"])),
                transactions=[SafeTxEntry.from_json(entry) for entry in data["transactions"]],
                signatures=signatures,
                command=str(data.get("command", "")),
                path=target,
            )
        except SafeError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise SafeError(f"{target}: malformed proposal ({exc})") from None

    def write(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically (to ``path`` or ``self.path``); returns the path."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise SafeError("no path to write the proposal to")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.to_json(), indent=2) + "\n")
            os.replace(tmp, target)
        except OSError as exc:
            raise SafeError(f"cannot write {target}: {exc.strerror or exc}") from None
        self.path = target
        return target

    def signers_of(self, safe_tx_hash: str) -> list[str]:
        return list(self.signatures.get(safe_tx_hash.lower(), {}))

    def add_signature(self, safe_tx_hash: str, owner: str, signature: bytes) -> None:
        self.signatures.setdefault(safe_tx_hash.lower(), {})[to_checksum_address(owner)] = "0x" + signature.hex()

    def signature_bytes(self, safe_tx_hash: str) -> dict[str, bytes]:
        return {owner: bytes.fromhex(sig.removeprefix("0x")) for owner, sig in self.signatures.get(safe_tx_hash.lower(), {}).items()}


# ---------------------------------------------------------------- a Safe on the chain


def _manifest_version(version: str) -> Any:
    from packaging.version import Version

    from ape_safe.packages import MANIFESTS_BY_VERSION

    parsed = Version(version.replace("+L2", ""))
    if parsed not in MANIFESTS_BY_VERSION:
        known = ", ".join(str(v) for v in sorted(MANIFESTS_BY_VERSION))
        raise SafeError(f"Safe version {version} is not one ape-safe ships (known: {known})")
    return parsed


def _safe_container(version: str) -> Any:
    """The Safe's ABI as an Ape container (ape-safe's manifest; ``SafeL2`` for v1.4.1)."""
    from ape_safe.packages import PackageType

    return PackageType.SINGLETON(_manifest_version(version))


def _at(container: Any, address: str) -> Any:
    # No explorer and no proxy detection: both would go to the network (see the module notes).
    return container.at(address, fetch_from_explorer=False, detect_proxy=False)


class Safe:
    """A deployed Safe: owners, threshold, nonce, and its transactions built, signed and executed."""

    def __init__(self, address: str, version: str, chain_id: int, contract: Any) -> None:
        self.address = to_checksum_address(address)
        self.version = version
        self.chain_id = int(chain_id)
        self.contract = contract

    @classmethod
    def at(cls, address: str) -> Safe:
        """The Safe at ``address`` on the connected chain; one-line :class:`SafeError` if there is none."""
        from ape.utils.basemodel import ManagerAccessMixin
        from eth_abi import decode

        provider = ManagerAccessMixin.network_manager.active_provider
        if provider is None or not provider.is_connected:
            raise SafeError("not connected to a network; pass --network")
        chain_id = int(provider.chain_id)
        if not is_address(address):
            raise SafeError(f"{address!r} is not an address")
        checksum = to_checksum_address(address)
        if len(provider.get_code(checksum)) == 0:
            raise SafeError(f"unknown Safe: no contract at {checksum} on chain {chain_id}")
        try:
            raw = provider.web3.eth.call({"to": checksum, "data": "0x" + keccak(text="VERSION()")[:4].hex()})
            version = str(decode(["string"], bytes(raw))[0])
            owners_raw = provider.web3.eth.call({"to": checksum, "data": "0x" + keccak(text="getOwners()")[:4].hex()})
            decode(["address[]"], bytes(owners_raw))
        except Exception:  # noqa: BLE001 - any failure here means "not a Safe"
            raise SafeError(f"unknown Safe: the contract at {checksum} on chain {chain_id} is not a Safe (no VERSION/getOwners)") from None
        contract = _at(_safe_container(version), checksum)
        return cls(checksum, version.replace("+L2", ""), chain_id, contract)

    # -- state

    def owners(self) -> list[str]:
        return [to_checksum_address(str(owner)) for owner in self.contract.getOwners()]

    def threshold(self) -> int:
        return int(self.contract.getThreshold())

    def nonce(self) -> int:
        # `.nonce` is the address's transaction count on an Ape contract; the Safe's is a view.
        return int(self.contract._view_methods_["nonce"]())

    def singleton(self) -> str:
        from ape.utils.basemodel import ManagerAccessMixin

        provider = ManagerAccessMixin.network_manager.provider
        return to_checksum_address(bytes(provider.get_storage(self.address, _SINGLETON_SLOT))[-20:])

    def approved(self, owner: str, safe_tx_hash: str) -> bool:
        """Whether ``owner`` approved the hash on chain (``approveHash``)."""
        return int(self.contract.approvedHashes(owner, bytes.fromhex(safe_tx_hash.removeprefix("0x")))) != 0

    # -- transactions

    def safe_tx(self, entry: SafeTxEntry | SafeCall, nonce: int | None = None) -> Any:
        """The EIP-712 ``SafeTx`` message (ape-safe's / eip712's type) of a plain call."""
        from eip712.common import create_safe_tx_def

        safe_tx_type = create_safe_tx_def(version=self.version, contract_address=self.address, chain_id=self.chain_id)
        tx_nonce = entry.nonce if isinstance(entry, SafeTxEntry) else nonce
        if tx_nonce is None:
            raise SafeError("a Safe transaction needs a nonce")
        return safe_tx_type(to=entry.to, value=int(entry.value), data=bytes(entry.data), operation=0, nonce=int(tx_nonce))

    def tx_hash(self, safe_tx: Any) -> str:
        """The hash owners sign (== the Safe's ``getTransactionHash``), ``0x``-hex lower case."""
        from ape_safe.utils import get_safe_tx_hash

        return str(get_safe_tx_hash(safe_tx)).lower()

    def entries(self, calls: Sequence[SafeCall], start_nonce: int | None = None) -> list[SafeTxEntry]:
        """One Safe transaction per call, with consecutive nonces from the Safe's next one."""
        nonce = self.nonce() if start_nonce is None else start_nonce
        entries = []
        for offset, call in enumerate(calls):
            tx_nonce = nonce + offset
            entries.append(
                SafeTxEntry(call.description, to_checksum_address(call.to), int(call.value), bytes(call.data), tx_nonce, self.tx_hash(self.safe_tx(call, tx_nonce)))
            )
        return entries

    def sign(self, account: Any, entry: SafeTxEntry) -> bytes:
        """``account``'s EIP-712 signature of the Safe transaction (r ‖ s ‖ v, 65 bytes)."""
        signature = account.sign_message(self.safe_tx(entry))
        if signature is None:
            raise SafeError(f"{account.address} declined to sign")
        return bytes(signature.encode_rsv())

    def recover(self, entry: SafeTxEntry, signature: bytes) -> str:
        """The address that made an EIP-712 ``signature`` of the entry."""
        from eth_account import Account

        return to_checksum_address(Account.recover_message(self.safe_tx(entry).signable_message, signature=signature))

    def valid_signatures(self, entry: SafeTxEntry, signatures: Mapping[str, bytes], owners: Iterable[str]) -> dict[str, bytes]:
        """The signatures that recover to the owner they are filed under, for owners only."""
        owner_set = set(owners)
        valid: dict[str, bytes] = {}
        for owner, signature in signatures.items():
            try:
                signer = self.recover(entry, signature)
            except Exception:  # noqa: BLE001 - a malformed signature is simply not counted
                continue
            if signer == owner and owner in owner_set:
                valid[owner] = signature
        return valid

    @staticmethod
    def pack(signatures: Mapping[str, bytes], submitter: str | None = None) -> bytes:
        """Signatures as ``execTransaction`` takes them: sorted by owner address, ascending.

        ``submitter`` (an owner who sends the transaction without having signed) is added as a
        "pre-validated" signature (v = 1, r = the owner), which the Safe accepts from msg.sender.
        """
        merged = dict(signatures)
        if submitter is not None and submitter not in merged:
            merged[submitter] = bytes(12) + bytes.fromhex(submitter[2:]) + bytes(32) + b"\x01"
        ordered = sorted(merged, key=lambda owner: int(owner, 16))
        return b"".join(merged[owner] for owner in ordered)

    def exec_args(self, entry: SafeTxEntry, packed: bytes) -> list[Any]:
        """``execTransaction``'s arguments for a plain call with no refund."""
        return [entry.to, int(entry.value), bytes(entry.data), 0, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, packed]


# ---------------------------------------------------------------- deploying Safes (local chains, tests)


def deploy_safe_contracts(deployer: Any, version: str = DEFAULT_SAFE_VERSION) -> tuple[Any, Any]:
    """Deploy Safe's singleton (``SafeL2``) and proxy factory from ape-safe's package data.

    Offline: the bytecode is in ape-safe's manifests. Also registers them with ape-safe's
    ``SafeFactory`` (``inject``) so ape-safe's own ``SafeAccount`` finds them in this process.
    """
    from ape_safe.factory import SafeFactory
    from ape_safe.packages import PackageType

    parsed = _manifest_version(version)
    singleton = deployer.deploy(PackageType.SINGLETON(parsed))
    factory = deployer.deploy(PackageType.PROXY_FACTORY(parsed))
    SafeFactory._singleton[parsed] = singleton
    SafeFactory._factory[parsed] = factory
    return singleton, factory


def create_safe(
    factory: Any,
    singleton: Any,
    owners: Sequence[Any],
    threshold: int,
    sender: Any,
    salt: int | None = None,
) -> Safe:
    """A new Safe proxy (``createProxyWithNonce``) with ``owners`` and ``threshold``; no fallback handler."""
    from ape.utils.basemodel import ManagerAccessMixin

    owner_addresses = [to_checksum_address(str(getattr(owner, "address", owner))) for owner in owners]
    if not owner_addresses:
        raise SafeError("a Safe needs at least one owner")
    if not 1 <= threshold <= len(owner_addresses):
        raise SafeError(f"threshold must be between 1 and {len(owner_addresses)}")
    setup = singleton.setup.encode_input(owner_addresses, threshold, ZERO_ADDRESS, b"", ZERO_ADDRESS, ZERO_ADDRESS, 0, ZERO_ADDRESS)
    receipt = factory.createProxyWithNonce(singleton.address, setup, salt if salt is not None else secrets.randbits(256), sender=sender)
    proxy = next(iter(receipt.decode_logs(factory.ProxyCreation))).proxy
    chain_id = ManagerAccessMixin.chain_manager.chain_id
    version = str(singleton.VERSION()).replace("+L2", "")
    return Safe(str(proxy), version, chain_id, _at(_safe_container(version), str(proxy)))
