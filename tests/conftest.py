"""Shared actors, deployments and factories for the whole suite.

Every test runs on Ape's Anvil chain, isolated by Ape (snapshot/revert around each test and
each fixture scope). Hypothesis examples isolate themselves with ``chain.isolate()``.
Profiles: ``dev`` (quick), ``ci`` (default for ``make test``), ``deep`` (``make test-deep``).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

import ape
import ape_ethereum.trace
import pytest
from ape.managers.chain import ChainManager
from ape.managers.compilers import CompilerManager
from eth_utils import keccak
from hypothesis import HealthCheck, settings

ZERO = "0x0000000000000000000000000000000000000000"
DAY = 86_400
BPS = 10_000

# ---------------------------------------------------------------- hypothesis profiles

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)
settings.register_profile("dev", max_examples=8, stateful_step_count=10, **_COMMON)
settings.register_profile("ci", max_examples=25, stateful_step_count=30, **_COMMON)
settings.register_profile("deep", max_examples=400, stateful_step_count=100, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------- speed


@pytest.fixture(scope="session", autouse=True)
def fast_reverts():
    """Skips Ape's source-level traceback and call-trace print for reverts that carry a reason.

    `ape.reverts("escrow: ...")` matches the node's revert reason; the source traceback Ape builds
    for every reverted transaction (walking the Vyper AST for `# dev:` comments) and the call
    trace it prints cost ~0.7 s per revert, and this suite asserts hundreds of reverts. A revert
    without a reason (compiler checks, ABI decoding) is still enriched as usual.
    """
    original = CompilerManager.enrich_error

    def enrich_error(self, err):
        if err.message and err.message != ape.exceptions.TransactionError.DEFAULT_MESSAGE:
            return err
        return original(self, err)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CompilerManager, "enrich_error", enrich_error)
        patch.setattr(ape.exceptions.TransactionError, "with_ape_traceback", lambda self: self)
        patch.setattr(ape_ethereum.trace.Trace, "show", lambda self, *args, **kwargs: None)
        yield


@contextmanager
def _isolate_and_reraise(self):
    """`chain.isolate()` that lets failures out.

    Ape 0.8.51's `ChainManager.isolate` wraps its `yield` in `except Exception: pass`, so a failed
    assert inside `with chain.isolate():` is silently dropped and the test passes. Every property
    test here runs its body in `chain.isolate()`, so the suite replaces it with this one:
    snapshot, run, restore the chain and the pending timestamp — and re-raise.
    """
    snapshot = self.snapshot()
    pending = self.pending_timestamp
    try:
        yield
    finally:
        self.restore(snapshot)
        self.pending_timestamp = pending


@pytest.fixture(scope="session", autouse=True)
def isolate_reraises():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ChainManager, "isolate", _isolate_and_reraise)
        yield


# ---------------------------------------------------------------- helpers


def h(text: str) -> bytes:
    """keccak256 of a label: part numbers, document hashes, references in tests."""
    return keccak(text=text)


PART_ID = h("PN-4711 bracket")
SPEC_V1 = h("bracket design rev A")
SPEC_V2 = h("bracket design rev B")
URI_V1 = "ipfs://bafy-bracket-rev-a.enc"
URI_V2 = "ipfs://bafy-bracket-rev-b.enc"

STATUS = {
    "CREATED": 1,
    "ACCEPTED": 2,
    "SHIPPED": 4,
    "DISPUTED": 8,
    "COMPLETED": 16,
    "REFUNDED": 32,
    "CANCELLED": 64,
    "RESOLVED": 128,
}


# ---------------------------------------------------------------- actors


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def oem(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def certifier(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def buyer(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def supplier(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def sub1(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def sub2(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def inspector(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def arbiter(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[9]


# ---------------------------------------------------------------- deployments


@pytest.fixture(scope="session")
def registry(project, admin, oem, certifier):
    contract = project.PartRegistry.deploy(admin, sender=admin)
    contract.grantRole(contract.MANUFACTURER_ROLE(), oem, sender=admin)
    contract.grantRole(contract.CERTIFIER_ROLE(), certifier, sender=admin)
    return contract


@pytest.fixture(scope="session")
def escrow(project, registry, admin, arbiter):
    contract = project.OrderEscrow.deploy(registry, admin, sender=admin)
    contract.grantRole(contract.ARBITER_ROLE(), arbiter, sender=admin)
    return contract


@pytest.fixture(scope="session")
def part(registry, oem, certifier, buyer, supplier, chain):
    """PART_ID v1 registered by the OEM, buyer and supplier admitted, supplier certified for ten years."""
    registry.register_part(PART_ID, SPEC_V1, URI_V1, sender=oem)
    registry.grant_access(PART_ID, buyer, sender=oem)
    registry.grant_access(PART_ID, supplier, sender=oem)
    registry.certify(PART_ID, 1, supplier, chain.pending_timestamp + 3650 * DAY, h("audit report"), sender=certifier)
    return PART_ID


# ---------------------------------------------------------------- tokens


@dataclass
class Money:
    """One way to pay: ETH or a token, with uniform helpers for balances and funding."""

    kind: str
    token: Any  # contract, or None for ETH

    @property
    def address(self) -> str:
        return ZERO if self.token is None else self.token.address

    def balance(self, account: Any) -> int:
        target = account.address if hasattr(account, "address") else account
        if self.token is None:
            from ape import chain

            return chain.provider.get_balance(target)
        return self.token.balanceOf(target)

    def fund(self, owner: Any, spender: Any, amount: int) -> dict:
        """Mint/approve so that `owner` can pay `amount`; returns the kwargs for the paying call."""
        if self.token is None:
            return {"value": amount}
        self.token.mint(owner, amount, sender=owner)
        self.token.approve(spender, amount, sender=owner)
        return {}


@pytest.fixture(scope="session")
def erc20(project, admin):
    return project.MockERC20.deploy("Steel Dollar", "STD", 18, 0, sender=admin)


@pytest.fixture(scope="session")
def usdt(project, admin):
    return project.MockUSDT.deploy(sender=admin)


@pytest.fixture(scope="session")
def usdc6(project, admin):
    return project.MockERC20.deploy("Six Decimals", "SIX", 6, 0, sender=admin)


@pytest.fixture(scope="session")
def fee_token(project, admin):
    return project.MockERC20.deploy("Fee Token", "FEE", 18, 2, sender=admin)


@pytest.fixture(scope="session")
def false_token(project, admin):
    return project.MockERC20.deploy("False Token", "FLS", 18, 3, sender=admin)


@pytest.fixture(params=["eth", "erc20", "usdt", "six_decimals"])
def money(request, erc20, usdt, usdc6) -> Money:
    """Matrix over the ways to pay: ETH, a plain ERC-20, USDT-style, a 6-decimal token.

    The tokens are named as fixtures (not fetched with ``getfixturevalue``) so that Ape deploys
    them in the session snapshot, before the test's own snapshot is taken.
    """
    token = {"eth": None, "erc20": erc20, "usdt": usdt, "six_decimals": usdc6}[request.param]
    return Money(request.param, token)


@pytest.fixture
def eth() -> Money:
    return Money("eth", None)


# ---------------------------------------------------------------- order factory


@pytest.fixture
def make_order(escrow, part, buyer, supplier, inspector, chain) -> Callable[..., int]:
    """Creates (and optionally advances) an order; returns its id.

    ``stage`` is one of "created", "accepted", "shipped", "disputed".
    """

    def _make(
        *,
        money: Money | None = None,
        amount: int = 10**18,
        payees: list[tuple[Any, int]] | None = None,
        stage: str = "created",
        order_buyer: Any = None,
        order_supplier: Any = None,
        order_inspector: Any = "default",
        ship_in: int = 7 * DAY,
        review_period: int = 3 * DAY,
        quantity: int = 1_000,
        po_ref: bytes = h("PO-1"),
    ) -> int:
        money = money or Money("eth", None)
        who = order_buyer or buyer
        sup = order_supplier or supplier
        insp = inspector if order_inspector == "default" else (order_inspector or ZERO)
        kwargs = money.fund(who, escrow, amount)
        tx = escrow.create_order(
            sup,
            part,
            1,
            quantity,
            money.address,
            amount,
            chain.pending_timestamp + ship_in,
            review_period,
            insp,
            po_ref,
            sender=who,
            **kwargs,
        )
        order_id = tx.return_value
        if stage in ("accepted", "shipped", "disputed"):
            declared = [(getattr(a, "address", a), bps) for a, bps in (payees or [])]
            escrow.accept_order(order_id, declared, sender=sup)
        if stage in ("shipped", "disputed"):
            escrow.mark_shipped(order_id, h("ASN-1"), sender=sup)
        if stage == "disputed":
            escrow.dispute(order_id, h("scratched"), sender=who)
        return order_id

    return _make
