"""factorychain.sharing against an in-memory stand-in for PartRegistry (no chain).

The stand-in follows the SPEC's rules and Ape's calling conventions (``sender=`` on
transactions, ``Event.range(start, stop, search_topics=...)`` yielding logs with
``event_arguments``), so the workflow logic is tested here; the real-chain round trip lives in
tests/integration.
"""

from types import SimpleNamespace

import pytest
from eth_account import Account
from eth_utils import keccak

from factorychain import (
    DecryptionError,
    EnvelopeError,
    EnvelopeNotFoundError,
    HashMismatchError,
    LocalStore,
    RegistryError,
    decrypt_document,
    encrypt_document,
    fetch_design,
    find_envelopes,
    part_id,
    public_key_from_private,
    publish_design,
    share_design_key,
    unwrap_key,
    wrap_key,
)
from factorychain.sharing import MANUFACTURER_ROLE

PART = part_id("BRK-2209")


class Revert(Exception):
    pass


class FakeEvent:
    def __init__(self, registry: "FakeRegistry"):
        self.registry = registry

    def range(self, start, stop, search_topics=None):
        topics = search_topics or {}
        for log in self.registry.logs:
            args = log.event_arguments
            if start <= log.block_number < stop and all(args[k] == v for k, v in topics.items()):
                yield log


class FakeRegistry:
    def __init__(self, manufacturers):
        self.manufacturers = {m.address for m in manufacturers}
        self.owner: dict[bytes, str] = {}
        self.versions: dict[bytes, list[tuple[bytes, str]]] = {}
        self.access: set[tuple[bytes, str]] = set()
        self.logs: list[SimpleNamespace] = []
        self.sent: list[str] = []
        self.height = 0
        self.chain_manager = SimpleNamespace(blocks=self)
        self.KeyShared = FakeEvent(self)

    def _mine(self, name):
        self.height += 1
        self.sent.append(name)
        return SimpleNamespace(txn_hash=f"0x{self.height:064x}", block_number=self.height)

    # views
    def hasRole(self, role, account):
        return role == MANUFACTURER_ROLE and account in self.manufacturers

    def latest_version(self, pid):
        return len(self.versions.get(bytes(pid), []))

    def part_owner(self, pid):
        return self.owner.get(bytes(pid), "0x" + "00" * 20)

    def spec_hash(self, pid, version):
        entries = self.versions.get(bytes(pid), [])
        return entries[version - 1][0] if 0 < version <= len(entries) else bytes(32)

    def spec_uri(self, pid, version):
        entries = self.versions.get(bytes(pid), [])
        return entries[version - 1][1] if 0 < version <= len(entries) else ""

    def has_access(self, pid, account):
        return self.owner.get(bytes(pid)) == account or (bytes(pid), account) in self.access

    # transactions
    def register_part(self, pid, spec_hash, uri, sender):
        if sender.address not in self.manufacturers:
            raise Revert("access_control: account is missing role")
        if bytes(pid) in self.versions:
            raise Revert("registry: part exists")
        assert len(uri) <= 256
        self.owner[bytes(pid)] = sender.address
        self.versions[bytes(pid)] = [(spec_hash, uri)]
        return self._mine("register_part")

    def revise_part(self, pid, spec_hash, uri, sender):
        if self.owner.get(bytes(pid)) != sender.address:
            raise Revert("registry: not owner")
        self.versions[bytes(pid)].append((spec_hash, uri))
        return self._mine("revise_part")

    def grant_access(self, pid, partner, sender):
        assert self.owner[bytes(pid)] == sender.address
        self.access.add((bytes(pid), getattr(partner, "address", partner)))

    def revoke_access(self, pid, partner, sender):
        assert self.owner[bytes(pid)] == sender.address
        self.access.discard((bytes(pid), getattr(partner, "address", partner)))

    def share_key(self, pid, version, partner, envelope, sender):
        if self.owner.get(bytes(pid)) != sender.address:
            raise Revert("registry: not owner")
        if (bytes(pid), partner) not in self.access:
            raise Revert("registry: no access")
        assert len(envelope) <= 512
        receipt = self._mine("share_key")
        self.logs.append(
            SimpleNamespace(
                event_arguments={
                    "part_id": bytes(pid),
                    "version": version,
                    "partner": partner,
                    "envelope": envelope,
                },
                block_number=self.height,
                transaction_hash=self.height.to_bytes(32, "big"),
            )
        )
        return receipt


