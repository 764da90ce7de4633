"""OrderEscrow constructor: roles, arguments checked, defaults, and the EIP-712 domain.

Named test_escrow_deploy.py, not test_deploy.py: without __init__.py files pytest needs unique
basenames, and tests/unit/registry/test_deploy.py exists.
"""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from conftest import DAY, ZERO
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

ADMIN_ROLE = b"\x00" * 32
DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")


def domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    """EIP-712 domain separator of the receipts, computed without the contract."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [DOMAIN_TYPEHASH, keccak(text="FactoryChain"), keccak(text="1"), chain_id, verifying_contract],
        )
    )


@pytest.fixture
def fresh(project, registry, admin, stranger):
    """An escrow deployed by `stranger` on behalf of `admin`."""
    return project.OrderEscrow.deploy(registry, admin, sender=stranger)


def test_deploy__admin_argument__holds_admin_role(fresh, admin):
    assert fresh.hasRole(ADMIN_ROLE, admin)
    assert fresh.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE


def test_deploy__by_other_account__deployer_keeps_no_role(fresh, stranger):
    assert not fresh.hasRole(ADMIN_ROLE, stranger)
    assert not fresh.hasRole(fresh.ARBITER_ROLE(), stranger)
    with ape.reverts("access_control: account is missing role"):
        fresh.pause(sender=stranger)
    with ape.reverts("access_control: account is missing role"):
        fresh.grantRole(fresh.ARBITER_ROLE(), stranger, sender=stranger)


def test_deploy__by_other_account__admin_can_use_role(fresh, admin, arbiter):
    fresh.grantRole(fresh.ARBITER_ROLE(), arbiter, sender=admin)
    assert fresh.hasRole(fresh.ARBITER_ROLE(), arbiter)
    fresh.pause(sender=admin)
    assert fresh.paused()


def test_deploy__deployer_is_admin__keeps_admin_role(project, registry, admin):
    contract = project.OrderEscrow.deploy(registry, admin, sender=admin)
    assert contract.hasRole(ADMIN_ROLE, admin)


def test_deploy__zero_admin__reverts(project, registry, admin):
    with ape.reverts("escrow: zero admin"):
        project.OrderEscrow.deploy(registry, ZERO, sender=admin)


@pytest.mark.parametrize("target", ["eoa", "zero"])
def test_deploy__registry_not_a_contract__reverts(project, admin, stranger, target):
    registry = stranger.address if target == "eoa" else ZERO
    with ape.reverts("escrow: registry is not a contract"):
        project.OrderEscrow.deploy(registry, admin, sender=admin)


def test_deploy__defaults__are_published(fresh, registry):
    assert fresh.registry() == registry.address
    assert fresh.arbitration_timeout() == 30 * DAY
    assert fresh.DEFAULT_ARBITRATION_TIMEOUT() == 30 * DAY
    assert fresh.order_count() == 0
    assert not fresh.paused()
    assert fresh.status(1) == 0


def test_deploy__constants__match_spec(fresh):
    assert fresh.ARBITER_ROLE() == keccak(text="ARBITER_ROLE")
    assert fresh.getRoleAdmin(keccak(text="ARBITER_ROLE")) == ADMIN_ROLE
    assert fresh.RECEIPT_TYPEHASH() == keccak(text="DeliveryReceipt(uint256 orderId,bytes32 receiptHash,uint256 deadline)")
    assert fresh.MAX_PAYEES() == 8
    assert fresh.BPS() == 10_000
    assert fresh.MAX_REVIEW_PERIOD() == 90 * DAY
    assert fresh.MAX_ARBITRATION_TIMEOUT() == 365 * DAY
    assert fresh.VERSION() == "1.0.0"


def test_deploy__supports_interface__erc165_and_access_control(fresh):
    assert fresh.supportsInterface(bytes.fromhex("01ffc9a7"))  # ERC-165
    assert fresh.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert not fresh.supportsInterface(bytes.fromhex("ffffffff"))


def test_deploy__domain_separator__matches_python(fresh, escrow, chain):
    assert fresh.DOMAIN_SEPARATOR() == domain_separator(chain.chain_id, fresh.address)
    assert escrow.DOMAIN_SEPARATOR() == domain_separator(chain.chain_id, escrow.address)
    assert fresh.DOMAIN_SEPARATOR() != escrow.DOMAIN_SEPARATOR()


def test_deploy__eip712_domain__matches_spec(fresh, chain):
    fields, name, version, chain_id, verifying_contract, salt, extensions = fresh.eip712Domain()
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract
    assert name == "FactoryChain"
    assert version == "1"
    assert chain_id == chain.chain_id
    assert verifying_contract == fresh.address
    assert salt == b"\x00" * 32
    assert list(extensions) == []


def test_deploy__domain_separator__follows_chain_id_after_fork(fresh, chain):
    original = chain.chain_id
    forked = original + 1_000
    chain.provider.make_request("anvil_setChainId", [forked])
    try:
        assert fresh.DOMAIN_SEPARATOR() == domain_separator(forked, fresh.address)
        assert fresh.eip712Domain()[3] == forked
    finally:
        chain.provider.make_request("anvil_setChainId", [original])
    assert fresh.DOMAIN_SEPARATOR() == domain_separator(original, fresh.address)
