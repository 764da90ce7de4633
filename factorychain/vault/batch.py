"""Sealed batches: a batch of records encrypted for the store, with its Merkle root.

Keys. From the stream key, each batch derives its own keys with HKDF-SHA256 (RFC 5869; salt = a
fresh random 16-byte batch nonce, info = ``"FactoryChain vault batch v1" || stream id``)::

    enc key (32) || salt key (32) || mac key (32)

* **Salts**: record ``i``'s 32-byte salt is bytes ``[32 i, 32 i + 32)`` of the AES-256-CTR keystream
  under the salt key — a PRF of the index, made for the whole batch in one call.
* **Encryption**: the CSV header and the records, concatenated, are encrypted in one AES-256-CTR
  pass under the enc key. Record ``i``'s **record key** is its slice of that keystream (as long as
  the record): handing it out opens that record and nothing else, since every other byte of the
  batch is under keystream bytes the holder does not have and cannot compute.
* **Integrity**: HMAC-SHA256 under the mac key over the whole file (encrypt-then-MAC), checked
  before anything is decrypted; and every record's salted leaf, recomputed on opening, must give
  the root in the header, which is the root anchored on chain.

Why not AES-GCM per record under its own key: an AESGCM object per record costs 2–6 µs in
Python, more than everything else an ingest does per record, while the per-record salted leaf
already authenticates each record (the salt is secret until disclosure, which makes the leaf a
keyed hash of the record), and against the chain rather than against a key. See docs/vault.md.

File format, version 1 (integers big-endian)::

    offset  size   field
    0       4      magic b"FCVB"
    4       1      format version (1)
    5       1      record format (1 = CSV, 2 = JSON Lines)
    6       32     stream id
    38      16     batch nonce
    54      8      record count n
    62      32     schema hash (keccak256 of record format byte || CSV header line)
    94      32     Merkle root
    126     4      CSV header length m (0 for JSON Lines)
    130     4 n    record lengths, uint32 each
    …       m + Σ  AES-256-CTR ciphertext of header line || record 0 || … || record n-1
    end-32  32     HMAC-SHA256 of everything before it
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sha3 import keccak_256

from .._hex import BytesLike, as_bytes
from .errors import VaultError
from .merkle import MAX_RECORDS, merkle_levels

__all__ = [
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "MAGIC",
    "MAX_RECORD_SIZE",
    "RECORD_FORMATS",
    "BatchHeader",
    "BatchKeys",
    "OpenedBatch",
    "SealedBatch",
    "batch_object_name",
    "compute_leaves",
    "decrypt_record",
    "derive_batch_keys",
    "open_batch",
    "read_header",
    "record_key",
    "record_salts",
    "schema_hash",
    "seal_batch",
]

MAGIC = b"FCVB"
FORMAT_VERSION = 1
RECORD_FORMATS = {"csv": 1, "jsonl": 2}
_FORMAT_NAMES = {code: name for name, code in RECORD_FORMATS.items()}
_HEADER = struct.Struct(">4sBB32s16sQ32s32sI")
HEADER_SIZE = _HEADER.size
MAC_SIZE = 32
NONCE_SIZE = 16
MAX_RECORD_SIZE = 1 << 20
_KDF_INFO = b"FactoryChain vault batch v1"


def schema_hash(record_format: str, header: bytes = b"") -> bytes:
    """keccak256(record format byte || header line): what every leaf of the batch binds."""
    return keccak_256(bytes([_format_code(record_format)]) + bytes(header)).digest()


def _format_code(record_format: str) -> int:
    try:
        return RECORD_FORMATS[record_format]
    except KeyError:
        raise VaultError(f"unknown record format {record_format!r} (expected csv or jsonl)") from None


@dataclass(frozen=True)
class BatchKeys:
    """The three keys of one batch (see the module docstring)."""

    enc: bytes = field(repr=False)
    salt: bytes = field(repr=False)
    mac: bytes = field(repr=False)


def derive_batch_keys(stream_key: BytesLike, stream: BytesLike, nonce: BytesLike) -> BatchKeys:
    """HKDF-SHA256 of the stream key for one batch nonce."""
    key = as_bytes(stream_key, "stream key", 32)
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=96,
        salt=as_bytes(nonce, "batch nonce", NONCE_SIZE),
        info=_KDF_INFO + as_bytes(stream, "stream id", 32),
    ).derive(key)
    return BatchKeys(okm[:32], okm[32:64], okm[64:])


def _keystream(key: bytes, offset: int, length: int) -> bytes:
    """Bytes ``[offset, offset + length)`` of the AES-256-CTR keystream under ``key`` (IV 0)."""
    block, skip = divmod(offset, 16)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(block.to_bytes(16, "big"))).encryptor()
    return encryptor.update(bytes(skip + length))[skip:]


def _ctr(key: bytes, data: bytes) -> bytes:
    return Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor().update(data)


def record_salts(keys: BatchKeys, start: int, count: int) -> bytes:
    """The salts of records ``start .. start + count - 1``, 32 bytes each, concatenated."""
    return _keystream(keys.salt, 32 * start, 32 * count)


def leaf_prefixes(salts: bytes, schema: bytes, count: int) -> bytes:
    """``salt || index || schema hash`` (72 bytes) of records ``0 .. count - 1``, concatenated.

    Built with numpy in a few vectorised copies instead of three concatenations per record.
    """
    table = np.empty((count, 72), dtype=np.uint8)
    table[:, :32] = np.frombuffer(salts, dtype=np.uint8, count=32 * count).reshape(count, 32)
    table[:, 32:40] = np.arange(count, dtype=">u8").view(np.uint8).reshape(count, 8)
    table[:, 40:] = np.frombuffer(schema, dtype=np.uint8)
    return table.tobytes()


def compute_leaves(salts: bytes, schema: bytes, records: Sequence[bytes]) -> list[bytes]:
    """The leaves of ``records`` (indices 0 ..), given their concatenated salts.

    The hot loop of every ingest: :func:`factorychain.vault.merkle.leaf_hash`, inlined.
    """
    k = keccak_256
    prefixes = leaf_prefixes(salts, schema, len(records))
    return [k(prefixes[72 * i : 72 * i + 72] + record).digest() for i, record in enumerate(records)]


@dataclass(frozen=True)
class BatchHeader:
    """The public part of a batch file: readable without any key."""

    record_format: str
    stream: bytes
    nonce: bytes
    record_count: int
    schema_hash: bytes
    root: bytes
    header_size: int

    @property
    def object_name(self) -> str:
        return batch_object_name(self.stream, self.root)


def batch_object_name(stream: bytes, root: bytes) -> str:
    """Where a batch goes in its store: ``<stream id>/<root>.fcvb`` (both hex)."""
    return f"{bytes(stream).hex()}/{bytes(root).hex()}.fcvb"


def read_header(data: bytes) -> tuple[BatchHeader, tuple[int, ...]]:
    """Parse the header and the record lengths of a batch file (no key needed, nothing checked
    beyond the structure)."""
    view = memoryview(data)
    if len(view) < HEADER_SIZE + MAC_SIZE or bytes(view[:4]) != MAGIC:
        raise VaultError("not a FactoryChain vault batch (bad magic bytes or truncated)")
    magic, version, code, stream, nonce, count, schema, root, header_size = _HEADER.unpack_from(view)
    if version != FORMAT_VERSION:
        raise VaultError(f"unsupported vault batch format version {version}")
    if code not in _FORMAT_NAMES:
        raise VaultError(f"vault batch has an unknown record format {code}")
    if not 1 <= count <= MAX_RECORDS or len(view) < HEADER_SIZE + 4 * count + header_size + MAC_SIZE:
        raise VaultError("vault batch is truncated or its record count is corrupt")
    lengths = struct.unpack_from(f">{count}I", view, HEADER_SIZE)
    if HEADER_SIZE + 4 * count + header_size + sum(lengths) + MAC_SIZE != len(view):
        raise VaultError("vault batch size does not match its record lengths (truncated or altered)")
    header = BatchHeader(_FORMAT_NAMES[code], bytes(stream), bytes(nonce), count, bytes(schema), bytes(root), header_size)
    return header, lengths


@dataclass(frozen=True)
class SealedBatch:
    """An encrypted batch ready for the store, and what goes on chain."""

    header: BatchHeader
    data: bytes = field(repr=False)

    @property
    def root(self) -> bytes:
        return self.header.root

    @property
    def record_count(self) -> int:
        return self.header.record_count


def seal_batch(
    records: Sequence[bytes],
    *,
    stream_key: BytesLike,
    stream: BytesLike,
    record_format: str,
    header: bytes = b"",
    nonce: bytes | None = None,
) -> SealedBatch:
    """Salt, hash, build the tree, encrypt and MAC ``records`` (bytes each, in order)."""
    count = len(records)
    if not 1 <= count <= MAX_RECORDS:
        raise VaultError(f"a batch holds 1 to {MAX_RECORDS} records, not {count}")
    code = _format_code(record_format)
    if code == RECORD_FORMATS["jsonl"] and header:
        raise VaultError("JSON Lines batches have no header line")
    longest = max(map(len, records))
    if longest > MAX_RECORD_SIZE:
        raise VaultError(f"a record is {longest} bytes, over the {MAX_RECORD_SIZE}-byte limit")
    sid = as_bytes(stream, "stream id", 32)
    batch_nonce = os.urandom(NONCE_SIZE) if nonce is None else as_bytes(nonce, "batch nonce", NONCE_SIZE)
    keys = derive_batch_keys(stream_key, sid, batch_nonce)
    schema = schema_hash(record_format, header)
    leaves = compute_leaves(record_salts(keys, 0, count), schema, records)
    root = merkle_levels(leaves)[-1][0]
    del leaves
    head = _HEADER.pack(MAGIC, FORMAT_VERSION, code, sid, batch_nonce, count, schema, root, len(header))
    lengths = struct.pack(f">{count}I", *map(len, records))
    body = _ctr(keys.enc, bytes(header) + b"".join(records))
    mac = hmac.new(keys.mac, head, hashlib.sha256)
    mac.update(lengths)
    mac.update(body)
    data = b"".join((head, lengths, body, mac.digest()))
    parsed = BatchHeader(record_format, sid, batch_nonce, count, schema, root, len(header))
    return SealedBatch(parsed, data)


@dataclass(frozen=True)
class OpenedBatch:
    """A decrypted, checked batch: its records and everything needed to disclose one."""

    header: BatchHeader
    header_line: bytes
    records: list[bytes] = field(repr=False)
    levels: list[list[bytes]] = field(repr=False)
    salts: bytes = field(repr=False)
    keys: BatchKeys = field(repr=False)

    def salt(self, index: int) -> bytes:
        return self.salts[32 * index : 32 * index + 32]


def _check_mac(data: bytes, keys: BatchKeys) -> None:
    expected = hmac.new(keys.mac, memoryview(data)[:-MAC_SIZE], hashlib.sha256).digest()
    if not hmac.compare_digest(expected, bytes(data[-MAC_SIZE:])):
        raise VaultError("vault batch fails its MAC: wrong stream key, or the file was altered")


def open_batch(data: bytes, stream_key: BytesLike) -> OpenedBatch:
    """Check the MAC, decrypt, split, and check every record's leaf against the header root."""
    header, lengths = read_header(data)
    keys = derive_batch_keys(stream_key, header.stream, header.nonce)
    _check_mac(data, keys)
    start = HEADER_SIZE + 4 * header.record_count
    plain = _ctr(keys.enc, bytes(memoryview(data)[start:-MAC_SIZE]))
    header_line = plain[: header.header_size]
    ends = list(accumulate(lengths, initial=header.header_size))
    records = [plain[a:b] for a, b in zip(ends, ends[1:])]
    if header.schema_hash != schema_hash(header.record_format, header_line):
        raise VaultError("vault batch header line does not match its schema hash")
    salts = record_salts(keys, 0, header.record_count)
    levels = merkle_levels(compute_leaves(salts, header.schema_hash, records))
    if levels[-1][0] != header.root:
        raise VaultError("vault batch records do not give the root in its header")
    return OpenedBatch(header, header_line, records, levels, salts, keys)


