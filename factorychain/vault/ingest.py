"""Ingest: records file -> sealed batches in the store -> ledger entries ready to anchor.

Pure of chain access. One batch at a time is in memory (records, leaves, ciphertext), so memory
is bounded by ``batch_size`` whatever the length of the input.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
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
    workers: int = 1,
) -> Iterator[IngestedBatch]:
    """Seal ``source``'s records in batches of ``batch_size`` and put each in ``store``.

    Lazy: each batch is parsed, sealed and written when the iterator is advanced. With
    ``workers > 1`` batches are sealed in that many processes while this one parses and writes;
    at most ``workers + 1`` batches are in memory at once, and they reach the store in order.
    """
    header, batches = read_batches(source, record_format, batch_size)
    job = (bytes(stream_key), bytes(stream), record_format, header)
    if workers <= 1:
        for batch in batches:
            sealed = _seal(batch.records, *job)
            del batch.records[:]
            yield IngestedBatch(sealed, store.put_as(sealed.header.object_name, sealed.data), batch.first_line)
        return
    # fork is cheapest and safe while this process runs no other thread (a local store);
    # an object store's client may have started one, so then start clean interpreters.
    method = "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        pending: deque[tuple[Future[SealedBatch], int]] = deque()
        for batch in batches:
            pending.append((pool.submit(_seal, batch.records, *job), batch.first_line))
            if len(pending) > workers:
                future, first_line = pending.popleft()
                sealed = future.result()
                yield IngestedBatch(sealed, store.put_as(sealed.header.object_name, sealed.data), first_line)
        while pending:
            future, first_line = pending.popleft()
            sealed = future.result()
            yield IngestedBatch(sealed, store.put_as(sealed.header.object_name, sealed.data), first_line)


def _seal(records: list[bytes], stream_key: bytes, stream: bytes, record_format: str, header: bytes) -> SealedBatch:
    with _no_gc():
        return seal_batch(records, stream_key=stream_key, stream=stream, record_format=record_format, header=header)


def ingest_file(
    vault: Vault,
    path: str | os.PathLike[str],
    stream_key: BytesLike,
    *,
    record_format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
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
            workers=workers,
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
