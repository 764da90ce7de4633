"""Re-entrancy into escrow v2 through every push.

1. Every external function, generated from the ABI, is re-entered from inside a push by a payee
   that would be its rightful caller (``MockAdvClaimer``: the buyer of one agreement, the supplier
   of another, arbiter, admin, holder of credits), with arguments that succeed outside the push —
   the test proves it by making the same call afterwards. Two pushes carry the re-entry: an ETH
   claim, which forwards all the gas (so only the lock can refuse), and an ERC-777-style token
   push inside its 100 000 gas. The file-wide ``#pragma nonreentrancy on`` answers with a bare
   revert; the functions outside the lock (snekmate's exports, constants, the immutable) are
   harmless: views, or role changes by a holder of the admin role that touch no money, no
   agreement, order or lot.
2. Along every settlement path, a hostile payee in each seat that receives money (buyer,
   supplier, subcontractor, assignee) re-enters with the very call that paid it, under the ETH
   stipend (``MockReceiver`` mode 3) and from a token hook: everyone is paid exactly once.
"""

from __future__ import annotations

from typing import Any, Callable

import ape
import pytest
from ape import project as ape_project

from _adv_support import (
    DAY,
    Party,
    calldata,
    events_of,
    expected_for,
    final_call,
    finish,
    lens_picture,
    open_deal,
    pushes,
    seat,
    session_state_first,  # noqa: F401  (autouse)
    sign_receipt,
    summed,
)
from conftest import LOT, ZERO, Money, h, make_terms

FAR = 10 * 365 * DAY

# Outside `#pragma nonreentrancy on`: snekmate's exported functions (their module has no pragma),
# and getters of constants and immutables (Vyper leaves those reentrant: they cannot change).
UNLOCKED = {
    "hasRole", "getRoleAdmin", "grantRole", "revokeRole", "renounceRole", "supportsInterface",
    "DEFAULT_ADMIN_ROLE", "eip712Domain",
    "ARBITER_ROLE", "VERSION", "RECEIPT_TYPEHASH", "MAX_PAYEES", "BPS", "DAY", "MAX_REVIEW_PERIOD",
    "MAX_GRACE_PERIOD", "DEFAULT_ARBITRATION_TIMEOUT", "MIN_ARBITRATION_TIMEOUT", "MAX_ARBITRATION_TIMEOUT",
    "ETH_PUSH_GAS", "TOKEN_PUSH_GAS", "registry",
}


def _abi() -> dict[str, Any]:
    functions = {item.name: item for item in ape_project.OrderEscrow.contract_type.abi if item.type == "function"}
    return functions


def _cases() -> list[Any]:
    params = []
    for name, item in sorted(_abi().items()):
        view = item.stateMutability in ("view", "pure")
        for trigger in ("claim", "token_push"):
            if trigger == "token_push" and (view or name in UNLOCKED):
                # Views answer the same inside either push; the role functions outside the lock
                # are shown harmless with all the gas of a claim (inside a token push the mock's
                # own bookkeeping would exceed the 100 000 gas and defer its own payment).
                continue
            params.append(pytest.param(name, trigger, id=f"{name}-during-{trigger}"))
    return params