def _record_span(header: BatchHeader, lengths: Sequence[int], index: int) -> tuple[int, int]:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < header.record_count:
        raise VaultError(f"record index {index!r} is outside the batch (0 .. {header.record_count - 1})")
    offset = header.header_size + sum(lengths[:index])
    return offset, lengths[index]


def record_key(data: bytes, stream_key: BytesLike, index: int) -> bytes:
    """Record ``index``'s key: its slice of the batch keystream. It opens that record only."""
    header, lengths = read_header(data)
    keys = derive_batch_keys(stream_key, header.stream, header.nonce)
    offset, length = _record_span(header, lengths, index)
    return _keystream(keys.enc, offset, length)


def decrypt_record(data: bytes, index: int, key: BytesLike) -> bytes:
    """Record ``index`` of a batch file, opened with its record key alone (no stream key)."""
    header, lengths = read_header(data)
    offset, length = _record_span(header, lengths, index)
    pad = as_bytes(key, "record key")
    if len(pad) != length:
        raise VaultError(f"record key is {len(pad)} bytes; record {index} needs {length}")
    start = HEADER_SIZE + 4 * header.record_count + offset
    cipher = bytes(memoryview(data)[start : start + length])
    return (int.from_bytes(cipher, "big") ^ int.from_bytes(pad, "big")).to_bytes(length, "big")
