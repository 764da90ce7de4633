"""OrderEscrow v2 constructor, constants, VERSION and the EIP-712 domain ("FactoryChain", "2")."""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from conftest import DAY, ZERO
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

MISSING_ROLE = "access_control: account is missing role"
DEFAULT_ADMIN_ROLE = b"\x00" * 32


# ---------------------------------------------------------------- constructor


def test_deploy__admin_other_than_deployer__admin_holds_role_deployer_none(project, registry, admin, stranger):
    contract = project.OrderEscrow.deploy(registry, admin, sender=stranger)

    assert contract.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert not contract.hasRole(DEFAULT_ADMIN_ROLE, stranger)
    assert not contract.hasRole(contract.ARBITER_ROLE(), stranger)
    assert not contract.hasRole(contract.ARBITER_ROLE(), admin)
    assert contract.registry() == registry.address
    with ape.reverts(MISSING_ROLE):
        contract.pause(sender=stranger)


def test_deploy__admin_is_deployer__keeps_admin_role(project, registry, admin):
    contract = project.OrderEscrow.deploy(registry, admin, sender=admin)

    assert contract.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert contract.getRoleAdmin(contract.ARBITER_ROLE()) == DEFAULT_ADMIN_ROLE


def test_deploy__initial_state__counters_zero_timeout_default_not_paused(project, registry, admin, stranger):
    contract = project.OrderEscrow.deploy(registry, admin, sender=stranger)

    assert contract.agreement_count() == 0
    assert contract.order_count() == 0
    assert contract.arbitration_timeout() == 30 * DAY
    assert contract.paused() is False
    assert contract.credit_of(admin, ZERO) == 0


def test_deploy__registry_not_a_contract__reverts(project, admin, stranger):
    with ape.reverts("escrow: registry is not a contract"):
        project.OrderEscrow.deploy(stranger, admin, sender=admin)


def test_deploy__zero_registry__reverts(project, admin):
    with ape.reverts("escrow: registry is not a contract"):
        project.OrderEscrow.deploy(ZERO, admin, sender=admin)


def test_deploy__zero_admin__reverts(project, registry, admin):
    with ape.reverts("escrow: zero admin"):
        project.OrderEscrow.deploy(registry, ZERO, sender=admin)


def test_deploy__fixture__arbiter_role_granted(escrow, arbiter, admin, registry):
    assert escrow.hasRole(escrow.ARBITER_ROLE(), arbiter)
    assert escrow.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert escrow.registry() == registry.address


# ---------------------------------------------------------------- constants


def test_constants__values(escrow):
    assert escrow.VERSION() == "2.0.0"
    assert escrow.ARBITER_ROLE() == keccak(text="ARBITER_ROLE")
    assert escrow.DEFAULT_ADMIN_ROLE() == DEFAULT_ADMIN_ROLE
    assert escrow.MAX_PAYEES() == 8
    assert escrow.BPS() == 10_000
    assert escrow.DAY() == 86_400
    assert escrow.MAX_REVIEW_PERIOD() == 90 * DAY
    assert escrow.MAX_GRACE_PERIOD() == 90 * DAY
    assert escrow.DEFAULT_ARBITRATION_TIMEOUT() == 30 * DAY
    assert escrow.MIN_ARBITRATION_TIMEOUT() == 3_600
    assert escrow.MAX_ARBITRATION_TIMEOUT() == 365 * DAY
    assert escrow.ETH_PUSH_GAS() == 10_000
    assert escrow.TOKEN_PUSH_GAS() == 100_000


def test_constants__receipt_typehash(escrow):
    assert escrow.RECEIPT_TYPEHASH() == keccak(
        text="DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
    )


@pytest.mark.parametrize(
    "interface_id, supported",
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x7965db0b", True),  # IAccessControl
        ("0xffffffff", False),
        ("0x12345678", False),
    ],
)
def test_supports_interface(escrow, interface_id, supported):
    assert escrow.supportsInterface(interface_id) is supported


# ---------------------------------------------------------------- EIP-712


def _separator(name: str, version: str, chain_id: int, verifying: str) -> bytes:
    typehash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, keccak(text=name), keccak(text=version), chain_id, verifying],
        )
    )


def test_eip712_domain__name_factorychain_version_2(escrow, chain):
    fields, name, version, chain_id, verifying, salt, extensions = escrow.eip712Domain()

    assert fields == b"\x0f"
    assert name == "FactoryChain"
    assert version == "2"
    assert chain_id == chain.chain_id
    assert verifying == escrow.address
    assert salt == b"\x00" * 32
    assert list(extensions) == []


def test_domain_separator__matches_eip712_encoding(escrow, chain):
    assert escrow.DOMAIN_SEPARATOR() == _separator("FactoryChain", "2", chain.chain_id, escrow.address)
    assert escrow.DOMAIN_SEPARATOR() != _separator("FactoryChain", "1", chain.chain_id, escrow.address)


def test_domain_separator__differs_per_deployment(project, registry, admin, escrow, chain):
    other = project.OrderEscrow.deploy(registry, admin, sender=admin)
    assert other.DOMAIN_SEPARATOR() == _separator("FactoryChain", "2", chain.chain_id, other.address)
    assert other.DOMAIN_SEPARATOR() != escrow.DOMAIN_SEPARATOR()
