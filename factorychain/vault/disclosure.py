"""Disclosure files: one record, with what proves it belongs to an anchored batch. Pure.

A factory hands a buyer, inspector or certifier one record — the heat-treatment curve of a late
lot — without the others. The file (JSON, ``factorychain-disclosure/1``) holds:

* ``record`` (the line, verbatim), ``index`` (its place in the batch), ``schema`` (``csv`` with the
  header line, or ``jsonl``), ``salt``;
* ``record_hash``, ``leaf``, ``proof``, ``record_count`` and ``root``: the chain of commitments from
  the record up to the anchored root;
* ``anchor``: where the root is on chain — ``{"kind": "data-anchor", "chain_id", "contract",
  "stream", "batch"}`` or ``{"kind": "escrow-lot", "chain_id", "contract", "order_id", "lot"}``
  (the lot's ``shipment_hash`` is the root);
* optionally ``uri`` (the encrypted batch) and ``record_key`` (opens that record in it, alone).

:func:`check_disclosure` runs the checks in order and names the first that fails: **record**
(the record hashes to ``record_hash``), **salt** (salt, index, schema and record give ``leaf``),
**proof** (``ceil(log2 record_count)`` hashes leading from ``leaf`` to ``root``), **root** (``root``
is the one on chain, when the caller passes it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sha3 import keccak_256

from .._hex import BytesLike, as_address, as_bytes, to_hex
from .batch import RECORD_FORMATS, OpenedBatch, schema_hash
from .errors import VerificationError
from .merkle import MAX_RECORDS, leaf_hash, merkle_proof, process_proof, tree_depth

__all__ = [
    "DISCLOSURE_FORMAT",
    "AnchorRef",
    "Disclosure",
    "check_disclosure",
    "make_disclosure",
    "read_disclosure",
    "write_disclosure",
]

DISCLOSURE_FORMAT = "factorychain-disclosure/1"
DATA_ANCHOR = "data-anchor"
ESCROW_LOT = "escrow-lot"


@dataclass(frozen=True)
class AnchorRef:
    """Where a root is on chain: a DataAnchor batch or an escrow lot's shipment_hash."""

    kind: str
    chain_id: int
    contract: str
    stream: bytes | None = None
    batch: int | None = None
    order_id: int | None = None
    lot: int | None = None

    @classmethod
    def data_anchor(cls, chain_id: int, contract: str, stream: BytesLike, batch: int) -> AnchorRef:
        return cls(DATA_ANCHOR, int(chain_id), as_address(contract, "anchor contract"), as_bytes(stream, "stream", 32), int(batch))

    @classmethod
    def escrow_lot(cls, chain_id: int, contract: str, order_id: int, lot: int) -> AnchorRef:
        return cls(ESCROW_LOT, int(chain_id), as_address(contract, "escrow contract"), order_id=int(order_id), lot=int(lot))

    def describe(self) -> str:
        if self.kind == DATA_ANCHOR:
            return f"batch {self.batch} of stream {to_hex(self.stream or b'')} on DataAnchor {self.contract} (chain {self.chain_id})"
        return f"lot {self.lot} of order {self.order_id} on escrow {self.contract} (chain {self.chain_id})"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "chain_id": self.chain_id, "contract": self.contract}
        if self.kind == DATA_ANCHOR:
            data.update(stream=to_hex(self.stream or b""), batch=self.batch)
        else:
            data.update(order_id=self.order_id, lot=self.lot)
        return data

    @classmethod
    def from_json(cls, data: Any) -> AnchorRef:
        if not isinstance(data, dict):
            raise ValueError("anchor is not an object")
        kind = data.get("kind")
        if kind == DATA_ANCHOR:
            return cls.data_anchor(_int(data["chain_id"]), data["contract"], data["stream"], _int(data["batch"], 1))
        if kind == ESCROW_LOT:
            return cls.escrow_lot(_int(data["chain_id"]), data["contract"], _int(data["order_id"], 1), _int(data["lot"], 1))
        raise ValueError(f"unknown anchor kind {kind!r} (expected {DATA_ANCHOR} or {ESCROW_LOT})")


