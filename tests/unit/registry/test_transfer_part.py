"""PartRegistry.transfer_part: the owner hands a part to another manufacturer, implicit access included."""

import ape
import pytest

from _registry_support import ENVELOPE, NOT_OWNER, REPORT, UNKNOWN_PART, other_oem
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, ZERO, h


def test_transfer_part__to_manufacturer__moves_ownership_and_logs(registry, part, oem, other_oem):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    tx = registry.transfer_part(part, other_oem, sender=oem)

    assert tx.events == [registry.PartTransferred(part_id=part, previous_owner=oem, new_owner=other_oem)]
    assert registry.part_owner(part) == other_oem
    assert registry.latest_version(part) == 2
    assert [registry.spec_hash(part, v) for v in (1, 2)] == [SPEC_V1, SPEC_V2]
    assert [registry.spec_uri(part, v) for v in (1, 2)] == [URI_V1, URI_V2]


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "certifier", "buyer", "other_oem"])
def test_transfer_part__by_non_owner__reverts(registry, part, request, caller_name, other_oem, oem):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(NOT_OWNER):
        registry.transfer_part(part, other_oem, sender=caller)
    assert registry.part_owner(part) == oem


def test_transfer_part__unknown_part__reverts(registry, oem, other_oem):
    with ape.reverts(UNKNOWN_PART):
        registry.transfer_part(h("no such part"), other_oem, sender=oem)


@pytest.mark.parametrize("new_owner_name", ["stranger", "certifier", "admin", "buyer"])
def test_transfer_part__to_non_manufacturer__reverts(registry, part, oem, request, new_owner_name):
    new_owner = request.getfixturevalue(new_owner_name)
    with ape.reverts("registry: new owner not manufacturer"):
        registry.transfer_part(part, new_owner, sender=oem)
    assert registry.part_owner(part) == oem


def test_transfer_part__to_zero_address__reverts(registry, part, oem):
    with ape.reverts("registry: new owner not manufacturer"):
        registry.transfer_part(part, ZERO, sender=oem)


def test_transfer_part__to_former_manufacturer__reverts(registry, part, admin, oem, other_oem):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), other_oem, sender=admin)

    with ape.reverts("registry: new owner not manufacturer"):
        registry.transfer_part(part, other_oem, sender=oem)


def test_transfer_part__moves_implicit_access_to_new_owner(registry, part, oem, other_oem):
    assert not registry.has_access(part, other_oem)

    registry.transfer_part(part, other_oem, sender=oem)

    assert registry.has_access(part, other_oem)
    assert not registry.has_access(part, oem)


def test_transfer_part__keeps_partner_grants_and_their_certifications(registry, part, oem, other_oem, buyer, supplier):
    registry.transfer_part(part, other_oem, sender=oem)

    assert registry.has_access(part, buyer)
    assert registry.has_access(part, supplier)
    assert registry.is_certified(part, 1, supplier)


def test_transfer_part__previous_owner_certification__lapses(registry, part, oem, other_oem, certifier, chain):
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    assert registry.is_certified(part, 1, oem)

    registry.transfer_part(part, other_oem, sender=oem)

    assert not registry.is_certified(part, 1, oem)
    assert registry.certified_until(part, 1, oem) == 0


def test_transfer_part__previous_owner_granted_afterwards__old_certification_stays_void(
    registry, part, oem, other_oem, certifier, chain
):
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    registry.transfer_part(part, other_oem, sender=oem)

    registry.grant_access(part, oem, sender=other_oem)

    assert registry.has_access(part, oem)
    assert not registry.is_certified(part, 1, oem)


def test_transfer_part__to_certified_partner__partner_stays_certified_as_owner(
    registry, part, admin, oem, supplier
):
    registry.grantRole(registry.MANUFACTURER_ROLE(), supplier, sender=admin)

    registry.transfer_part(part, supplier, sender=oem)

    assert registry.part_owner(part) == supplier
    assert registry.is_certified(part, 1, supplier)


def test_transfer_part__new_owner_runs_the_part_and_previous_owner_cannot(
    registry, part, oem, other_oem, stranger, buyer
):
    registry.transfer_part(part, other_oem, sender=oem)

    with ape.reverts(NOT_OWNER):
        registry.grant_access(part, stranger, sender=oem)
    with ape.reverts(NOT_OWNER):
        registry.revoke_access(part, buyer, sender=oem)
    with ape.reverts(NOT_OWNER):
        registry.share_key(part, 1, buyer, ENVELOPE, sender=oem)
    with ape.reverts(NOT_OWNER):
        registry.transfer_part(part, oem, sender=oem)

    registry.grant_access(part, stranger, sender=other_oem)
    registry.revoke_access(part, buyer, sender=other_oem)
    registry.share_key(part, 1, stranger, ENVELOPE, sender=other_oem)
    assert registry.has_access(part, stranger)
    assert not registry.has_access(part, buyer)


def test_transfer_part__back_to_previous_owner__allowed(registry, part, oem, other_oem):
    registry.transfer_part(part, other_oem, sender=oem)

    tx = registry.transfer_part(part, oem, sender=other_oem)

    assert tx.events == [registry.PartTransferred(part_id=part, previous_owner=other_oem, new_owner=oem)]
    assert registry.part_owner(part) == oem