class Actor:
    """Shaped like an Ape account for the fake: an ``address`` (and its key, for the test)."""

    def __init__(self, name: str):
        self.key = keccak(name.encode())
        self.address = Account.from_key(self.key).address
        self.public_key = public_key_from_private(self.key)


OEM, SUPPLIER, STRANGER = Actor("oem"), Actor("supplier"), Actor("stranger")
DOC_A = b"%PDF brake caliper rev A" * 100
DOC_B = b"%PDF brake caliper rev B" * 100


@pytest.fixture
def registry():
    return FakeRegistry(manufacturers=[OEM])


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "designs")


def test_publish__new_part_registers_version_1(registry, store):
    design = publish_design(registry, OEM, PART, DOC_A, store)
    assert (design.version, registry.sent) == (1, ["register_part"])
    assert registry.spec_hash(PART, 1) == design.spec_hash == keccak(DOC_A)
    assert registry.spec_uri(PART, 1) == design.uri and design.uri.startswith("file://")
    assert len(design.content_key) == 32 and design.content_key.hex() not in repr(design)


def test_publish__existing_part_revises_with_a_fresh_key(registry, store):
    first = publish_design(registry, OEM, PART, DOC_A, store)
    second = publish_design(registry, OEM, PART, DOC_B, store, version=2)
    assert second.version == 2 and registry.sent == ["register_part", "revise_part"]
    assert second.content_key != first.content_key


def test_publish__unexpected_version__refused_before_storing(registry, store):
    publish_design(registry, OEM, PART, DOC_A, store)
    with pytest.raises(RegistryError, match="would get version 2, not the requested 5"):
        publish_design(registry, OEM, PART, DOC_B, store, version=5)
    assert registry.sent == ["register_part"] and len(list(store.root.iterdir())) == 1


def test_publish__not_owner__refused_before_sending(registry, store):
    publish_design(registry, OEM, PART, DOC_A, store)
    registry.manufacturers.add(STRANGER.address)
    with pytest.raises(RegistryError, match=f"owned by {OEM.address}, not {STRANGER.address}"):
        publish_design(registry, STRANGER, PART, DOC_B, store)
    assert registry.sent == ["register_part"]


def test_publish__no_manufacturer_role__refused(registry, store):
    with pytest.raises(RegistryError, match="lacks MANUFACTURER_ROLE"):
        publish_design(registry, STRANGER, PART, DOC_A, store)
    assert registry.sent == []


def test_publish__uri_too_long__refused_before_sending(registry):
    class FarAwayStore:
        def put(self, data):
            return "s3://bucket/" + "x" * 300

    with pytest.raises(RegistryError, match="longer than 256 bytes"):
        publish_design(registry, OEM, PART, DOC_A, FarAwayStore())
    assert registry.sent == []


def test_publish__concurrent_revision__detected(registry, store):
    publish_design(registry, OEM, PART, DOC_A, store)
    real_revise = registry.revise_part

    def racing_revise(pid, spec_hash, uri, sender):
        real_revise(pid, keccak(b"someone else's"), "file:///elsewhere", sender)  # lands first
        return real_revise(pid, spec_hash, uri, sender)

    registry.revise_part = racing_revise
    with pytest.raises(RegistryError, match="concurrent revision"):
        publish_design(registry, OEM, PART, DOC_B, store)


