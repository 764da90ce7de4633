"""Where encrypted design documents live, and how to read them back from a registry URI.

The registry stores a ``String[256]`` URI per version; the SDK only ever puts *ciphertext*
there. :class:`LocalStore` writes to a folder (a shared drive, a directory synced to S3, a test
``tmp_path``) under content-addressed names, ``<keccak256 of the ciphertext>.fcdoc``, so the
same ciphertext is stored once and a file can be checked against its name. :func:`open_uri`
reads ``file://`` URIs itself and, when the optional ``fsspec`` package is importable, every
scheme fsspec knows (``s3://``, ``https://``, ``ipfs://`` with its plugin …).
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from eth_utils.crypto import keccak

from .errors import StoreError

__all__ = ["MAX_URI_LENGTH", "DocumentStore", "LocalStore", "open_uri"]

MAX_URI_LENGTH = 256  # PartRegistry's String[256]
_SUFFIX = ".fcdoc"


class DocumentStore(Protocol):
    """Anything that can keep a ciphertext and say where: ``put(data) -> uri``."""

    def put(self, data: bytes) -> str:
        """Store ``data`` and return a URI :func:`open_uri` (or the partner) can read."""
        ...


class LocalStore:
    """A folder of content-addressed ciphertexts, addressed by ``file://`` URIs."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path_for(self, data: bytes) -> Path:
        """Where ``data`` is (or would be) stored."""
        return self.root / (keccak(data).hex() + _SUFFIX)

    def put(self, data: bytes) -> str:
        """Write ``data`` (atomically, once) and return its ``file://`` URI."""
        target = self.path_for(bytes(data))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=_SUFFIX)
                try:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(data)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
        except OSError as exc:
            raise StoreError(f"cannot write to store {self.root}: {exc.strerror or exc}") from None
        return target.as_uri()

    def get(self, uri: str) -> bytes:
        """Read a URI this store returned, checking the content against its keccak name."""
        data = open_uri(uri)
        name = Path(url2pathname(unquote(urlparse(uri).path))).name
        if name.endswith(_SUFFIX) and keccak(data).hex() + _SUFFIX != name:
            raise StoreError(f"stored file does not match its content hash: {uri}")
        return data


def _read_file_uri(uri: str) -> bytes:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise StoreError(f"file URI names a remote host ({parsed.netloc!r}): {uri}")
    path = Path(url2pathname(unquote(parsed.path)))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"document not found: {path}") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None


def open_uri(uri: str) -> bytes:
    """The bytes behind a registry URI: ``file://`` always, other schemes through ``fsspec``."""
    if not isinstance(uri, str) or not uri:
        raise StoreError("document URI is empty")
    scheme = urlparse(uri).scheme.lower()
    if scheme == "file":
        return _read_file_uri(uri)
    if not scheme:
        raise StoreError(f"not a URI (no scheme such as file:// or s3://): {uri}")
    try:
        fsspec = importlib.import_module("fsspec")
    except ImportError:
        raise StoreError(
            f"cannot open {scheme}:// URIs without the optional 'fsspec' package: {uri}"
        ) from None
    try:
        with fsspec.open(uri, "rb") as handle:
            data = handle.read()
    except Exception as exc:  # fsspec backends raise their own exception types
        raise StoreError(f"cannot read {uri}: {exc}") from None
    return bytes(data)
