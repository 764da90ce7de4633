"""PartRegistry.certify / revoke_certification: certifiers only, exact versions, expiry to the second."""

import ape
import pytest

from _registry_support import MISSING_ROLE, REPORT, UINT64_MAX, UNKNOWN_PART, UNKNOWN_VERSION, mine_at, pin_next_block
from conftest import DAY, SPEC_V2, URI_V2, ZERO, h

PAST = "registry: expiry in the past"
NOT_CERTIFIED = "registry: not certified"


# ---------------------------------------------------------------- certify


def test_certify__by_certifier__certifies_and_logs(registry, part, certifier, buyer, chain):
    valid_until = chain.pending_timestamp + 30 * DAY

    tx = registry.certify(part, 1, buyer, valid_until, REPORT, sender=certifier)

    assert tx.events == [
        registry.Certified(part_id=part, version=1, supplier=buyer, valid_until=valid_until, report_hash=REPORT)
    ]
    assert registry.is_certified(part, 1, buyer)
    assert registry.certified_until(part, 1, buyer) == valid_until


@pytest.mark.parametrize("caller_name", ["oem", "admin", "stranger", "supplier", "buyer"])
def test_certify__by_non_certifier__reverts(registry, part, request, caller_name, buyer, chain):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.certify(part, 1, buyer, chain.pending_timestamp + DAY, REPORT, sender=caller)
    assert not registry.is_certified(part, 1, buyer)


