"""Re-entrancy through every payout and claim path.

Two kinds of hostile payee sit in the buyer's, the supplier's or a subcontractor's seat:

* ``MockReceiver`` mode 3 takes ETH and calls the escrow again with the very call that paid it,
  inside the ETH stipend when its calldata is short enough, else (the payment becomes a credit)
  from inside the claim, with all the gas in the world.
* ``MockAdvClaimer`` mode 2 gets the ERC-777-style callback of ``MockAdvHookToken`` inside the
  100 000 gas of a token push (or an ETH claim with full gas), re-enters, records the outcome and
  never reverts: a successful re-entry would leave a second payment on chain.

In every case the escrow's nonreentrancy lock answers (an empty revert, not an "escrow: ..."
business reason), and every party ends with exactly its share, once.
"""

from types import SimpleNamespace

import ape
import pytest

from _adv_support import (
    STAGE_FOR,
    Party,
    calldata,
    events_of,
    expected_payout,
    final_call,
    finish,
    open_order,
    payments,
)
from conftest import DAY, PART_ID, STATUS, ZERO, Money, h

FINAL = {
    "cancel": "CANCELLED",
    "refund_expired": "REFUNDED",
    "confirm": "COMPLETED",
    "release": "COMPLETED",
    "resolve": "RESOLVED",
    "resolve_expired": "RESOLVED",
}
# (path, seat of the hostile payee): every seat that receives money on that path.
CASES = [
    ("cancel", "buyer"),
    ("refund_expired", "buyer"),
    ("confirm", "sub"),
    ("confirm", "supplier"),
    ("release", "sub"),
    ("release", "supplier"),
    ("resolve", "sub"),
    ("resolve", "buyer"),
    ("resolve_expired", "supplier"),
    ("resolve_expired", "buyer"),
]
AMOUNT = 10**18 + 7  # odd, so that rounding dust goes somewhere


@pytest.fixture
def ctx(escrow, chain, admin, part, arbiter, stranger):
    return SimpleNamespace(escrow=escrow, chain=chain, admin=admin, part=part, arbiter=arbiter, stranger=stranger)


@pytest.fixture(scope="module")
def hook_token(project, admin):
    return project.MockAdvHookToken.deploy(sender=admin)


def seat(registry, oem, certifier, chain, contract, role, admin):
    """Admits a contract to the part (and certifies it when it supplies)."""
    registry.grant_access(PART_ID, contract, sender=oem)
    if role == "supplier":
        registry.certify(PART_ID, 1, contract, chain.pending_timestamp + 365 * DAY, h("audit"), sender=certifier)
    return Party(contract, admin)


def parties(role, hostile, buyer, supplier, sub1, sub2):
    b = hostile if role == "buyer" else Party(buyer)
    s = hostile if role == "supplier" else Party(supplier)
    first = hostile.account if role == "sub" else sub1
    return b, s, [(first, 2_500), (sub2, 1_234)]


