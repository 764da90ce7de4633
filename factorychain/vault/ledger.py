"""The owner's vault folder: which stream, which store, the wrapped stream key, and every batch.

Plain files, no chain access::

    <vault>/vault.json      the stream (name, label, id, owner), the store location and its
                            non-secret S3 settings, the stream key wrapped to the owner's public
                            key, and optionally the DataAnchor it is anchored on
    <vault>/batches.jsonl   one line per sealed batch: sequence number, URI, root, record count,
                            source file and first line, and — once anchored — the chain, contract
                            and batch number (or the escrow lot it was shipped as)

The stream key itself is never written: every command that needs it opens the envelope with the
owner's private key.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .._hex import BytesLike, as_address, as_bytes, to_hex
from ..keys import address_from_private_key, address_from_public_key, parse_private_key
from .errors import VaultError
from .streamkey import new_stream_key, stream_id, stream_label, unwrap_stream_key, wrap_stream_key

__all__ = ["CONFIG_FORMAT", "BatchEntry", "Vault", "VaultConfig"]

CONFIG_FORMAT = "factorychain-vault/1"
_CONFIG = "vault.json"
_LEDGER = "batches.jsonl"
#: Storage options that may be written down; credentials never are.
_SAFE_OPTIONS = {"endpoint_url", "client_kwargs", "profile", "anon"}


@dataclass(frozen=True)
class VaultConfig:
    """What ``vault.json`` holds."""

    name: str
    label: bytes
    owner: str
    stream: bytes
    store: str
    envelope: bytes
    storage_options: dict[str, Any] = field(default_factory=dict)
    chain_id: int | None = None
    anchor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CONFIG_FORMAT,
            "name": self.name,
            "label": to_hex(self.label),
            "owner": self.owner,
            "stream": to_hex(self.stream),
            "store": self.store,
            "storage_options": self.storage_options,
            "envelope": to_hex(self.envelope),
            "chain_id": self.chain_id,
            "anchor": self.anchor,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> VaultConfig:
        if not isinstance(data, dict) or data.get("format") != CONFIG_FORMAT:
            raise VaultError(f"{where}: not a FactoryChain vault ({CONFIG_FORMAT}) file")
        try:
            config = cls(
                name=str(data["name"]),
                label=as_bytes(data["label"], "label", 32),
                owner=as_address(data["owner"], "owner"),
                stream=as_bytes(data["stream"], "stream", 32),
                store=str(data["store"]),
                envelope=as_bytes(data["envelope"], "envelope"),
                storage_options=dict(data.get("storage_options") or {}),
                chain_id=int(data["chain_id"]) if data.get("chain_id") is not None else None,
                anchor=as_address(data["anchor"], "anchor") if data.get("anchor") else None,
            )
        except KeyError as missing:
            raise VaultError(f"{where}: missing field {missing.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise VaultError(f"{where}: {exc}") from None
        if stream_id(config.owner, config.label) != config.stream:
            raise VaultError(f"{where}: the stream id does not belong to its owner and label")
        return config


@dataclass(frozen=True)
class BatchEntry:
    """One line of ``batches.jsonl``."""

    seq: int
    uri: str
    root: str
    record_count: int
    record_format: str
    source: str
    first_line: int
    #: {"chain_id", "contract", "batch", "tx"} once anchored on DataAnchor.
    anchored: dict[str, Any] | None = None
    #: {"chain_id", "contract", "order_id", "lot"} once shipped as an escrow lot's shipment_hash.
    lot: dict[str, Any] | None = None


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise VaultError(f"cannot write {path}: {exc.strerror or exc}") from None


class Vault:
    """An owner's vault folder (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str], config: VaultConfig) -> None:
        self.directory = Path(directory)
        self.config = config

    def __repr__(self) -> str:
        return f"Vault({str(self.directory)!r}, stream={to_hex(self.config.stream)})"

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        *,
        name: str,
        owner_public_key: BytesLike,
        store: str,
        storage_options: dict[str, Any] | None = None,
        chain_id: int | None = None,
        anchor: str | None = None,
    ) -> tuple[Vault, bytes]:
        """A new vault with a fresh stream key; returns it and the key (keep it in memory only)."""
        folder = Path(directory)
        if (folder / _CONFIG).exists():
            raise VaultError(f"{folder / _CONFIG} already exists; refusing to replace a stream key")
        options = dict(storage_options or {})
        unsafe = set(options) - _SAFE_OPTIONS
        if unsafe:
            raise VaultError(f"storage options {sorted(unsafe)} may hold secrets and are not written to vault.json")
        owner = address_from_public_key(owner_public_key)
        label = stream_label(name)
        sid = stream_id(owner, label)
        key = new_stream_key()
        config = VaultConfig(
            name=name,
            label=label,
            owner=owner,
            stream=sid,
            store=store,
            envelope=wrap_stream_key(key, owner_public_key, sid),
            storage_options=options,
            chain_id=chain_id,
            anchor=as_address(anchor, "anchor") if anchor else None,
        )
        vault = cls(folder, config)
        vault.save()
        _write_atomic(folder / _LEDGER, "")
        return vault, key

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> Vault:
        """Read a vault folder."""
        path = Path(directory) / _CONFIG
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise VaultError(f"no vault at {directory} (missing {_CONFIG}); create one with `factorychain vault init`") from None
        except OSError as exc:
            raise VaultError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise VaultError(f"{path} is not valid JSON") from None
        return cls(directory, VaultConfig.from_json(data, str(path)))

    def save(self) -> None:
        _write_atomic(self.directory / _CONFIG, json.dumps(self.config.to_json(), indent=2) + "\n")

    def with_anchor(self, chain_id: int, anchor: str) -> Vault:
        """Record the DataAnchor the stream lives on."""
        self.config = replace(self.config, chain_id=int(chain_id), anchor=as_address(anchor, "anchor"))
        self.save()
        return self

    def stream_key(self, private_key: BytesLike) -> bytes:
        """Open the stream key with the owner's private key."""
        secret = parse_private_key(private_key)
        who = address_from_private_key(secret)
        if who != self.config.owner:
            raise VaultError(f"this vault's stream key is wrapped to its owner {self.config.owner}, not to {who}")
        return unwrap_stream_key(self.config.envelope, secret, self.config.stream)

    # ------------------------------------------------------------ ledger

    def batches(self) -> list[BatchEntry]:
        path = self.directory / _LEDGER
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entries.append(BatchEntry(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise VaultError(f"{path}:{number}: not a batch entry ({exc})") from None
        return entries

    def batch(self, selector: str | int) -> BatchEntry:
        """A batch by sequence number (``3``), root (``0x…``, a unique prefix is enough) or URI."""
        entries = self.batches()
        text = str(selector).strip()
        if text.isdigit():
            found = [entry for entry in entries if entry.seq == int(text)]
        else:
            lowered = text.lower()
            found = [
                entry
                for entry in entries
                if entry.uri == text or (lowered.startswith("0x") and len(lowered) > 4 and entry.root.startswith(lowered))
            ]
        if len(found) != 1:
            what = "no batch" if not found else f"{len(found)} batches"
            raise VaultError(f"{what} in {self.directory} match {text!r} (see `factorychain vault batches`)")
        return found[0]

    def append(self, entry: BatchEntry) -> None:
        path = self.directory / _LEDGER
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(entry)) + "\n")
        except OSError as exc:
            raise VaultError(f"cannot write {path}: {exc.strerror or exc}") from None

    def next_seq(self) -> int:
        entries = self.batches()
        return entries[-1].seq + 1 if entries else 1

    def update(self, seq: int, **changes: Any) -> BatchEntry:
        """Rewrite one entry (anchored / lot), atomically."""
        entries = self.batches()
        updated: BatchEntry | None = None
        for position, entry in enumerate(entries):
            if entry.seq == seq:
                updated = entries[position] = replace(entry, **changes)
        if updated is None:
            raise VaultError(f"no batch {seq} in {self.directory}")
        _write_atomic(self.directory / _LEDGER, "".join(json.dumps(asdict(e)) + "\n" for e in entries))
        return updated
