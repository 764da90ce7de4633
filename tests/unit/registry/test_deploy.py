"""PartRegistry constructor, role ids and the exported snekmate access-control surface."""

import ape
import pytest
from eth_utils import keccak

from _registry_support import MISSING_ROLE
from conftest import PART_ID, ZERO, h

ADMIN_ROLE = b"\x00" * 32


def test_init__admin_other_than_deployer__admin_holds_role_and_deployer_none(project, chain, admin, stranger):
    contract = project.PartRegistry.deploy(stranger, sender=admin)

    assert contract.hasRole(ADMIN_ROLE, stranger)
    assert not contract.hasRole(ADMIN_ROLE, admin)
    receipt = chain.get_receipt(contract.txn_hash)
    assert receipt.events == [
        contract.RoleGranted(role=ADMIN_ROLE, account=admin, sender=admin),
        contract.RoleGranted(role=ADMIN_ROLE, account=stranger, sender=admin),
        contract.RoleRevoked(role=ADMIN_ROLE, account=admin, sender=admin),
    ]


def test_init__admin_is_deployer__deployer_keeps_admin_role(project, chain, admin):
    contract = project.PartRegistry.deploy(admin, sender=admin)

    assert contract.hasRole(ADMIN_ROLE, admin)
    receipt = chain.get_receipt(contract.txn_hash)
    assert receipt.events == [contract.RoleGranted(role=ADMIN_ROLE, account=admin, sender=admin)]


def test_init__zero_admin__reverts(project, admin):
    with ape.reverts("registry: zero admin"):
        project.PartRegistry.deploy(ZERO, sender=admin)


def test_init__fresh_registry__grants_no_working_role_and_knows_no_part(project, admin, stranger):
    contract = project.PartRegistry.deploy(stranger, sender=admin)

    for account in (admin, stranger):
        assert not contract.hasRole(contract.MANUFACTURER_ROLE(), account)
        assert not contract.hasRole(contract.CERTIFIER_ROLE(), account)
    assert contract.part_owner(PART_ID) == ZERO
    assert contract.latest_version(PART_ID) == 0


def test_init__new_admin__can_grant_roles_and_deployer_cannot(project, admin, stranger, oem):
    contract = project.PartRegistry.deploy(stranger, sender=admin)
    role = contract.MANUFACTURER_ROLE()

    with ape.reverts(MISSING_ROLE):
        contract.grantRole(role, oem, sender=admin)
    contract.grantRole(role, oem, sender=stranger)

    assert contract.hasRole(role, oem)


@pytest.mark.parametrize("name", ["MANUFACTURER_ROLE", "CERTIFIER_ROLE"])
def test_role_id__equals_keccak256_of_its_name(registry, name):
    assert getattr(registry, name)() == keccak(text=name)


def test_default_admin_role__is_zero_and_administers_both_roles(registry):
    assert registry.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE
    assert registry.getRoleAdmin(registry.MANUFACTURER_ROLE()) == ADMIN_ROLE
    assert registry.getRoleAdmin(registry.CERTIFIER_ROLE()) == ADMIN_ROLE


def test_version__is_2_0_0(registry):
    assert registry.VERSION() == "2.0.0"


def test_supports_interface__erc165_and_access_control__true_other__false(registry):
    assert registry.supportsInterface(bytes.fromhex("01ffc9a7"))  # ERC-165
    assert registry.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert not registry.supportsInterface(bytes.fromhex("ffffffff"))


# ---------------------------------------------------------------- roles at work


def test_grant_role__by_admin__lets_account_register(registry, admin, stranger):
    tx = registry.grantRole(registry.MANUFACTURER_ROLE(), stranger, sender=admin)

    assert tx.events == [registry.RoleGranted(role=registry.MANUFACTURER_ROLE(), account=stranger, sender=admin)]
    registry.register_part(h("stranger part"), h("spec"), "ipfs://s", sender=stranger)
    assert registry.part_owner(h("stranger part")) == stranger


@pytest.mark.parametrize("caller_name", ["oem", "certifier", "stranger"])
def test_grant_role__by_non_admin__reverts(registry, request, caller_name, stranger):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.grantRole(registry.MANUFACTURER_ROLE(), stranger, sender=caller)


def test_revoke_role__by_admin__stops_manufacturer(registry, admin, oem):
    registry.revokeRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)

    with ape.reverts(MISSING_ROLE):
        registry.register_part(h("late part"), h("spec"), "ipfs://late", sender=oem)


@pytest.mark.parametrize("caller_name", ["oem", "stranger"])
def test_revoke_role__by_non_admin__reverts(registry, request, caller_name, certifier):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts(MISSING_ROLE):
        registry.revokeRole(registry.CERTIFIER_ROLE(), certifier, sender=caller)
    assert registry.hasRole(registry.CERTIFIER_ROLE(), certifier)


def test_renounce_role__own__drops_it(registry, certifier):
    registry.renounceRole(registry.CERTIFIER_ROLE(), certifier, sender=certifier)

    assert not registry.hasRole(registry.CERTIFIER_ROLE(), certifier)


def test_renounce_role__for_someone_else__reverts(registry, admin, certifier):
    with ape.reverts("access_control: can only renounce roles for itself"):
        registry.renounceRole(registry.CERTIFIER_ROLE(), certifier, sender=admin)
