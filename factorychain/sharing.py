"""The design-sharing workflow against a deployed ``PartRegistry`` — these functions DO touch the chain.

Each takes the registry as an Ape contract object (``project.PartRegistry.at(address)`` or a
test fixture) and, when it sends a transaction, the Ape account to send it from (``sender=``).
Everything they compute (hashes, encryption, envelopes) comes from the pure modules
:mod:`factorychain.spec`, :mod:`factorychain.crypto` and :mod:`factorychain.envelopes`.

The OEM's side::

    design = publish_design(registry, oem, part, pdf_bytes, LocalStore("/srv/designs"))
    share_design_key(registry, oem, part, design.version, supplier_pubkey, design.content_key)

The partner's side::

    pdf_bytes = fetch_design(registry, part, version, my_private_key)

Every published version is encrypted under its own freshly drawn key, so revoking a partner and
publishing a revision cuts it off: it never receives an envelope for the new version's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils.crypto import keccak

from ._hex import BytesLike, as_address, as_bytes, as_uint, to_hex
from .crypto import decrypt_document, encrypt_document, new_content_key
from .envelopes import unwrap_key, wrap_key
from .errors import (
    DecryptionError,
    EnvelopeError,
    EnvelopeNotFoundError,
    FactoryChainError,
    HashMismatchError,
    RegistryError,
)
from .keys import Keystore, address_from_private_key, address_from_public_key, parse_private_key
from .spec import spec_hash, verify_spec_hash
from .store import MAX_URI_LENGTH, DocumentStore, open_uri

__all__ = [
    "MANUFACTURER_ROLE",
    "KeyEnvelope",
    "PublishedDesign",
    "SharedKey",
    "check_content_key",
    "fetch_design",
    "find_envelopes",
    "publish_design",
    "share_design_key",
]

MANUFACTURER_ROLE = keccak(b"MANUFACTURER_ROLE")


@dataclass(frozen=True)
class PublishedDesign:
    """What :func:`publish_design` registered. Keep ``content_key`` secret: it reads the design."""

    part_id: bytes
    version: int
    uri: str
    spec_hash: bytes
    content_key: bytes = field(repr=False)
    receipt: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class SharedKey:
    """What :func:`share_design_key` published."""

    part_id: bytes
    version: int
    partner: str
    envelope: bytes
    receipt: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class KeyEnvelope:
    """One ``KeyShared`` event, as found by :func:`find_envelopes`."""

    part_id: bytes
    version: int
    partner: str
    envelope: bytes
    block_number: int | None
    transaction_hash: str | None


def _bytes32(value: Any) -> bytes:
    """A ``bytes32`` returned by a contract call (Ape gives ``HexBytes``)."""
    return as_bytes(value if isinstance(value, (bytes, str)) else bytes(value), "bytes32 result", 32)


def _latest_version(registry: Any, part_id: bytes) -> int:
    return int(registry.latest_version(part_id))


def _require_version(registry: Any, part_id: bytes, version: int) -> None:
    latest = _latest_version(registry, part_id)
    if latest == 0:
        raise RegistryError(f"unknown part {to_hex(part_id)}")
    if not 1 <= version <= latest:
        raise RegistryError(f"part {to_hex(part_id)} has no version {version} (latest is {latest})")


def publish_design(
    registry: Any,
    sender: Any,
    part_id: BytesLike,
    document: bytes,
    store: DocumentStore,
    version: int | None = None,
) -> PublishedDesign:
    """Encrypt ``document`` under a fresh key, store it, and register it as the part's next version.

    Calls ``register_part`` for a new part, ``revise_part`` otherwise. ``version``, if given,
    is the version the caller expects to create; a different one raises :class:`RegistryError`
    before anything is stored or sent. Ownership and the manufacturer role are checked first
    for the same reason. Returns the version, URI, spec hash and the content key to share.
    """
    pid = as_bytes(part_id, "part id", 32)
    who = as_address(sender, "sender")
    latest = _latest_version(registry, pid)
    if latest == 0:
        if not registry.hasRole(MANUFACTURER_ROLE, who):
            raise RegistryError(f"{who} lacks MANUFACTURER_ROLE and cannot register a part")
    else:
        owner = as_address(registry.part_owner(pid), "part owner")
        if owner != who:
            raise RegistryError(f"part {to_hex(pid)} is owned by {owner}, not {who}")
    expected = latest + 1
    if version is not None and as_uint(version, "version", minimum=1) != expected:
        raise RegistryError(f"part {to_hex(pid)} would get version {expected}, not the requested {version}")
    key = new_content_key()
    digest = spec_hash(document)
    uri = store.put(encrypt_document(document, key, pid, expected))
    if len(uri.encode("utf-8")) > MAX_URI_LENGTH:
        raise RegistryError(f"document URI is longer than {MAX_URI_LENGTH} bytes: {uri}")
    if latest == 0:
        receipt = registry.register_part(pid, digest, uri, sender=sender)
    else:
        receipt = registry.revise_part(pid, digest, uri, sender=sender)
    # The ciphertext is bound to `expected`; make sure that is the version the chain assigned.
    if _latest_version(registry, pid) < expected or (
        _bytes32(registry.spec_hash(pid, expected)) != digest or registry.spec_uri(pid, expected) != uri
    ):
        raise RegistryError(
            f"part {to_hex(pid)} version {expected} was taken by a concurrent revision; publish again"
        )
    return PublishedDesign(pid, expected, uri, digest, key, receipt)


def share_design_key(
    registry: Any,
    sender: Any,
    part_id: BytesLike,
    version: int,
    partner_pubkey: BytesLike,
    content_key: BytesLike,
    *,
    partner: Any | None = None,
) -> SharedKey:
    """Publish ``content_key`` of ``(part_id, version)`` to one partner via ``share_key``.

    The envelope is encrypted to ``partner_pubkey``; the partner address in the event is the
    one that key controls, unless ``partner`` names another (for a partner whose registry
    access is held by a contract wallet). The partner must already have access.
    """
    pid = as_bytes(part_id, "part id", 32)
    _require_version(registry, pid, as_uint(version, "version", minimum=1))
    who = as_address(partner, "partner") if partner is not None else address_from_public_key(partner_pubkey)
    if not registry.has_access(pid, who):
        raise RegistryError(f"{who} has no access to part {to_hex(pid)}; grant_access first")
    envelope = wrap_key(content_key, partner_pubkey, pid, version)
    receipt = registry.share_key(pid, version, who, envelope, sender=sender)
    return SharedKey(pid, version, who, envelope, receipt)


def find_envelopes(
    registry: Any, part_id: BytesLike, version: int, partner: Any, *, start_block: int = 0
) -> list[KeyEnvelope]:
    """Every ``KeyShared`` envelope for ``partner`` on ``(part_id, version)``, oldest first.

    Filters on the indexed ``part_id`` and ``partner`` topics, from ``start_block`` (pass the
    registry's deployment block on long chains) to the head.
    """
    pid = as_bytes(part_id, "part id", 32)
    ver = as_uint(version, "version", minimum=1)
    who = as_address(partner, "partner")
    stop = int(registry.chain_manager.blocks.height) + 1
    logs = registry.KeyShared.range(start_block, stop, search_topics={"part_id": pid, "partner": who})
    found: list[KeyEnvelope] = []
    for log in logs:
        args = log.event_arguments
        if (
            int(args["version"]) != ver
            or _bytes32(args["part_id"]) != pid
            or as_address(args["partner"], "partner") != who
        ):
            continue
        tx_hash = getattr(log, "transaction_hash", None)
        found.append(
            KeyEnvelope(
                part_id=pid,
                version=ver,
                partner=who,
                envelope=bytes(args["envelope"]),
                block_number=getattr(log, "block_number", None),
                transaction_hash=to_hex(tx_hash) if isinstance(tx_hash, bytes) else tx_hash,
            )
        )
    return found


def fetch_design(
    registry: Any,
    part_id: BytesLike,
    version: int,
    partner_private_key: BytesLike | Keystore,
    *,
    opener: Callable[[str], bytes] = open_uri,
    start_block: int = 0,
) -> bytes:
    """The partner's side: envelope -> content key -> encrypted document -> verified plaintext.

    Uses the newest envelope that opens with ``partner_private_key`` and whose key reads the
    document (an OEM may re-share; older envelopes are tried when a newer one does not), reads the version's URI with ``opener``, decrypts, and checks the plaintext against the
    on-chain ``spec_hash``. Raises :class:`EnvelopeNotFoundError` when nothing was shared
    with this key, :class:`~factorychain.errors.DecryptionError` and
    :class:`~factorychain.errors.HashMismatchError` when the stored document is not the
    published one.
    """
    pid = as_bytes(part_id, "part id", 32)
    ver = as_uint(version, "version", minimum=1)
    if isinstance(partner_private_key, Keystore):
        secret = partner_private_key.private_key()
    else:
        secret = parse_private_key(partner_private_key, "partner private key")
    _require_version(registry, pid, ver)
    me = address_from_private_key(secret)
    envelopes = find_envelopes(registry, pid, ver, me, start_block=start_block)
    if not envelopes:
        raise EnvelopeNotFoundError(f"no key was shared with {me} for part {to_hex(pid)} version {ver}")
    keys: list[bytes] = []
    for found in reversed(envelopes):
        try:
            keys.append(unwrap_key(found.envelope, secret, pid, ver))
        except EnvelopeError:
            continue
    if not keys:
        raise EnvelopeError(
            f"{len(envelopes)} envelope(s) shared with {me} for part {to_hex(pid)} "
            f"version {ver}, but none opens with this private key"
        )
    ciphertext = opener(registry.spec_uri(pid, ver))
    expected = _bytes32(registry.spec_hash(pid, ver))
    # Newest first; an envelope holding a wrong content key (a mistaken re-share) must not hide
    # an older one that reads the document. If none does, the newest one's error is raised.
    first_error: FactoryChainError | None = None
    for key in keys:
        try:
            document = decrypt_document(ciphertext, key, pid, ver)
            verify_spec_hash(document, expected)
            return document
        except (DecryptionError, HashMismatchError) as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def check_content_key(
    registry: Any,
    part_id: BytesLike,
    version: int,
    content_key: BytesLike,
    *,
    opener: Callable[[str], bytes] = open_uri,
) -> None:
    """Check ``content_key`` opens ``(part_id, version)``'s stored document and that the plaintext
    matches the on-chain spec hash, before sharing it: :class:`DecryptionError` or
    :class:`HashMismatchError` otherwise."""
    pid = as_bytes(part_id, "part id", 32)
    ver = as_uint(version, "version", minimum=1)
    _require_version(registry, pid, ver)
    try:
        document = decrypt_document(opener(registry.spec_uri(pid, ver)), content_key, pid, ver)
    except DecryptionError as exc:
        raise DecryptionError(f"this content key does not open part {to_hex(pid)} version {ver}: {exc}") from None
    verify_spec_hash(document, _bytes32(registry.spec_hash(pid, ver)))
