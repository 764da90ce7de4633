"""Ingest into a vault folder: ledger entries, batch order, parallel sealing, stream keys."""

import pytest
from eth_utils import keccak

from _vault_support import OWNER, STRANGER, csv_text
from factorychain.errors import EnvelopeError
from factorychain.keys import public_key_from_private
from factorychain.store import open_uri
from factorychain.vault import Vault, VaultError, ingest_file, open_batch, unwrap_stream_key
from factorychain.vault.streamkey import envelope_context, stream_id, stream_label


@pytest.fixture
def vault(tmp_path):
    vault, _ = Vault.create(tmp_path / "v", name="furnace-2", owner_public_key=public_key_from_private(OWNER.key), store=str(tmp_path / "store"))
    return vault


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "heat.csv"
    path.write_text(csv_text(2500))
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_ingest__batches_in_order_with_their_lines(vault, source, workers):
    key = vault.stream_key(OWNER.key)

    entries = ingest_file(vault, source, key, batch_size=1000, workers=workers)

    assert [(e.seq, e.record_count, e.first_line) for e in entries] == [(1, 1000, 2), (2, 1000, 1002), (3, 500, 2002)]
    rows = csv_text(2500).splitlines()[1:]
    for entry in entries:
        opened = open_batch(open_uri(entry.uri), key)
        assert opened.records == [row.encode() for row in rows[entry.first_line - 2 : entry.first_line - 2 + entry.record_count]]
        assert "0x" + opened.header.root.hex() == entry.root
    assert vault.batches() == entries


def test_ingest__twice__new_batches_new_roots(vault, source):
    key = vault.stream_key(OWNER.key)
    first = ingest_file(vault, source, key, batch_size=5000)
    second = ingest_file(vault, source, key, batch_size=5000)

    assert [e.seq for e in first + second] == [1, 2]
    assert first[0].root != second[0].root  # fresh batch nonce: fresh salts, keys and root


def test_vault__reopened_from_disk(vault, source):
    again = Vault.open(vault.directory)

    assert again.config == vault.config
    assert again.config.stream == stream_id(OWNER.address, stream_label("furnace-2"))


def test_vault__batch_selectors(vault, source):
    key = vault.stream_key(OWNER.key)
    entries = ingest_file(vault, source, key, batch_size=1000)

    assert vault.batch("2") == entries[1]
    assert vault.batch(entries[2].root[:12]) == entries[2]
    assert vault.batch(entries[0].uri) == entries[0]
    with pytest.raises(VaultError, match="no batch"):
        vault.batch("9")


def test_stream_key__only_the_owner_opens_it(vault):
    key = vault.stream_key(OWNER.key)

    assert unwrap_stream_key(vault.config.envelope, OWNER.key, vault.config.stream) == key
    with pytest.raises(VaultError, match="wrapped to its owner"):
        vault.stream_key(STRANGER.key)
    with pytest.raises(EnvelopeError):
        unwrap_stream_key(vault.config.envelope, STRANGER.key, vault.config.stream)


def test_stream_key_envelope__bound_to_its_stream(vault):
    with pytest.raises(EnvelopeError, match="different part id"):
        unwrap_stream_key(vault.config.envelope, OWNER.key, keccak(b"another stream"))
    assert envelope_context(vault.config.stream) != vault.config.stream


def test_vault_json__edited_stream_id__refused(vault):
    path = vault.directory / "vault.json"
    path.write_text(path.read_text().replace(vault.config.stream.hex(), keccak(b"x").hex()))

    with pytest.raises(VaultError, match="does not belong to its owner and label"):
        Vault.open(vault.directory)
