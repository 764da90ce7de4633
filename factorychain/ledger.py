"""The ledger: the registry's and the escrow's events in a local SQLite database — pure, no chain.

Everything here works on data already fetched: raw ``eth_getLogs`` entries are decoded with
:class:`EventCodec` (eth_abi over the contracts' ABIs) and appended to a :class:`Ledger`, one
SQLite file per deployment (chain id + escrow address). Reading the node is
:mod:`factorychain.ledger_sync`'s job; this module never opens a connection to one.

    ledger = Ledger.open(path, chain_id=31337, escrow=escrow, registry=registry, start_block=12)
    ledger.owed("0xSupplier…")            # per token: locked, in review, unshipped, in dispute, credit
    ledger.deadlines(party="0xBuyer…")     # the next clocks, soonest first
    ledger.export_rows()                   # one row per payment, deferral, refund, penalty, claim

**What is stored.** ``events`` keeps every decoded event (the source of truth, keyed by block
and log index); the other tables — agreements, payees, orders, lots, transfers, refunds,
penalties, claims, credits — are *derived* from it by :meth:`Ledger._apply`, in the same SQLite
transaction as the events, so a reader never sees one without the other. A rollback (reorg)
deletes the events above the common ancestor and rebuilds the derived tables by replaying
what is left. The cursor is the last block scanned, with its hash, so that the next sync can
tell whether the chain below it changed.

**Amounts** are stored as decimal text (uint256 does not fit SQLite's 64-bit integers) and
summed in Python, to the wei.

**The payout model** is :func:`factorychain.payouts.lot_payout` (SPEC v2): each settlement of
a lot is expanded into the transfers the escrow pushes, in push order, and the ``Paid`` /
``PaymentDeferred`` events that follow it in the same transaction are matched against them; a
transfer the model did not predict is kept with purpose ``unmatched`` and counted in
``meta.unmatched`` (a model/contract divergence worth a look, never silently dropped).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from .errors import FactoryChainError
from .payouts import lot_payout

__all__ = [
    "DEFAULT_ARBITRATION_TIMEOUT",
    "EXPORT_FIELDS",
    "LEDGER_ENV",
    "SCHEMA_VERSION",
    "Deadline",
    "DecodedEvent",
    "DueAction",
    "EventCodec",
    "Ledger",
    "LedgerError",
    "Owed",
    "default_ledger_dir",
    "ledger_path",
]

SCHEMA_VERSION = 1
#: Environment variable naming the folder of ledger databases (default ``~/.factorychain/ledger``).
LEDGER_ENV = "FACTORYCHAIN_LEDGER_DIR"
#: ``OrderEscrow.DEFAULT_ARBITRATION_TIMEOUT``: the timeout until the first ``ArbitrationTimeoutSet``.
DEFAULT_ARBITRATION_TIMEOUT = 30 * 86_400
BPS = 10_000
ZERO = "0x0000000000000000000000000000000000000000"

# Flag values (SPEC v2): AgreementStatus, LotStatus.
PROPOSED, ACTIVE, CLOSED = 1, 2, 4
SHIPPED, DISPUTED, COMPLETED, RESOLVED = 1, 2, 4, 8
LOT_STATUS_NAMES = {SHIPPED: "SHIPPED", DISPUTED: "DISPUTED", COMPLETED: "COMPLETED", RESOLVED: "RESOLVED"}

#: Columns of :meth:`Ledger.export_rows`, in CSV order.
EXPORT_FIELDS = (
    "kind", "purpose", "po_ref", "po_ref_hex", "agreement_id", "order_id", "lot", "payee", "token",
    "amount", "tx_hash", "log_index", "block_number", "block_time", "block_time_iso",
)  # fmt: skip


class LedgerError(FactoryChainError):
    """The ledger file does not belong to this deployment, or is from another schema; one line."""


def default_ledger_dir() -> Path:
    """``$FACTORYCHAIN_LEDGER_DIR`` if set, else ``~/.factorychain/ledger``."""
    override = os.environ.get(LEDGER_ENV)
    return Path(override).expanduser() if override else Path.home() / ".factorychain" / "ledger"


def ledger_path(chain_id: int, escrow: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """One database per deployment: ``<dir>/<chain id>-<escrow address, lower case>.sqlite``."""
    base = Path(directory) if directory is not None else default_ledger_dir()
    return base / f"{int(chain_id)}-{str(escrow).lower()}.sqlite"


# ---------------------------------------------------------------- ABI codec


def _abi_type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def _normalize(kind: str, value: Any) -> Any:
    """ABI values as JSON-friendly Python: checksummed addresses, 0x-hex bytes, lists for tuples."""
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        return [_normalize(inner, v) for v in value]
    if kind.startswith("("):
        parts = _split_tuple(kind)
        return [_normalize(k, v) for k, v in zip(parts, value, strict=True)]
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes"):
        return "0x" + bytes(value).hex()
    return value


def _split_tuple(kind: str) -> list[str]:
    body = kind[1 : kind.rindex(")")]
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    if body:
        parts.append(body[start:])
    return parts


def _is_static_word(kind: str) -> bool:
    """A type that is exactly one 32-byte word in place (no arrays, no tuples, no dynamic bytes)."""
    if "[" in kind or kind.startswith("("):
        return False
    return kind == "address" or kind == "bool" or kind.startswith(("uint", "int")) or (
        kind.startswith("bytes") and kind != "bytes"
    )


@dataclass(frozen=True)
class _EventSpec:
    contract: str
    name: str
    names: tuple[str, ...]
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]


@dataclass
class DecodedEvent:
    """One log, decoded. ``args`` holds JSON-friendly values (see :func:`_normalize`)."""

    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    contract: str  # "escrow" or "registry"
    name: str
    args: dict[str, Any]
    block_time: int | None = None
    #: Facts the event does not carry, added by the sync (an agreement's review/grace terms).
    extra: dict[str, Any] = field(default_factory=dict)


class EventCodec:
    """Decodes raw logs of the deployment's contracts, and encodes/decodes the few views the sync reads.

    ``abis`` maps a contract label (``"escrow"``, ``"registry"``) to its ABI (a list of JSON
    entries); ``addresses`` maps the same labels to the deployed addresses.
    """

    def __init__(self, abis: Mapping[str, Sequence[Mapping[str, Any]]], addresses: Mapping[str, str]) -> None:
        self.addresses = {label: to_checksum_address(address) for label, address in addresses.items()}
        self._by_address = {address.lower(): label for label, address in self.addresses.items()}
        self._events: dict[tuple[str, str], _EventSpec] = {}
        self._functions: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._address_cache: dict[str, str] = {}
        for label, abi in abis.items():
            for entry in abi:
                if entry.get("type") == "event" and not entry.get("anonymous"):
                    inputs = list(entry.get("inputs", []))
                    signature = f"{entry['name']}({','.join(_abi_type(p) for p in inputs)})"
                    topic = "0x" + keccak(text=signature).hex()
                    self._events[(label, topic)] = _EventSpec(
                        contract=label,
                        name=str(entry["name"]),
                        names=tuple(str(p["name"]) for p in inputs),
                        indexed=tuple((str(p["name"]), _abi_type(p)) for p in inputs if p.get("indexed")),
                        data=tuple((str(p["name"]), _abi_type(p)) for p in inputs if not p.get("indexed")),
                    )
                elif entry.get("type") == "function":
                    self._functions[(label, str(entry["name"]))] = entry

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent | None:
        """A raw JSON-RPC log as a :class:`DecodedEvent`; ``None`` for a log of no known event.

        Static words (uintN, address, bytes32, bool) are read straight from the hex text; only
        dynamic types (strings, bytes, arrays, structs) go through eth_abi. Addresses are
        checksummed once each and cached: a sync sees the same few parties again and again.
        """
        label = self._by_address.get(str(log["address"]).lower())
        topics = log.get("topics") or []
        if label is None or not topics:
            return None
        spec = self._events.get((label, str(topics[0]).lower()))
        if spec is None:
            return None
        values: dict[str, Any] = {}
        for (name, kind), topic in zip(spec.indexed, topics[1:], strict=True):
            values[name] = self._word(kind, str(topic)[2:])
        if spec.data:
            data = str(log["data"])[2:]
            if all(_is_static_word(kind) for _, kind in spec.data):
                for i, (name, kind) in enumerate(spec.data):
                    values[name] = self._word(kind, data[64 * i : 64 * (i + 1)])
            else:
                decoded = abi_decode([kind for _, kind in spec.data], bytes.fromhex(data))
                for (name, kind), value in zip(spec.data, decoded, strict=True):
                    values[name] = self._normalize_cached(kind, value)
        timestamp = log.get("blockTimestamp")
        return DecodedEvent(
            block_number=int(log["blockNumber"], 16),
            log_index=int(log["logIndex"], 16),
            block_hash=str(log["blockHash"]),
            tx_hash=str(log["transactionHash"]),
            contract=label,
            name=spec.name,
            args={name: values[name] for name in spec.names},
            block_time=int(timestamp, 16) if timestamp else None,
        )

    def _checksum(self, hex40: str) -> str:
        cached = self._address_cache.get(hex40)
        if cached is None:
            cached = self._address_cache[hex40] = to_checksum_address("0x" + hex40)
        return cached

    def _word(self, kind: str, word: str) -> Any:
        """One 32-byte ABI word (64 hex digits) of a static type (or the hash topic of a dynamic one)."""
        if kind == "address":
            return self._checksum(word[-40:].lower())
        if kind.startswith("uint"):
            return int(word, 16)
        if kind == "bool":
            return int(word, 16) != 0
        if kind.startswith("bytes"):
            size = int(kind[5:])
            return "0x" + word[: 2 * size].lower()
        if kind.startswith("int"):
            value = int(word, 16)
            return value - (1 << 256) if value >= 1 << 255 else value
        return "0x" + word.lower()  # an indexed dynamic value: the topic is its keccak256

    def _normalize_cached(self, kind: str, value: Any) -> Any:
        if kind == "address":
            return self._checksum(str(value)[2:].lower())
        if kind.endswith("]"):
            inner = kind[: kind.rindex("[")]
            return [self._normalize_cached(inner, v) for v in value]
        if kind.startswith("("):
            return [self._normalize_cached(k, v) for k, v in zip(_split_tuple(kind), value, strict=True)]
        return _normalize(kind, value)

    def call_data(self, label: str, function: str, *args: Any) -> str:
        """``0x``-hex calldata for a view of one of the contracts."""
        entry = self._functions[(label, function)]
        types = [_abi_type(p) for p in entry.get("inputs", [])]
        selector = keccak(text=f"{function}({','.join(types)})")[:4]
        return "0x" + (selector + abi_encode(types, list(args))).hex()

    def decode_output(self, label: str, function: str, data: str) -> list[Any]:
        """A view's return data, normalized like event arguments."""
        entry = self._functions[(label, function)]
        types = [_abi_type(p) for p in entry.get("outputs", [])]
        raw = abi_decode(types, bytes.fromhex(data[2:] if data.startswith("0x") else data))
        return [_normalize(kind, value) for kind, value in zip(types, raw, strict=True)]


