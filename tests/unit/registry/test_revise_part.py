"""PartRegistry.revise_part: the part owner appends versions; earlier versions never change."""

import ape
import pytest

from _registry_support import MISSING_ROLE, NOT_OWNER, REPORT, UNKNOWN_PART, other_oem
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, h

SPEC_V3 = h("bracket design rev C")
URI_V3 = "s3://designs/bracket-rev-c.enc"


def test_revise_part__by_owner__appends_version_2_and_logs(registry, part, oem):
    tx = registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    assert tx.return_value == 2
    assert tx.events == [registry.PartRevised(part_id=part, version=2, spec_hash=SPEC_V2, uri=URI_V2)]
    assert registry.latest_version(part) == 2
    assert registry.spec_hash(part, 2) == SPEC_V2
    assert registry.spec_uri(part, 2) == URI_V2
    assert registry.part_owner(part) == oem


def test_revise_part__twice__returns_3_and_keeps_earlier_versions(registry, part, oem):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    tx = registry.revise_part(part, SPEC_V3, URI_V3, sender=oem)

    assert tx.return_value == 3
    assert registry.latest_version(part) == 3
    assert [registry.spec_hash(part, v) for v in (1, 2, 3)] == [SPEC_V1, SPEC_V2, SPEC_V3]
    assert [registry.spec_uri(part, v) for v in (1, 2, 3)] == [URI_V1, URI_V2, URI_V3]


def test_revise_part__same_document_again__still_a_new_version(registry, part, oem):
    tx = registry.revise_part(part, SPEC_V1, URI_V1, sender=oem)

    assert tx.return_value == 2
    assert registry.spec_hash(part, 2) == SPEC_V1


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "certifier", "buyer", "supplier", "other_oem"])
def test_revise_part__by_non_owner__reverts(registry, part, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(NOT_OWNER):
        registry.revise_part(part, SPEC_V2, URI_V2, sender=caller)
    assert registry.latest_version(part) == 1


def test_revise_part__unknown_part__reverts(registry, oem):
    with ape.reverts(UNKNOWN_PART):
        registry.revise_part(h("no such part"), SPEC_V2, URI_V2, sender=oem)
    assert registry.latest_version(h("no such part")) == 0


def test_revise_part__zero_spec_hash__reverts(registry, part, oem):
    with ape.reverts("registry: empty spec hash"):
        registry.revise_part(part, b"\x00" * 32, URI_V2, sender=oem)
    assert registry.latest_version(part) == 1


def test_revise_part__empty_uri__reverts(registry, part, oem):
    with ape.reverts("registry: empty uri"):
        registry.revise_part(part, SPEC_V2, "", sender=oem)
    assert registry.latest_version(part) == 1
    assert registry.spec_hash(part, 2) == b"\x00" * 32


def test_revise_part__owner_without_manufacturer_role__reverts(registry, part, admin, oem):
    # SPEC v2: the owner must hold MANUFACTURER_ROLE now (v1 let a demoted owner go on revising).
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    assert registry.latest_version(part) == 1
    assert registry.spec_hash(part, 2) == b"\x00" * 32


def test_revise_part__after_transfer__new_owner_may_and_previous_may_not(registry, part, oem, other_oem):
    registry.transfer_part(part, other_oem, sender=oem)

    with ape.reverts(NOT_OWNER):
        registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    assert registry.revise_part(part, SPEC_V2, URI_V2, sender=other_oem).return_value == 2


def test_revise_part__certification__stays_on_its_version_only(registry, part, oem, certifier, supplier, chain):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    assert registry.is_certified(part, 1, supplier)
    assert not registry.is_certified(part, 2, supplier)
    registry.certify(part, 2, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    assert registry.is_certified(part, 2, supplier)


def test_revise_part__keeps_partner_access(registry, part, oem, buyer, supplier):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    assert registry.has_access(part, buyer)
    assert registry.has_access(part, supplier)