@pytest.mark.parametrize("path,role", CASES)
def test_payout__receiver_reentering_same_call_under_eth_stipend__paid_once(
    path, role, ctx, project, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, chain
):
    """The stipend alone does not stop a re-entry: the escrow's address is warm, so a receiver whose
    re-entry calldata fits in two storage words (36 bytes) re-enters inside 12 300 gas and only the
    lock refuses it (mode 3 would revert, and turn the payment into a credit, had it succeeded).
    A 68-byte re-entry runs out of stipend: the payment is deferred, then claimed with full gas, and
    the re-entry, attempted again there, fails on the lock once more."""
    escrow = ctx.escrow
    receiver = project.MockReceiver.deploy(3, sender=admin)
    hostile = seat(registry, oem, certifier, chain, receiver, role, admin)
    b, s, subs = parties(role, hostile, buyer, supplier, sub1, sub2)
    escrow_before = chain.provider.get_balance(escrow.address)
    order_id = open_order(ctx, Money("eth", None), AMOUNT, b, s, subs, STAGE_FOR[path])
    method, args = final_call(path, order_id)
    data = calldata(escrow, method, *args)
    receiver.set_reentry(escrow, data, sender=admin)
    expected = expected_payout(path, AMOUNT, b.address, s.address, [(a.address, bps) for a, bps in subs])
    others = {a: chain.provider.get_balance(a) for a in expected if a != receiver.address}
    mine = expected[receiver.address]

    tx = finish(ctx, path, order_id, b)

    assert escrow.status(order_id) == STATUS[FINAL[path]]
    for account, before in others.items():  # none of them sent the final transaction
        assert chain.provider.get_balance(account) == before + expected[account]
    if len(data) == 36:
        assert payments(tx, "PaymentDeferred") == []
        assert sorted(payments(tx)) == sorted(expected.items())
        assert chain.provider.get_balance(receiver.address) == mine
        assert escrow.credit_of(receiver, ZERO) == 0
        with ape.reverts("escrow: nothing to claim"):
            Party(receiver, admin).do(escrow, "claim", ZERO)
    else:
        assert len(data) == 68
        assert payments(tx, "PaymentDeferred") == [(receiver.address, mine)]
        assert sorted(payments(tx)) == sorted((a, v) for a, v in expected.items() if a != receiver.address)
        assert escrow.credit_of(receiver, ZERO) == mine
        assert chain.provider.get_balance(receiver.address) == 0

        claim = Party(receiver, admin).do(escrow, "claim", ZERO)

        assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=mine)]
        assert events_of(claim, "Paid") == []
        assert chain.provider.get_balance(receiver.address) == mine
        assert escrow.credit_of(receiver, ZERO) == 0
    assert chain.provider.get_balance(escrow.address) == escrow_before


@pytest.mark.parametrize("path,role", CASES)
def test_payout__hook_token_payee_reentering_same_call__lock_refuses_and_pays_once(
    path, role, ctx, project, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, chain, hook_token
):
    escrow = ctx.escrow
    claimer = project.MockAdvClaimer.deploy(2, sender=admin)
    hostile = seat(registry, oem, certifier, chain, claimer, role, admin)
    b, s, subs = parties(role, hostile, buyer, supplier, sub1, sub2)
    money = Money("hook", hook_token)
    order_id = open_order(ctx, money, AMOUNT, b, s, subs, STAGE_FOR[path])
    method, args = final_call(path, order_id)
    claimer.set_reentry(escrow, calldata(escrow, method, *args), sender=admin)
    hook_token.set_hook(claimer, True, sender=admin)
    expected = expected_payout(path, AMOUNT, b.address, s.address, [(a.address, bps) for a, bps in subs])
    before = {a: hook_token.balanceOf(a) for a in expected}

    tx = finish(ctx, path, order_id, b)

    assert claimer.attempts() == 1
    assert claimer.successes() == 0
    assert claimer.last_return() == b""  # the lock's bare revert, not an "escrow: ..." reason
    assert payments(tx, "PaymentDeferred") == []
    assert sorted(payments(tx)) == sorted(expected.items())
    for account, amount in expected.items():
        assert hook_token.balanceOf(account) == before[account] + amount
    assert hook_token.balanceOf(escrow) == 0
    assert escrow.credit_of(claimer, hook_token) == 0
    assert escrow.status(order_id) == STATUS[FINAL[path]]


