"""Ingest: records file -> sealed batches in the store -> ledger entries ready to anchor.

Pure of chain access. One batch at a time is in memory (records, leaves, ciphertext), so memory
is bounded by ``batch_size`` whatever the length of the input.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .._hex import BytesLike, to_hex
from ..store import LocalStore, ObjectStore, open_store
from .batch import SealedBatch, seal_batch
from .errors import VaultError
from .ledger import BatchEntry, Vault
from .records import guess_format, read_batches

__all__ = ["DEFAULT_BATCH_SIZE", "IngestedBatch", "ingest", "ingest_file", "vault_store"]

DEFAULT_BATCH_SIZE = 65_536


@dataclass(frozen=True)
class IngestedBatch:
    """A batch written to the store (and, through :func:`ingest_file`, to the ledger)."""

    sealed: SealedBatch
    uri: str
    first_line: int


@contextmanager
def _no_gc() -> Iterator[None]:
    # A batch allocates a few objects per record and frees none until it is written: the
    # cyclic collector would walk them over and over (a third of the ingest time) for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def vault_store(vault: Vault) -> LocalStore | ObjectStore:
    """The store a vault writes to, with its recorded (non-secret) options."""
    return open_store(vault.config.store, **vault.config.storage_options)


def ingest(
    source: BinaryIO,
    *,
    stream_key: BytesLike,
    stream: BytesLike,
    store: LocalStore | ObjectStore,
    record_format: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[IngestedBatch]:
    """Seal ``source``'s records in batches of ``batch_size`` and put each in ``store``.

    Lazy: each batch is parsed, sealed and written when the iterator is advanced.
    """
    header, batches = read_batches(source, record_format, batch_size)
    for batch in batches:
        with _no_gc():
            sealed = seal_batch(batch.records, stream_key=stream_key, stream=stream, record_format=record_format, header=header)
            del batch.records[:]
        uri = store.put_as(sealed.header.object_name, sealed.data)
        yield IngestedBatch(sealed, uri, batch.first_line)


def ingest_file(
    vault: Vault,
    path: str | os.PathLike[str],
    stream_key: BytesLike,
    *,
    record_format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[BatchEntry], None] | None = None,
) -> list[BatchEntry]:
    """Ingest a CSV or JSON Lines file into the vault's stream; returns the new ledger entries."""
    file = Path(path)
    fmt = record_format or guess_format(file.name)
    store = vault_store(vault)
    entries: list[BatchEntry] = []
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise VaultError(f"cannot read {file}: {exc.strerror or exc}") from None
    with handle:
        for done in ingest(
            handle,
            stream_key=stream_key,
            stream=vault.config.stream,
            store=store,
            record_format=fmt,
            batch_size=batch_size,
        ):
            entry = BatchEntry(
                seq=vault.next_seq(),
                uri=done.uri,
                root=to_hex(done.sealed.root),
                record_count=done.sealed.record_count,
                record_format=fmt,
                source=file.name,
                first_line=done.first_line,
            )
            vault.append(entry)
            entries.append(entry)
            if on_batch is not None:
                on_batch(entry)
    return entries
