"""SPEC v2: a certification is void once the supplier's access — by grant or by ownership — has lapsed
at any moment since it was issued, and it never comes back.

Access lapses when `has_access` goes from true to false: a grant revoked from a non-owner, or the part
leaving an owner that holds no grant (transfer_part, recover_part). Everything that leaves access
true throughout (a grant while owner, revoking the owner's own grant, a transfer to or from a
holder of a grant, a transfer to oneself, losing MANUFACTURER_ROLE) voids nothing. Tests marked
"v1:" failed on the 1.0.0 registry, whose owner branch ignored the grant generation.
"""

import pytest

from _registry_support import REPORT, manufacturer_supplier, other_oem
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, h

OTHER_PART = h("PN-9000 gear")


@pytest.fixture
def oem_certified(registry, part, oem, certifier, chain) -> int:
    """The owner (no grant of its own) certified for version 1; returns valid_until."""
    valid_until = chain.pending_timestamp + 30 * DAY
    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)
    return valid_until


def assert_void(registry, part, account, versions=(1,)):
    for version in versions:
        assert not registry.is_certified(part, version, account), f"v{version} still certified"
        assert registry.certified_until(part, version, account) == 0


# ---------------------------------------------------------------- lapsed by a revoked grant


def test_revoked_grant__supplier_then_becomes_owner__stays_void(registry, part, oem, manufacturer_supplier):
    # v1: certified again, by the owner branch.
    registry.revoke_access(part, manufacturer_supplier, sender=oem)

    registry.transfer_part(part, manufacturer_supplier, sender=oem)

    assert registry.has_access(part, manufacturer_supplier)
    assert_void(registry, part, manufacturer_supplier)


def test_revoked_and_granted_again__supplier_then_becomes_owner__stays_void(
    registry, part, oem, manufacturer_supplier
):
    # v1: certified again, by the owner branch.
    registry.revoke_access(part, manufacturer_supplier, sender=oem)
    registry.grant_access(part, manufacturer_supplier, sender=oem)
    assert_void(registry, part, manufacturer_supplier)

    registry.transfer_part(part, manufacturer_supplier, sender=oem)

    assert_void(registry, part, manufacturer_supplier)


def test_revoked_grant__supplier_owner_and_back__stays_void(registry, part, oem, manufacturer_supplier):
    registry.revoke_access(part, manufacturer_supplier, sender=oem)
    registry.transfer_part(part, manufacturer_supplier, sender=oem)
    registry.grant_access(part, manufacturer_supplier, sender=manufacturer_supplier)

    registry.transfer_part(part, oem, sender=manufacturer_supplier)

    assert registry.has_access(part, manufacturer_supplier)
    assert_void(registry, part, manufacturer_supplier)


