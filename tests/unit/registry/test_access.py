"""PartRegistry.grant_access / revoke_access, and what access means for certifications."""

import ape
import pytest

from _registry_support import NOT_OWNER, REPORT, UNKNOWN_PART, other_oem
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, ZERO, h

OTHER_PART = h("PN-9000 gear")


WRONG_CALLERS = ["stranger", "admin", "certifier", "buyer", "supplier", "other_oem"]


# ---------------------------------------------------------------- grant_access


def test_grant_access__by_owner__admits_partner_and_logs(registry, part, oem, stranger):
    assert not registry.has_access(part, stranger)

    tx = registry.grant_access(part, stranger, sender=oem)

    assert tx.events == [registry.AccessGranted(part_id=part, partner=stranger)]
    assert registry.has_access(part, stranger)


def test_grant_access__already_granted__logs_nothing(registry, part, oem, buyer):
    tx = registry.grant_access(part, buyer, sender=oem)

    assert tx.events == []
    assert registry.has_access(part, buyer)


def test_grant_access__already_granted__keeps_live_certification(registry, part, oem, supplier):
    registry.grant_access(part, supplier, sender=oem)

    assert registry.is_certified(part, 1, supplier)


@pytest.mark.parametrize("caller_name", WRONG_CALLERS)
def test_grant_access__by_non_owner__reverts(registry, part, request, caller_name, other_oem, stranger):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(NOT_OWNER):
        registry.grant_access(part, stranger, sender=caller)
    assert not registry.has_access(part, stranger)


def test_grant_access__unknown_part__reverts(registry, oem, stranger):
    with ape.reverts(UNKNOWN_PART):
        registry.grant_access(h("no such part"), stranger, sender=oem)


def test_grant_access__zero_partner__reverts(registry, part, oem):
    with ape.reverts("registry: zero partner"):
        registry.grant_access(part, ZERO, sender=oem)
    assert not registry.has_access(part, ZERO)


def test_grant_access__to_owner_itself__logs_and_owner_keeps_access(registry, part, oem):
    tx = registry.grant_access(part, oem, sender=oem)

    assert tx.events == [registry.AccessGranted(part_id=part, partner=oem)]
    assert registry.has_access(part, oem)


def test_grant_access__is_per_part(registry, part, oem, stranger):
    registry.register_part(OTHER_PART, SPEC_V2, URI_V2, sender=oem)

    registry.grant_access(part, stranger, sender=oem)

    assert registry.has_access(part, stranger)
    assert not registry.has_access(OTHER_PART, stranger)


# ---------------------------------------------------------------- revoke_access


def test_revoke_access__by_owner__excludes_partner_and_logs(registry, part, oem, buyer):
    tx = registry.revoke_access(part, buyer, sender=oem)

    assert tx.events == [registry.AccessRevoked(part_id=part, partner=buyer)]
    assert not registry.has_access(part, buyer)


def test_revoke_access__twice__second_logs_nothing(registry, part, oem, buyer):
    registry.revoke_access(part, buyer, sender=oem)

    tx = registry.revoke_access(part, buyer, sender=oem)

    assert tx.events == []
    assert not registry.has_access(part, buyer)


def test_revoke_access__never_granted__logs_nothing(registry, part, oem, stranger):
    tx = registry.revoke_access(part, stranger, sender=oem)

    assert tx.events == []
    assert not registry.has_access(part, stranger)


@pytest.mark.parametrize("caller_name", WRONG_CALLERS)
def test_revoke_access__by_non_owner__reverts(registry, part, request, caller_name, other_oem, buyer):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(NOT_OWNER):
        registry.revoke_access(part, buyer, sender=caller)
    assert registry.has_access(part, buyer)


def test_revoke_access__partner_on_itself__reverts(registry, part, supplier):
    with ape.reverts(NOT_OWNER):
        registry.revoke_access(part, supplier, sender=supplier)


def test_revoke_access__unknown_part__reverts(registry, oem, buyer):
    with ape.reverts(UNKNOWN_PART):
        registry.revoke_access(h("no such part"), buyer, sender=oem)


def test_revoke_access__zero_partner__reverts(registry, part, oem):
    with ape.reverts("registry: zero partner"):
        registry.revoke_access(part, ZERO, sender=oem)


def test_revoke_access__owner_itself__owner_keeps_implicit_access(registry, part, oem):
    tx = registry.revoke_access(part, oem, sender=oem)

    assert tx.events == []
    assert registry.has_access(part, oem)


def test_revoke_access__leaves_other_partners_and_parts_alone(registry, part, oem, buyer, supplier):
    registry.register_part(OTHER_PART, SPEC_V2, URI_V2, sender=oem)
    registry.grant_access(OTHER_PART, buyer, sender=oem)

    registry.revoke_access(part, buyer, sender=oem)

    assert registry.has_access(OTHER_PART, buyer)
    assert registry.has_access(part, supplier)
    assert registry.is_certified(part, 1, supplier)


# ---------------------------------------------------------------- access and certification


def test_revoke_access__certified_supplier__voids_certification(registry, part, oem, supplier):
    assert registry.is_certified(part, 1, supplier)

    registry.revoke_access(part, supplier, sender=oem)

    assert not registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == 0


def test_revoke_access__voids_certifications_of_every_version(registry, part, oem, certifier, supplier, chain):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    registry.certify(part, 2, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.revoke_access(part, supplier, sender=oem)

    assert not registry.is_certified(part, 1, supplier)
    assert not registry.is_certified(part, 2, supplier)


def test_grant_access__after_revoke__does_not_revive_old_certification(registry, part, oem, supplier):
    registry.revoke_access(part, supplier, sender=oem)

    registry.grant_access(part, supplier, sender=oem)

    assert registry.has_access(part, supplier)
    assert not registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == 0


def test_grant_access__after_revoke__fresh_certification_counts(registry, part, oem, certifier, supplier, chain):
    registry.revoke_access(part, supplier, sender=oem)
    registry.grant_access(part, supplier, sender=oem)
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)

    assert registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == valid_until


def test_grant_access__certified_under_second_grant__voided_by_second_revoke(
    registry, part, oem, certifier, supplier, chain
):
    registry.revoke_access(part, supplier, sender=oem)
    registry.grant_access(part, supplier, sender=oem)
    registry.certify(part, 1, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.revoke_access(part, supplier, sender=oem)
    assert not registry.is_certified(part, 1, supplier)
    registry.grant_access(part, supplier, sender=oem)
    assert not registry.is_certified(part, 1, supplier)


def test_has_access__owner__always_without_grant(registry, oem):
    registry.register_part(OTHER_PART, SPEC_V1, URI_V1, sender=oem)

    assert registry.has_access(OTHER_PART, oem)


def test_has_access__zero_account__false(registry, part):
    assert not registry.has_access(part, ZERO)


def test_has_access__unknown_part__false_for_everyone(registry, oem, stranger):
    unknown = h("no such part")
    assert not registry.has_access(unknown, oem)
    assert not registry.has_access(unknown, stranger)
    assert not registry.has_access(unknown, ZERO)
