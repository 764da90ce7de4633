"""SPEC v2: every owner-gated call needs the part owner *and* MANUFACTURER_ROLE, held now.

revise_part, transfer_part, grant_access, revoke_access and share_key. A caller who is not the owner
still gets v1's "registry: not part owner" (ownership is checked first); the owner without the role
gets snekmate's "access_control: account is missing role", the reason register_part and certify
already give for a missing role. Losing the role changes nothing else: the owner keeps its implicit
access and every certification stays as it was.
"""

from __future__ import annotations

from typing import Any, Callable

import ape
import pytest

from _registry_support import ENVELOPE, MISSING_ROLE, NEW_OWNER_NOT_MANUFACTURER, NOT_OWNER, REPORT, other_oem
from conftest import DAY, SPEC_V2, URI_V2, ZERO

# name -> (send the call as `caller`, events it logs on success, state that shows it did nothing)
Action = tuple[Callable[..., Any], Callable[..., list], Callable[..., Any]]


ACTIONS = ["revise_part", "transfer_part", "grant_access", "revoke_access", "share_key"]


@pytest.fixture
def actions(registry, part, oem, other_oem, buyer, supplier, stranger) -> dict[str, Action]:
    return {
        "revise_part": (
            lambda caller: registry.revise_part(part, SPEC_V2, URI_V2, sender=caller),
            lambda: [registry.PartRevised(part_id=part, version=2, spec_hash=SPEC_V2, uri=URI_V2)],
            lambda: registry.latest_version(part),
        ),
        "transfer_part": (
            lambda caller: registry.transfer_part(part, other_oem, sender=caller),
            lambda: [registry.PartTransferred(part_id=part, previous_owner=oem, new_owner=other_oem)],
            lambda: registry.part_owner(part),
        ),
        "grant_access": (
            lambda caller: registry.grant_access(part, stranger, sender=caller),
            lambda: [registry.AccessGranted(part_id=part, partner=stranger)],
            lambda: registry.has_access(part, stranger),
        ),
        "revoke_access": (
            lambda caller: registry.revoke_access(part, buyer, sender=caller),
            lambda: [registry.AccessRevoked(part_id=part, partner=buyer)],
            lambda: registry.has_access(part, buyer),
        ),
        "share_key": (
            lambda caller: registry.share_key(part, 1, supplier, ENVELOPE, sender=caller),
            lambda: [registry.KeyShared(part_id=part, version=1, partner=supplier, envelope=ENVELOPE)],
            lambda: None,  # only an event
        ),
    }


@pytest.mark.parametrize("name", ACTIONS)
def test_owner_gated__owner_whose_role_was_revoked__reverts_missing_role(registry, actions, admin, oem, name):
    send, _, state = actions[name]
    before = state()
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    with ape.reverts(MISSING_ROLE):
        send(oem)
    assert state() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_owner_gated__owner_who_renounced_role__reverts_missing_role(registry, actions, oem, name):
    send, _, state = actions[name]
    before = state()
    registry.renounceRole(registry.MANUFACTURER_ROLE(), oem, sender=oem)

    with ape.reverts(MISSING_ROLE):
        send(oem)
    assert state() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_owner_gated__role_revoked_then_granted_again__allowed(registry, actions, admin, oem, name):
    send, events, _ = actions[name]
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)
    registry.grantRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    tx = send(oem)

    assert tx.events == events()


@pytest.mark.parametrize("name", ACTIONS)
def test_owner_gated__manufacturer_not_owner__still_not_part_owner(actions, other_oem, name):
    send, _, state = actions[name]
    before = state()

    with ape.reverts(NOT_OWNER):
        send(other_oem)
    assert state() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_owner_gated__stranger_without_role__not_part_owner_checked_first(actions, stranger, name):
    # v1's reason for a wrong caller is kept: ownership is checked before the role.
    send, _, _ = actions[name]
    with ape.reverts(NOT_OWNER):
        send(stranger)


def test_owner_without_role__keeps_access_and_certifications(registry, part, admin, oem, certifier, supplier, chain):
    valid_until = chain.pending_timestamp + DAY
    registry.certify(part, 1, oem, valid_until, REPORT, sender=certifier)

    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    assert registry.part_owner(part) == oem
    assert registry.has_access(part, oem)
    assert registry.certified_until(part, 1, oem) == valid_until
    assert registry.is_certified(part, 1, supplier)
    assert registry.check_call_off(part, 1, oem, supplier) == (True, True)


def test_transfer_part__new_owner_loses_role_before_transfer__reverts(registry, part, admin, oem, other_oem):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), other_oem, sender=admin)

    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.transfer_part(part, other_oem, sender=oem)


def test_transfer_part__zero_address_holding_the_role__reverts(registry, part, admin, oem):
    registry.grantRole(registry.MANUFACTURER_ROLE(), ZERO, sender=admin)

    with ape.reverts(NEW_OWNER_NOT_MANUFACTURER):
        registry.transfer_part(part, ZERO, sender=oem)
    assert registry.part_owner(part) == oem


def test_transfer_part__after_transfer_new_owner_needs_the_role_too(registry, part, admin, oem, other_oem, stranger):
    registry.transfer_part(part, other_oem, sender=oem)
    registry.revokeRole(registry.MANUFACTURER_ROLE(), other_oem, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.grant_access(part, stranger, sender=other_oem)
    with ape.reverts(NOT_OWNER):
        registry.grant_access(part, stranger, sender=oem)
