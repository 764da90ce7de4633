"""PartRegistry.share_key: the owner publishes a key envelope for a partner with access; only an event."""

import ape
import pytest

from _registry_support import ENVELOPE, NOT_OWNER, UNKNOWN_PART, UNKNOWN_VERSION, other_oem
from conftest import SPEC_V2, URI_V2, ZERO, h


def test_share_key__by_owner_to_partner__logs_envelope(registry, part, oem, supplier):
    tx = registry.share_key(part, 1, supplier, ENVELOPE, sender=oem)

    assert tx.events == [registry.KeyShared(part_id=part, version=1, partner=supplier, envelope=ENVELOPE)]


@pytest.mark.parametrize("size", [1, 512])
def test_share_key__envelope_of_boundary_size__logged_byte_for_byte(registry, part, oem, buyer, size):
    envelope = bytes((i * 7 + 1) % 256 for i in range(size))

    tx = registry.share_key(part, 1, buyer, envelope, sender=oem)

    assert tx.events == [registry.KeyShared(part_id=part, version=1, partner=buyer, envelope=envelope)]


def test_share_key__writes_no_storage(registry, part, oem, supplier, chain):
    tx = registry.share_key(part, 1, supplier, ENVELOPE, sender=oem)

    trace = chain.provider.make_request("debug_traceTransaction", [tx.txn_hash, {"disableStorage": True}])
    opcodes = {step["op"] for step in trace["structLogs"]}
    assert "LOG3" in opcodes  # the trace is the real one: KeyShared has two indexed topics
    assert "SSTORE" not in opcodes


def test_share_key__to_owner_itself__allowed(registry, part, oem):
    tx = registry.share_key(part, 1, oem, ENVELOPE, sender=oem)

    assert tx.events == [registry.KeyShared(part_id=part, version=1, partner=oem, envelope=ENVELOPE)]


def test_share_key__earlier_and_latest_version__both_allowed(registry, part, oem, buyer):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    for version in (1, 2):
        tx = registry.share_key(part, version, buyer, ENVELOPE, sender=oem)
        assert tx.events == [registry.KeyShared(part_id=part, version=version, partner=buyer, envelope=ENVELOPE)]


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "certifier", "buyer", "supplier", "other_oem"])
def test_share_key__by_non_owner__reverts(registry, part, request, caller_name, other_oem, supplier):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(NOT_OWNER):
        registry.share_key(part, 1, supplier, ENVELOPE, sender=caller)


def test_share_key__unknown_part__reverts(registry, oem, supplier):
    with ape.reverts(UNKNOWN_PART):
        registry.share_key(h("no such part"), 1, supplier, ENVELOPE, sender=oem)


@pytest.mark.parametrize("version", [0, 2, 2**256 - 1], ids=["zero", "latest_plus_1", "max"])
def test_share_key__unknown_version__reverts(registry, part, oem, supplier, version):
    with ape.reverts(UNKNOWN_VERSION):
        registry.share_key(part, version, supplier, ENVELOPE, sender=oem)


def test_share_key__version_latest_plus_1_after_revision__reverts(registry, part, oem, supplier):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    with ape.reverts(UNKNOWN_VERSION):
        registry.share_key(part, 3, supplier, ENVELOPE, sender=oem)


def test_share_key__partner_never_granted__reverts(registry, part, oem, stranger):
    with ape.reverts("registry: partner has no access"):
        registry.share_key(part, 1, stranger, ENVELOPE, sender=oem)


def test_share_key__partner_revoked__reverts(registry, part, oem, buyer):
    registry.revoke_access(part, buyer, sender=oem)

    with ape.reverts("registry: partner has no access"):
        registry.share_key(part, 1, buyer, ENVELOPE, sender=oem)


def test_share_key__zero_partner__reverts(registry, part, oem):
    with ape.reverts("registry: partner has no access"):
        registry.share_key(part, 1, ZERO, ENVELOPE, sender=oem)


def test_share_key__empty_envelope__reverts(registry, part, oem, supplier):
    with ape.reverts("registry: empty envelope"):
        registry.share_key(part, 1, supplier, b"", sender=oem)
