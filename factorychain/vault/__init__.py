"""The factory data vault: encrypted production records in any store, their roots on chain.

Pure (no chain access):

* :mod:`~factorychain.vault.merkle` — salted leaves and snekmate-compatible Merkle trees
* :mod:`~factorychain.vault.streamkey` — stream ids and the stream key's ECIES envelope
* :mod:`~factorychain.vault.batch` — the sealed batch format: keys, encryption, MAC, record keys
* :mod:`~factorychain.vault.records` — CSV / JSON Lines input, checked and batched
* :mod:`~factorychain.vault.ledger` — the owner's vault folder and its batch ledger
* :mod:`~factorychain.vault.ingest` — records file -> sealed batches in the store
* :mod:`~factorychain.vault.disclosure` — disclosure files and their checks

Chain (Ape objects, or a JSON-RPC URL): :mod:`~factorychain.vault.onchain`.
"""

from __future__ import annotations

from .batch import (
    BatchHeader,
    OpenedBatch,
    SealedBatch,
    decrypt_record,
    open_batch,
    read_header,
    record_key,
    schema_hash,
    seal_batch,
)
from .disclosure import AnchorRef, Disclosure, check_disclosure, make_disclosure, read_disclosure, write_disclosure
from .errors import RecordFormatError, VaultError, VerificationError
from .ingest import DEFAULT_BATCH_SIZE, ingest, ingest_file, vault_store
from .ledger import BatchEntry, Vault
from .merkle import hash_pair, leaf_hash, merkle_levels, merkle_proof, merkle_root, process_proof, tree_depth
from .streamkey import new_stream_key, stream_id, stream_label, unwrap_stream_key, wrap_stream_key

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "AnchorRef",
    "BatchEntry",
    "BatchHeader",
    "Disclosure",
    "OpenedBatch",
    "RecordFormatError",
    "SealedBatch",
    "Vault",
    "VaultError",
    "VerificationError",
    "check_disclosure",
    "decrypt_record",
    "hash_pair",
    "ingest",
    "ingest_file",
    "leaf_hash",
    "make_disclosure",
    "merkle_levels",
    "merkle_proof",
    "merkle_root",
    "new_stream_key",
    "open_batch",
    "process_proof",
    "read_disclosure",
    "read_header",
    "record_key",
    "schema_hash",
    "seal_batch",
    "stream_id",
    "stream_label",
    "tree_depth",
    "unwrap_stream_key",
    "vault_store",
    "wrap_stream_key",
    "write_disclosure",
]