def _publish_and_share(registry, store):
    design = publish_design(registry, OEM, PART, DOC_A, store)
    registry.grant_access(PART, SUPPLIER, sender=OEM)
    shared = share_design_key(registry, OEM, PART, 1, SUPPLIER.public_key, design.content_key)
    return design, shared


def test_share_then_fetch__round_trip(registry, store):
    _, shared = _publish_and_share(registry, store)
    assert shared.partner == SUPPLIER.address and len(shared.envelope) <= 512
    assert fetch_design(registry, PART, 1, SUPPLIER.key) == DOC_A


def test_find_envelopes__filters_part_version_partner(registry, store):
    design, shared = _publish_and_share(registry, store)
    other = part_id("OTHER")
    publish_design(registry, OEM, other, DOC_B, store)
    registry.grant_access(other, SUPPLIER, sender=OEM)
    share_design_key(registry, OEM, other, 1, SUPPLIER.public_key, design.content_key)
    found = find_envelopes(registry, PART, 1, SUPPLIER)
    assert [f.envelope for f in found] == [shared.envelope]
    assert found[0].partner == SUPPLIER.address and found[0].transaction_hash.startswith("0x")
    assert find_envelopes(registry, PART, 2, SUPPLIER) == []
    assert find_envelopes(registry, PART, 1, SUPPLIER, start_block=found[0].block_number + 1) == []


def test_share__partner_without_access__refused(registry, store):
    design = publish_design(registry, OEM, PART, DOC_A, store)
    with pytest.raises(RegistryError, match="has no access"):
        share_design_key(registry, OEM, PART, 1, STRANGER.public_key, design.content_key)


def test_share__unknown_version_or_part__refused(registry, store):
    design, _ = _publish_and_share(registry, store)
    with pytest.raises(RegistryError, match="no version 2"):
        share_design_key(registry, OEM, PART, 2, SUPPLIER.public_key, design.content_key)
    with pytest.raises(RegistryError, match="unknown part"):
        share_design_key(registry, OEM, part_id("NOPE"), 1, SUPPLIER.public_key, design.content_key)


def test_share__explicit_partner_address_for_a_contract_wallet(registry, store):
    design = publish_design(registry, OEM, PART, DOC_A, store)
    wallet = Account.from_key(keccak(b"multisig")).address  # access is held by the wallet
    with pytest.raises(RegistryError, match="has no access"):
        share_design_key(registry, OEM, PART, 1, SUPPLIER.public_key, design.content_key, partner=wallet)
    registry.grant_access(PART, wallet, sender=OEM)
    shared = share_design_key(registry, OEM, PART, 1, SUPPLIER.public_key, design.content_key, partner=wallet)
    assert shared.partner == wallet
    (found,) = find_envelopes(registry, PART, 1, wallet)
    assert unwrap_key(found.envelope, SUPPLIER.key, PART, 1) == design.content_key


def test_fetch__nothing_shared__envelope_not_found(registry, store):
    publish_design(registry, OEM, PART, DOC_A, store)
    with pytest.raises(EnvelopeNotFoundError, match=f"no key was shared with {SUPPLIER.address}"):
        fetch_design(registry, PART, 1, SUPPLIER.key)


def test_fetch__newest_envelope_that_opens_wins(registry, store):
    design, _ = _publish_and_share(registry, store)
    # A later, broken envelope (e.g. encrypted to a rotated-away key) must not hide the good one.
    junk = wrap_key(design.content_key, STRANGER.public_key, PART, 1)
    registry.share_key(PART, 1, SUPPLIER.address, junk, sender=OEM)
    assert len(find_envelopes(registry, PART, 1, SUPPLIER)) == 2
    assert fetch_design(registry, PART, 1, SUPPLIER.key) == DOC_A


