"""Object stores over S3 (moto's S3 server on a random localhost port): the same s3fs client code
as against AWS, MinIO, R2 or NCP — designs and vault batches, and the errors a user can meet."""

import pytest

from _vault_support import bucket, csv_text, s3_server  # noqa: F401
from factorychain.errors import StoreError
from factorychain.store import LocalStore, ObjectStore, open_store, open_uri, s3_options
from factorychain.vault import Vault, ingest_file, open_batch
from factorychain.keys import public_key_from_private
from eth_utils import keccak

KEY = keccak(b"owner on s3")


def test_object_store__put_get_content_addressed(s3_server, bucket):
    store = open_store(f"s3://{bucket}/designs", **s3_options(s3_server["endpoint"]))

    uri = store.put(b"ciphertext")

    assert isinstance(store, ObjectStore)
    assert uri == f"s3://{bucket}/designs/{keccak(b'ciphertext').hex()}.fcdoc"
    assert store.get(uri) == b"ciphertext"
    assert open_uri(uri, endpoint_url=s3_server["endpoint"]) == b"ciphertext"
    assert store.put(b"ciphertext") == uri  # stored once


def test_object_store__altered_object__refused(s3_server, bucket):
    store = open_store(f"s3://{bucket}/designs", **s3_options(s3_server["endpoint"]))
    uri = store.put(b"ciphertext")
    store.fs.pipe_file(uri, b"tampered")

    with pytest.raises(StoreError, match="does not match its content hash"):
        store.get(uri)


def test_object_store__missing_object__one_line(s3_server, bucket):
    with pytest.raises(StoreError, match=f"cannot read s3://{bucket}/nothing.fcdoc: no such object"):
        open_uri(f"s3://{bucket}/nothing.fcdoc", endpoint_url=s3_server["endpoint"])


def test_object_store__missing_bucket__one_line(s3_server):
    store = ObjectStore("s3://no-such-bucket-here/x", **s3_options(s3_server["endpoint"]))

    with pytest.raises(StoreError, match="cannot write s3://no-such-bucket-here/x/"):
        store.put(b"data")


@pytest.mark.parametrize("location, kind", [("/srv/designs", LocalStore), ("file:///srv/designs", LocalStore)])
def test_open_store__local_locations(location, kind):
    assert isinstance(open_store(location), kind)


def test_open_store__s3_options_on_local_folder__refused():
    with pytest.raises(StoreError, match="local folder"):
        open_store("/srv/designs", endpoint_url="http://127.0.0.1:9000")


def test_s3_options__bad_endpoint__refused():
    with pytest.raises(StoreError, match="http"):
        s3_options("127.0.0.1:9000")


def test_s3_options__fields():
    assert s3_options("https://kr.object.ncloudstorage.com", "kr-standard", "ncp", True) == {
        "endpoint_url": "https://kr.object.ncloudstorage.com",
        "client_kwargs": {"region_name": "kr-standard"},
        "profile": "ncp",
        "anon": True,
    }


def test_vault_on_s3__ingest_and_open(s3_server, bucket, tmp_path):
    source = tmp_path / "heat.csv"
    source.write_text(csv_text(500))
    vault, key = Vault.create(
        tmp_path / "v",
        name="furnace-2",
        owner_public_key=public_key_from_private(KEY),
        store=f"s3://{bucket}/vault",
        storage_options=s3_options(s3_server["endpoint"]),
    )

    entries = ingest_file(vault, source, key, batch_size=200)

    assert [e.record_count for e in entries] == [200, 200, 100]
    assert all(e.uri.startswith(f"s3://{bucket}/vault/{vault.config.stream.hex()}/") for e in entries)
    opened = open_batch(open_uri(entries[1].uri, endpoint_url=s3_server["endpoint"]), key)
    assert opened.records[0].startswith(b"2025-03-01T10:03:20Z")
    assert Vault.open(tmp_path / "v").config.storage_options == {"endpoint_url": s3_server["endpoint"]}


def test_vault__secret_storage_options__never_written(tmp_path):
    from factorychain.vault import VaultError

    with pytest.raises(VaultError, match="may hold secrets"):
        Vault.create(tmp_path / "v", name="x", owner_public_key=public_key_from_private(KEY), store="s3://b", storage_options={"secret": "s"})
