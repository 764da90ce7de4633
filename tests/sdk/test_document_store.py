"""factorychain.store: content-addressed local store and URI reading."""

import sys
import types
from pathlib import Path

import pytest
from eth_utils import keccak

from factorychain import LocalStore, StoreError, open_uri


def test_put__file_uri_named_by_keccak(tmp_path):
    store = LocalStore(tmp_path / "designs")
    uri = store.put(b"ciphertext")
    assert uri == (tmp_path / "designs" / (keccak(b"ciphertext").hex() + ".fcdoc")).resolve().as_uri()
    assert open_uri(uri) == b"ciphertext" == store.get(uri)


def test_put__same_content_stored_once(tmp_path):
    store = LocalStore(tmp_path)
    assert store.put(b"a") == store.put(b"a") != store.put(b"b")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        keccak(x).hex() + ".fcdoc" for x in (b"a", b"b")
    )


def test_put__path_with_spaces_and_unicode_round_trips(tmp_path):
    store = LocalStore(tmp_path / "shared drive" / "Zeichnungen ü")
    uri = store.put(b"x")
    assert "%20" in uri and open_uri(uri) == b"x"


def test_get__tampered_file__refused(tmp_path):
    store = LocalStore(tmp_path)
    uri = store.put(b"original")
    store.path_for(b"original").write_bytes(b"swapped")
    with pytest.raises(StoreError, match="does not match its content hash"):
        store.get(uri)


def test_put__root_is_a_file__store_error(tmp_path):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StoreError, match="cannot write to store"):
        LocalStore(tmp_path / "file").put(b"x")


def test_open_uri__missing_file__store_error(tmp_path):
    with pytest.raises(StoreError, match="document not found"):
        open_uri((tmp_path / "gone.fcdoc").as_uri())


@pytest.mark.parametrize(
    "uri, reason",
    [
        ("", "empty"),
        ("/etc/hostname", "no scheme"),
        ("file://fileserver/share/x.fcdoc", "remote host"),
    ],
)
def test_open_uri__unusable__store_error(uri, reason):
    with pytest.raises(StoreError, match=reason):
        open_uri(uri)


def test_open_uri__other_scheme_without_fsspec__store_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # makes `import fsspec` raise ImportError
    with pytest.raises(StoreError, match="optional 'fsspec' package"):
        open_uri("s3://bucket/design.fcdoc")


def test_open_uri__other_scheme_through_fsspec(monkeypatch, tmp_path):
    source = tmp_path / "blob"
    source.write_bytes(b"from fsspec")
    opened = []

    def fake_open(uri, mode):
        opened.append((uri, mode))
        if uri.endswith("missing"):
            raise FileNotFoundError(uri)
        return Path(source).open(mode)

    monkeypatch.setitem(sys.modules, "fsspec", types.SimpleNamespace(open=fake_open))
    assert open_uri("s3://bucket/design.fcdoc") == b"from fsspec"
    assert opened == [("s3://bucket/design.fcdoc", "rb")]
    with pytest.raises(StoreError, match="cannot read s3://bucket/missing"):
        open_uri("s3://bucket/missing")
