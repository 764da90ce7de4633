"""The whole escrow, driven at random against a plain-Python model.

A hypothesis ``RuleBasedStateMachine`` plays every public action of ``OrderEscrow`` — orders in
ETH, a plain ERC-20 and a USDT-style token, acceptance with valid and invalid subcontractor lists
(including a receiver that reverts and one that burns its gas), shipping, direct and signed
confirmation, release, dispute, arbitration, expiry paths, claims, pausing, the arbitration
timeout, time jumps to both sides of every deadline, receivers changing their mind and a
subcontractor blocklisted by a token mid-run — usually with the rightful caller, sometimes with
a wrong one. The model predicts each outcome: success, or the exact revert reason. After every
step the invariants compare the model with the chain and check the SPEC's rules:

1. per token, escrow balance == Σ live order amounts + Σ unclaimed credits (SPEC rule 1 asks
   ``>=``; nothing else sends the escrow money here, so equality is asserted too);
2. a finished order paid out exactly its amount, in one transaction, nothing twice;
3. statuses only move along SPEC's table;
4. declared payees never change after acceptance (SPEC rule 3);
5. ``credit_of`` equals the model (and the claim rule drains credits);
6. ``order_count``, ``get_order`` and ``status`` equal the model;
7. every tracked balance (ETH net of exact gas fees, both tokens) equals the model, so a revert
   provably moved no money (SPEC rule 4).

A ``settle_everything`` rule also checks SPEC rule 2: past every deadline, calls open to anyone
bring every live order to a final state.

Deployments are made once per module; each hypothesis example snapshots the chain in
``__init__`` and restores it in ``teardown``. The model never keeps its own clock: it reads the
pending block timestamp and pins it before each transaction (Anvil's clock follows the wall
clock, and after a revert to a snapshot it need not go back), so deadlines are decided to the
second. Transactions go through raw JSON-RPC (see ``_stateful_support.py`` for why), ~30 ms a
step including the invariants.

Profiles (registered in tests/conftest.py, picked with HYPOTHESIS_PROFILE); hypothesis ends
many runs before the step limit, so the step counts are what a run actually took:

* ``ci`` (the default): 25 examples × up to 30 steps — 550 to 750 steps, 25-45 s on two
  busy cores;
* ``dev``: 8 × 10 steps, a few seconds;
* ``deep``: 400 examples × up to 100 steps — 35 000 to 40 000 steps, 20-25 minutes; run it
  before a release or after touching OrderEscrow: ``HYPOTHESIS_PROFILE=deep ape test tests/stateful``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from _stateful_support import ZERO, Lens, Outcome, Wire
from conftest import BPS, DAY, PART_ID, STATUS, h

ETH = ZERO
CREATED, ACCEPTED, SHIPPED, DISPUTED = (STATUS[s] for s in ("CREATED", "ACCEPTED", "SHIPPED", "DISPUTED"))
COMPLETED, REFUNDED, CANCELLED, RESOLVED = (STATUS[s] for s in ("COMPLETED", "REFUNDED", "CANCELLED", "RESOLVED"))
LIVE = (CREATED, ACCEPTED, SHIPPED, DISPUTED)
FINAL = (COMPLETED, REFUNDED, CANCELLED, RESOLVED)
NAMES = {v: k for k, v in STATUS.items()} | {0: "NONE"}

# SPEC's status table: every move an order may make (0 = not yet created).
TRANSITIONS = {
    0: {CREATED},
    CREATED: {ACCEPTED, CANCELLED, REFUNDED},
    ACCEPTED: {SHIPPED, REFUNDED},
    SHIPPED: {COMPLETED, DISPUTED},
    DISPUTED: {RESOLVED},
    COMPLETED: set(),
    REFUNDED: set(),
    CANCELLED: set(),
    RESOLVED: set(),
}

MAX_ORDERS = 150  # MockStatefulLens reads at most 160 orders
MAX_ETH_AMOUNT = 10 * 10**18
MAX_AMOUNT = 2**96 - 1
DEFAULT_TIMEOUT = 30 * DAY
MISSING_ROLE = "access_control: account is missing role"


# ---------------------------------------------------------------- deployment, once per module


@dataclass
class Env:
    """Everything the machine needs, deployed and configured once for the module."""

    wire: Wire
    lens: Lens | None  # set once the tracked accounts are known
    escrow: Any
    token_contracts: dict[str, Any]  # address -> contract (the two ERC-20s)
    tokens: list[str]  # ETH first
    buyers: list[str]
    suppliers: list[str]
    subs: list[str]  # EOAs and receivers
    receivers: dict[str, Any]  # address -> MockReceiver
    bad_mode: dict[str, int]  # receiver -> the mode it starts in (1 reverts, 2 burns gas)
    inspector: str
    arbiter: str
    admin: str
    stranger: str
    keys: dict[str, str]  # address -> private key, for signed receipts
    chain_id: int
    accounts: list[str] = field(default_factory=list)  # every account whose money is tracked
    senders: list[str] = field(default_factory=list)  # every EOA that may send a transaction


@pytest.fixture(scope="module")
def env(project, accounts, admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
        registry, escrow, part, erc20, usdt) -> Env:
    wire = Wire(chain)
    buyer2 = accounts.generate_test_account()
    supplier2 = accounts.generate_test_account()
    for extra in (buyer2, supplier2):
        wire.rpc("anvil_impersonateAccount", [extra.address])
        wire.rpc("anvil_setBalance", [extra.address, hex(10_000 * 10**18)])

    forever = chain.pending_timestamp + 200 * 365 * DAY  # no time jump of a deep run reaches it
    registry.grant_access(part, buyer2, sender=oem)
    registry.grant_access(part, supplier2, sender=oem)
    registry.certify(part, 1, supplier, forever, h("audit supplier"), sender=certifier)
    registry.certify(part, 1, supplier2, forever, h("audit supplier2"), sender=certifier)

    reverter = project.MockReceiver.deploy(1, sender=admin)
    burner = project.MockReceiver.deploy(2, sender=admin)
    lens = project.MockStatefulLens.deploy(sender=admin)

    assert escrow.order_count() == 0, "the machine's model starts from an empty escrow"
    assert not escrow.paused()
    assert escrow.arbitration_timeout() == DEFAULT_TIMEOUT

    e = Env(
        wire=wire,
        lens=None,
        escrow=escrow,
        token_contracts={erc20.address: erc20, usdt.address: usdt},
        tokens=[ETH, erc20.address, usdt.address],
        buyers=[buyer.address, buyer2.address, oem.address],
        suppliers=[supplier.address, supplier2.address],
        subs=[sub1.address, sub2.address, reverter.address, burner.address],
        receivers={reverter.address: reverter, burner.address: burner},
        bad_mode={reverter.address: 1, burner.address: 2},
        inspector=inspector.address,
        arbiter=arbiter.address,
        admin=admin.address,
        stranger=stranger.address,
        keys={a.address: a.private_key for a in (buyer, buyer2, oem, inspector, supplier, stranger, arbiter)},
        chain_id=chain.chain_id,
    )
    e.senders = [*e.buyers, *e.suppliers, sub1.address, sub2.address, e.inspector, e.arbiter, e.admin, e.stranger]
    e.accounts = [*e.buyers, *e.suppliers, *e.subs, e.inspector, e.arbiter, e.admin, e.stranger, escrow.address]
    e.lens = Lens(wire, lens, escrow, e.tokens, e.accounts)
    balances, credits = e.lens.money()
    assert all(balances[(escrow.address, t)] == 0 for t in e.tokens), "escrow must start empty"
    assert not any(credits.values()), "no credits before the machine runs"
    return e


# ---------------------------------------------------------------- model


@dataclass
class OrderModel:
    id: int
    buyer: str
    supplier: str
    token: str
    amount: int
    quantity: int
    ship_by: int
    review_period: int
    inspector: str
    status: int = CREATED
    shipped_at: int = 0
    disputed_at: int = 0
    payees: list[tuple[str, int]] = field(default_factory=list)
    paid_out: int = 0  # Σ Paid + PaymentDeferred amounts seen in this order's receipts
    payout_txs: int = 0  # transactions that emitted a payout for this order

    @property
    def review_ends(self) -> int:
        return self.shipped_at + self.review_period

    def may_confirm(self, who: str) -> bool:
        return who == self.buyer or (self.inspector != ZERO and who == self.inspector)


def sign_receipt(key: str, chain_id: int, escrow: str, order_id: int, receipt_hash: bytes, deadline: int) -> bytes:
    """An EIP-712 DeliveryReceipt signed with eth-account, independent of the contract's digest."""
    message = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "DeliveryReceipt": [
                    {"name": "orderId", "type": "uint256"},
                    {"name": "receiptHash", "type": "bytes32"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "DeliveryReceipt",
            "domain": {"name": "FactoryChain", "version": "1", "chainId": chain_id, "verifyingContract": escrow},
            "message": {"orderId": order_id, "receiptHash": receipt_hash, "deadline": deadline},
        }
    )
    return bytes(Account.sign_message(message, key).signature)


