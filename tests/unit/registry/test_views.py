"""PartRegistry views: unknown parts and versions read as empty; check_order and certified_until."""

import pytest

from _registry_support import REPORT, mine_at, pin_next_block
from conftest import SPEC_V1, SPEC_V2, URI_V1, URI_V2, ZERO, h

UNKNOWN = h("no such part")
EMPTY32 = b"\x00" * 32


def test_part_owner_and_latest_version__unknown_part__zero(registry):
    assert registry.part_owner(UNKNOWN) == ZERO
    assert registry.latest_version(UNKNOWN) == 0


def test_part_owner_and_latest_version__registered_part__owner_and_1(registry, part, oem):
    assert registry.part_owner(part) == oem
    assert registry.latest_version(part) == 1


@pytest.mark.parametrize("version", [0, 2, 2**256 - 1], ids=["zero", "latest_plus_1", "max"])
def test_spec_hash_and_uri__unknown_version__empty(registry, part, version):
    assert registry.spec_hash(part, version) == EMPTY32
    assert registry.spec_uri(part, version) == ""


def test_spec_hash_and_uri__unknown_part__empty(registry):
    assert registry.spec_hash(UNKNOWN, 1) == EMPTY32
    assert registry.spec_uri(UNKNOWN, 1) == ""


def test_spec_hash_and_uri__each_version__its_own(registry, part, oem):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    assert (registry.spec_hash(part, 1), registry.spec_uri(part, 1)) == (SPEC_V1, URI_V1)
    assert (registry.spec_hash(part, 2), registry.spec_uri(part, 2)) == (SPEC_V2, URI_V2)


# ---------------------------------------------------------------- check_order


def test_check_order__known_version_both_admitted__all_true(registry, part, buyer, supplier):
    assert registry.check_order(part, 1, buyer, supplier) == (True, True, True)


@pytest.mark.parametrize("version", [0, 2], ids=["zero", "latest_plus_1"])
def test_check_order__unknown_version__first_false(registry, part, buyer, supplier, version):
    assert registry.check_order(part, version, buyer, supplier) == (False, True, True)


def test_check_order__after_revision__version_2_known_3_not(registry, part, oem, buyer, supplier):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)

    assert registry.check_order(part, 2, buyer, supplier) == (True, True, True)
    assert registry.check_order(part, 3, buyer, supplier) == (False, True, True)


def test_check_order__buyer_without_access__second_false(registry, part, stranger, supplier):
    assert registry.check_order(part, 1, stranger, supplier) == (True, False, True)


def test_check_order__supplier_without_access__third_false(registry, part, buyer, stranger):
    assert registry.check_order(part, 1, buyer, stranger) == (True, True, False)


def test_check_order__revoked_supplier__third_false(registry, part, oem, buyer, supplier):
    registry.revoke_access(part, supplier, sender=oem)

    assert registry.check_order(part, 1, buyer, supplier) == (True, True, False)


def test_check_order__owner_on_either_side__has_access(registry, part, oem, buyer):
    assert registry.check_order(part, 1, oem, buyer) == (True, True, True)
    assert registry.check_order(part, 1, buyer, oem) == (True, True, True)


def test_check_order__zero_accounts__no_access(registry, part):
    assert registry.check_order(part, 1, ZERO, ZERO) == (True, False, False)


def test_check_order__unknown_part__all_false(registry, oem, buyer):
    assert registry.check_order(UNKNOWN, 1, buyer, oem) == (False, False, False)
    assert registry.check_order(UNKNOWN, 0, ZERO, ZERO) == (False, False, False)


# ---------------------------------------------------------------- is_certified / certified_until


def test_certified_until__never_certified__zero(registry, part, buyer):
    assert registry.certified_until(part, 1, buyer) == 0
    assert not registry.is_certified(part, 1, buyer)


def test_certified_until__unknown_part_or_version__zero(registry, part, supplier):
    assert registry.certified_until(UNKNOWN, 1, supplier) == 0
    assert registry.certified_until(part, 2, supplier) == 0
    assert not registry.is_certified(UNKNOWN, 1, supplier)
    assert not registry.is_certified(part, 2, supplier)


def test_certified_until__live__valid_until_then_zero_after_expiry(registry, part, certifier, buyer, chain):
    t = pin_next_block(chain)
    registry.certify(part, 1, buyer, t + 5, REPORT, sender=certifier)

    mine_at(chain, t + 5)
    assert registry.certified_until(part, 1, buyer) == t + 5
    mine_at(chain, t + 6)
    assert registry.certified_until(part, 1, buyer) == 0


def test_certified_until__revoked__zero(registry, part, certifier, supplier):
    assert registry.certified_until(part, 1, supplier) > 0

    registry.revoke_certification(part, 1, supplier, sender=certifier)

    assert registry.certified_until(part, 1, supplier) == 0


def test_certified_until__access_revoked__zero(registry, part, oem, supplier):
    registry.revoke_access(part, supplier, sender=oem)

    assert registry.certified_until(part, 1, supplier) == 0
