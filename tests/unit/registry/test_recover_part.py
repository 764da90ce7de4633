"""PartRegistry.recover_part (SPEC v2): the admin hands on a part whose owner lost MANUFACTURER_ROLE.

Order of the checks, each pinned below: admin role, known part, owner no longer manufacturer, new
owner manufacturer.
"""

import ape
import pytest

from _registry_support import (
    ENVELOPE,
    MISSING_ROLE,
    NEW_OWNER_NOT_MANUFACTURER,
    NOT_OWNER,
    OWNER_STILL_MANUFACTURER,
    REPORT,
    UNKNOWN_PART,
    manufacturer_supplier,
    other_oem,
)
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, ZERO, h


@pytest.fixture
def demoted(registry, part, admin, oem):
    """The part's owner has lost MANUFACTURER_ROLE: the one state in which recover_part works."""
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)
    return oem


# ---------------------------------------------------------------- the recovery


def test_recover_part__by_admin__moves_ownership_and_logs(registry, part, admin, demoted, oem, other_oem):
    tx = registry.recover_part(part, other_oem, sender=admin)

    assert tx.events == [registry.PartTransferred(part_id=part, previous_owner=oem, new_owner=other_oem)]
    assert registry.part_owner(part) == other_oem
    assert registry.latest_version(part) == 1
    assert (registry.spec_hash(part, 1), registry.spec_uri(part, 1)) == (SPEC_V1, URI_V1)


def test_recover_part__moves_implicit_access(registry, part, admin, demoted, oem, other_oem):
    assert registry.has_access(part, oem)

    registry.recover_part(part, other_oem, sender=admin)

    assert registry.has_access(part, other_oem)
    assert not registry.has_access(part, oem)


def test_recover_part__keeps_partner_grants_and_certifications(
    registry, part, admin, demoted, other_oem, buyer, supplier
):
    registry.recover_part(part, other_oem, sender=admin)

    assert registry.has_access(part, buyer)
    assert registry.has_access(part, supplier)
    assert registry.is_certified(part, 1, supplier)
    assert registry.check_call_off(part, 1, other_oem, supplier) == (True, True)


def test_recover_part__owner_who_renounced_role__allowed(registry, part, admin, oem, other_oem):
    registry.renounceRole(registry.MANUFACTURER_ROLE(), oem, sender=oem)

    tx = registry.recover_part(part, other_oem, sender=admin)

    assert tx.events == [registry.PartTransferred(part_id=part, previous_owner=oem, new_owner=other_oem)]


def test_recover_part__to_admin_holding_manufacturer_role__allowed(registry, part, admin, demoted, oem):
    registry.grantRole(registry.MANUFACTURER_ROLE(), admin, sender=admin)

    registry.recover_part(part, admin, sender=admin)

    assert registry.part_owner(part) == admin


def test_recover_part__new_owner_runs_the_part_and_previous_cannot_even_with_role_back(
    registry, part, admin, demoted, oem, other_oem, buyer, stranger
):
    registry.recover_part(part, other_oem, sender=admin)
    registry.grantRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    for call in (
        lambda s: registry.revise_part(part, SPEC_V2, URI_V2, sender=s),
        lambda s: registry.grant_access(part, stranger, sender=s),
        lambda s: registry.revoke_access(part, buyer, sender=s),
        lambda s: registry.share_key(part, 1, buyer, ENVELOPE, sender=s),
        lambda s: registry.transfer_part(part, oem, sender=s),
    ):
        with ape.reverts(NOT_OWNER):
            call(oem)

    assert registry.revise_part(part, SPEC_V2, URI_V2, sender=other_oem).return_value == 2
    registry.grant_access(part, stranger, sender=other_oem)
    registry.revoke_access(part, buyer, sender=other_oem)
    registry.share_key(part, 1, stranger, ENVELOPE, sender=other_oem)
    registry.transfer_part(part, oem, sender=other_oem)
    assert registry.part_owner(part) == oem


# ---------------------------------------------------------------- who may, and when


@pytest.mark.parametrize("caller_name", ["oem", "other_oem", "certifier", "supplier", "stranger"])
def test_recover_part__by_non_admin__reverts(registry, part, request, caller_name, demoted, oem, other_oem):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.recover_part(part, other_oem, sender=caller)
    assert registry.part_owner(part) == oem


