"""Where encrypted design documents and vault batches live, and how to read them back from a URI.

The registry stores a ``String[256]`` URI per version; the SDK only ever puts *ciphertext*
there. :class:`LocalStore` writes to a folder (a shared drive, a test ``tmp_path``) under
content-addressed names, ``<keccak256 of the ciphertext>.fcdoc``, so the same ciphertext is stored
once and a file can be checked against its name. :class:`ObjectStore` does the same in any
object store fsspec reaches: ``s3://bucket/prefix`` on AWS S3, MinIO, Cloudflare R2, Naver Cloud
Object Storage … (through ``s3fs``, with the usual AWS credentials and an endpoint URL),
``memory://`` in tests. :func:`open_store` picks one from a location string, and :func:`open_uri`
reads ``file://`` URIs itself and every other scheme through fsspec.

S3 settings come from the standard places (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, ``~/.aws/credentials``, ``AWS_ENDPOINT_URL`` …) or from :func:`s3_options`
(``--s3-endpoint`` and friends on the command line); the options travel with the store, never in
the URI, so the URI on chain names only the bucket and object.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from eth_utils.crypto import keccak

from .errors import StoreError

__all__ = [
    "MAX_URI_LENGTH",
    "DocumentStore",
    "LocalStore",
    "ObjectStore",
    "open_store",
    "open_uri",
    "s3_options",
]

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
        return self._write(self.path_for(bytes(data)), data)

    def put_as(self, name: str, data: bytes) -> str:
        """Write ``data`` under the relative ``name`` (``a/b.fcvb``), atomically; return its URI.

        An existing object of that name is kept as it is (names are content-derived by callers).
        """
        return self._write(self.root / _safe_name(name), data)

    def _write(self, target: Path, data: bytes) -> str:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
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
        return _check_content_name(uri, open_uri(uri))


def _check_content_name(uri: str, data: bytes) -> bytes:
    name = urlparse(uri).path.rsplit("/", 1)[-1]
    if name.endswith(_SUFFIX) and keccak(data).hex() + _SUFFIX != unquote(name):
        raise StoreError(f"stored file does not match its content hash: {uri}")
    return data


def _safe_name(name: str) -> str:
    parts = [part for part in str(name).split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        raise StoreError(f"not a usable object name: {name!r}")
    return "/".join(parts)


def s3_options(
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    anonymous: bool = False,
) -> dict[str, Any]:
    """fsspec/s3fs storage options for an S3-compatible service; empty values are left out.

    ``endpoint_url`` names a non-AWS service (``https://kr.object.ncloudstorage.com``,
    ``http://127.0.0.1:9000`` for MinIO); ``anonymous`` reads public buckets without credentials.
    Credentials themselves stay where AWS tools keep them (environment, profile), never here.
    """
    options: dict[str, Any] = {}
    if endpoint_url:
        if urlparse(endpoint_url).scheme not in ("http", "https"):
            raise StoreError(f"S3 endpoint must be an http(s) URL, got {endpoint_url!r}")
        options["endpoint_url"] = endpoint_url
    if region:
        options.setdefault("client_kwargs", {})["region_name"] = region
    if profile:
        options["profile"] = profile
    if anonymous:
        options["anon"] = True
    return options


def _fsspec() -> Any:
    try:
        return importlib.import_module("fsspec")
    except ImportError:
        raise StoreError("URIs other than file:// need the optional 'fsspec' package") from None


def _fs_error(action: str, where: str, exc: BaseException) -> StoreError:
    if isinstance(exc, FileNotFoundError):
        text = "no such object (or bucket)"
    elif isinstance(exc, PermissionError):
        text = f"access denied ({' '.join(str(exc).split())})"
    else:
        text = " ".join(str(exc).split()) or type(exc).__name__
    return StoreError(f"cannot {action} {where}: {text}")


class ObjectStore:
    """A prefix in any fsspec object store (``s3://bucket/designs``), content-addressed like LocalStore."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        scheme = urlparse(url).scheme.lower()
        if not scheme or scheme == "file":
            raise StoreError(f"ObjectStore needs a remote URL such as s3://bucket/prefix, got {url!r}")
        self.url = url.rstrip("/")
        self.scheme = scheme
        self.storage_options = dict(storage_options)
        fsspec = _fsspec()
        try:
            self.fs = fsspec.filesystem(scheme, **self.storage_options)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"cannot open {scheme}:// stores: {exc}") from None

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"

    def uri_for(self, name: str) -> str:
        return f"{self.url}/{_safe_name(name)}"

    def put(self, data: bytes) -> str:
        """Upload ``data`` as ``<keccak256>.fcdoc`` under the prefix; return its URI."""
        return self.put_as(keccak(bytes(data)).hex() + _SUFFIX, data)

    def put_as(self, name: str, data: bytes) -> str:
        """Upload ``data`` as ``name`` under the prefix (once: an existing object is kept)."""
        uri = self.uri_for(name)
        try:
            if not self.fs.exists(uri):
                self.fs.pipe_file(uri, bytes(data))
        except Exception as exc:  # each fsspec backend raises its own types
            raise _fs_error("write", uri, exc) from None
        return uri

    def get(self, uri: str) -> bytes:
        """Read a URI, checking a content-addressed name against the bytes."""
        return _check_content_name(uri, open_uri(uri, **self.storage_options))


def open_store(location: str | os.PathLike[str], **storage_options: Any) -> LocalStore | ObjectStore:
    """A store for a folder path, a ``file://`` URL, or any fsspec URL (``s3://bucket/prefix``)."""
    text = os.fspath(location)
    scheme = urlparse(text).scheme.lower() if "://" in text else ""
    if not scheme:
        if storage_options:
            raise StoreError(f"S3 options were given but the store {text!r} is a local folder")
        return LocalStore(text)
    if scheme == "file":
        return LocalStore(url2pathname(unquote(urlparse(text).path)))
    return ObjectStore(text, **storage_options)


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


def open_uri(uri: str, **storage_options: Any) -> bytes:
    """The bytes behind a registry URI: ``file://`` always, other schemes through ``fsspec``.

    ``storage_options`` go to the fsspec backend (see :func:`s3_options`).
    """
    if not isinstance(uri, str) or not uri:
        raise StoreError("document URI is empty")
    scheme = urlparse(uri).scheme.lower()
    if scheme == "file":
        return _read_file_uri(uri)
    if not scheme:
        raise StoreError(f"not a URI (no scheme such as file:// or s3://): {uri}")
    fsspec = _fsspec()
    try:
        with fsspec.open(uri, "rb", **storage_options) as handle:
            data = handle.read()
    except Exception as exc:  # fsspec backends raise their own exception types
        raise _fs_error("read", uri, exc) from None
    return bytes(data)