def test_revoked_grant__voids_every_version(registry, part, oem, certifier, supplier, chain):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    registry.certify(part, 2, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.revoke_access(part, supplier, sender=oem)
    registry.grant_access(part, supplier, sender=oem)

    assert_void(registry, part, supplier, versions=(1, 2))


# ---------------------------------------------------------------- lapsed by a lost ownership


def test_owner_transfers_away__certification_void(registry, part, oem, other_oem, oem_certified):
    registry.transfer_part(part, other_oem, sender=oem)

    assert not registry.has_access(part, oem)
    assert_void(registry, part, oem)


def test_owner_round_trip__stays_void(registry, part, oem, other_oem, oem_certified):
    # v1: certified again, by the owner branch.
    registry.transfer_part(part, other_oem, sender=oem)

    registry.transfer_part(part, oem, sender=other_oem)

    assert registry.part_owner(part) == oem
    assert_void(registry, part, oem)


def test_owner_transfers_away__granted_by_new_owner__stays_void(registry, part, oem, other_oem, oem_certified):
    registry.transfer_part(part, other_oem, sender=oem)

    registry.grant_access(part, oem, sender=other_oem)

    assert registry.has_access(part, oem)
    assert_void(registry, part, oem)


def test_owner_transfers_away__voids_every_version(registry, part, oem, other_oem, certifier, chain):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    for version in (1, 2):
        registry.certify(part, version, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.transfer_part(part, other_oem, sender=oem)
    registry.transfer_part(part, oem, sender=other_oem)

    assert_void(registry, part, oem, versions=(1, 2))


def test_partner_turned_owner_without_grant__transfers_back__void(registry, part, oem, manufacturer_supplier):
    registry.transfer_part(part, manufacturer_supplier, sender=oem)
    registry.revoke_access(part, manufacturer_supplier, sender=manufacturer_supplier)
    assert registry.is_certified(part, 1, manufacturer_supplier)  # owner: access never lapsed

    registry.transfer_part(part, oem, sender=manufacturer_supplier)
    assert_void(registry, part, manufacturer_supplier)
    registry.grant_access(part, manufacturer_supplier, sender=oem)
    assert_void(registry, part, manufacturer_supplier)


# ---------------------------------------------------------------- access never lapsed: still certified


def test_owner_grants_itself_after_certification__transfers_away__still_certified(
    registry, part, oem, other_oem, oem_certified
):
    # v1: void (the grant opened a new generation the certification did not know).
    registry.grant_access(part, oem, sender=oem)

    registry.transfer_part(part, other_oem, sender=oem)

    assert registry.has_access(part, oem)
    assert registry.certified_until(part, 1, oem) == oem_certified


def test_owner_holding_grant__round_trip__still_certified(registry, part, oem, other_oem, certifier, chain):
    registry.grant_access(part, oem, sender=oem)
    valid_until = chain.pending_timestamp + DAY
    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)

    registry.transfer_part(part, other_oem, sender=oem)
    registry.transfer_part(part, oem, sender=other_oem)

    assert registry.certified_until(part, 1, oem) == valid_until


def test_owner_revokes_own_grant__logs_but_voids_nothing__until_it_transfers_away(
    registry, part, oem, other_oem, certifier, chain
):
    registry.grant_access(part, oem, sender=oem)
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    tx = registry.revoke_access(part, oem, sender=oem)

    assert tx.events == [registry.AccessRevoked(part_id=part, partner=oem)]
    assert registry.has_access(part, oem)
    assert registry.is_certified(part, 1, oem)
    registry.transfer_part(part, other_oem, sender=oem)
    assert_void(registry, part, oem)
    registry.transfer_part(part, oem, sender=other_oem)
    assert_void(registry, part, oem)


def test_owner_revokes_own_grant_it_never_had__nothing_changes(registry, part, oem, oem_certified):
    tx = registry.revoke_access(part, oem, sender=oem)

    assert tx.events == []
    assert registry.certified_until(part, 1, oem) == oem_certified


def test_transfer_to_certified_partner_and_back__partner_still_certified(
    registry, part, oem, manufacturer_supplier
):
    registry.transfer_part(part, manufacturer_supplier, sender=oem)
    registry.transfer_part(part, oem, sender=manufacturer_supplier)

    assert registry.has_access(part, manufacturer_supplier)
    assert registry.is_certified(part, 1, manufacturer_supplier)


def test_transfer_to_self__logged__voids_nothing(registry, part, oem, oem_certified):
    tx = registry.transfer_part(part, oem, sender=oem)

    assert tx.events == [registry.PartTransferred(part_id=part, previous_owner=oem, new_owner=oem)]
    assert registry.part_owner(part) == oem
    assert registry.certified_until(part, 1, oem) == oem_certified


def test_previous_owner_holding_grant__new_owner_revokes_it__void_for_good(
    registry, part, oem, other_oem, certifier, chain
):
    registry.grant_access(part, oem, sender=oem)
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    registry.transfer_part(part, other_oem, sender=oem)
    assert registry.is_certified(part, 1, oem)

    registry.revoke_access(part, oem, sender=other_oem)
    assert_void(registry, part, oem)
    registry.grant_access(part, oem, sender=other_oem)
    assert_void(registry, part, oem)


def test_owner_loses_manufacturer_role__voids_nothing(registry, part, admin, oem, supplier, oem_certified):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    assert registry.certified_until(part, 1, oem) == oem_certified
    assert registry.is_certified(part, 1, supplier)


def test_revoke_of_account_without_access__no_lapse__later_certification_counts(
    registry, part, oem, certifier, stranger, chain
):
    registry.revoke_access(part, stranger, sender=oem)  # nothing to revoke
    registry.grant_access(part, stranger, sender=oem)
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, stranger, valid_until, REPORT, sender=certifier)

    assert registry.certified_until(part, 1, stranger) == valid_until


# ---------------------------------------------------------------- fresh certifications after a lapse


def test_after_round_trip__fresh_certification_counts_and_next_lapse_voids_it(
    registry, part, oem, other_oem, certifier, chain, oem_certified
):
    registry.transfer_part(part, other_oem, sender=oem)
    registry.transfer_part(part, oem, sender=other_oem)
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)
    assert registry.certified_until(part, 1, oem) == valid_until

    registry.transfer_part(part, other_oem, sender=oem)
    registry.transfer_part(part, oem, sender=other_oem)
    assert_void(registry, part, oem)


def test_after_two_lapses__fresh_certification_counts(registry, part, oem, certifier, supplier, chain):
    for _ in range(2):
        registry.revoke_access(part, supplier, sender=oem)
        registry.grant_access(part, supplier, sender=oem)
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)

    assert registry.certified_until(part, 1, supplier) == valid_until


def test_lapse_is_per_part(registry, part, oem, certifier, supplier, chain):
    registry.register_part(OTHER_PART, SPEC_V1, URI_V1, sender=oem)
    registry.grant_access(OTHER_PART, supplier, sender=oem)
    valid_until = chain.pending_timestamp + DAY
    registry.certify(OTHER_PART, 1, supplier, valid_until, REPORT, sender=certifier)

    registry.revoke_access(part, supplier, sender=oem)

    assert_void(registry, part, supplier)
    assert registry.certified_until(OTHER_PART, 1, supplier) == valid_until


def test_lapse_is_per_account(registry, part, oem, certifier, buyer, supplier, chain):
    valid_until = chain.pending_timestamp + DAY
    registry.certify(part, 1, buyer, valid_until, REPORT, sender=certifier)

    registry.revoke_access(part, supplier, sender=oem)

    assert registry.certified_until(part, 1, buyer) == valid_until