# ---------------------------------------------------------------- query results


@dataclass(frozen=True)
class Owed:
    """What one address has at stake in one token, to the wei (see :meth:`Ledger.owed`)."""

    token: str
    #: As a buyer: the value of its orders' unshipped, unrefunded units and of their lots in
    #: review or in dispute — money of its own the escrow holds.
    locked: int = 0
    #: As subcontractor, supplier or assignee: what the lots in review pay it when confirmed or
    #: released (SPEC's split, the lot's late penalty deducted from the holder's remainder).
    in_review: int = 0
    #: Same, for units not shipped yet while the shipping window is open, valued as one lot
    #: shipped on time (no penalty; several lots may round differently by a few wei per payee).
    unshipped: int = 0
    #: Same, for disputed lots if the supplier side were awarded in full (the arbiter decides).
    in_dispute: int = 0
    #: Deferred payments it may ``claim`` now (``credit_of``).
    credit: int = 0

    @property
    def receivable(self) -> int:
        return self.in_review + self.unshipped

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["receivable"] = self.receivable
        return data


@dataclass(frozen=True)
class Deadline:
    """One running clock (all times inclusive Unix seconds, as ``OrderEscrow.deadlines``)."""

    due_at: int
    kind: str  # "ship_by", "shipping_window", "review", "arbitration"
    order_id: int
    lot: int  # 0 for an order-level clock
    token: str
    amount: int  # the value at stake
    who: str  # who acts before the clock runs out
    after: str  # what anyone may do once it has run out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DueAction:
    """A settlement anyone may send now: ``release``, ``refund_expired`` or ``resolve_expired``."""

    function: str
    order_id: int
    lot: int  # 0 for refund_expired
    due_at: int  # the deadline that ran out (the call is valid once block.timestamp > due_at)

    @property
    def args(self) -> tuple[int, ...]:
        return (self.order_id,) if self.function == "refund_expired" else (self.order_id, self.lot)

    @property
    def key(self) -> str:
        return f"{self.function}:{self.order_id}:{self.lot}"