def test_recover_part__by_former_admin__reverts(registry, part, admin, demoted, stranger, other_oem):
    registry.grantRole(registry.DEFAULT_ADMIN_ROLE(), stranger, sender=admin)
    registry.renounceRole(registry.DEFAULT_ADMIN_ROLE(), admin, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.recover_part(part, other_oem, sender=admin)
    registry.recover_part(part, other_oem, sender=stranger)
    assert registry.part_owner(part) == other_oem


def test_recover_part__by_non_admin_on_unknown_part__admin_checked_first(registry, stranger, other_oem):
    with ape.reverts(MISSING_ROLE):
        registry.recover_part(h("no such part"), other_oem, sender=stranger)


def test_recover_part__unknown_part__reverts(registry, admin, other_oem):
    with ape.reverts(UNKNOWN_PART):
        registry.recover_part(h("no such part"), other_oem, sender=admin)


def test_recover_part__owner_still_manufacturer__reverts(registry, part, admin, oem, other_oem):
    with ape.reverts(OWNER_STILL_MANUFACTURER):
        registry.recover_part(part, other_oem, sender=admin)
    assert registry.part_owner(part) == oem


def test_recover_part__owner_role_revoked_and_granted_again__reverts(registry, part, admin, demoted, oem, other_oem):
    registry.grantRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    with ape.reverts(OWNER_STILL_MANUFACTURER):
        registry.recover_part(part, other_oem, sender=admin)


def test_recover_part__owner_still_manufacturer_and_bad_new_owner__owner_checked_first(
    registry, part, admin, stranger
):
    with ape.reverts(OWNER_STILL_MANUFACTURER):
        registry.recover_part(part, stranger, sender=admin)


@pytest.mark.parametrize("new_owner_name", ["stranger", "certifier", "admin", "buyer", "oem"])
def test_recover_part__to_non_manufacturer__reverts(registry, part, admin, demoted, oem, request, new_owner_name):
    new_owner = request.getfixturevalue(new_owner_name)  # "oem": the demoted owner itself
    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.recover_part(part, new_owner, sender=admin)
    assert registry.part_owner(part) == oem


def test_recover_part__to_zero_address__reverts_even_if_it_holds_the_role(registry, part, admin, demoted, oem):
    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.recover_part(part, ZERO, sender=admin)
    registry.grantRole(registry.MANUFACTURER_ROLE(), ZERO, sender=admin)
    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.recover_part(part, ZERO, sender=admin)
    assert registry.part_owner(part) == oem


def test_recover_part__new_owner_lost_role__reverts(registry, part, admin, demoted, other_oem):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), other_oem, sender=admin)

    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.recover_part(part, other_oem, sender=admin)


# ---------------------------------------------------------------- certifications of the previous owner


def test_recover_part__previous_owner_certification__void_for_good(
    registry, part, admin, oem, other_oem, certifier, chain
):
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)
    assert registry.is_certified(part, 1, oem)  # losing the role alone voids nothing

    registry.recover_part(part, other_oem, sender=admin)
    assert not registry.is_certified(part, 1, oem)

    # Back in good standing and owner again: the certification stays void.
    registry.grantRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)
    registry.transfer_part(part, oem, sender=other_oem)
    assert registry.part_owner(part) == oem
    assert not registry.is_certified(part, 1, oem)
    assert registry.certified_until(part, 1, oem) == 0


def test_recover_part__previous_owner_holding_a_grant__keeps_access_and_certification(
    registry, part, admin, oem, other_oem, certifier, chain
):
    valid_until = chain.pending_timestamp + DAY
    registry.grant_access(part, oem, sender=oem)
    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    registry.recover_part(part, other_oem, sender=admin)

    assert registry.has_access(part, oem)
    assert registry.certified_until(part, 1, oem) == valid_until


def test_recover_part__to_certified_partner__partner_stays_certified(
    registry, part, admin, demoted, manufacturer_supplier
):
    registry.recover_part(part, manufacturer_supplier, sender=admin)

    assert registry.part_owner(part) == manufacturer_supplier
    assert registry.is_certified(part, 1, manufacturer_supplier)


def test_recover_part__to_partner_whose_access_had_lapsed__old_certification_stays_void(
    registry, part, admin, oem, manufacturer_supplier
):
    registry.revoke_access(part, manufacturer_supplier, sender=oem)
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    registry.recover_part(part, manufacturer_supplier, sender=admin)

    assert registry.has_access(part, manufacturer_supplier)
    assert not registry.is_certified(part, 1, manufacturer_supplier)