class World:
    """The hostile payee in every seat, and one ready call per external function."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


@pytest.fixture(scope="module")
def hook_token(project, admin):
    return project.MockAdvHookToken.deploy(sender=admin)


@pytest.fixture(scope="module")
def world(project, chain, escrow, registry, admin, oem, certifier, buyer, supplier, sub1, inspector, arbiter,
          stranger, part, hook_token, erc20) -> World:
    claimer = project.MockAdvClaimer.deploy(1, sender=admin)  # refuses for now: its pushes become credits
    c = Party(claimer, admin)
    seat(registry, oem, certifier, chain, claimer, supplier=True)
    escrow.grantRole(escrow.ARBITER_ROLE(), claimer, sender=admin)
    escrow.grantRole(escrow.DEFAULT_ADMIN_ROLE(), claimer, sender=admin)
    eth, hook = Money("eth", None), Money("hook", hook_token)
    b, s = Party(buyer), Party(supplier)
    hook_token.set_hook(claimer, True, sender=admin)

    # Credits of the claimer, in ETH and in the hook token (its refusal made the pushes fail).
    for money in (eth, hook):
        credited = open_deal(escrow, chain, admin, money=money, buyer=b, supplier=s, payees=[(claimer, 5_000)],
                             quantity=2, unit_price=10**15, stage="shipped")
        escrow.confirm_delivery(credited.order_id, 1, h("GRN"), sender=buyer)
    # Clocks that must have run out for the calls anyone may make.
    expired = open_deal(escrow, chain, admin, money=eth, buyer=b, supplier=s, quantity=3, unit_price=10**15,
                        ship_in=DAY, grace_period=0)
    ripe = open_deal(escrow, chain, admin, money=eth, buyer=b, supplier=s, quantity=3, unit_price=10**15,
                     stage="shipped", review_period=DAY)
    old = open_deal(escrow, chain, admin, money=eth, buyer=b, supplier=s, quantity=3, unit_price=10**15,
                    stage="disputed")
    chain.pending_timestamp += escrow.arbitration_timeout() + 1
    chain.mine()

    # Clocks still running, made after the jump.
    mine = open_deal(escrow, chain, admin, money=hook, buyer=c, supplier=s, quantity=10, unit_price=1_000,
                     stage="shipped", lot_quantity=2)  # the claimer buys
    escrow.ship(mine.order_id, 2, h("ASN-2"), sender=supplier)
    hook_token.mint(claimer, 10**9, sender=admin)
    c.do(hook_token, "approve", escrow.address, 10**9)
    theirs = open_deal(escrow, chain, admin, money=eth, buyer=b, supplier=c, quantity=5, unit_price=10**15)
    escrow.propose_agreement(make_terms(claimer, valid_until=chain.pending_timestamp + FAR), sender=buyer)
    proposed = escrow.agreement_count()
    judged = open_deal(escrow, chain, admin, money=eth, buyer=b, supplier=s, quantity=4, unit_price=10**15,
                       stage="shipped", lot_quantity=1, shipment_hash=h("ASN-C1"))
    escrow.ship(judged.order_id, 1, h("ASN-C2"), sender=supplier)
    escrow.dispute(judged.order_id, 2, h("dent"), sender=buyer)
    deadline = chain.pending_timestamp + FAR
    signature = sign_receipt(buyer, chain.chain_id, escrow.address, judged.order_id, 1, h("ASN-C1"), h("GRN-S"), deadline)
    trigger = open_deal(escrow, chain, admin, money=hook, buyer=b, supplier=s, payees=[(claimer, 2_000)],
                        quantity=5, unit_price=1_000, stage="shipped")
    claimer.set_mode(2, sender=admin)
    assert escrow.credit_of(claimer, ZERO) == 10**15 and escrow.credit_of(claimer, hook_token) == 10**15
    lens = project.MockStatefulLens.deploy(sender=admin)

    now = chain.pending_timestamp
    args: dict[str, tuple] = {
        "propose_agreement": (make_terms(supplier, valid_until=now + FAR),),
        "accept_agreement": (proposed, []),
        "close_agreement": (mine.agreement_id,),
        "create_order": (mine.agreement_id, 1, now + 7 * DAY, h("PO-re")),
        "decline_order": (theirs.order_id,),
        "refund_expired": (expired.order_id,),
        "assign_payout": (theirs.order_id, stranger.address),
        "ship": (theirs.order_id, 1, h("ASN-re")),
        "receive_goods": (mine.order_id, 1, h("GR-re")),
        "confirm_delivery": (mine.order_id, 1, h("GRN-re")),
        "confirm_delivery_signed": (judged.order_id, 1, h("GRN-S"), deadline, signature),
        "release": (ripe.order_id, 1),
        "dispute": (mine.order_id, 2, h("dent")),
        "resolve": (judged.order_id, 2, 5_000),
        "resolve_expired": (old.order_id, 1),
        "claim": (hook_token.address,),
        "claim_to": (hook_token.address, stranger.address),
        "pause": (),
        "unpause": (),
        "set_arbitration_timeout": (7 * DAY,),
        "grantRole": (escrow.ARBITER_ROLE(), stranger.address),
        "revokeRole": (escrow.ARBITER_ROLE(), arbiter.address),
        "renounceRole": (escrow.ARBITER_ROLE(), claimer.address),
        # views: any existing ids
        "get_agreement": (1,), "payees_of": (1,), "get_order": (1,), "get_lot": (1, 1), "deadlines": (1, 1),
        "credit_of": (claimer.address, ZERO), "receipt_digest": (1, 1, h("x"), 1),
        "hasRole": (escrow.ARBITER_ROLE(), claimer.address), "getRoleAdmin": (escrow.ARBITER_ROLE(),),
        "supportsInterface": (bytes.fromhex("01ffc9a7"),),
    }
    prepare: dict[str, Callable[[], Any]] = {"unpause": lambda: escrow.pause(sender=admin)}
    return World(claimer=claimer, party=c, args=args, prepare=prepare, trigger=trigger, lens=lens,
                 tokens=[ZERO, hook_token.address], hook=hook_token, buyer=buyer, supplier=supplier)


def picture(world: World, escrow: Any, chain: Any) -> tuple:
    """Every agreement, order and lot (with clocks) as the escrow reports them."""
    return lens_picture(chain, world.lens, escrow)


def test_reentry_matrix__every_state_changing_function_has_a_ready_call(world):
    """The matrix is generated from the ABI: a function added to the escrow gets its cases at once,
    and fails them until the world below has a call for it that succeeds outside a push."""
    functions = _abi()
    stateful = {n for n, item in functions.items() if item.stateMutability not in ("view", "pure")}
    assert not stateful - world.args.keys(), f"no ready call for: {sorted(stateful - world.args.keys())}"
    assert UNLOCKED <= set(functions), f"names no longer in the ABI: {sorted(UNLOCKED - set(functions))}"
    assert not (stateful & UNLOCKED) - {"grantRole", "revokeRole", "renounceRole"}


@pytest.mark.parametrize("fn,trigger", _cases())
def test_reentry__every_function_during_a_push__refused_by_the_lock_or_harmless(
    fn, trigger, world, escrow, chain, buyer, admin
):
    item = _abi()[fn]
    view = item.stateMutability in ("view", "pure")
    if not view:
        assert fn in world.args, f"{fn} is state-changing and has no ready arguments in the re-entry world"
    args = world.args.get(fn, ())
    assert len(args) == len(item.inputs), f"{fn}: arguments {args} for inputs {item.inputs}"
    if fn in world.prepare:
        world.prepare[fn]()
    claimer = world.claimer
    claimer.set_reentry(escrow, calldata(escrow, fn, *args), sender=admin)
    before = picture(world, escrow, chain)

    if trigger == "claim":
        tx = world.party.do(escrow, "claim", ZERO)
        assert events_of(tx, "Claimed") == [escrow.Claimed(account=claimer.address, token=ZERO, amount=10**15)]
    else:
        tx = escrow.confirm_delivery(world.trigger.order_id, 1, h("GRN-T"), sender=buyer)
        assert pushes(tx) == [("Paid", claimer.address, 1_000), ("Paid", world.supplier.address, 4_000)]

    assert claimer.attempts() == 1
    if fn in UNLOCKED:
        # Outside the lock: a view, or a role change by a role admin — never money, agreements,
        # orders or lots. (Had it reverted, that is harmless too.)
        assert view or fn in ("grantRole", "revokeRole", "renounceRole"), f"{fn} is outside the lock"
    else:
        assert (claimer.successes(), claimer.last_return()) == (0, b""), (
            f"{fn} re-entered during a {trigger} push: the lock must refuse with a bare revert"
        )
    after = picture(world, escrow, chain)
    if trigger == "claim":
        assert after == before, f"re-entering {fn} changed an agreement, an order or a lot"
    else:
        lots_before = [row for row in before[2][0] if row[0] != world.trigger.order_id]
        lots_after = [row for row in after[2][0] if row[0] != world.trigger.order_id]
        assert (after[0], after[1], lots_after) == (before[0], before[1], lots_before)
    assert escrow.get_lot(world.trigger.order_id, 1).status == (
        LOT["COMPLETED"] if trigger == "token_push" else LOT["SHIPPED"]
    )

    # The re-entered call was a good one: made outside the push, it goes through.
    if not view and not (fn in UNLOCKED and claimer.successes()):
        world.party.do(escrow, fn, *args)


# ---------------------------------------------------------------- the same call, every path, every seat


CASES = [
    ("decline", "buyer"),
    ("refund_expired", "buyer"),
    ("receive", "sub"),
    ("receive", "supplier"),
    ("receive", "assignee"),
    ("confirm", "sub"),
    ("confirm", "supplier"),
    ("confirm", "assignee"),
    ("release", "sub"),
    ("release", "assignee"),
    ("resolve", "sub"),
    ("resolve", "buyer"),
    ("resolve", "assignee"),
    ("resolve_expired", "supplier"),
    ("resolve_expired", "buyer"),
]
STAGE = {"decline": "created", "refund_expired": "created", "receive": "created", "confirm": "shipped",
         "release": "shipped", "resolve": "disputed", "resolve_expired": "disputed"}
PRICE = 10**16 + 7  # odd, so that rounding dust goes somewhere


def hostile_deal(escrow, chain, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, contract, role, money):
    hostile = Party(contract, admin)
    if role in ("buyer", "supplier"):
        seat(registry, oem, certifier, chain, contract, supplier=role == "supplier")
    b = hostile if role == "buyer" else Party(buyer)
    s = hostile if role == "supplier" else Party(supplier)
    first = contract if role == "sub" else sub1
    return open_deal(escrow, chain, admin, money=money, buyer=b, supplier=s, payees=[(first, 2_500), (sub2, 1_234)],
                     quantity=3, unit_price=PRICE, stage="created")


def walk(escrow, chain, deal, path, role, contract):
    """Assigns the payout when the hostile contract is the assignee, then walks to the path's stage."""
    holder = deal.supplier.address
    if role == "assignee":
        deal.supplier.do(escrow, "assign_payout", deal.order_id, contract.address)
        holder = contract.address
    if STAGE[path] in ("shipped", "disputed"):
        deal.supplier.do(escrow, "ship", deal.order_id, deal.quantity, h("ASN"))
        deal.lots.append(1)
    if STAGE[path] == "disputed":
        deal.buyer.do(escrow, "dispute", deal.order_id, 1, h("dent"))
    return holder