def test_certify__by_certifier_whose_role_was_revoked__reverts(registry, part, admin, certifier, buyer, chain):
    registry.revokeRole(registry.CERTIFIER_ROLE(), certifier, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.certify(part, 1, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__unknown_part__reverts(registry, certifier, buyer, chain):
    with ape.reverts(UNKNOWN_PART):
        registry.certify(h("no such part"), 1, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)


@pytest.mark.parametrize("version", [0, 2], ids=["zero", "latest_plus_1"])
def test_certify__unknown_version__reverts(registry, part, certifier, supplier, chain, version):
    with ape.reverts(UNKNOWN_VERSION):
        registry.certify(part, version, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__latest_version_after_revision__allowed_and_next__reverts(
    registry, part, oem, certifier, supplier, chain
):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    registry.certify(part, 2, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    assert registry.is_certified(part, 2, supplier)
    with ape.reverts(UNKNOWN_VERSION):
        registry.certify(part, 3, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__supplier_never_granted__reverts(registry, part, certifier, stranger, chain):
    with ape.reverts("registry: supplier has no access"):
        registry.certify(part, 1, stranger, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__supplier_revoked__reverts(registry, part, oem, certifier, buyer, chain):
    registry.revoke_access(part, buyer, sender=oem)

    with ape.reverts("registry: supplier has no access"):
        registry.certify(part, 1, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__zero_supplier__reverts(registry, part, certifier, chain):
    with ape.reverts("registry: supplier has no access"):
        registry.certify(part, 1, ZERO, chain.pending_timestamp + DAY, REPORT, sender=certifier)


def test_certify__owner_without_grant__certified(registry, part, oem, certifier, chain):
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)

    assert registry.is_certified(part, 1, oem)
    assert registry.certified_until(part, 1, oem) == valid_until


def test_certify__expiry_long_past__reverts(registry, part, certifier, buyer, chain):
    with ape.reverts(PAST):
        registry.certify(part, 1, buyer, chain.pending_timestamp - DAY, REPORT, sender=certifier)


def test_certify__expiry_zero__reverts(registry, part, certifier, buyer):
    with ape.reverts(PAST):
        registry.certify(part, 1, buyer, 0, REPORT, sender=certifier)


def test_certify__expiry_equal_to_block_timestamp__reverts(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)

    with ape.reverts(PAST):
        registry.certify(part, 1, buyer, t, REPORT, sender=certifier)
    assert not registry.is_certified(part, 1, buyer)


def test_certify__expiry_one_second_after_block_timestamp__accepted(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)

    tx = registry.certify(part, 1, buyer, t + 1, REPORT, sender=certifier)

    assert tx.timestamp == t
    assert registry.is_certified(part, 1, buyer)
    assert registry.certified_until(part, 1, buyer) == t + 1


def test_certify__expiry_uint64_max__accepted(registry, part, certifier, buyer):
    registry.certify(part, 1, buyer, UINT64_MAX, REPORT, sender=certifier)

    assert registry.is_certified(part, 1, buyer)
    assert registry.certified_until(part, 1, buyer) == UINT64_MAX


@pytest.mark.parametrize("valid_until", [2**64, 2**255, 2**256 - 1], ids=["2**64", "2**255", "max"])
def test_certify__expiry_beyond_uint64__reverts(registry, part, certifier, buyer, valid_until):
    with ape.reverts("registry: expiry too far"):
        registry.certify(part, 1, buyer, valid_until, REPORT, sender=certifier)
    assert not registry.is_certified(part, 1, buyer)


def test_certify__again__replaces_the_record(registry, part, certifier, supplier, chain):
    shorter = chain.pending_timestamp + DAY
    other_report = h("re-audit")

    tx = registry.certify(part, 1, supplier, shorter, other_report, sender=certifier)

    assert tx.events == [
        registry.Certified(part_id=part, version=1, supplier=supplier, valid_until=shorter, report_hash=other_report)
    ]
    assert registry.certified_until(part, 1, supplier) == shorter
    mine_at(chain, shorter + 1)
    assert not registry.is_certified(part, 1, supplier)


def test_certify__after_expiry__renews(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)
    registry.certify(part, 1, buyer, t + 10, REPORT, sender=certifier)
    mine_at(chain, t + 11)
    assert not registry.is_certified(part, 1, buyer)

    registry.certify(part, 1, buyer, t + DAY, REPORT, sender=certifier)

    assert registry.is_certified(part, 1, buyer)


def test_certify__is_per_supplier_and_version(registry, part, oem, certifier, buyer, supplier, chain):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    registry.certify(part, 2, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    assert registry.is_certified(part, 2, buyer)
    assert not registry.is_certified(part, 1, buyer)
    assert not registry.is_certified(part, 2, supplier)
    assert registry.is_certified(part, 1, supplier)


# ---------------------------------------------------------------- expiry, seen through the views


def test_is_certified__at_valid_until__true_one_second_later__false(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)
    valid_until = t + 60
    registry.certify(part, 1, buyer, valid_until, REPORT, sender=certifier)

    mine_at(chain, valid_until - 1)
    assert registry.is_certified(part, 1, buyer)
    mine_at(chain, valid_until)
    assert registry.is_certified(part, 1, buyer)
    assert registry.certified_until(part, 1, buyer) == valid_until
    mine_at(chain, valid_until + 1)
    assert not registry.is_certified(part, 1, buyer)
    assert registry.certified_until(part, 1, buyer) == 0


# ---------------------------------------------------------------- revoke_certification


def test_revoke_certification__by_certifier__voids_and_logs(registry, part, certifier, supplier):
    tx = registry.revoke_certification(part, 1, supplier, sender=certifier)

    assert tx.events == [registry.CertificationRevoked(part_id=part, version=1, supplier=supplier)]
    assert not registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == 0
    assert registry.has_access(part, supplier)


@pytest.mark.parametrize("caller_name", ["oem", "admin", "stranger", "supplier", "buyer"])
def test_revoke_certification__by_non_certifier__reverts(registry, part, request, caller_name, supplier):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.revoke_certification(part, 1, supplier, sender=caller)
    assert registry.is_certified(part, 1, supplier)


def test_revoke_certification__never_certified__reverts(registry, part, certifier, buyer):
    with ape.reverts(NOT_CERTIFIED):
        registry.revoke_certification(part, 1, buyer, sender=certifier)


def test_revoke_certification__twice__second_reverts(registry, part, certifier, supplier):
    registry.revoke_certification(part, 1, supplier, sender=certifier)

    with ape.reverts(NOT_CERTIFIED):
        registry.revoke_certification(part, 1, supplier, sender=certifier)


@pytest.mark.parametrize(
    "part_id, version", [(h("no such part"), 1), (None, 0), (None, 2)], ids=["unknown_part", "version_0", "version_2"]
)
def test_revoke_certification__unknown_part_or_version__reverts(registry, part, certifier, supplier, part_id, version):
    with ape.reverts(NOT_CERTIFIED):
        registry.revoke_certification(part_id or part, version, supplier, sender=certifier)


def test_revoke_certification__expired__allowed(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)
    registry.certify(part, 1, buyer, t + 10, REPORT, sender=certifier)
    mine_at(chain, t + 11)

    tx = registry.revoke_certification(part, 1, buyer, sender=certifier)

    assert tx.events == [registry.CertificationRevoked(part_id=part, version=1, supplier=buyer)]


def test_revoke_certification__voided_by_access_revocation__allowed_and_stays_void(
    registry, part, oem, certifier, supplier
):
    registry.revoke_access(part, supplier, sender=oem)

    tx = registry.revoke_certification(part, 1, supplier, sender=certifier)
    registry.grant_access(part, supplier, sender=oem)

    assert tx.events == [registry.CertificationRevoked(part_id=part, version=1, supplier=supplier)]
    assert not registry.is_certified(part, 1, supplier)


def test_revoke_certification__then_certify__certified_again(registry, part, certifier, supplier, chain):
    registry.revoke_certification(part, 1, supplier, sender=certifier)
    valid_until = chain.pending_timestamp + DAY

    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)

    assert registry.certified_until(part, 1, supplier) == valid_until


def test_revoke_certification__leaves_other_versions_and_suppliers(
    registry, part, oem, certifier, buyer, supplier, chain
):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    registry.certify(part, 2, supplier, chain.pending_timestamp + DAY, REPORT, sender=certifier)
    registry.certify(part, 1, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.revoke_certification(part, 1, supplier, sender=certifier)

    assert registry.is_certified(part, 2, supplier)
    assert registry.is_certified(part, 1, buyer)