# ---------------------------------------------------------------- the machine


class EscrowMachine(RuleBasedStateMachine):
    """Rules draw their arguments and call one action helper each; helpers predict the outcome
    from the model (mirroring the contract's documented checks, in its order), send one
    transaction and update the model only if it succeeded."""

    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        e = self.env
        self.snapshot_id = chain.snapshot()
        self.orders: dict[int, OrderModel] = {}
        self.balances, self.credits = e.lens.money()
        self.paused = False
        self.timeout = DEFAULT_TIMEOUT
        self.modes = dict(e.bad_mode)  # receivers start out refusing ETH
        self.blocked: set[tuple[str, str]] = set()  # (token, account) pairs the token refuses
        self.seen_status: dict[int, int] = {}
        self.last_action = "init"
        self.txs = 0
        self._cache: tuple | None = None

    def teardown(self) -> None:
        chain.restore(self.snapshot_id)

    # ------------------------------------------------------------ plumbing

    @property
    def escrow(self) -> str:
        return self.env.escrow.address

    def _send(self, action: str, sender: str, to: str, data: bytes, expect: str | None, value: int = 0) -> Outcome:
        """Sends one transaction, charges its exact fee in the model, and checks the predicted
        outcome: success when ``expect`` is None, else a revert with exactly that reason."""
        out = self.env.wire.send(sender, to, data, value)
        self.txs += 1
        self.last_action = action
        self.balances[(sender, ETH)] -= out.fee
        if expect is None:
            assert out.ok, f"{action}: model expected success, chain reverted with {out.reason!r}"
            if value:
                self.balances[(sender, ETH)] -= value
                self.balances[(to, ETH)] += value
        else:
            assert not out.ok, f"{action}: model expected revert {expect!r}, chain succeeded"
            assert out.reason, f"{action}: reverted without a reason (SPEC rule 4)"
            assert out.reason == expect, f"{action}: expected revert {expect!r}, got {out.reason!r}"
        return out

    def _now(self) -> int:
        """The timestamp the next transaction will carry, pinned so the prediction holds."""
        return self.env.wire.pin()

    def _live(self) -> list[OrderModel]:
        return [o for o in self.orders.values() if o.status in LIVE]

    def _any(self, *statuses: int) -> bool:
        """Whether some order is in one of ``statuses``: the rules acting on such orders wait for one."""
        return any(o.status in statuses for o in self.orders.values())

    def _pick_order(self, data: Any, statuses: tuple[int, ...]) -> OrderModel:
        """Mostly an order in one of ``statuses`` (a meaningful step), sometimes any order (a
        wrong-state step the model must predict as a revert)."""
        wanted = sorted(i for i, o in self.orders.items() if o.status in statuses)
        if wanted and data.draw(st.integers(0, 9), label="order in a fitting state?") < 8:
            return self.orders[data.draw(st.sampled_from(wanted), label="order")]
        return self.orders[data.draw(st.sampled_from(sorted(self.orders)), label="any order")]

    def _pick_caller(self, data: Any, rightful: list[str]) -> str:
        """Mostly a rightful caller, sometimes anyone (who may be a wrong one)."""
        if data.draw(st.integers(0, 9), label="rightful caller?") < 8:
            return data.draw(st.sampled_from(rightful), label="caller")
        return data.draw(st.sampled_from(self.env.senders), label="any caller")

    def _maybe_on_the_edge(self, data: Any, deadline: int) -> None:
        """Sometimes puts the next block exactly on ``deadline`` or one second past it, so that
        both sides of every deadline are tried to the second (if it has not passed already:
        the clock never goes back)."""
        edge = data.draw(st.sampled_from([None, 0, 1]), label="on the deadline (+0 / +1 s)?")
        if edge is not None and deadline + edge >= self.env.wire.pending_timestamp():
            self.env.wire.set_next_timestamp(deadline + edge)

    def _confirmers(self, o: OrderModel) -> list[str]:
        return [o.buyer] + ([o.inspector] if o.inspector != ZERO else [])

    def _accepts(self, token: str, to: str) -> bool:
        """Whether a transfer of ``token`` to ``to`` goes through right now."""
        if token == ETH:
            return self.modes.get(to, 0) == 0
        return (token, to) not in self.blocked

    def _deadline(self, o: OrderModel) -> int:
        """The deadline that runs for a live order: past it, anyone may finish the order."""
        if o.status in (CREATED, ACCEPTED):
            return o.ship_by
        if o.status == SHIPPED:
            return o.review_ends
        return o.disputed_at + self.timeout

    # ------------------------------------------------------------ payouts

    def _push(self, o: OrderModel, to: str, amount: int, expected: list[tuple]) -> None:
        if amount == 0:
            return
        if self._accepts(o.token, to):
            self.balances[(to, o.token)] += amount
            self.balances[(self.escrow, o.token)] -= amount
            expected.append(("Paid", o.id, to, o.token, amount))
        else:
            self.credits[(to, o.token)] += amount
            expected.append(("PaymentDeferred", o.id, to, o.token, amount))

    def _distribute(self, o: OrderModel, total: int, expected: list[tuple]) -> None:
        paid = 0
        for account, bps in o.payees:
            share = total * bps // BPS
            paid += share
            self._push(o, account, share, expected)
        self._push(o, o.supplier, total - paid, expected)

    def _finish(self, action: str, o: OrderModel, out: Outcome, status: int, supplier_side: int) -> None:
        """Books a final step: ``supplier_side`` goes to payees and supplier, the rest to the
        buyer; the receipt must carry exactly the model's payout events, in order."""
        o.status = status
        expected: list[tuple] = []
        self._distribute(o, supplier_side, expected)  # pushes nothing when supplier_side is 0
        self._push(o, o.buyer, o.amount - supplier_side, expected)
        seen = out.payouts(self.escrow)
        assert seen == expected, f"{action}: payout events {seen} != model {expected}"
        o.paid_out += sum(e[4] for e in seen)
        o.payout_txs += 1

    # ------------------------------------------------------------ actions: predict, send, book

    def _create(self, buyer: str, supplier: str, token: str, amount: int, quantity: int, ship_in: int,
                review: int, inspector: str, defect: str | None = None) -> None:
        e = self.env
        value = amount if token == ETH else 0
        if defect == "zero_amount":
            amount = value = 0
        elif defect == "amount_too_large":
            amount, value = 2**96, 0  # refused before the value is looked at
        elif defect == "bad_review":
            review = 90 * DAY + 1
        elif defect == "no_access":
            buyer = e.stranger
        elif defect == "bad_value":
            value = amount - 1
        elif defect == "value_with_token":
            value = 1
        expect = {
            None: None,
            "zero_amount": "escrow: zero amount",
            "amount_too_large": "escrow: amount too large",
            "ship_by_now": "escrow: ship-by in the past",
            "bad_review": "escrow: bad review period",
            "no_access": "escrow: buyer has no access",
            "bad_value": "escrow: wrong value",
            "value_with_token": "escrow: unexpected value",
        }[defect]
        if self.paused:
            expect = "pausable: contract is paused"  # the first check
        if expect is None and token != ETH:
            contract = e.token_contracts[token]
            self._now()
            self._send("mint", buyer, token, contract.mint.encode_input(buyer, amount), None)
            self.balances[(buyer, token)] += amount
            self._now()
            self._send("approve", buyer, token, contract.approve.encode_input(self.escrow, amount), None)

        now = self._now()
        ship_by = now if defect == "ship_by_now" else now + ship_in
        call = e.escrow.create_order.encode_input(
            supplier, PART_ID, 1, quantity, token, amount, ship_by, review, inspector, h(f"PO-{len(self.orders)}")
        )
        action = f"create_order(token={token}, amount={amount}, defect={defect}) by {buyer}"
        out = self._send(action, buyer, self.escrow, call, expect, value=value)
        if expect is not None:
            return
        order_id = len(self.orders) + 1
        assert out.events(self.escrow, "OrderCreated") == [(order_id, buyer, supplier)], f"{action}: OrderCreated"
        if token != ETH:
            self.balances[(buyer, token)] -= amount
            self.balances[(self.escrow, token)] += amount
        self.orders[order_id] = OrderModel(
            id=order_id, buyer=buyer, supplier=supplier, token=token, amount=amount, quantity=quantity,
            ship_by=ship_by, review_period=review, inspector=inspector,
        )

    def _cancel(self, o: OrderModel, caller: str) -> None:
        self._now()
        expect = None
        if caller != o.buyer:
            expect = "escrow: not buyer"
        elif o.status != CREATED:
            expect = "escrow: not created"
        action = f"cancel_order({o.id}) by {caller}"
        out = self._send(action, caller, self.escrow, self.env.escrow.cancel_order.encode_input(o.id), expect)
        if expect is None:
            self._finish(action, o, out, CANCELLED, 0)

    def _accept(self, o: OrderModel, caller: str, payees: list[tuple[str, int]], payee_error: str | None) -> None:
        now = self._now()
        expect = payee_error
        if caller != o.supplier:
            expect = "escrow: not supplier"
        elif o.status != CREATED:
            expect = "escrow: not created"
        elif now > o.ship_by:
            expect = "escrow: ship-by passed"
        action = f"accept_order({o.id}, {payees}) by {caller} at ship_by{now - o.ship_by:+}"
        self._send(action, caller, self.escrow, self.env.escrow.accept_order.encode_input(o.id, payees), expect)
        if expect is None:
            o.status = ACCEPTED
            o.payees = payees

    def _ship(self, o: OrderModel, caller: str) -> None:
        now = self._now()
        expect = None
        if caller != o.supplier:
            expect = "escrow: not supplier"
        elif o.status != ACCEPTED:
            expect = "escrow: not accepted"
        elif now > o.ship_by:
            expect = "escrow: ship-by passed"
        action = f"mark_shipped({o.id}) by {caller} at ship_by{now - o.ship_by:+}"
        self._send(action, caller, self.escrow, self.env.escrow.mark_shipped.encode_input(o.id, h("ASN")), expect)
        if expect is None:
            o.status = SHIPPED
            o.shipped_at = now

    def _confirm(self, o: OrderModel, caller: str) -> None:
        self._now()
        expect = None
        if not o.may_confirm(caller):
            expect = "escrow: not buyer or inspector"
        elif o.status != SHIPPED:
            expect = "escrow: not shipped"
        receipt = h(f"GRN-{o.id}")
        action = f"confirm_delivery({o.id}) by {caller}"
        call = self.env.escrow.confirm_delivery.encode_input(o.id, receipt)
        out = self._send(action, caller, self.escrow, call, expect)
        if expect is None:
            assert out.events(self.escrow, "DeliveryConfirmed") == [(o.id, caller, receipt)], action
            self._finish(action, o, out, COMPLETED, o.amount)

    def _confirm_signed(self, o: OrderModel, signer: str, relayer: str, offset: int) -> None:
        e = self.env
        now = self._now()
        deadline = now + offset
        receipt = h(f"signed GRN-{o.id}")
        signature = sign_receipt(e.keys[signer], e.chain_id, self.escrow, o.id, receipt, deadline)
        expect = None
        if now > deadline:
            expect = "escrow: receipt expired"
        elif not o.may_confirm(signer):
            expect = "escrow: invalid signature"
        elif o.status != SHIPPED:
            expect = "escrow: not shipped"
        action = f"confirm_delivery_signed({o.id}) signed by {signer}, deadline {offset:+}, relayed by {relayer}"
        call = e.escrow.confirm_delivery_signed.encode_input(o.id, receipt, deadline, signature)
        out = self._send(action, relayer, self.escrow, call, expect)
        if expect is None:
            assert out.events(self.escrow, "DeliveryConfirmed") == [(o.id, signer, receipt)], action
            self._finish(action, o, out, COMPLETED, o.amount)

    def _dispute(self, o: OrderModel, caller: str) -> None:
        now = self._now()
        expect = None
        if not o.may_confirm(caller):
            expect = "escrow: not buyer or inspector"
        elif o.status != SHIPPED:
            expect = "escrow: not shipped"
        elif now > o.review_ends:
            expect = "escrow: review period over"
        action = f"dispute({o.id}) by {caller} at review_ends{now - o.review_ends:+}"
        self._send(action, caller, self.escrow, self.env.escrow.dispute.encode_input(o.id, h("scratched")), expect)
        if expect is None:
            o.status = DISPUTED
            o.disputed_at = now

    def _resolve(self, o: OrderModel, caller: str, bps: int) -> None:
        self._now()
        expect = None
        if caller != self.env.arbiter:
            expect = MISSING_ROLE
        elif o.status != DISPUTED:
            expect = "escrow: not disputed"
        elif bps > BPS:
            expect = "escrow: bps above 10000"
        action = f"resolve({o.id}, {bps}) by {caller}"
        out = self._send(action, caller, self.escrow, self.env.escrow.resolve.encode_input(o.id, bps), expect)
        if expect is None:
            self._finish(action, o, out, RESOLVED, o.amount * bps // BPS)

    def _release(self, o: OrderModel, caller: str) -> None:
        now = self._now()
        expect = None
        if o.status != SHIPPED:
            expect = "escrow: not shipped"
        elif now <= o.review_ends:
            expect = "escrow: review period running"
        action = f"release({o.id}) by {caller} at review_ends{now - o.review_ends:+}"
        out = self._send(action, caller, self.escrow, self.env.escrow.release.encode_input(o.id), expect)
        if expect is None:
            self._finish(action, o, out, COMPLETED, o.amount)

    def _refund_expired(self, o: OrderModel, caller: str) -> None:
        now = self._now()
        expect = None
        if o.status not in (CREATED, ACCEPTED):
            expect = "escrow: not refundable"
        elif now <= o.ship_by:
            expect = "escrow: ship-by not passed"
        action = f"refund_expired({o.id}) by {caller} at ship_by{now - o.ship_by:+}"
        out = self._send(action, caller, self.escrow, self.env.escrow.refund_expired.encode_input(o.id), expect)
        if expect is None:
            self._finish(action, o, out, REFUNDED, 0)

    def _resolve_expired(self, o: OrderModel, caller: str) -> None:
        now = self._now()
        ends = o.disputed_at + self.timeout
        expect = None
        if o.status != DISPUTED:
            expect = "escrow: not disputed"
        elif now <= ends:
            expect = "escrow: arbitration running"
        action = f"resolve_expired({o.id}) by {caller} at arbitration_ends{now - ends:+}"
        out = self._send(action, caller, self.escrow, self.env.escrow.resolve_expired.encode_input(o.id), expect)
        if expect is None:
            self._finish(action, o, out, RESOLVED, o.amount * (BPS // 2) // BPS)

    def _claim(self, account: str, token: str, recipient: str | None) -> None:
        """``recipient`` None: ``claim(token)``; else ``claim_to(token, recipient)``. A receiver
        contract claims for itself through its ``call`` forwarder, sent by the stranger."""
        e = self.env
        to = account if recipient is None else recipient
        credit = self.credits[(account, token)]
        expect = None
        if recipient == ZERO:
            expect = "escrow: zero recipient"
        elif credit == 0:
            expect = "escrow: nothing to claim"
        elif not self._accepts(token, to):
            expect = "escrow: claim transfer failed"
        if recipient is None:
            inner = e.escrow.claim.encode_input(token)
        else:
            inner = e.escrow.claim_to.encode_input(token, recipient)
        if account in e.receivers:
            sender, target, payload = e.stranger, account, e.receivers[account].call.encode_input(self.escrow, inner)
        else:
            sender, target, payload = account, self.escrow, inner
        self._now()
        action = f"{'claim' if recipient is None else 'claim_to'}({token}) of {account} to {to}, credit {credit}"
        out = self._send(action, sender, target, payload, expect)
        if expect is None:
            assert out.events(self.escrow, "Claimed") == [(account, token, credit)], f"{action}: Claimed"
            self.credits[(account, token)] = 0
            self.balances[(to, token)] += credit
            self.balances[(self.escrow, token)] -= credit

    # ------------------------------------------------------------ drawing arguments

    def _draw_order_args(self, data: Any) -> dict:
        e = self.env
        token = data.draw(st.sampled_from(e.tokens), label="token")
        top = MAX_ETH_AMOUNT if token == ETH else MAX_AMOUNT
        return dict(
            buyer=data.draw(st.sampled_from(e.buyers), label="buyer"),
            supplier=data.draw(st.sampled_from(e.suppliers), label="supplier"),
            token=token,
            amount=data.draw(st.integers(1, 10_000) | st.integers(1, top) | st.just(top), label="amount"),
            quantity=data.draw(st.integers(1, 2**64 - 1), label="quantity"),
            ship_in=data.draw(st.integers(3_600, 60 * DAY), label="ship in"),
            review=data.draw(st.sampled_from([DAY, 1, 3_600, 90 * DAY]) | st.integers(1, 90 * DAY), label="review"),
            inspector=data.draw(st.sampled_from([e.inspector, ZERO]), label="inspector"),
        )

    def _draw_payees(self, data: Any, supplier: str, valid: bool) -> tuple[list[tuple[str, int]], str | None]:
        """A payee list, valid or with one defect, and the reason the escrow must give for it."""
        subs = self.env.subs
        # Mostly several payees, so that the refusing receivers are often among them.
        count = data.draw(st.sampled_from([2, len(subs), 1, 3, 0]), label="payee count")
        accounts = data.draw(st.permutations(subs), label="payees")[:count]
        shares = [data.draw(st.integers(1, BPS // count), label="share") for _ in accounts]
        if shares and data.draw(st.booleans(), label="shares sum to exactly 100%?"):
            shares[-1] += BPS - sum(shares)
        payees = list(zip(accounts, shares))
        if valid:
            return payees, None
        defect = data.draw(
            st.sampled_from([None] * 5 + ["zero_payee", "payee_is_supplier", "zero_share", "duplicate", "over_100"]),
            label="payee defect",
        )
        at = data.draw(st.integers(0, len(payees)), label="defect position")
        # Entries before the defect are valid and distinct, so the defect is what the escrow reports.
        if defect == "zero_payee":
            payees.insert(at, (ZERO, 100))
            return payees, "escrow: zero payee"
        if defect == "payee_is_supplier":
            payees.insert(at, (supplier, 100))
            return payees, "escrow: payee is supplier"
        if defect == "zero_share":
            spare = [s for s in subs if s not in accounts]
            if spare:
                payees.insert(at, (spare[0], 0))
            else:
                i = max(at - 1, 0)
                payees[i] = (payees[i][0], 0)
            return payees, "escrow: zero share"
        if defect == "duplicate" and payees:
            payees.append((payees[min(at, len(payees) - 1)][0], 1))
            return payees, "escrow: duplicate payee"
        if defect == "over_100":
            if not payees:
                return [(subs[0], BPS + 1)], "escrow: shares exceed 100%"
            account, bps = payees[-1]
            payees[-1] = (account, bps + BPS + 1 - sum(s for _, s in payees))
            return payees, "escrow: shares exceed 100%"
        return payees, None

    # ------------------------------------------------------------ rules

    @initialize(data=st.data())
    def open_orders(self, data: Any) -> None:
        """Starts every run with one to four valid orders, each driven by its rightful parties to
        a random stage, so that the rules below find orders in every state."""
        for _ in range(data.draw(st.integers(1, 4), label="opening orders")):
            self._create(**self._draw_order_args(data))
            o = self.orders[len(self.orders)]
            steps = ["created", "accepted", "shipped", "disputed"]
            stage = data.draw(st.sampled_from(steps[1:] + steps[:1]), label="stage")
            for step in steps[1 : steps.index(stage) + 1]:
                self.statuses_follow_the_table()  # one move at a time, even inside this rule
                if step == "accepted":
                    self._accept(o, o.supplier, *self._draw_payees(data, o.supplier, valid=True))
                elif step == "shipped":
                    self._ship(o, o.supplier)
                else:
                    self._dispute(o, o.buyer)

    @precondition(lambda self: len(self.orders) < MAX_ORDERS)
    @rule(data=st.data())
    def create_order(self, data: Any) -> None:
        args = self._draw_order_args(data)
        defects = [None] * 6 + ["zero_amount", "amount_too_large", "ship_by_now", "bad_review", "no_access"]
        defects.append("bad_value" if args["token"] == ETH else "value_with_token")
        self._create(**args, defect=data.draw(st.sampled_from(defects), label="defect"))

    @precondition(lambda self: self._any(CREATED))
    @rule(data=st.data())
    def cancel_order(self, data: Any) -> None:
        o = self._pick_order(data, (CREATED,))
        self._cancel(o, self._pick_caller(data, [o.buyer]))

    @precondition(lambda self: self._any(CREATED))
    @rule(data=st.data())
    def accept_order(self, data: Any) -> None:
        o = self._pick_order(data, (CREATED,))
        caller = self._pick_caller(data, [o.supplier])
        self._maybe_on_the_edge(data, o.ship_by)
        self._accept(o, caller, *self._draw_payees(data, o.supplier, valid=False))

    @precondition(lambda self: self._any(ACCEPTED))
    @rule(data=st.data())
    def mark_shipped(self, data: Any) -> None:
        o = self._pick_order(data, (ACCEPTED,))
        self._maybe_on_the_edge(data, o.ship_by)
        self._ship(o, self._pick_caller(data, [o.supplier]))

    @precondition(lambda self: self._any(SHIPPED))
    @rule(data=st.data())
    def confirm_delivery(self, data: Any) -> None:
        """Directly by a caller, or by an EIP-712 receipt any relayer brings (signed by the buyer,
        the inspector, or a key that may not confirm; deadline ahead, now, or past)."""
        o = self._pick_order(data, (SHIPPED,))
        if data.draw(st.booleans(), label="signed receipt?"):
            e = self.env
            signers = [o.buyer, e.inspector, e.suppliers[0], e.stranger, e.arbiter]
            signer = data.draw(st.sampled_from(signers), label="signer")
            relayer = data.draw(st.sampled_from(e.senders), label="relayer")
            offset = data.draw(st.sampled_from([DAY, 0, -1, 3_600, -DAY]), label="deadline offset")
            self._confirm_signed(o, signer, relayer, offset)
        else:
            self._confirm(o, self._pick_caller(data, self._confirmers(o)))

    @precondition(lambda self: self._any(SHIPPED))
    @rule(data=st.data())
    def dispute(self, data: Any) -> None:
        o = self._pick_order(data, (SHIPPED,))
        self._maybe_on_the_edge(data, o.review_ends)
        self._dispute(o, self._pick_caller(data, self._confirmers(o)))

    @precondition(lambda self: self._any(DISPUTED))
    @rule(data=st.data())
    def resolve(self, data: Any) -> None:
        o = self._pick_order(data, (DISPUTED,))
        caller = self._pick_caller(data, [self.env.arbiter])
        if data.draw(st.integers(0, 9), label="bps above 10000?") < 9:
            bps = data.draw(st.sampled_from([5_000, 0, BPS, 1, BPS - 1]) | st.integers(0, BPS), label="bps")
        else:
            bps = data.draw(st.integers(BPS + 1, 2**16 - 1), label="bad bps")
        self._resolve(o, caller, bps)

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    def finish_without_cooperation(self, data: Any) -> None:
        """The calls anyone may make once a deadline ran out: release, refund_expired, resolve_expired."""
        kinds = {"release": (SHIPPED,), "refund_expired": (CREATED, ACCEPTED), "resolve_expired": (DISPUTED,)}
        kind = data.draw(st.sampled_from([k for k, statuses in kinds.items() if self._any(*statuses)]), label="path")
        caller = data.draw(st.sampled_from(self.env.senders), label="caller")
        o = self._pick_order(data, kinds[kind])
        if kind == "release":
            self._maybe_on_the_edge(data, o.review_ends)
            self._release(o, caller)
        elif kind == "refund_expired":
            self._maybe_on_the_edge(data, o.ship_by)
            self._refund_expired(o, caller)
        else:
            self._maybe_on_the_edge(data, o.disputed_at + self.timeout)
            self._resolve_expired(o, caller)

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    def advance(self, data: Any) -> None:
        """The happy path: a live order's rightful party takes the next step the model allows."""
        o = data.draw(st.sampled_from(self._live()), label="live order")
        e = self.env
        late = self.env.wire.pending_timestamp() > self._deadline(o)
        if o.status in (CREATED, ACCEPTED) and late:
            self._refund_expired(o, e.stranger)
        elif o.status == CREATED:
            self._accept(o, o.supplier, *self._draw_payees(data, o.supplier, valid=True))
        elif o.status == ACCEPTED:
            self._ship(o, o.supplier)
        elif o.status == SHIPPED and late:
            self._release(o, e.stranger)
        elif o.status == SHIPPED:
            step = data.draw(st.sampled_from(["confirm", "signed", "dispute"]), label="step")
            who = data.draw(st.sampled_from(self._confirmers(o)), label="confirmer")
            if step == "confirm":
                self._confirm(o, who)
            elif step == "signed":
                self._confirm_signed(o, who, e.stranger, DAY)
            else:
                self._dispute(o, who)
        elif late and data.draw(st.booleans(), label="let arbitration time out?"):
            self._resolve_expired(o, e.stranger)
        else:
            self._resolve(o, e.arbiter, data.draw(st.integers(0, BPS), label="bps"))

    @rule(data=st.data())
    def claim(self, data: Any) -> None:
        e = self.env
        owed = sorted(key for key, amount in self.credits.items() if amount)
        if owed and data.draw(st.integers(0, 9), label="claim an existing credit?") < 8:
            account, token = data.draw(st.sampled_from(owed), label="credit")
        else:
            account = data.draw(st.sampled_from([*e.senders, *e.receivers]), label="claimant")
            token = data.draw(st.sampled_from(e.tokens), label="token")
        recipient = None
        if data.draw(st.booleans(), label="claim_to?"):
            recipient = data.draw(st.sampled_from([*e.senders, *e.receivers, ZERO]), label="recipient")
        self._claim(account, token, recipient)

    @rule(data=st.data())
    def admin_acts(self, data: Any) -> None:
        """pause / unpause / set_arbitration_timeout, by the admin or by someone who may not."""
        e = self.env
        caller = self._pick_caller(data, [e.admin])
        # "toggle" pauses a running escrow or unpauses a paused one; "again" repeats the state
        # it is already in, which must revert.
        kind = data.draw(st.sampled_from(["toggle", "timeout", "again"]), label="admin action")
        self._now()
        expect = MISSING_ROLE if caller != e.admin else None
        if kind == "timeout":
            choices = [7 * DAY, 3_600, DAY, 365 * DAY, 3_599, 365 * DAY + 1]
            seconds = data.draw(st.sampled_from(choices), label="timeout")
            if expect is None and not 3_600 <= seconds <= 365 * DAY:
                expect = "escrow: bad timeout"
            call = e.escrow.set_arbitration_timeout.encode_input(seconds)
            self._send(f"set_arbitration_timeout({seconds}) by {caller}", caller, self.escrow, call, expect)
            if expect is None:
                self.timeout = seconds
            return
        pause = self.paused if kind == "again" else not self.paused
        if expect is None and pause == self.paused:
            expect = "pausable: contract is paused" if pause else "pausable: contract is not paused"
        call = e.escrow.pause.encode_input() if pause else e.escrow.unpause.encode_input()
        self._send(f"{'pause' if pause else 'unpause'}() by {caller}", caller, self.escrow, call, expect)
        if expect is None:
            self.paused = pause

    @rule(data=st.data())
    def time_passes(self, data: Any) -> None:
        """A few seconds, weeks, or exactly onto a live order's deadline (or one second past it)."""
        wire = self.env.wire
        now = wire.pending_timestamp()
        kind = data.draw(st.sampled_from(["deadline", "seconds", "days"]), label="jump")
        deadlines = sorted({self._deadline(o) + data.draw(st.booleans(), label="+1 s?") for o in self._live()})
        deadlines = [t for t in deadlines if t >= now]  # the clock never goes back
        if kind == "deadline" and deadlines:
            wire.set_next_timestamp(data.draw(st.sampled_from(deadlines), label="deadline"))
        elif kind == "days":
            wire.set_next_timestamp(now + data.draw(st.integers(DAY, 45 * DAY), label="dt"))
        else:
            wire.set_next_timestamp(now + data.draw(st.integers(1, 3_600), label="dt"))

    @rule(data=st.data())
    def world_changes(self, data: Any) -> None:
        """A receiver contract starts or stops refusing ETH; a token blocklists or releases a
        subcontractor. Both turn pushes into credits (and back)."""
        e = self.env
        self._now()
        if data.draw(st.booleans(), label="receiver (else token)?"):
            receiver = data.draw(st.sampled_from(sorted(e.receivers)), label="receiver")
            mode = data.draw(st.sampled_from([0, e.bad_mode[receiver]]), label="mode")
            call = e.receivers[receiver].set_mode.encode_input(mode)
            self._send(f"set_mode({mode}) on {receiver}", e.stranger, receiver, call, None)
            self.modes[receiver] = mode
            return
        token = data.draw(st.sampled_from(sorted(e.token_contracts)), label="token")
        account = data.draw(st.sampled_from(e.subs), label="subcontractor")
        flag = data.draw(st.booleans(), label="blocked?")
        call = e.token_contracts[token].set_blocked.encode_input(account, flag)
        self._send(f"set_blocked({account}, {flag}) on {token}", e.stranger, token, call, None)
        (self.blocked.add if flag else self.blocked.discard)((token, account))

    @precondition(lambda self: self._live())
    @rule()
    def settle_everything(self) -> None:
        """SPEC rule 2: once every running deadline passed, calls anyone may make finish every
        live order (refund, release, 50/50 split), whoever else stays silent."""
        live = self._live()
        wire = self.env.wire
        wire.set_next_timestamp(max(max(self._deadline(o) for o in live) + 1, wire.pending_timestamp()))
        for o in live:
            if o.status in (CREATED, ACCEPTED):
                self._refund_expired(o, self.env.stranger)
            elif o.status == SHIPPED:
                self._release(o, self.env.stranger)
            else:
                self._resolve_expired(o, self.env.stranger)
            assert o.status in FINAL, f"order {o.id} is not final after settle_everything"

    # ------------------------------------------------------------ invariants

    def _chain(self) -> tuple:
        """(balances, credits, order_count, orders, payees, statuses), read once per transaction."""
        if self._cache is None or self._cache[0] != self.txs:
            self._cache = (self.txs, *self.env.lens.everything())
        return self._cache[1:]

    @invariant()
    def escrow_holds_live_orders_plus_credits(self) -> None:
        balances, credits, *_ = self._chain()
        for token in self.env.tokens:
            live = sum(o.amount for o in self._live() if o.token == token)
            owed = sum(amount for (_, t), amount in credits.items() if t == token)
            held = balances[(self.escrow, token)]
            assert held >= live + owed, (
                f"after {self.last_action}: escrow holds {held} of {token}"
                f" but owes {live} (live orders) + {owed} (credits)"
            )
            assert held == live + owed, f"after {self.last_action}: escrow holds {held} of {token} != {live} + {owed}"

    @invariant()
    def finished_orders_paid_exactly_once(self) -> None:
        for o in self.orders.values():
            if o.status in FINAL:
                assert o.paid_out == o.amount, (
                    f"after {self.last_action}: order {o.id} paid out {o.paid_out} of {o.amount}"
                )
                assert o.payout_txs == 1, (
                    f"after {self.last_action}: order {o.id} paid out in {o.payout_txs} transactions"
                )
            else:
                assert o.paid_out == 0 and o.payout_txs == 0, f"after {self.last_action}: live order {o.id} paid out"

    @invariant()
    def statuses_follow_the_table(self) -> None:
        *_, statuses = self._chain()
        for order_id, status in enumerate(statuses, start=1):
            before = self.seen_status.get(order_id, 0)
            if status != before:
                assert status in TRANSITIONS[before], (
                    f"after {self.last_action}: order {order_id} moved {NAMES[before]} -> {NAMES.get(status, status)}"
                )
                self.seen_status[order_id] = status

    @invariant()
    def payees_never_change(self) -> None:
        *_, payees, _ = self._chain()
        for o in self.orders.values():
            assert payees[o.id - 1] == o.payees, (
                f"after {self.last_action}: payees_of({o.id}) {payees[o.id - 1]} != declared {o.payees}"
            )

    @invariant()
    def credits_match_model(self) -> None:
        _, credits, *_ = self._chain()
        wrong = {k: (credits[k], self.credits[k]) for k in credits if credits[k] != self.credits[k]}
        assert not wrong, f"after {self.last_action}: credit_of (chain, model): {wrong}"

    @invariant()
    def orders_match_model(self) -> None:
        _, _, count, orders, _, statuses = self._chain()
        assert count == len(self.orders), f"after {self.last_action}: order_count {count} != {len(self.orders)}"
        for o in self.orders.values():
            expected = {
                "buyer": o.buyer, "supplier": o.supplier, "part_id": PART_ID, "version": 1, "quantity": o.quantity,
                "token": o.token, "amount": o.amount, "ship_by": o.ship_by, "review_period": o.review_period,
                "inspector": o.inspector, "shipped_at": o.shipped_at, "status": o.status,
            }
            got = orders[o.id - 1]
            assert got == expected, f"after {self.last_action}: get_order({o.id}) {got} != model {expected}"
            assert statuses[o.id - 1] == o.status, f"after {self.last_action}: status({o.id}) != get_order().status"

    @invariant()
    def balances_match_model(self) -> None:
        balances, *_ = self._chain()
        wrong = {k: (balances[k], self.balances[k]) for k in balances if balances[k] != self.balances[k]}
        assert not wrong, f"after {self.last_action}: money moved unlike the model (chain, model): {wrong}"


def test_escrow_machine__random_runs__keep_spec_rules(env):
    EscrowMachine.env = env
    run_state_machine_as_test(EscrowMachine, settings=settings())