# ---------------------------------------------------------------- the database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp INTEGER);
CREATE TABLE IF NOT EXISTS events (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, block_hash TEXT NOT NULL,
    tx_hash TEXT NOT NULL, block_time INTEGER, contract TEXT NOT NULL, name TEXT NOT NULL,
    args TEXT NOT NULL, extra TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS events_name ON events (name);
"""

_DERIVED = """
CREATE TABLE agreements (
    agreement_id INTEGER PRIMARY KEY, buyer TEXT, supplier TEXT, part_id TEXT, version INTEGER,
    token TEXT, unit_price TEXT, max_quantity INTEGER, valid_until INTEGER, review_period INTEGER,
    grace_period INTEGER, inspector TEXT, penalty_bps_per_day INTEGER, penalty_cap_bps INTEGER,
    status INTEGER, units_called_off INTEGER, proposed_block INTEGER
);
CREATE TABLE payees (agreement_id INTEGER, idx INTEGER, account TEXT, share_bps INTEGER,
    PRIMARY KEY (agreement_id, idx));
CREATE INDEX payees_account ON payees (account);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY, agreement_id INTEGER, buyer TEXT, supplier TEXT, holder TEXT,
    token TEXT, unit_price TEXT, quantity INTEGER, amount TEXT, ship_by INTEGER, po_ref TEXT,
    units_shipped INTEGER DEFAULT 0, units_refunded INTEGER DEFAULT 0, refunded INTEGER DEFAULT 0,
    lot_count INTEGER DEFAULT 0, declined INTEGER DEFAULT 0, created_block INTEGER,
    created_time INTEGER, tx_hash TEXT
);
CREATE INDEX orders_buyer ON orders (buyer);
CREATE INDEX orders_supplier ON orders (supplier);
CREATE INDEX orders_holder ON orders (holder);
CREATE TABLE lots (
    order_id INTEGER, lot INTEGER, quantity INTEGER, value TEXT, penalty_bps INTEGER,
    shipment_hash TEXT, shipped_at INTEGER, received INTEGER, status INTEGER,
    arbitration_deadline INTEGER DEFAULT 0, supplier_bps INTEGER, settled_at INTEGER,
    settled_tx TEXT, PRIMARY KEY (order_id, lot)
);
CREATE INDEX lots_status ON lots (status);
CREATE TABLE transfers (
    block_number INTEGER, log_index INTEGER, tx_hash TEXT, block_time INTEGER, kind TEXT,
    purpose TEXT, order_id INTEGER, lot INTEGER, payee TEXT, token TEXT, amount TEXT,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX transfers_payee ON transfers (payee);
CREATE TABLE refunds (block_number INTEGER, log_index INTEGER, tx_hash TEXT, block_time INTEGER,
    order_id INTEGER, payee TEXT, token TEXT, quantity INTEGER, amount TEXT,
    PRIMARY KEY (block_number, log_index));
CREATE TABLE penalties (block_number INTEGER, log_index INTEGER, tx_hash TEXT, block_time INTEGER,
    order_id INTEGER, lot INTEGER, payee TEXT, token TEXT, amount TEXT,
    PRIMARY KEY (block_number, log_index));
CREATE TABLE claims (block_number INTEGER, log_index INTEGER, tx_hash TEXT, block_time INTEGER,
    account TEXT, token TEXT, amount TEXT, PRIMARY KEY (block_number, log_index));
CREATE TABLE credits (account TEXT, token TEXT, amount TEXT, PRIMARY KEY (account, token));
"""

_DERIVED_TABLES = (
    "agreements", "payees", "orders", "lots", "transfers", "refunds", "penalties", "claims", "credits",
)  # fmt: skip

# Events after which the escrow pushes lot payouts (SPEC: lot event first, then Paid/Deferred).
_SETTLING = frozenset({"DeliveryConfirmed", "LotReleased", "DisputeResolved", "GoodsReceived"})


@dataclass
class _Expected:
    tx_hash: str
    order_id: int
    lot: int
    payee: str
    amount: int
    purpose: str


class Ledger:
    """One deployment's events and what follows from them, in one SQLite file.

    Open with :meth:`open`; the identity (chain id, escrow, registry, start block) is written on
    creation and checked on every later open, so a file never mixes two deployments. Safe for
    several processes: WAL journal, writes in ``BEGIN IMMEDIATE`` transactions that re-check the
    cursor (:meth:`append` returns ``False`` if another writer moved it first).
    """

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        self.db = connection
        self.path = path
        self._expected: deque[_Expected] = deque()
        self._agreement_cache: dict[int, dict[str, Any]] = {}
        self._payee_cache: dict[int, list[tuple[str, int]]] = {}

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None,
        *,
        chain_id: int,
        escrow: str,
        registry: str,
        start_block: int,
    ) -> Ledger:
        """Open (or create) the ledger at ``path`` (``None``: in memory) for this deployment."""
        target = Path(path) if path is not None else None
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        # A bot runner (Silverback) calls its handlers from a pool of threads, one at a time (the
        # keeper bot serialises its rounds with a lock): the connection may move between threads,
        # never be used by two at once.
        connection = sqlite3.connect(
            str(target) if target else ":memory:", timeout=60, isolation_level=None, check_same_thread=False
        )
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout = 60000")
        if target is not None:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        ledger = cls(connection, target)
        identity = {
            "schema": str(SCHEMA_VERSION),
            "chain_id": str(int(chain_id)),
            "escrow": to_checksum_address(escrow),
            "registry": to_checksum_address(registry),
            "start_block": str(int(start_block)),
        }
        for statement in _SCHEMA.strip().split(";"):
            if statement.strip():
                connection.execute(statement)
        with ledger._write():
            stored = ledger._meta_all()
            if not stored:
                for key, value in identity.items():
                    ledger._set_meta(key, value)
                ledger._set_meta("arbitration_timeout", str(DEFAULT_ARBITRATION_TIMEOUT))
                ledger._set_meta("unmatched", "0")
                ledger._create_derived()
            else:
                where = str(target) if target else "ledger"
                for key, value in identity.items():
                    if stored.get(key) != value:
                        raise LedgerError(
                            f"{where} has {key} {stored.get(key)!r}, not {value!r}: it belongs to another "
                            "deployment (or an older schema); use another file or delete this one to re-index"
                        )
        return ledger

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _write(self) -> Ledger._Tx:
        return Ledger._Tx(self.db)

    def _meta_all(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.db.execute("SELECT key, value FROM meta")}

    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _create_derived(self) -> None:
        for table in _DERIVED_TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _DERIVED.strip().split(";"):
            if statement.strip():
                self.db.execute(statement)

    # ---------------------------------------------------------------- identity and cursor

    @property
    def chain_id(self) -> int:
        return int(self._meta("chain_id") or 0)

    @property
    def escrow(self) -> str:
        return str(self._meta("escrow"))

    @property
    def registry(self) -> str:
        return str(self._meta("registry"))

    @property
    def start_block(self) -> int:
        return int(self._meta("start_block") or 0)

    @property
    def cursor(self) -> tuple[int, str] | None:
        """``(number, hash)`` of the last block scanned, or ``None`` before the first sync."""
        number, block_hash = self._meta("cursor_block"), self._meta("cursor_hash")
        return (int(number), str(block_hash)) if number is not None and block_hash is not None else None

    @property
    def cursor_time(self) -> int | None:
        value = self._meta("cursor_time")
        return int(value) if value is not None else None

    @property
    def unmatched(self) -> int:
        """Transfers the payout model did not predict (0 unless model and contract diverge)."""
        return int(self._meta("unmatched") or 0)

    def stored_blocks(self, below: int | None = None) -> list[tuple[int, str]]:
        """``(number, hash)`` of every block the ledger vouches for, newest first."""
        query = "SELECT number, hash FROM blocks"
        params: tuple[Any, ...] = ()
        if below is not None:
            query += " WHERE number <= ?"
            params = (below,)
        return [(row["number"], row["hash"]) for row in self.db.execute(query + " ORDER BY number DESC", params)]

    def event_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    # ---------------------------------------------------------------- writing

    def append(
        self,
        events: Iterable[DecodedEvent],
        *,
        through: tuple[int, str, int | None],
        expect_cursor: tuple[int, str] | None,
    ) -> bool:
        """Add the events of blocks up to ``through = (number, hash, timestamp)`` and move the cursor.

        All or nothing, in one transaction. ``expect_cursor`` is the cursor the caller read before
        fetching; if another process moved it meanwhile, nothing is written and ``False`` is
        returned (the caller re-reads and tries again).
        """
        ordered = sorted(events, key=lambda e: (e.block_number, e.log_index))
        number, block_hash, timestamp = through
        with self._write():
            self._clear_caches()  # another process may have written since
            if self.cursor != (tuple(expect_cursor) if expect_cursor else None):
                return False
            for event in ordered:
                if event.block_number > number:
                    raise ValueError(f"event in block {event.block_number} beyond the range end {number}")
                self.db.execute(
                    "INSERT INTO events (block_number, log_index, block_hash, tx_hash, block_time, contract, "
                    "name, args, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        event.block_number, event.log_index, event.block_hash, event.tx_hash, event.block_time,
                        event.contract, event.name, json.dumps(event.args), json.dumps(event.extra),
                    ),
                )  # fmt: skip
                self.db.execute(
                    "INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)",
                    (event.block_number, event.block_hash, event.block_time),
                )
                self._apply(event)
            self._check_expected_done()
            self.db.execute(
                "INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)",
                (number, block_hash, timestamp),
            )
            self._set_meta("cursor_block", str(number))
            self._set_meta("cursor_hash", block_hash)
            if timestamp is not None:
                self._set_meta("cursor_time", str(timestamp))
        return True

    def rollback_to(self, number: int) -> int:
        """Forget every event above block ``number`` (a reorg's common ancestor) and rebuild.

        Returns how many events were dropped. ``number`` below the start block empties the ledger.
        """
        with self._write():
            dropped = self.db.execute("DELETE FROM events WHERE block_number > ?", (number,)).rowcount
            self.db.execute("DELETE FROM blocks WHERE number > ?", (number,))
            kept = self.db.execute("SELECT hash, timestamp FROM blocks WHERE number = ?", (number,)).fetchone()
            if number < self.start_block or kept is None:
                # Nothing vouches for this block: start over from the deployment block.
                self.db.execute("DELETE FROM events")
                self.db.execute("DELETE FROM blocks")
                for key in ("cursor_block", "cursor_hash", "cursor_time"):
                    self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._set_meta("cursor_block", str(number))
                self._set_meta("cursor_hash", kept["hash"])
                if kept["timestamp"] is not None:
                    self._set_meta("cursor_time", str(kept["timestamp"]))
            self._rebuild()
        return int(dropped)

    def _clear_caches(self) -> None:
        self._agreement_cache.clear()
        self._payee_cache.clear()

    def _rebuild(self) -> None:
        """Derived tables from the events table alone (inside the caller's transaction)."""
        self._create_derived()
        self._clear_caches()
        self._expected.clear()
        self._set_meta("arbitration_timeout", str(DEFAULT_ARBITRATION_TIMEOUT))
        self._set_meta("unmatched", "0")
        rows = self.db.execute("SELECT * FROM events ORDER BY block_number, log_index").fetchall()
        for row in rows:
            self._apply(
                DecodedEvent(
                    block_number=row["block_number"], log_index=row["log_index"], block_hash=row["block_hash"],
                    tx_hash=row["tx_hash"], contract=row["contract"], name=row["name"],
                    args=json.loads(row["args"]), block_time=row["block_time"], extra=json.loads(row["extra"]),
                )
            )  # fmt: skip
        self._check_expected_done()

    # ---------------------------------------------------------------- deriving state

    def _apply(self, event: DecodedEvent) -> None:
        if event.contract != "escrow":
            return
        handler = getattr(self, f"_on_{event.name}", None)
        if handler is not None:
            if event.name not in ("Paid", "PaymentDeferred"):
                self._check_expected_done()
            handler(event, event.args)

    def _agreement(self, agreement_id: int) -> dict[str, Any]:
        cached = self._agreement_cache.get(agreement_id)
        if cached is None:
            row = self.db.execute("SELECT * FROM agreements WHERE agreement_id = ?", (agreement_id,)).fetchone()
            cached = dict(row) if row else {}
            self._agreement_cache[agreement_id] = cached
        return cached

    def _payees(self, agreement_id: int) -> list[tuple[str, int]]:
        cached = self._payee_cache.get(agreement_id)
        if cached is None:
            cached = [
                (row["account"], row["share_bps"])
                for row in self.db.execute(
                    "SELECT account, share_bps FROM payees WHERE agreement_id = ? ORDER BY idx", (agreement_id,)
                )
            ]
            self._payee_cache[agreement_id] = cached
        return cached

    def _order(self, order_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise LedgerError(f"event for order {order_id}, which the ledger never saw created")
        return row

    def _on_AgreementProposed(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        terms = event.extra
        self.db.execute(
            "INSERT OR REPLACE INTO agreements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a["agreement_id"], a["buyer"], a["supplier"], a["part_id"], a["version"], a["token"],
                str(a["unit_price"]), a["max_quantity"], a["valid_until"], terms.get("review_period"),
                terms.get("grace_period"), terms.get("inspector", ZERO), terms.get("penalty_bps_per_day"),
                terms.get("penalty_cap_bps"), PROPOSED, 0, event.block_number,
            ),
        )  # fmt: skip
        self._agreement_cache.pop(a["agreement_id"], None)

    def _on_AgreementAccepted(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        agreement_id = a["agreement_id"]
        self.db.execute("UPDATE agreements SET status = ? WHERE agreement_id = ?", (ACTIVE, agreement_id))
        for index, (account, share) in enumerate(a["payees"]):
            self.db.execute("INSERT OR REPLACE INTO payees VALUES (?, ?, ?, ?)", (agreement_id, index, account, share))
        self._agreement_cache.pop(agreement_id, None)
        self._payee_cache.pop(agreement_id, None)

    def _on_AgreementClosed(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self.db.execute("UPDATE agreements SET status = ? WHERE agreement_id = ?", (CLOSED, a["agreement_id"]))
        self._agreement_cache.pop(a["agreement_id"], None)

    def _on_OrderCreated(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        agreement = self._agreement(a["agreement_id"])
        self.db.execute(
            "INSERT OR REPLACE INTO orders (order_id, agreement_id, buyer, supplier, holder, token, unit_price, "
            "quantity, amount, ship_by, po_ref, created_block, created_time, tx_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a["order_id"], a["agreement_id"], a["buyer"], a["supplier"], a["supplier"],
                agreement.get("token", ZERO), agreement.get("unit_price", "0"), a["quantity"], str(a["amount"]),
                a["ship_by"], a["po_ref"], event.block_number, event.block_time, event.tx_hash,
            ),
        )  # fmt: skip
        self.db.execute(
            "UPDATE agreements SET units_called_off = units_called_off + ? WHERE agreement_id = ?",
            (a["quantity"], a["agreement_id"]),
        )
        self._agreement_cache.pop(a["agreement_id"], None)

    def _on_OrderDeclined(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        order = self._order(a["order_id"])
        self.db.execute("UPDATE orders SET declined = 1 WHERE order_id = ?", (a["order_id"],))
        self.db.execute(
            "UPDATE agreements SET units_called_off = units_called_off - ? WHERE agreement_id = ?",
            (order["quantity"], order["agreement_id"]),
        )
        self._agreement_cache.pop(order["agreement_id"], None)
        self._expect(event, order["order_id"], 0, [(order["buyer"], int(order["amount"]), "decline")])

    def _new_lot(self, event: DecodedEvent, a: dict[str, Any], *, received: bool) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO lots (order_id, lot, quantity, value, penalty_bps, shipment_hash, shipped_at, "
            "received, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a["order_id"], a["lot"], a["quantity"], str(a["value"]), a["penalty_bps"],
                a.get("shipment_hash", "0x" + "00" * 32), event.block_time, int(received),
                COMPLETED if received else SHIPPED,
            ),
        )  # fmt: skip
        self.db.execute(
            "UPDATE orders SET units_shipped = units_shipped + ?, lot_count = lot_count + 1 WHERE order_id = ?",
            (a["quantity"], a["order_id"]),
        )

    def _on_LotShipped(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._new_lot(event, a, received=False)

    def _on_GoodsReceived(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._new_lot(event, a, received=True)
        self._settle(event, a["order_id"], a["lot"], COMPLETED, BPS)

    def _on_DeliveryConfirmed(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._settle(event, a["order_id"], a["lot"], COMPLETED, BPS)

    def _on_LotReleased(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._settle(event, a["order_id"], a["lot"], COMPLETED, BPS)

    def _on_DisputeResolved(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._settle(event, a["order_id"], a["lot"], RESOLVED, int(a["supplier_bps"]))

    def _on_LotDisputed(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        timeout = int(self._meta("arbitration_timeout") or DEFAULT_ARBITRATION_TIMEOUT)
        self.db.execute(
            "UPDATE lots SET status = ?, arbitration_deadline = ? WHERE order_id = ? AND lot = ?",
            (DISPUTED, (event.block_time or 0) + timeout, a["order_id"], a["lot"]),
        )

    def _on_ArbitrationTimeoutSet(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._set_meta("arbitration_timeout", str(int(a["current"])))

    def _on_OrderRefunded(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        order = self._order(a["order_id"])
        self.db.execute(
            "UPDATE orders SET units_refunded = ?, refunded = 1 WHERE order_id = ?", (a["quantity"], a["order_id"])
        )
        self.db.execute(
            "INSERT OR REPLACE INTO refunds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.block_number, event.log_index, event.tx_hash, event.block_time, a["order_id"],
                order["buyer"], order["token"], a["quantity"], str(a["amount"]),
            ),
        )  # fmt: skip
        self._expect(event, a["order_id"], 0, [(order["buyer"], int(a["amount"]), "refund")])

    def _on_PayoutAssigned(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self.db.execute("UPDATE orders SET holder = ? WHERE order_id = ?", (a["assignee"], a["order_id"]))

    def _on_Paid(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._transfer(event, a, "paid")

    def _on_PaymentDeferred(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self._transfer(event, a, "deferred")
        self._add_credit(a["payee"], a["token"], int(a["amount"]))

    def _on_Claimed(self, event: DecodedEvent, a: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event.block_number, event.log_index, event.tx_hash, event.block_time, a["account"], a["token"],
             str(a["amount"])),
        )  # fmt: skip
        self._add_credit(a["account"], a["token"], -int(a["amount"]))

    def _add_credit(self, account: str, token: str, delta: int) -> None:
        row = self.db.execute("SELECT amount FROM credits WHERE account = ? AND token = ?", (account, token)).fetchone()
        amount = (int(row["amount"]) if row else 0) + delta
        self.db.execute("INSERT OR REPLACE INTO credits VALUES (?, ?, ?)", (account, token, str(amount)))

    def _settle(self, event: DecodedEvent, order_id: int, lot: int, status: int, supplier_bps: int) -> None:
        """A lot reaches a final status: predict the pushes and book the penalty."""
        order = self._order(order_id)
        row = self.db.execute("SELECT * FROM lots WHERE order_id = ? AND lot = ?", (order_id, lot)).fetchone()
        if row is None:
            raise LedgerError(f"settlement of order {order_id} lot {lot}, which the ledger never saw created")
        self.db.execute(
            "UPDATE lots SET status = ?, supplier_bps = ?, settled_at = ?, settled_tx = ? WHERE order_id = ? AND lot = ?",
            (status, supplier_bps, event.block_time, event.tx_hash, order_id, lot),
        )
        payees = self._payees(order["agreement_id"])
        value = int(row["value"])
        payout = lot_payout(value, [share for _, share in payees], penalty_bps=row["penalty_bps"], supplier_bps=supplier_bps)
        buyer_purpose = "penalty" if payout.supplier_side == value else "buyer_share"
        pushes = [(account, amount, "share") for (account, _), amount in zip(payees, payout.subcontractors, strict=True)]
        pushes += [(order["holder"], payout.holder, "remainder"), (order["buyer"], payout.buyer, buyer_purpose)]
        self._expect(event, order_id, lot, pushes)
        if payout.penalty:
            self.db.execute(
                "INSERT OR REPLACE INTO penalties VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event.block_number, event.log_index, event.tx_hash, event.block_time, order_id, lot, order["buyer"],
                 order["token"], str(payout.penalty)),
            )  # fmt: skip

    def _expect(self, event: DecodedEvent, order_id: int, lot: int, pushes: Sequence[tuple[str, int, str]]) -> None:
        for payee, amount, purpose in pushes:
            if amount:
                self._expected.append(_Expected(event.tx_hash, order_id, lot, payee, amount, purpose))

    def _check_expected_done(self) -> None:
        if self._expected:
            self._set_meta("unmatched", str(self.unmatched + len(self._expected)))
            self._expected.clear()

    def _transfer(self, event: DecodedEvent, a: dict[str, Any], kind: str) -> None:
        amount = int(a["amount"])
        purpose, lot = "unmatched", None
        if self._expected:
            head = self._expected[0]
            if (head.tx_hash, head.order_id, head.payee, head.amount) == (event.tx_hash, a["order_id"], a["payee"], amount):
                self._expected.popleft()
                purpose, lot = head.purpose, head.lot
        if purpose == "unmatched":
            self._set_meta("unmatched", str(self.unmatched + 1))
        self.db.execute(
            "INSERT OR REPLACE INTO transfers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event.block_number, event.log_index, event.tx_hash, event.block_time, kind, purpose, a["order_id"],
             lot or None, a["payee"], a["token"], str(amount)),
        )  # fmt: skip

    # ---------------------------------------------------------------- queries

    def now(self) -> int:
        """The time the ledger's data stands at: the last scanned block's timestamp (0 before any sync)."""
        return self.cursor_time or 0

    def agreement(self, agreement_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM agreements WHERE agreement_id = ?", (agreement_id,)).fetchone()
        if row is None:
            return None
        data = dict(row)
        self._clear_caches()
        data["payees"] = [list(p) for p in self._payees(agreement_id)]
        return data

    def order(self, order_id: int) -> dict[str, Any] | None:
        """An order with its lots (amounts as ints), or ``None``."""
        row = self.db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        data = _order_json(row)
        data["lots"] = [
            _lot_json(lot) for lot in self.db.execute("SELECT * FROM lots WHERE order_id = ? ORDER BY lot", (order_id,))
        ]
        return data

    def orders_of(self, party: str) -> list[dict[str, Any]]:
        """Orders in which ``party`` is buyer, supplier, payout holder, inspector or subcontractor,
        each with ``roles`` (sorted) — ascending order id."""
        who = _addr(party)
        rows = self.db.execute(
            "SELECT o.*, a.inspector AS inspector, "
            "EXISTS (SELECT 1 FROM payees p WHERE p.agreement_id = o.agreement_id AND p.account = ?) AS is_payee "
            "FROM orders o JOIN agreements a USING (agreement_id) "
            "WHERE o.buyer = ? OR o.supplier = ? OR o.holder = ? OR a.inspector = ? "
            "OR EXISTS (SELECT 1 FROM payees p WHERE p.agreement_id = o.agreement_id AND p.account = ?) "
            "ORDER BY o.order_id",
            (who, who, who, who, who, who),
        ).fetchall()
        result = []
        for row in rows:
            roles = [
                name
                for name, held in (
                    ("buyer", row["buyer"] == who),
                    ("supplier", row["supplier"] == who),
                    ("assignee", row["holder"] == who and row["supplier"] != who),
                    ("inspector", row["inspector"] == who),
                    ("subcontractor", bool(row["is_payee"])),
                )
                if held
            ]
            data = _order_json(row)
            data["roles"] = roles
            result.append(data)
        return result

    def owed(self, address: str, now: int | None = None) -> dict[str, Owed]:
        """Per token, what ``address`` has locked, will receive, has in dispute and may claim.

        ``now`` (default: the ledger's own time, :meth:`now`) decides whether an order's shipping
        window is still open: after ``ship_by + grace_period`` its unshipped units will be
        refunded, so they stay in the buyer's ``locked`` and stop counting as receivable.
        """
        who = _addr(address)
        moment = self.now() if now is None else int(now)
        totals: dict[str, dict[str, int]] = {}
        self._clear_caches()

        def add(token: str, what: str, amount: int) -> None:
            if amount:
                bucket = totals.setdefault(token, {})
                bucket[what] = bucket.get(what, 0) + amount

        orders = self.db.execute(
            "SELECT o.*, a.grace_period AS grace_period FROM orders o JOIN agreements a USING (agreement_id) "
            "WHERE o.declined = 0 AND (o.buyer = ? OR o.holder = ? "
            "OR EXISTS (SELECT 1 FROM payees p WHERE p.agreement_id = o.agreement_id AND p.account = ?))",
            (who, who, who),
        ).fetchall()
        for order in orders:
            token, price = order["token"], int(order["unit_price"])
            payees = self._payees(order["agreement_id"])
            shares = [share for _, share in payees]

            def receive(payout: Any, what: str, order: sqlite3.Row = order, payees: list = payees) -> None:
                mine = sum(amount for (account, _), amount in zip(payees, payout.subcontractors, strict=True) if account == who)
                if order["holder"] == who:
                    mine += payout.holder
                add(order["token"], what, mine)

            open_units = 0 if order["refunded"] else order["quantity"] - order["units_shipped"]
            if order["buyer"] == who:
                add(token, "locked", open_units * price)
            window_open = moment <= order["ship_by"] + int(order["grace_period"] or 0)
            if open_units and window_open:
                receive(lot_payout(open_units * price, shares), "unshipped")
            for lot in self.db.execute(
                "SELECT * FROM lots WHERE order_id = ? AND status IN (?, ?)", (order["order_id"], SHIPPED, DISPUTED)
            ):
                value = int(lot["value"])
                if order["buyer"] == who:
                    add(token, "locked", value)
                payout = lot_payout(value, shares, penalty_bps=lot["penalty_bps"])
                receive(payout, "in_review" if lot["status"] == SHIPPED else "in_dispute")
        for row in self.db.execute("SELECT token, amount FROM credits WHERE account = ?", (who,)):
            add(row["token"], "credit", int(row["amount"]))
        return {token: Owed(token=token, **values) for token, values in sorted(totals.items())}

    def deadlines(
        self, now: int | None = None, *, party: str | None = None, include_past: bool = True, limit: int | None = None
    ) -> list[Deadline]:
        """The running clocks, soonest first: for each unsettled order its ``ship_by`` (while not
        passed) and its ``shipping_window`` end, for each lot in review its ``review`` end, for
        each disputed lot its ``arbitration`` deadline. ``party`` keeps the orders it takes part
        in; ``include_past=False`` drops clocks that already ran out (those are :meth:`due`)."""
        moment = self.now() if now is None else int(now)
        order_ids: set[int] | None = None
        if party is not None:
            order_ids = {o["order_id"] for o in self.orders_of(party)}
        items: list[Deadline] = []
        for order in self.db.execute(
            "SELECT o.*, a.grace_period AS grace_period, a.review_period AS review_period "
            "FROM orders o JOIN agreements a USING (agreement_id) WHERE o.declined = 0 "
            "AND ((o.refunded = 0 AND o.units_shipped < o.quantity) "
            "OR EXISTS (SELECT 1 FROM lots l WHERE l.order_id = o.order_id AND l.status IN (?, ?)))",
            (SHIPPED, DISPUTED),
        ):
            if order_ids is not None and order["order_id"] not in order_ids:
                continue
            token, price = order["token"], int(order["unit_price"])
            open_units = 0 if order["refunded"] else order["quantity"] - order["units_shipped"]
            if open_units:
                window_end = order["ship_by"] + int(order["grace_period"] or 0)
                if order["ship_by"] >= moment:
                    items.append(Deadline(order["ship_by"], "ship_by", order["order_id"], 0, token, open_units * price,
                                          "supplier ships (later lots pay the late penalty)", "ship late, within the grace period"))  # fmt: skip
                items.append(Deadline(window_end, "shipping_window", order["order_id"], 0, token, open_units * price,
                                      "supplier ships the rest", "anyone: refund_expired returns the unshipped units to the buyer"))  # fmt: skip
            for lot in self.db.execute(
                "SELECT * FROM lots WHERE order_id = ? AND status IN (?, ?)", (order["order_id"], SHIPPED, DISPUTED)
            ):
                if lot["status"] == SHIPPED:
                    items.append(Deadline(lot["shipped_at"] + int(order["review_period"] or 0), "review", order["order_id"],
                                          lot["lot"], token, int(lot["value"]), "buyer or inspector confirms or disputes",
                                          "anyone: release pays the supplier side"))  # fmt: skip
                else:
                    items.append(Deadline(lot["arbitration_deadline"], "arbitration", order["order_id"], lot["lot"], token,
                                          int(lot["value"]), "arbiter resolves", "anyone: resolve_expired splits it 50/50"))  # fmt: skip
        if not include_past:
            items = [item for item in items if item.due_at >= moment]
        items.sort(key=lambda d: (d.due_at, d.order_id, d.lot, d.kind))
        return items[:limit] if limit is not None else items

    def due(self, now: int) -> list[DueAction]:
        """What anyone may settle at a block with timestamp ``now``: clocks with ``due_at < now``.

        The keeper's candidates, oldest deadline first. Built from the ledger alone, so a
        candidate may already be settled on chain by a block the ledger has not indexed yet:
        check with a static call before sending.
        """
        actions = []
        for item in self.deadlines(now):
            if item.due_at >= now:
                continue
            if item.kind == "shipping_window":
                actions.append(DueAction("refund_expired", item.order_id, 0, item.due_at))
            elif item.kind == "review":
                actions.append(DueAction("release", item.order_id, item.lot, item.due_at))
            elif item.kind == "arbitration":
                actions.append(DueAction("resolve_expired", item.order_id, item.lot, item.due_at))
        return actions

    def credits(self, account: str | None = None) -> dict[tuple[str, str], int]:
        """``{(account, token): amount}`` of unclaimed credits (non-zero only)."""
        query, params = "SELECT account, token, amount FROM credits", ()
        if account is not None:
            query, params = query + " WHERE account = ?", (_addr(account),)
        return {(r["account"], r["token"]): int(r["amount"]) for r in self.db.execute(query, params) if int(r["amount"])}

    def events(self, name: str | None = None, contract: str | None = None) -> list[DecodedEvent]:
        """Stored events (all, or of one name / contract), in chain order."""
        clauses, params = [], []
        if name is not None:
            clauses.append("name = ?")
            params.append(name)
        if contract is not None:
            clauses.append("contract = ?")
            params.append(contract)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [
            DecodedEvent(r["block_number"], r["log_index"], r["block_hash"], r["tx_hash"], r["contract"], r["name"],
                         json.loads(r["args"]), r["block_time"], json.loads(r["extra"]))  # fmt: skip
            for r in self.db.execute(f"SELECT * FROM events{where} ORDER BY block_number, log_index", params)
        ]

    # ---------------------------------------------------------------- export

    def export_rows(self, *, since_block: int = 0, party: str | None = None) -> list[dict[str, Any]]:
        """One row per money movement, for an ERP, in chain order (columns: :data:`EXPORT_FIELDS`).

        ``kind``: ``paid`` (a ``Paid`` push: money arrived), ``deferred`` (a ``PaymentDeferred``:
        booked as a credit, arrives with a later ``claim`` row), ``claim`` (a ``Claimed``
        withdrawal; no order), ``refund`` (an ``OrderRefunded``) and ``penalty`` (a late lot's
        penalty). ``refund`` and ``penalty`` rows *explain* the buyer's ``paid``/``deferred`` row of
        the same transaction (``purpose`` ``refund`` / ``penalty`` / ``buyer_share``): sum
        ``paid`` + ``claim`` rows for cash, never add ``refund`` or ``penalty`` rows to them.
        ``purpose`` of a paid/deferred row: ``share`` (subcontractor), ``remainder`` (supplier or
        assignee), ``penalty``, ``buyer_share`` (the buyer's side of a resolution, penalty
        included), ``refund``, ``decline``.
        """
        who = _addr(party) if party else None
        orders = {row["order_id"]: row for row in self.db.execute("SELECT order_id, agreement_id, po_ref FROM orders")}
        rows: list[dict[str, Any]] = []

        def row(kind: str, purpose: str, r: sqlite3.Row, order_id: int | None, lot: int | None, payee: str) -> None:
            if r["block_number"] < since_block or (who is not None and payee != who):
                return
            order = orders.get(order_id) if order_id is not None else None
            po_hex = order["po_ref"] if order else ""
            rows.append({
                "kind": kind, "purpose": purpose, "po_ref": _po_text(po_hex) if po_hex else "",
                "po_ref_hex": po_hex, "agreement_id": order["agreement_id"] if order else None,
                "order_id": order_id, "lot": lot or None, "payee": payee, "token": r["token"],
                "amount": int(r["amount"]), "tx_hash": r["tx_hash"], "log_index": r["log_index"],
                "block_number": r["block_number"], "block_time": r["block_time"],
                "block_time_iso": _iso(r["block_time"]),
            })  # fmt: skip

        for r in self.db.execute("SELECT * FROM transfers"):
            row(r["kind"], r["purpose"], r, r["order_id"], r["lot"], r["payee"])
        for r in self.db.execute("SELECT * FROM refunds"):
            row("refund", "refund", r, r["order_id"], None, r["payee"])
        for r in self.db.execute("SELECT * FROM penalties"):
            row("penalty", "penalty", r, r["order_id"], r["lot"], r["payee"])
        for r in self.db.execute("SELECT * FROM claims"):
            row("claim", "claim", r, None, None, r["account"])
        rank = {"refund": 0, "penalty": 0, "paid": 1, "deferred": 1, "claim": 1}
        rows.sort(key=lambda x: (x["block_number"], x["log_index"], rank[x["kind"]]))
        return rows

    def write_export(self, out: io.TextIOBase | Any, fmt: str = "csv", **filters: Any) -> int:
        """Write :meth:`export_rows` as ``csv`` or ``jsonl`` (amounts as exact integers); returns rows."""
        rows = self.export_rows(**filters)
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
            writer.writeheader()
            for r in rows:
                writer.writerow({k: ("" if r[k] is None else r[k]) for k in EXPORT_FIELDS})
        elif fmt == "jsonl":
            for r in rows:
                # Amounts as strings: JSON readers in other languages lose precision above 2**53.
                out.write(json.dumps({**r, "amount": str(r["amount"])}) + "\n")
        else:
            raise LedgerError(f"export format {fmt!r}: use csv or jsonl")
        return len(rows)


# ---------------------------------------------------------------- helpers


def _addr(value: Any) -> str:
    """A checksummed address from a string or anything with an ``address`` (an Ape account)."""
    return to_checksum_address(str(getattr(value, "address", value)))


def _order_json(row: sqlite3.Row) -> dict[str, Any]:
    data = {key: row[key] for key in row.keys() if key not in ("is_payee",)}
    data["unit_price"] = int(data["unit_price"])
    data["amount"] = int(data["amount"])
    data["declined"] = bool(data["declined"])
    data["refunded"] = bool(data["refunded"])
    data["po_ref_text"] = _po_text(data["po_ref"])
    return data


def _lot_json(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["value"] = int(data["value"])
    data["received"] = bool(data["received"])
    data["status_name"] = LOT_STATUS_NAMES.get(data["status"], str(data["status"]))
    return data


def _po_text(po_hex: str) -> str:
    """A PO reference as text when it is right-padded printable UTF-8, else its hex."""
    raw = bytes.fromhex(po_hex[2:]) if po_hex.startswith("0x") else b""
    stripped = raw.rstrip(b"\x00")
    if stripped and b"\x00" not in stripped:
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError:
            return po_hex
        if text.isprintable():
            return text
    return po_hex


def _iso(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(int(timestamp), UTC).isoformat().replace("+00:00", "Z")