def test_fetch__only_unopenable_envelopes__envelope_error(registry, store):
    design = publish_design(registry, OEM, PART, DOC_A, store)
    registry.grant_access(PART, SUPPLIER, sender=OEM)
    junk = wrap_key(design.content_key, STRANGER.public_key, PART, 1)
    registry.share_key(PART, 1, SUPPLIER.address, junk, sender=OEM)
    with pytest.raises(EnvelopeError, match="none opens with this private key"):
        fetch_design(registry, PART, 1, SUPPLIER.key)


def test_fetch__tampered_store__decryption_error(registry, store):
    _publish_and_share(registry, store)
    path = next(store.root.iterdir())
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(DecryptionError):
        fetch_design(registry, PART, 1, SUPPLIER.key)


def test_fetch__document_swapped_by_key_holder__hash_mismatch(registry, store):
    design, _ = _publish_and_share(registry, store)
    # Someone holding the content key re-encrypts a different document in place.
    next(store.root.iterdir()).write_bytes(encrypt_document(b"counterfeit", design.content_key, PART, 1))
    with pytest.raises(HashMismatchError, match="does not match the published spec hash"):
        fetch_design(registry, PART, 1, SUPPLIER.key)


def test_revision_after_revocation__revoked_partner_cannot_read(registry, store):
    first, _ = _publish_and_share(registry, store)
    registry.revoke_access(PART, SUPPLIER, sender=OEM)
    revised = publish_design(registry, OEM, PART, DOC_B, store)
    with pytest.raises(RegistryError, match="has no access"):
        share_design_key(registry, OEM, PART, revised.version, SUPPLIER.public_key, revised.content_key)
    with pytest.raises(EnvelopeNotFoundError):
        fetch_design(registry, PART, 2, SUPPLIER.key)
    # The version-1 key the partner may have kept does not open version 2.
    with pytest.raises(DecryptionError):
        decrypt_document(store.get(revised.uri), first.content_key, PART, 2)
    # What was shared before the revocation stays readable: it cannot be un-shared.
    assert fetch_design(registry, PART, 1, SUPPLIER.key) == DOC_A


def test_fetch__custom_opener(registry, store):
    _publish_and_share(registry, store)
    seen = []

    def opener(uri):
        seen.append(uri)
        return store.get(uri)

    assert fetch_design(registry, PART, 1, SUPPLIER.key, opener=opener) == DOC_A
    assert seen == [registry.spec_uri(PART, 1)]


def test_fetch__newest_envelope_holds_a_wrong_key__falls_back_to_an_older_one(registry, store):
    # Issue 11: a re-share with a key that opens the envelope but not the document locked the partner out.
    _publish_and_share(registry, store)
    wrong = wrap_key(bytes(range(32)), SUPPLIER.public_key, PART, 1)
    registry.share_key(PART, 1, SUPPLIER.address, wrong, sender=OEM)
    assert len(find_envelopes(registry, PART, 1, SUPPLIER)) == 2
    assert fetch_design(registry, PART, 1, SUPPLIER.key) == DOC_A


def test_fetch__only_wrong_keys__decryption_error(registry, store):
    publish_design(registry, OEM, PART, DOC_A, store)
    registry.grant_access(PART, SUPPLIER, sender=OEM)
    for filler in (1, 2):
        registry.share_key(PART, 1, SUPPLIER.address, wrap_key(bytes([filler]) * 32, SUPPLIER.public_key, PART, 1), sender=OEM)
    with pytest.raises(DecryptionError):
        fetch_design(registry, PART, 1, SUPPLIER.key)


def test_check_content_key__only_the_versions_key_passes(registry, store):
    from factorychain.sharing import check_content_key

    first = publish_design(registry, OEM, PART, DOC_A, store)
    second = publish_design(registry, OEM, PART, DOC_B, store)
    check_content_key(registry, PART, 1, first.content_key)
    check_content_key(registry, PART, 2, second.content_key)
    with pytest.raises(DecryptionError, match="does not open part .* version 1"):
        check_content_key(registry, PART, 1, second.content_key)
    with pytest.raises(DecryptionError, match="does not open"):
        check_content_key(registry, PART, 2, bytes(32))