@pytest.mark.parametrize("path,role", CASES)
def test_payout__receiver_reentering_same_call_under_eth_stipend__paid_once(
    path, role, escrow, project, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, arbiter, stranger, chain
):
    """Under the stipend a receiver re-entering with a one-word call (decline, refund) reaches the
    escrow and only the lock refuses it (mode 3 reverts — and turns the payment into a credit —
    only if a re-entry succeeded). A longer re-entry runs the receiver out of stipend: the payment
    is deferred, then claimed with all the gas, and the re-entry, tried again there, meets the lock."""
    receiver = project.MockReceiver.deploy(0, sender=admin)
    deal = hostile_deal(escrow, chain, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, receiver, role,
                        Money("eth", None))
    holder = walk(escrow, chain, deal, path, role, receiver)
    method, args = final_call(path, deal)
    data = calldata(escrow, method, *args)
    receiver.set_reentry(escrow, data, sender=admin)
    receiver.set_mode(3, sender=admin)
    expected = summed(expected_for(path, deal, holder))
    mine = expected.pop(receiver.address)
    before = {a: chain.provider.get_balance(a) for a in expected}
    escrow_before = chain.provider.get_balance(escrow.address)

    tx = finish(escrow, chain, path, deal, arbiter, stranger)

    for account, amount in expected.items():  # none of them sent the settling transaction
        if account != getattr(tx, "sender", None):
            assert chain.provider.get_balance(account) == before[account] + amount
    if len(data) == 36:
        assert payments(tx, "PaymentDeferred") == []
        assert chain.provider.get_balance(receiver.address) == mine
        assert escrow.credit_of(receiver, ZERO) == 0
    else:
        assert payments(tx, "PaymentDeferred") == [(receiver.address, mine)]
        assert escrow.credit_of(receiver, ZERO) == mine

        claim = Party(receiver, admin).do(escrow, "claim", ZERO)

        assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=mine)]
        assert events_of(claim, "Paid") == []
        assert chain.provider.get_balance(receiver.address) == mine
        assert escrow.credit_of(receiver, ZERO) == 0
    assert chain.provider.get_balance(escrow.address) == escrow_before - sum(expected.values()) - mine