def test_push__hook_token_payee_reentering_another_ready_order__lock_refuses(
    ctx, project, admin, buyer, supplier, sub1, stranger, chain, hook_token
):
    """The re-entered call would be legitimate on its own (release of a ripe order): only the lock stops it."""
    escrow = ctx.escrow
    claimer = project.MockAdvClaimer.deploy(2, sender=admin)
    money = Money("hook", hook_token)
    ripe = open_order(ctx, money, 1_000, Party(buyer), Party(supplier), [], "shipped")
    order_id = open_order(ctx, money, 2_000, Party(buyer), Party(supplier), [(claimer, 5_000)], "shipped")
    chain.pending_timestamp = escrow.get_order(ripe).shipped_at + 3 * DAY + 1
    claimer.set_reentry(escrow, calldata(escrow, "release", ripe), sender=admin)
    hook_token.set_hook(claimer, True, sender=admin)

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    assert (claimer.attempts(), claimer.successes(), claimer.last_return()) == (1, 0, b"")
    assert payments(tx) == [(claimer.address, 1_000), (supplier.address, 1_000)]
    assert escrow.status(ripe) == STATUS["SHIPPED"]
    assert hook_token.balanceOf(escrow) == 1_000
    # Outside the push the same call goes through.
    escrow.release(ripe, sender=stranger)
    assert escrow.status(ripe) == STATUS["COMPLETED"]
    assert hook_token.balanceOf(escrow) == 0


def test_push__payee_reading_views_mid_payout__read_only_reentrancy_refused(
    ctx, project, admin, buyer, supplier, chain, hook_token
):
    """Views are behind the lock too: nobody can read a half-finished payout."""
    escrow = ctx.escrow
    claimer = project.MockAdvClaimer.deploy(2, sender=admin)
    money = Money("hook", hook_token)
    order_id = open_order(ctx, money, 3_000, Party(buyer), Party(supplier), [(claimer, 1_000)], "shipped")
    claimer.set_reentry(escrow, calldata(escrow, "credit_of", claimer.address, hook_token.address), sender=admin)
    hook_token.set_hook(claimer, True, sender=admin)

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    assert (claimer.attempts(), claimer.successes(), claimer.last_return()) == (1, 0, b"")
    assert payments(tx) == [(claimer.address, 300), (supplier.address, 2_700)]


def test_claim__claimer_reentering_claim_with_full_gas__paid_once(ctx, project, admin, buyer, supplier, chain):
    escrow = ctx.escrow
    claimer = project.MockAdvClaimer.deploy(1, sender=admin)  # refuses the push: its share becomes a credit
    amount = 5 * 10**17 + 3
    order_id = open_order(ctx, Money("eth", None), amount, Party(buyer), Party(supplier), [(claimer, 4_000)], "shipped")
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = amount * 4_000 // 10_000
    assert payments(tx, "PaymentDeferred") == [(claimer.address, share)]
    claimer.set_mode(2, sender=admin)
    claimer.set_reentry(escrow, calldata(escrow, "claim", ZERO), sender=admin)
    escrow_before = chain.provider.get_balance(escrow.address)

    claim = Party(claimer, admin).do(escrow, "claim", ZERO)

    assert (claimer.attempts(), claimer.successes(), claimer.last_return()) == (1, 0, b"")
    assert events_of(claim, "Claimed") == [escrow.Claimed(account=claimer.address, token=ZERO, amount=share)]
    assert chain.provider.get_balance(claimer.address) == share
    assert chain.provider.get_balance(escrow.address) == escrow_before - share
    assert escrow.credit_of(claimer, ZERO) == 0