def _int(value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{value!r} is not an integer >= {minimum}")
    return value


@dataclass(frozen=True)
class Disclosure:
    """One disclosed record and its proof (see the module docstring)."""

    record: bytes
    index: int
    record_format: str
    header: bytes
    salt: bytes
    record_hash: bytes
    leaf: bytes
    proof: tuple[bytes, ...]
    record_count: int
    root: bytes
    anchor: AnchorRef | None
    uri: str | None = None
    record_key: bytes | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.record.decode("utf-8", errors="replace")

    def with_anchor(self, anchor: AnchorRef) -> Disclosure:
        return replace(self, anchor=anchor)

    def to_json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"format": self.record_format}
        if self.record_format == "csv":
            schema["header"] = self.header.decode("utf-8")
        data: dict[str, Any] = {
            "format": DISCLOSURE_FORMAT,
            "record": self.record.decode("utf-8"),
            "index": self.index,
            "schema": schema,
            "salt": to_hex(self.salt),
            "record_hash": to_hex(self.record_hash),
            "leaf": to_hex(self.leaf),
            "proof": [to_hex(node) for node in self.proof],
            "record_count": self.record_count,
            "root": to_hex(self.root),
            "anchor": self.anchor.to_json() if self.anchor else None,
        }
        if self.uri:
            data["uri"] = self.uri
        if self.record_key is not None:
            data["record_key"] = to_hex(self.record_key)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Disclosure:
        """Parse; a malformed file is a ``format`` :class:`VerificationError`."""
        try:
            if not isinstance(data, dict) or data.get("format") != DISCLOSURE_FORMAT:
                raise ValueError(f"not a {DISCLOSURE_FORMAT} file")
            schema = data["schema"]
            fmt = schema["format"]
            if fmt not in RECORD_FORMATS:
                raise ValueError(f"unknown record format {fmt!r}")
            header = str(schema.get("header", "")).encode("utf-8") if fmt == "csv" else b""
            proof = data["proof"]
            if not isinstance(proof, list):
                raise ValueError("proof is not a list")
            count = _int(data["record_count"], 1)
            if count > MAX_RECORDS:
                raise ValueError("record_count is too large")
            record = data["record"]
            if not isinstance(record, str):
                raise ValueError("record is not a string")
            return cls(
                record=record.encode("utf-8"),
                index=_int(data["index"]),
                record_format=fmt,
                header=header,
                salt=as_bytes(data["salt"], "salt", 32),
                record_hash=as_bytes(data["record_hash"], "record_hash", 32),
                leaf=as_bytes(data["leaf"], "leaf", 32),
                proof=tuple(as_bytes(node, "proof node", 32) for node in proof),
                record_count=count,
                root=as_bytes(data["root"], "root", 32),
                anchor=AnchorRef.from_json(data["anchor"]) if data.get("anchor") is not None else None,
                uri=str(data["uri"]) if data.get("uri") else None,
                record_key=as_bytes(data["record_key"], "record_key") if data.get("record_key") else None,
            )
        except KeyError as missing:
            raise VerificationError("format", f"the disclosure has no {missing.args[0]!r} field") from None
        except (TypeError, ValueError) as exc:
            raise VerificationError("format", " ".join(str(exc).split())) from None


def make_disclosure(
    opened: OpenedBatch,
    index: int,
    *,
    anchor: AnchorRef | None = None,
    uri: str | None = None,
    record_key: bytes | None = None,
) -> Disclosure:
    """The disclosure of record ``index`` of an opened batch."""
    header = opened.header
    proof = merkle_proof(opened.levels, index)
    record = opened.records[index]
    return Disclosure(
        record=record,
        index=index,
        record_format=header.record_format,
        header=opened.header_line,
        salt=opened.salt(index),
        record_hash=keccak_256(record).digest(),
        leaf=opened.levels[0][index],
        proof=tuple(proof),
        record_count=header.record_count,
        root=header.root,
        anchor=anchor,
        uri=uri,
        record_key=record_key,
    )


def check_disclosure(disclosure: Disclosure, onchain_root: bytes | None = None) -> None:
    """Run the record, salt, proof (and, given the on-chain root, root) checks; raise on the first
    that fails, as a :class:`VerificationError` whose ``check`` names it."""
    d = disclosure
    if keccak_256(d.record).digest() != d.record_hash:
        raise VerificationError(
            "record", f"record {d.index} does not hash to the disclosed record_hash (the record was altered)"
        )
    if d.index >= d.record_count:
        raise VerificationError("salt", f"index {d.index} is outside a batch of {d.record_count} records")
    leaf = leaf_hash(d.salt, d.index, schema_hash(d.record_format, d.header), d.record)
    if leaf != d.leaf:
        raise VerificationError(
            "salt", "salt, index, schema and record do not give the disclosed leaf (salt, index or header altered)"
        )
    depth = tree_depth(d.record_count)
    if len(d.proof) != depth:
        raise VerificationError(
            "proof", f"the proof has {len(d.proof)} hashes; a batch of {d.record_count} records needs {depth}"
        )
    if process_proof(d.leaf, d.proof) != d.root:
        raise VerificationError("proof", "the proof does not lead from the leaf to the disclosed root")
    if onchain_root is not None:
        where = d.anchor.describe() if d.anchor else "the chain"
        if bytes(onchain_root) == bytes(32):
            raise VerificationError("root", f"nothing is anchored at {where}")
        if bytes(onchain_root) != d.root:
            raise VerificationError(
                "root", f"the disclosed root {to_hex(d.root)} is not the one anchored at {where} ({to_hex(onchain_root)})"
            )


def write_disclosure(disclosure: Disclosure, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(json.dumps(disclosure.to_json(), indent=2) + "\n", encoding="utf-8")
    return target


def read_disclosure(path: str | Path) -> Disclosure:
    """Read a disclosure file; missing file or bad JSON is a ``format`` :class:`VerificationError`."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise VerificationError("format", f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise VerificationError("format", f"{source} is not valid JSON") from None
    return Disclosure.from_json(data)