def payments(tx, name="Paid"):
    return [(e.payee, e.amount) for e in events_of(tx, name)]


@pytest.mark.parametrize("path,role", CASES)
def test_payout__hook_token_payee_reentering_same_call__lock_refuses_and_pays_once(
    path, role, escrow, project, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, arbiter, stranger, chain,
    hook_token,
):
    claimer = project.MockAdvClaimer.deploy(0, sender=admin)
    deal = hostile_deal(escrow, chain, registry, oem, certifier, admin, buyer, supplier, sub1, sub2, claimer, role,
                        Money("hook", hook_token))
    holder = walk(escrow, chain, deal, path, role, claimer)
    method, args = final_call(path, deal)
    claimer.set_reentry(escrow, calldata(escrow, method, *args), sender=admin)
    claimer.set_mode(2, sender=admin)
    hook_token.set_hook(claimer, True, sender=admin)
    expected = expected_for(path, deal, holder)
    before = {a: hook_token.balanceOf(a) for a, _ in expected}

    tx = finish(escrow, chain, path, deal, arbiter, stranger)

    assert (claimer.attempts(), claimer.successes(), claimer.last_return()) == (1, 0, b"")
    assert pushes(tx) == [("Paid", a, v) for a, v in expected]
    for account, amount in summed(expected).items():
        assert hook_token.balanceOf(account) == before[account] + amount
    assert escrow.credit_of(claimer, hook_token) == 0


