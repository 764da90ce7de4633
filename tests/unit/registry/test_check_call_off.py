"""PartRegistry.check_call_off (SPEC v2, IPartRegistry): (buyer has access now, supplier certified now).

The escrow asks it on every call-off order, so its storage reads are pinned too: three cold SLOADs
when the buyer owns the part and the supplier holds a grant.
"""

import pytest

from _registry_support import (
    REPORT,
    manufacturer_supplier,
    mine_at,
    opcode_count,
    other_oem,
    pin_next_block,
    trace_view,
)
from conftest import DAY, SPEC_V2, URI_V2, ZERO, h

UNKNOWN = h("no such part")


# ---------------------------------------------------------------- the buyer side


def test_check_call_off__owner_buys_from_certified_partner__both_true(registry, part, oem, supplier):
    assert registry.check_call_off(part, 1, oem, supplier) == (True, True)


def test_check_call_off__granted_buyer__has_access(registry, part, buyer, supplier):
    assert registry.check_call_off(part, 1, buyer, supplier) == (True, True)


@pytest.mark.parametrize("buyer_name", ["stranger", "certifier", "admin"])
def test_check_call_off__buyer_never_admitted__first_false(registry, part, request, buyer_name, supplier):
    assert registry.check_call_off(part, 1, request.getfixturevalue(buyer_name), supplier) == (False, True)


def test_check_call_off__buyer_revoked__first_false(registry, part, oem, buyer, supplier):
    registry.revoke_access(part, buyer, sender=oem)

    assert registry.check_call_off(part, 1, buyer, supplier) == (False, True)


def test_check_call_off__zero_buyer__first_false(registry, part, supplier):
    assert registry.check_call_off(part, 1, ZERO, supplier) == (False, True)


def test_check_call_off__previous_owner_as_buyer__first_false_new_owner_true(
    registry, part, oem, other_oem, supplier
):
    registry.transfer_part(part, other_oem, sender=oem)

    assert registry.check_call_off(part, 1, oem, supplier) == (False, True)
    assert registry.check_call_off(part, 1, other_oem, supplier) == (True, True)


def test_check_call_off__owner_without_manufacturer_role__still_a_buyer(registry, part, admin, oem, supplier):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    assert registry.check_call_off(part, 1, oem, supplier) == (True, True)


# ---------------------------------------------------------------- the supplier side


def test_check_call_off__supplier_never_certified__second_false(registry, part, oem, buyer):
    assert registry.check_call_off(part, 1, oem, buyer) == (True, False)


def test_check_call_off__zero_supplier__second_false(registry, part, oem):
    assert registry.check_call_off(part, 1, oem, ZERO) == (True, False)


@pytest.mark.parametrize("version", [0, 2, 2**256 - 1], ids=["zero", "latest_plus_1", "max"])
def test_check_call_off__unknown_version__second_false(registry, part, oem, supplier, version):
    assert registry.check_call_off(part, version, oem, supplier) == (True, False)


def test_check_call_off__certified_for_other_version_only__second_false(
    registry, part, oem, certifier, buyer, chain
):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    registry.certify(part, 2, buyer, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    assert registry.check_call_off(part, 2, oem, buyer) == (True, True)
    assert registry.check_call_off(part, 1, oem, buyer) == (True, False)


def test_check_call_off__certification_revoked__second_false(registry, part, oem, certifier, supplier):
    registry.revoke_certification(part, 1, supplier, sender=certifier)

    assert registry.check_call_off(part, 1, oem, supplier) == (True, False)


def test_check_call_off__supplier_access_revoked_and_granted_again__second_false(registry, part, oem, supplier):
    registry.revoke_access(part, supplier, sender=oem)
    assert registry.check_call_off(part, 1, oem, supplier) == (True, False)

    registry.grant_access(part, supplier, sender=oem)
    assert registry.check_call_off(part, 1, oem, supplier) == (True, False)


def test_check_call_off__lapsed_supplier_becomes_owner__second_false(registry, part, oem, manufacturer_supplier):
    registry.revoke_access(part, manufacturer_supplier, sender=oem)
    registry.transfer_part(part, manufacturer_supplier, sender=oem)

    assert registry.check_call_off(part, 1, manufacturer_supplier, manufacturer_supplier) == (True, False)


def test_check_call_off__certified_owner_as_supplier__second_true(registry, part, oem, certifier, buyer, chain):
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    assert registry.check_call_off(part, 1, buyer, oem) == (True, True)


def test_check_call_off__certified_owner_transfers_away__second_false(
    registry, part, oem, other_oem, certifier, buyer, chain
):
    registry.certify(part, 1, oem, chain.pending_timestamp + DAY, REPORT, sender=certifier)

    registry.transfer_part(part, other_oem, sender=oem)

    assert registry.check_call_off(part, 1, buyer, oem) == (True, False)


def test_check_call_off__at_valid_until__true__one_second_later__false(registry, part, oem, certifier, buyer, chain):
    t = pin_next_block(chain)
    registry.certify(part, 1, buyer, t + 60, REPORT, sender=certifier)

    mine_at(chain, t + 60)
    assert registry.check_call_off(part, 1, oem, buyer) == (True, True)
    mine_at(chain, t + 61)
    assert registry.check_call_off(part, 1, oem, buyer) == (True, False)


# ---------------------------------------------------------------- unknown part


def test_check_call_off__unknown_part__both_false(registry, oem, supplier):
    assert registry.check_call_off(UNKNOWN, 1, oem, supplier) == (False, False)
    assert registry.check_call_off(UNKNOWN, 0, ZERO, ZERO) == (False, False)


# ---------------------------------------------------------------- cost


def test_check_call_off__common_case__three_storage_reads(registry, part, oem, supplier, chain):
    trace = trace_view(chain, registry, registry.check_call_off, part, 1, oem, supplier)

    assert not trace["failed"]
    assert opcode_count(trace, "SLOAD") == 3  # part word, certification, supplier's access word
    assert opcode_count(trace, "SSTORE") == 0


def test_check_call_off__granted_buyer__one_more_read(registry, part, buyer, supplier, chain):
    trace = trace_view(chain, registry, registry.check_call_off, part, 1, buyer, supplier)

    assert opcode_count(trace, "SLOAD") == 4


def test_check_call_off__no_certification__access_word_not_read(registry, part, oem, buyer, chain):
    trace = trace_view(chain, registry, registry.check_call_off, part, 1, oem, buyer)

    assert opcode_count(trace, "SLOAD") == 2


def test_is_certified__granted_supplier__part_word_not_read(registry, part, supplier, chain):
    trace = trace_view(chain, registry, registry.is_certified, part, 1, supplier)

    assert opcode_count(trace, "SLOAD") == 2  # certification, access word
