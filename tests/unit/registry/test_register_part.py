"""PartRegistry.register_part: manufacturers only, one owner per part id, version 1 stored exactly."""

import ape
import pytest

from _registry_support import MISSING_ROLE
from conftest import SPEC_V1, SPEC_V2, URI_V1, URI_V2, ZERO, h

NEW_PART = h("PN-0815 hinge")
SECOND_PART = h("PN-0816 hinge pin")


def test_register_part__by_manufacturer__stores_version_1_and_logs(registry, oem):
    tx = registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)

    assert tx.return_value == 1
    assert tx.events == [
        registry.PartRegistered(part_id=NEW_PART, owner=oem, version=1, spec_hash=SPEC_V1, uri=URI_V1)
    ]
    assert registry.part_owner(NEW_PART) == oem
    assert registry.latest_version(NEW_PART) == 1
    assert registry.spec_hash(NEW_PART, 1) == SPEC_V1
    assert registry.spec_uri(NEW_PART, 1) == URI_V1
    assert registry.has_access(NEW_PART, oem)


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "certifier", "buyer"])
def test_register_part__by_non_manufacturer__reverts(registry, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=caller)
    assert registry.latest_version(NEW_PART) == 0


def test_register_part__by_manufacturer_whose_role_was_revoked__reverts(registry, admin, oem):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)


def test_register_part__empty_part_id__reverts(registry, oem):
    with ape.reverts("registry: empty part id"):
        registry.register_part(b"\x00" * 32, SPEC_V1, URI_V1, sender=oem)


def test_register_part__existing_part_by_its_owner__reverts_and_keeps_version_1(registry, oem):
    registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)

    with ape.reverts("registry: part exists"):
        registry.register_part(NEW_PART, SPEC_V2, URI_V2, sender=oem)
    assert registry.latest_version(NEW_PART) == 1
    assert registry.spec_hash(NEW_PART, 1) == SPEC_V1
    assert registry.spec_uri(NEW_PART, 1) == URI_V1


def test_register_part__existing_part_by_other_manufacturer__reverts_and_keeps_owner(registry, admin, oem, sub2):
    registry.grantRole(registry.MANUFACTURER_ROLE(), sub2, sender=admin)
    registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)

    with ape.reverts("registry: part exists"):
        registry.register_part(NEW_PART, SPEC_V2, URI_V2, sender=sub2)
    assert registry.part_owner(NEW_PART) == oem


def test_register_part__zero_spec_hash__reverts(registry, oem):
    with ape.reverts("registry: empty spec hash"):
        registry.register_part(NEW_PART, b"\x00" * 32, URI_V1, sender=oem)
    assert registry.part_owner(NEW_PART) == ZERO


def test_register_part__empty_uri__reverts(registry, oem):
    with ape.reverts("registry: empty uri"):
        registry.register_part(NEW_PART, SPEC_V1, "", sender=oem)
    assert registry.part_owner(NEW_PART) == ZERO


@pytest.mark.parametrize("uri", ["x", "s3://bucket/" + "a" * 244], ids=["1_char", "256_chars"])
def test_register_part__uri_of_boundary_length__stored_exactly(registry, oem, uri):
    assert len(uri) in (1, 256)
    registry.register_part(NEW_PART, SPEC_V1, uri, sender=oem)

    assert registry.spec_uri(NEW_PART, 1) == uri


def test_register_part__right_padded_part_number__accepted(registry, oem):
    padded = b"PN-4711/B".ljust(32, b"\x00")
    registry.register_part(padded, SPEC_V1, URI_V1, sender=oem)

    assert registry.part_owner(padded) == oem


def test_register_part__two_parts__independent(registry, oem):
    registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)
    registry.register_part(SECOND_PART, SPEC_V2, URI_V2, sender=oem)

    assert registry.spec_hash(NEW_PART, 1) == SPEC_V1
    assert registry.spec_hash(SECOND_PART, 1) == SPEC_V2
    assert registry.spec_uri(NEW_PART, 1) == URI_V1
    assert registry.spec_uri(SECOND_PART, 1) == URI_V2


def test_register_part__grants_no_one_else_access(registry, oem, buyer):
    registry.register_part(NEW_PART, SPEC_V1, URI_V1, sender=oem)

    assert not registry.has_access(NEW_PART, buyer)