def test_claim_to__recipient_reentering_its_own_claim__refused_and_its_credit_kept(
    escrow, project, admin, buyer, supplier, chain
):
    """A recipient with a credit of its own cannot collect it from inside somebody else's claim_to."""
    payer = project.MockAdvClaimer.deploy(1, sender=admin)
    recipient = project.MockAdvClaimer.deploy(1, sender=admin)
    deal = open_deal(escrow, chain, admin, money=Money("eth", None), buyer=Party(buyer), supplier=Party(supplier),
                     payees=[(payer, 1_000), (recipient, 2_000)], quantity=1, unit_price=10_000, stage="shipped")
    escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
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


def test_payout__payee_with_credit_reentering_claim_under_stipend__lock_refuses(
    escrow, project, admin, buyer, supplier, chain
):
    """A payee already owed a credit re-enters claim() from inside a later ETH payout (36 bytes of
    calldata fit in the stipend): the lock refuses, the payout stands, the credit is paid once."""
    receiver = project.MockReceiver.deploy(1, sender=admin)
    eth = Money("eth", None)
    first = open_deal(escrow, chain, admin, money=eth, buyer=Party(buyer), supplier=Party(supplier),
                      payees=[(receiver, 5_000)], quantity=1, unit_price=1_000, stage="shipped")
    escrow.confirm_delivery(first.order_id, 1, h("GRN"), sender=buyer)
    assert escrow.credit_of(receiver, ZERO) == 500
    receiver.set_mode(3, sender=admin)
    receiver.set_reentry(escrow, calldata(escrow, "claim", ZERO), sender=admin)
    second = open_deal(escrow, chain, admin, money=eth, buyer=Party(buyer), supplier=Party(supplier),
                       payees=[(receiver, 5_000)], quantity=1, unit_price=2_000, stage="shipped")

    tx = escrow.confirm_delivery(second.order_id, 1, h("GRN"), sender=buyer)

    assert pushes(tx) == [("Paid", receiver.address, 1_000), ("Paid", supplier.address, 1_000)]
    assert events_of(tx, "Claimed") == []
    assert chain.provider.get_balance(receiver.address) == 1_000
    assert escrow.credit_of(receiver, ZERO) == 500
    receiver.set_mode(0, sender=admin)
    claim = Party(receiver, admin).do(escrow, "claim", ZERO)
    assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=500)]
    assert chain.provider.get_balance(receiver.address) == 1_500
