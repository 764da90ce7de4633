"""Helpers shared by the OrderEscrow v2 unit tests.

Not a conftest (one conftest for the whole suite, see tests/conftest.py): test modules import
what they need from here, fixtures included, so pytest picks them up in the importing module.
The name is prefixed so that it cannot clash with another directory's helper module.

Signatures here are relied upon by several test files: add to this module, never change it.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import BPS, DAY, ZERO, h  # noqa: F401  (re-exported for the test modules)

# ---------------------------------------------------------------- SPEC v2 bounds

MAX_UNIT_PRICE = 2**128 - 1
MAX_QUANTITY_BOUND = 2**64 - 1
MAX_TIME = 2**40 - 1
MAX_REVIEW = 90 * DAY
MAX_GRACE = 90 * DAY
ARBITRATION_DEFAULT = 30 * DAY


@pytest.fixture(autouse=True)
def session_state_first(
    registry, escrow, part, erc20, usdt, usdc6, fee_token, false_token,
    admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
):
    """Names every session fixture statically, so that Ape builds them before any test's snapshot.

    A session fixture first built inside a test (e.g. via ``request.getfixturevalue``) lives inside
    that test's snapshot, is reverted with it, and stays cached as a dead address for every later
    test. Session fixtures that first appear in a later test also make Ape "rebase" its snapshots.
    """


def addr(account: Any) -> str:
    """The address of an account, a contract, a `Money` or a plain string."""
    return account.address if hasattr(account, "address") else account


def own_events(tx: Any, contract: Any) -> list:
    """The logs `contract` itself emitted in `tx` (token Transfer/Approval logs left out)."""
    return [log for log in tx.events if log.contract_address == contract.address]


def split(amount: int, payees: list[tuple[Any, int]]) -> tuple[list[int], int]:
    """Each payee's `amount * bps // 10 000`, and the rest (rounding dust included)."""
    shares = [amount * bps // BPS for _, bps in payees]
    return shares, amount - sum(shares)


def expected_settlement(
    value: int, supplier_side: int, penalty_bps: int, payees: list[tuple[Any, int]]
) -> tuple[list[int], int, int]:
    """SPEC v2's payout of a lot: (each payee's amount, the payout holder's, the buyer's).

    Payees get `S * s_i // 10 000`; from the remainder R the penalty `min(R, V * penalty_bps //
    10 000)` goes to the buyer, the rest to the holder; the buyer also gets `V - S`.
    """
    shares, remainder = split(supplier_side, payees)
    penalty = min(remainder, value * penalty_bps // BPS)
    return shares, remainder - penalty, value - supplier_side + penalty


def expected_paid_events(
    escrow: Any,
    order_id: int,
    token: Any,
    payees: list[tuple[Any, int]],
    holder: Any,
    buyer: Any,
    value: int,
    supplier_side: int,
    penalty_bps: int,
) -> list:
    """The exact Paid events of a settlement, in push order: payees (declared order), holder, buyer.

    Zero amounts are skipped (the escrow pushes nothing and logs nothing for them). `token` may be
    an address, a token contract or a `Money`; ETH is the zero address.
    """
    shares, to_holder, to_buyer = expected_settlement(value, supplier_side, penalty_bps, payees)
    token_address = addr(token) if token is not None else ZERO
    pushes = [(addr(account), share) for (account, _), share in zip(payees, shares)]
    pushes += [(addr(holder), to_holder), (addr(buyer), to_buyer)]
    return [
        escrow.Paid(order_id=order_id, payee=payee, token=token_address, amount=amount)
        for payee, amount in pushes
        if amount
    ]


def lower_payees(payees: list[tuple[Any, int]]) -> list[tuple[str, int]]:
    """Payees as (lower-case address, bps): how Ape decodes an array of structs in a log."""
    return [(addr(account).lower(), bps) for account, bps in payees]


def payees_tuples(payees: Any) -> list[tuple[str, int]]:
    """A decoded `payees_of` / `AgreementAccepted.payees` value as (lower-case address, bps)."""
    return [(str(account).lower(), int(bps)) for account, bps in payees]


# ---------------------------------------------------------------- added after the first commit

MISSING_ROLE = "access_control: account is missing role"
PAUSED = "pausable: contract is paused"
NOT_PAUSED = "pausable: contract is not paused"


def pin_next_block(chain: Any, offset: int = 100) -> int:
    """Fixes the timestamp of the next block (the next transaction) and returns it."""
    t = chain.pending_timestamp + offset
    chain.pending_timestamp = t
    return t


def pin_at(chain: Any, t: int) -> int:
    """The next transaction mines at exactly `t`."""
    chain.pending_timestamp = t
    return t


def eth_fees(tx: Any, money: Any) -> int:
    """Gas the sender of `tx` paid in the matrix's money: its fees for ETH, nothing for a token."""
    return tx.total_fees_paid if getattr(money, "token", None) is None else 0
