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

# Vyper flags: ABI values 1, 2, 4 …; 0 = no such agreement or lot.
AGREEMENT = {"PROPOSED": 1, "ACTIVE": 2, "CLOSED": 4}
LOT = {"SHIPPED": 1, "DISPUTED": 2, "COMPLETED": 4, "RESOLVED": 8}

# Default terms of a framework agreement in the tests: 1 000 units at 0.001 ETH-equivalent,
# three days' review, five days' grace, 1 %/day late, capped at 10 %.
UNIT_PRICE = 10**15
MAX_QUANTITY = 10_000
REVIEW = 3 * DAY
GRACE = 5 * DAY
PENALTY_PER_DAY = 100
PENALTY_CAP = 1_000


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


# ---------------------------------------------------------------- agreement and order factories


def addr_of(account: Any) -> str:
    """The address of an account, a contract or a plain string."""
    return account.address if hasattr(account, "address") else account


def make_terms(
    supplier: Any,
    *,
    part_id: bytes = PART_ID,
    version: int = 1,
    token: Any = ZERO,
    unit_price: int = UNIT_PRICE,
    max_quantity: int = MAX_QUANTITY,
    valid_until: int,
    review_period: int = REVIEW,
    inspector: Any = ZERO,
    grace_period: int = GRACE,
    penalty_bps_per_day: int = PENALTY_PER_DAY,
    penalty_cap_bps: int = PENALTY_CAP,
) -> tuple:
    """The `Terms` struct as the ABI tuple, in SPEC's field order."""
    return (
        addr_of(supplier),
        part_id,
        version,
        addr_of(token),
        unit_price,
        max_quantity,
        valid_until,
        review_period,
        addr_of(inspector),
        grace_period,
        penalty_bps_per_day,
        penalty_cap_bps,
    )


@pytest.fixture
def make_agreement(escrow, part, buyer, supplier, inspector, chain) -> Callable[..., int]:
    """Proposes (and by default accepts) a framework agreement; returns its id.

    Keyword arguments override `make_terms` fields; ``payees`` is a list of (account, bps);
    ``accept=False`` leaves it PROPOSED; ``agreement_buyer`` / ``agreement_supplier`` swap parties;
    ``inspector=None`` means no inspector; ``money`` picks the token.
    """

    def _make(
        *,
        money: Money | None = None,
        payees: list[tuple[Any, int]] | None = None,
        accept: bool = True,
        agreement_buyer: Any = None,
        agreement_supplier: Any = None,
        inspector: Any = "default",
        valid_for: int = 365 * DAY,
        **terms: Any,
    ) -> int:
        who = agreement_buyer or buyer
        sup = agreement_supplier or supplier
        insp = _default_inspector if inspector == "default" else (inspector or ZERO)
        token = (money or Money("eth", None)).address
        terms.setdefault("valid_until", chain.pending_timestamp + valid_for)
        tx = escrow.propose_agreement(make_terms(sup, token=token, inspector=insp, **terms), sender=who)
        agreement_id = tx.return_value
        if accept:
            declared = [(addr_of(a), bps) for a, bps in (payees or [])]
            escrow.accept_agreement(agreement_id, declared, sender=sup)
        return agreement_id

    _default_inspector = inspector
    return _make


@pytest.fixture
def make_order(escrow, make_agreement, buyer, supplier, chain) -> Callable[..., int]:
    """Creates (and optionally advances) a call-off order; returns its id.

    ``stage``: "created" (funded, nothing shipped), "shipped" (one lot of ``lot_quantity`` in
    review, default all units), "disputed" (that lot disputed by the buyer), "received" (one lot
    received by the buyer and paid). ``agreement_id`` reuses an agreement; otherwise a new one is
    made with the remaining keyword arguments (see ``make_agreement``).
    """

    def _make(
        *,
        agreement_id: int | None = None,
        money: Money | None = None,
        quantity: int = 1_000,
        ship_in: int = 7 * DAY,
        po_ref: bytes = h("PO-1"),
        stage: str = "created",
        lot_quantity: int | None = None,
        order_buyer: Any = None,
        order_supplier: Any = None,
        **agreement_kwargs: Any,
    ) -> int:
        money = money or Money("eth", None)
        who = order_buyer or buyer
        sup = order_supplier or supplier
        if agreement_id is None:
            agreement_id = make_agreement(
                money=money, agreement_buyer=who, agreement_supplier=sup, **agreement_kwargs
            )
        unit_price = escrow.get_agreement(agreement_id).terms.unit_price
        kwargs = money.fund(who, escrow, quantity * unit_price)
        tx = escrow.create_order(agreement_id, quantity, chain.pending_timestamp + ship_in, po_ref, sender=who, **kwargs)
        order_id = tx.return_value
        lot_quantity = quantity if lot_quantity is None else lot_quantity
        if stage in ("shipped", "disputed"):
            escrow.ship(order_id, lot_quantity, h("ASN-1"), sender=sup)
        if stage == "disputed":
            escrow.dispute(order_id, 1, h("scratched"), sender=who)
        if stage == "received":
            escrow.receive_goods(order_id, lot_quantity, h("GR-1"), sender=who)
        return order_id

    return _make