def test_claim_to__recipient_reentering_its_own_claim__refused_and_its_credit_kept(
    ctx, project, admin, buyer, supplier, chain
):
    """A recipient with a credit of its own cannot collect it from inside somebody else's claim_to."""
    escrow = ctx.escrow
    payer = project.MockAdvClaimer.deploy(1, sender=admin)
    recipient = project.MockAdvClaimer.deploy(1, sender=admin)
    order_id = open_order(
        ctx, Money("eth", None), 10_000, Party(buyer), Party(supplier), [(payer, 1_000), (recipient, 2_000)], "shipped"
    )
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert (escrow.credit_of(payer, ZERO), escrow.credit_of(recipient, ZERO)) == (1_000, 2_000)
    recipient.set_mode(2, sender=admin)
    recipient.set_reentry(escrow, calldata(escrow, "claim", ZERO), sender=admin)

    claim = Party(payer, admin).do(escrow, "claim_to", ZERO, recipient.address)

    assert (recipient.attempts(), recipient.successes(), recipient.last_return()) == (1, 0, b"")
    assert events_of(claim, "Claimed") == [escrow.Claimed(account=payer.address, token=ZERO, amount=1_000)]
    assert chain.provider.get_balance(recipient.address) == 1_000
    assert (escrow.credit_of(payer, ZERO), escrow.credit_of(recipient, ZERO)) == (0, 2_000)
    Party(recipient, admin).do(escrow, "claim", ZERO)
    assert chain.provider.get_balance(recipient.address) == 3_000
    assert escrow.credit_of(recipient, ZERO) == 0


def test_claim__hook_token_claimer_reentering_claim__paid_once(ctx, project, admin, buyer, supplier, chain, hook_token):
    escrow = ctx.escrow
    claimer = project.MockAdvClaimer.deploy(1, sender=admin)
    hook_token.set_hook(claimer, True, sender=admin)  # mode 1: the hook reverts, so the push fails
    money = Money("hook", hook_token)
    order_id = open_order(ctx, money, 7_777, Party(buyer), Party(supplier), [(claimer, 5_000)], "shipped")
    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    assert payments(tx, "PaymentDeferred") == [(claimer.address, 3_888)]
    assert hook_token.balanceOf(escrow) == 3_888
    claimer.set_mode(2, sender=admin)
    claimer.set_reentry(escrow, calldata(escrow, "claim", hook_token.address), sender=admin)

    claim = Party(claimer, admin).do(escrow, "claim", hook_token.address)

    assert (claimer.attempts(), claimer.successes(), claimer.last_return()) == (1, 0, b"")
    assert events_of(claim, "Claimed") == [escrow.Claimed(account=claimer.address, token=hook_token.address, amount=3_888)]
    assert hook_token.balanceOf(claimer) == 3_888
    assert hook_token.balanceOf(escrow) == 0
    assert escrow.credit_of(claimer, hook_token) == 0


def test_payout__payee_with_credit_reentering_claim_under_stipend__lock_refuses(
    ctx, project, admin, buyer, supplier, chain
):
    """A payee already owed a credit re-enters claim() from inside a later ETH payout (36 bytes of
    calldata fit in the stipend): the lock refuses, the payout stands, the credit is paid once."""
    escrow = ctx.escrow
    receiver = project.MockReceiver.deploy(1, sender=admin)
    eth = Money("eth", None)
    first = open_order(ctx, eth, 1_000, Party(buyer), Party(supplier), [(receiver, 5_000)], "shipped")
    escrow.confirm_delivery(first, h("GRN"), sender=buyer)
    assert escrow.credit_of(receiver, ZERO) == 500
    receiver.set_mode(3, sender=admin)
    receiver.set_reentry(escrow, calldata(escrow, "claim", ZERO), sender=admin)
    second = open_order(ctx, eth, 2_000, Party(buyer), Party(supplier), [(receiver, 5_000)], "shipped")

    tx = escrow.confirm_delivery(second, h("GRN"), sender=buyer)

    assert payments(tx) == [(receiver.address, 1_000), (supplier.address, 1_000)]
    assert payments(tx, "PaymentDeferred") == []
    assert events_of(tx, "Claimed") == []
    assert chain.provider.get_balance(receiver.address) == 1_000
    assert escrow.credit_of(receiver, ZERO) == 500
    receiver.set_mode(0, sender=admin)
    claim = Party(receiver, admin).do(escrow, "claim", ZERO)
    assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=500)]
    assert chain.provider.get_balance(receiver.address) == 1_500
    assert chain.provider.get_balance(escrow.address) == 0
