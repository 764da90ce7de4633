"""Escrow v2, driven at random against a plain-Python model of what every account is owed.

A hypothesis ``RuleBasedStateMachine`` plays every public action of ``OrderEscrow`` v2 at once over
several framework agreements and call-off orders — in ETH, a plain ERC-20 and a USDT-style token;
proposals and acceptances with valid and defective terms and payee lists; call-offs, declines,
lots shipped (on time and late, with penalties) or received, confirmed directly or by EIP-712
receipts relayed by anyone (signed by EOAs or by an ERC-1271 wallet that is the buyer or the
inspector, owner-signed or hash-approved, for the right or the wrong lot), released, disputed,
resolved by arbiters (some of whom are parties of some orders) or split when arbitration times
out; refunds of unshipped units; payout assignments and re-assignments; claims and claim_to;
pause / unpause / set_arbitration_timeout mid-run; receivers that start or stop refusing ETH (a
subcontractor and a contract supplier), tokens blocklisting accounts, a certification revoked and
restored; time jumps onto every deadline and one second past it — usually with the rightful
caller, often with a wrong one. The model predicts each outcome: success (with the exact events
and pushes), or the exact revert reason.

After every step the invariants compare the model with the chain and check SPEC v2's six rules:

1. per token, the escrow's balance >= value of unsettled lots + unshipped, unrefunded units of
   live orders + unclaimed credits (and ==, since nothing else pays the escrow here); a settled
   order paid out exactly its amount, and every order exactly its settled part so far;
2. the ``settle_everything`` rule: past every running deadline, calls anyone may make (refund,
   release, 50/50 split) settle every order, whoever else stays silent;
3. each lot's payout pays every declared subcontractor exactly ``S * s // 10 000`` (the receipt's
   pushes are compared with the model's, in order); ``payees_of`` never changes; an assignment
   moves only the holder's remainder;
4. every revert the machine provokes carries a reason, the one the model predicts; a wrong caller
   never moves money (every balance of every tracked account in every token equals the model,
   net of exact gas fees, and every credit does);
5. the execution gas of the same call (``create_order`` in ETH, ``ship``, ``dispute``) does not
   grow with the number of agreements, orders and lots already there;
6. admin actions change no agreement, order, lot or running deadline (the whole picture is read
   before and after each one).

Deployments are made once per module; each example snapshots the chain in ``__init__`` and
restores it in ``teardown``. The model owns the clock: every transaction is mined at the model's
timestamp (``evm_setNextBlockTimestamp``), so deadlines are decided to the second and no draw
depends on Anvil's wall clock (hypothesis replays and shrinks an example by drawing the same
way). Transactions go through raw JSON-RPC (see ``_stateful_support.py``).

Profiles (tests/conftest.py, picked with HYPOTHESIS_PROFILE); measured on two busy cores:

* ``ci`` (the default): 25 examples x up to 30 steps — about 700 steps, 15-30 s;
* ``dev``: 8 x 10, a few seconds;
* ``deep``: 400 x up to 100 steps — about 34 000 steps at ~40 steps/s, 15 minutes.

``make test-deep`` runs this machine with the deep profile until at least ``STATEFUL_MIN_STEPS``
(10 000) steps were checked: runs of ``STATEFUL_MAX_EXAMPLES`` (40) examples, each from a fresh
random seed, repeated until the target is reached. Every run's seed is printed; a failing run adds
a note naming its seed, which goes into ``SAVED_SEEDS`` below (replayed by every ``make test``);
``STATEFUL_SEED=<seed>`` replays one seed alone.

The terminal summary prints the examples, steps, transactions and steps per second of the run,
the successful calls, the predicted reverts, and the execution gas of the calls held flat
(``STATEFUL_VERBOSE=1`` adds every revert reason with its count).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from ape import chain
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak
from hypothesis import seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from _stateful_support import ZERO, EventDecoder, Lens, Outcome, Wire, calldata_cost
from conftest import BPS, DAY, PART_ID, h

ETH = ZERO
PROPOSED, ACTIVE, CLOSED = 1, 2, 4
SHIPPED, DISPUTED, COMPLETED, RESOLVED = 1, 2, 4, 8
FINAL = (COMPLETED, RESOLVED)
LOT_MOVES = {SHIPPED: {COMPLETED, DISPUTED}, DISPUTED: {RESOLVED}, COMPLETED: set(), RESOLVED: set()}

MAX_AGREEMENTS = 60  # MockStatefulLens reads 64
MAX_ORDERS = 120  # 128
MAX_LOTS = 360  # 384; an order has at most 30 units, so at most 30 lots (the lens reads 64)
MAX_UNITS = 30
DEFAULT_TIMEOUT = 30 * DAY
FOREVER = 2**63  # certifications outlive any time jump of a deep run
MISSING_ROLE = "access_control: account is missing role"
GAS_SLACK = 200  # gas a flat call may vary by (branches), never more: SPEC rule 5

_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_RECEIPT_TYPEHASH = keccak(
    text="DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
)

# What a run did, for the terminal summary (module level: hypothesis builds a machine per example).
STATS = {"examples": 0, "checks": 0, "txs": 0, "start": 0.0, "end": 0.0, "gas": {}, "ok": Counter(), "reverts": Counter(),
         "reverts_by_fn": Counter(), "deferred": 0, "seeds": []}


# ---------------------------------------------------------------- deployment, once per module


@dataclass
class Actor:
    """Who can act: an EOA sends itself; a contract acts through its ``call(target, data)``, sent by
    its operator (the wallet's owner, or any EOA for MockReceiver)."""

    address: str
    sender: str
    via: Any = None  # the contract, when the actor is one


@dataclass
class Env:
    wire: Wire
    lens: Lens
    events: EventDecoder
    escrow: Any
    registry: Any
    tokens: list[str]  # ETH first
    token_contracts: dict[str, Any]
    a: dict[str, str]  # role name -> address
    actors: dict[str, Actor]  # address -> Actor
    keys: dict[str, Any]  # address -> private key (EOAs)
    receivers: dict[str, Any]  # address -> MockReceiver (rpay, rsup)
    wallet: Any
    arbiters: set[str]  # holders of ARBITER_ROLE
    chain_id: int
    accounts: list[str]  # every account whose money is tracked
    gas_calls: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def env(project, accounts, admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
        registry, escrow, part, erc20, usdt, request) -> Env:
    wire = Wire(chain)
    extra = {name: accounts.generate_test_account() for name in ("buyer2", "supplier2", "bank", "owner", "operator")}
    for acct in extra.values():
        wire.rpc("anvil_impersonateAccount", [acct.address])
        wire.rpc("anvil_setBalance", [acct.address, hex(10**24)])
    wallet = project.MockWallet1271.deploy(extra["owner"], sender=admin)
    rsup = project.MockReceiver.deploy(0, sender=admin)  # a supplier that can stop taking ETH
    rpay = project.MockReceiver.deploy(0, sender=admin)  # a subcontractor that can stop taking ETH
    lens = project.MockStatefulLens.deploy(sender=admin)
    for partner in (extra["buyer2"], extra["supplier2"], wallet, rsup):
        registry.grant_access(part, partner, sender=oem)
    for certified in (supplier, extra["supplier2"], rsup):
        registry.certify(part, 1, certified, FOREVER, h("audit"), sender=certifier)
    role = escrow.ARBITER_ROLE()
    # Arbiters that are parties of some orders: a buyer, a subcontractor, a bank that buys payouts.
    for extra_arbiter in (extra["buyer2"], sub2, extra["bank"]):
        escrow.grantRole(role, extra_arbiter, sender=admin)

    assert escrow.order_count() == 0 and escrow.agreement_count() == 0, "the model starts from an empty escrow"
    assert not escrow.paused() and escrow.arbitration_timeout() == DEFAULT_TIMEOUT

    eoas = dict(admin=admin, oem=oem, certifier=certifier, buyer=buyer, supplier=supplier, sub1=sub1, sub2=sub2,
                inspector=inspector, arbiter=arbiter, stranger=stranger, **extra)
    a = {name: acct.address for name, acct in eoas.items()}
    a.update(wallet=wallet.address, rsup=rsup.address, rpay=rpay.address, escrow=escrow.address)
    actors = {acct.address: Actor(acct.address, acct.address) for acct in eoas.values()}
    actors[wallet.address] = Actor(wallet.address, a["owner"], wallet)
    actors[rsup.address] = Actor(rsup.address, a["operator"], rsup)
    actors[rpay.address] = Actor(rpay.address, a["operator"], rpay)
    tokens = [ETH, erc20.address, usdt.address]
    tracked = [acct for name, acct in a.items() if name != "escrow"] + [escrow.address]
    e = Env(
        wire=wire,
        lens=Lens(wire, lens, escrow, tokens, tracked),
        events=EventDecoder(escrow),
        escrow=escrow,
        registry=registry,
        tokens=tokens,
        token_contracts={erc20.address: erc20, usdt.address: usdt},
        a=a,
        actors=actors,
        keys={acct.address: acct.private_key for acct in eoas.values()},
        receivers={rsup.address: rsup, rpay.address: rpay},
        wallet=wallet,
        arbiters={arbiter.address, a["buyer2"], sub2.address, a["bank"]},
        chain_id=chain.chain_id,
        accounts=tracked,
    )
    balances, credits = e.lens.money()
    assert all(balances[(escrow.address, t)] == 0 for t in tokens), "escrow must start empty"
    assert not any(credits.values()), "no credits before the machine runs"
    request.config.pluginmanager.register(_Summary(), "escrow-machine-summary")
    return e


class _Summary:
    """Writes the run's figures at the end of the session (pytest_terminal_summary)."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not STATS["examples"]:
            return
        seconds = max(STATS["end"] - STATS["start"], 1e-9)
        steps = STATS["checks"] - STATS["examples"]  # invariants run once after the opening rule
        profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
        terminalreporter.write_line(
            f"escrow machine ({profile}): {STATS['examples']} examples, {steps} steps, {STATS['txs']} transactions"
            f" in {seconds:.1f} s: {steps / seconds:.1f} steps/s; seeds {', '.join(map(str, STATS['seeds']))}"
        )
        ok = ", ".join(f"{fn} {n}" for fn, n in sorted(STATS["ok"].items()))
        terminalreporter.write_line(f"escrow machine, successful calls: {ok}")
        terminalreporter.write_line(
            f"escrow machine, predicted reverts: {sum(STATS['reverts'].values())} with {len(STATS['reverts'])}"
            f" distinct reasons" + (f": {dict(STATS['reverts'])}" if os.environ.get("STATEFUL_VERBOSE") else "")
        )
        if os.environ.get("STATEFUL_VERBOSE"):
            terminalreporter.write_line(f"reverts by function: {dict(STATS['reverts_by_fn'])}; deferred pushes {STATS['deferred']}")
        flat = ", ".join(f"{k} {lo}..{hi} gas ({n}x)" for k, (lo, hi, n) in sorted(STATS["gas"].items()))
        if flat:
            terminalreporter.write_line(f"escrow machine, execution gas of flat calls: {flat}")


# ---------------------------------------------------------------- model


@dataclass
class Agr:
    id: int
    buyer: str
    supplier: str
    token: str
    price: int
    max_q: int
    valid_until: int
    review: int
    inspector: str
    grace: int
    per_day: int
    cap: int
    status: int = PROPOSED
    called: int = 0
    payees: list[tuple[str, int]] = field(default_factory=list)

    def terms(self) -> tuple:
        return (self.supplier, PART_ID, 1, self.token, self.price, self.max_q, self.valid_until, self.review,
                self.inspector, self.grace, self.per_day, self.cap)

    def confirmers(self) -> list[str]:
        return [self.buyer] + ([self.inspector] if self.inspector != ZERO else [])


@dataclass
class LotM:
    order: int
    n: int
    quantity: int
    value: int
    penalty: int
    shipment: bytes
    at: int
    received: bool
    status: int
    deadline: int = 0  # arbitration deadline, fixed at dispute

    def review_end(self, agreement: Agr) -> int:
        return 0 if self.received else self.at + agreement.review


@dataclass
class Ord:
    id: int
    a: Agr
    quantity: int
    ship_by: int
    holder: str
    shipped: int = 0
    refunded: bool = False
    declined: bool = False
    assigned: bool = False  # ever assigned (even back to the supplier): it may no longer be declined
    lots: list[LotM] = field(default_factory=list)
    paid_out: int = 0  # Σ Paid + PaymentDeferred amounts this order's receipts carried

    @property
    def amount(self) -> int:
        return self.quantity * self.a.price

    @property
    def open_units(self) -> int:
        return 0 if self.declined or self.refunded else self.quantity - self.shipped

    @property
    def grace_end(self) -> int:
        return self.ship_by + self.a.grace

    @property
    def settled(self) -> bool:
        return self.declined or (self.open_units == 0 and all(lot.status in FINAL for lot in self.lots))

    def settled_value(self) -> int:
        """What this order must have paid out so far: final lots, the refund, or all of it if declined."""
        if self.declined:
            return self.amount
        refunded = (self.quantity - self.shipped) * self.a.price if self.refunded else 0
        return refunded + sum(lot.value for lot in self.lots if lot.status in FINAL)

    def held(self) -> int:
        """What the escrow still holds for this order: unsettled lots and open units."""
        if self.declined:
            return 0
        return self.open_units * self.a.price + sum(lot.value for lot in self.lots if lot.status not in FINAL)


def struct_digest(chain_id: int, escrow: str, order_id: int, lot: int, shipment: bytes, receipt: bytes, deadline: int) -> bytes:
    """The EIP-712 DeliveryReceipt digest, computed here from the definition (version "2")."""
    domain = keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                           [_DOMAIN_TYPEHASH, keccak(text="FactoryChain"), keccak(text="2"), chain_id, escrow]))
    struct = keccak(encode(["bytes32", "uint256", "uint256", "bytes32", "bytes32", "uint256"],
                           [_RECEIPT_TYPEHASH, order_id, lot, shipment, receipt, deadline]))
    return keccak(b"\x19\x01" + domain + struct)


def sign(key: Any, digest: bytes) -> bytes:
    signed = Account.unsafe_sign_hash(digest, key)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


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
        latest = e.wire.rpc("eth_getBlockByNumber", ["latest", False])
        self.clock = int(latest["timestamp"], 16) + 1  # the same for every example: they share one snapshot
        STATS["examples"] += 1
        self.agreements: dict[int, Agr] = {}
        self.orders: dict[int, Ord] = {}
        self.balances, self.credits = e.lens.money()
        self.paused = False
        self.timeout = DEFAULT_TIMEOUT
        self.modes = {r: 0 for r in e.receivers}  # receivers start out taking ETH
        self.blocked: set[tuple[str, str]] = set()  # (token, account) pairs a token refuses
        self.certified = {e.a["supplier"], e.a["supplier2"], e.a["rsup"]}
        self.approved: set[bytes] = set()  # digests the wallet approved on chain
        self.last_action = "init"
        self.txs = 0
        self._cache: tuple | None = None

    def teardown(self) -> None:
        STATS["end"] = time.monotonic()
        chain.restore(self.snapshot_id)

    # ------------------------------------------------------------ plumbing

    @property
    def escrow(self) -> str:
        return self.env.escrow.address

    @property
    def a(self) -> dict[str, str]:
        return self.env.a

    def _now(self) -> int:
        """The timestamp the next transaction will carry. The model owns the clock: every
        transaction is mined at exactly ``self.clock`` (then the clock moves one second), so
        deadlines are decided to the second and no draw depends on Anvil's wall clock (which
        would make hypothesis's replays and shrinking draw differently)."""
        return self.clock

    def _raw(self, action: str, sender: str, to: str, data: bytes, expect: str | None, value: int = 0) -> Outcome:
        """Sends one transaction from an EOA, charges its exact fee in the model and checks the
        predicted outcome: success when ``expect`` is None, else a revert with exactly that reason."""
        if not STATS["start"]:
            STATS["start"] = time.monotonic()
        self.env.wire.set_next_timestamp(self.clock)
        out = self.env.wire.send(sender, to, data, value)
        self.clock += 1
        self.txs += 1
        STATS["txs"] += 1
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

    def _act(self, action: str, who: str, fn: str, args: tuple, expect: str | None, value: int = 0) -> tuple[Outcome, list]:
        """`who` calls `escrow.fn(*args)`, directly or through its wallet / receiver contract;
        returns the outcome and the escrow's decoded events."""
        e = self.env
        actor = e.actors[who]
        inner = bytes(getattr(e.escrow, fn).encode_input(*args))
        if expect is None:
            STATS["ok"][fn] += 1
        else:
            STATS["reverts"][expect] += 1
            STATS["reverts_by_fn"][(fn, expect)] += 1
        if actor.via is None:
            out = self._raw(action, who, self.escrow, inner, expect, value)
        else:
            data = bytes(actor.via.call.encode_input(self.escrow, inner))
            out = self._raw(action, actor.sender, actor.address, data, expect, value)
            if value and expect is None:  # the wrapper passed the value on
                self.balances[(actor.address, ETH)] -= value
                self.balances[(self.escrow, ETH)] += value
        return out, e.events.decode(out.logs)

    def _flat_gas(self, key: str, actor: Actor, out: Outcome, data: bytes) -> None:
        """SPEC rule 5, a light check: the execution gas (less the calldata's intrinsic cost) of the
        same call, in the same shape, never grows with what the escrow already holds."""
        shape = f"{key}{'' if actor.via is None else '/via-' + actor.via.contract_type.name}"
        gas = out.gas_used - calldata_cost(data)
        lo, hi, n = STATS["gas"].get(shape, (gas, gas, 0))
        STATS["gas"][shape] = (min(lo, gas), max(hi, gas), n + 1)
        first = self.env.gas_calls.setdefault(shape, gas)
        assert gas <= first + GAS_SLACK, (
            f"{self.last_action}: {shape} cost {gas} gas with {len(self.agreements)} agreements, {len(self.orders)}"
            f" orders and {sum(len(o.lots) for o in self.orders.values())} lots; first seen at {first} (SPEC rule 5)"
        )

    def _accepts(self, token: str, to: str) -> bool:
        """Whether a transfer of ``token`` to ``to`` goes through right now."""
        if token == ETH:
            return self.modes.get(to, 0) == 0
        return (token, to) not in self.blocked

    def _push(self, o: Ord, to: str, amount: int, expected: list[tuple]) -> None:
        if amount == 0:
            return
        token = o.a.token
        o.paid_out += amount
        if self._accepts(token, to):
            self.balances[(to, token)] += amount
            self.balances[(self.escrow, token)] -= amount
            expected.append(("Paid", {"order_id": o.id, "payee": to, "token": token, "amount": amount}))
        else:
            self.credits[(to, token)] += amount
            STATS["deferred"] += 1
            expected.append(("PaymentDeferred", {"order_id": o.id, "payee": to, "token": token, "amount": amount}))

    def _settle(self, o: Ord, lot: LotM, supplier_side: int) -> list[tuple]:
        """SPEC's payout of one lot: payees first, the holder's remainder less the penalty, then
        one push to the buyer (V - S + penalty)."""
        expected: list[tuple] = []
        paid = 0
        for account, bps in o.a.payees:
            share = supplier_side * bps // BPS
            paid += share
            self._push(o, account, share, expected)
        remainder = supplier_side - paid
        penalty = min(remainder, lot.value * lot.penalty // BPS)
        self._push(o, o.holder, remainder - penalty, expected)
        self._push(o, o.a.buyer, lot.value - supplier_side + penalty, expected)
        return expected

    def _check_events(self, action: str, events: list, expected: list[tuple]) -> None:
        """The escrow's own events, in order, equal the model's (pushes field by field: SPEC rule 3)."""
        seen = [(name, fields) for name, fields in events]
        want = list(expected)
        assert [n for n, _ in seen] == [n for n, _ in want], f"{action}: events {seen} != model {want}"
        for (name, got), (_, fields) in zip(seen, want):
            for key, value in fields.items():
                assert got[key] == value, f"{action}: {name}.{key} = {got[key]!r}, model {value!r}"

    def _unknown_order(self) -> int:
        return len(self.orders) + 1

    # ------------------------------------------------------------ picking

    def _pick_agreement(self, data: Any, statuses: tuple[int, ...]) -> Agr | None:
        wanted = sorted(i for i, a in self.agreements.items() if a.status in statuses)
        if wanted and data.draw(st.integers(0, 9), label="agreement in a fitting state?") < 8:
            return self.agreements[data.draw(st.sampled_from(wanted), label="agreement")]
        if self.agreements:
            return self.agreements[data.draw(st.sampled_from(sorted(self.agreements)), label="any agreement")]
        return None

    def _pick_order(self, data: Any, fits: Any) -> Ord:
        """Mostly an order that fits (a meaningful step), sometimes any order (a wrong-state step
        the model must predict as a revert)."""
        wanted = sorted(i for i, o in self.orders.items() if fits(o))
        if wanted and data.draw(st.integers(0, 9), label="order that fits?") < 8:
            return self.orders[data.draw(st.sampled_from(wanted), label="order")]
        return self.orders[data.draw(st.sampled_from(sorted(self.orders)), label="any order")]

    def _pick_lot(self, data: Any, o: Ord, statuses: tuple[int, ...]) -> int:
        wanted = [lot.n for lot in o.lots if lot.status in statuses]
        if wanted and data.draw(st.integers(0, 9), label="lot that fits?") < 8:
            return data.draw(st.sampled_from(wanted), label="lot")
        return data.draw(st.integers(1, len(o.lots) + 1), label="any lot")

    def _pick_caller(self, data: Any, rightful: list[str]) -> str:
        """Mostly a rightful caller, sometimes anyone who can act (who may be a wrong one)."""
        if rightful and data.draw(st.integers(0, 9), label="rightful caller?") < 8:
            return data.draw(st.sampled_from(rightful), label="caller")
        return data.draw(st.sampled_from(sorted(self.env.actors)), label="any caller")

    def _lot(self, o: Ord, n: int) -> LotM | None:
        return o.lots[n - 1] if 1 <= n <= len(o.lots) else None

    def _maybe_on_the_edge(self, data: Any, deadline: int) -> None:
        """Sometimes puts the next block exactly on ``deadline`` or one second past it (if it has
        not passed already: the clock never goes back)."""
        edge = data.draw(st.sampled_from([None, None, 0, 1]), label="on the deadline (+0 / +1 s)?")
        if edge is not None and deadline + edge >= self.clock:
            self.clock = deadline + edge

    def _deadlines(self) -> list[int]:
        """Every running deadline: valid-until of agreements, ship-by and ship-by + grace of
        orders with open units, review ends of shipped lots, arbitration deadlines of disputes."""
        times = [a.valid_until for a in self.agreements.values() if a.status != CLOSED]
        for o in self.orders.values():
            if o.open_units:
                times += [o.ship_by, o.grace_end, o.ship_by + DAY]  # and the first penalty day boundary
            for lot in o.lots:
                if lot.status == SHIPPED:
                    times.append(lot.review_end(o.a))
                elif lot.status == DISPUTED:
                    times.append(lot.deadline)
        return times

    # ------------------------------------------------------------ actions: agreements

    def _propose(self, caller: str, terms: dict, defect: str | None) -> None:
        now = self._now()
        t = dict(terms)
        if defect == "zero_supplier":
            t["supplier"] = ZERO
        elif defect == "buyer_is_supplier":
            t["supplier"] = caller
        elif defect == "inspector_is_supplier":
            t["inspector"] = t["supplier"]
        elif defect == "zero_price":
            t["price"] = 0
        elif defect == "price_too_large":
            t["price"] = 2**128
        elif defect == "zero_quantity":
            t["max_q"] = 0
        elif defect == "quantity_too_large":
            t["max_q"] = 2**64
        elif defect == "valid_until_past":
            t["valid_until"] = now
        elif defect == "valid_until_too_far":
            t["valid_until"] = 2**40
        elif defect == "bad_review":
            t["review"] = 90 * DAY + 1
        elif defect == "bad_grace":
            t["grace"] = 90 * DAY + 1
        elif defect == "bad_cap":
            t["cap"] = 10_001
        elif defect == "unknown_version":
            t["version"] = 2
        elif defect == "supplier_no_access":
            t["supplier"] = self.a["sub1"]
        elif defect == "token_not_contract":
            t["token"] = self.a["stranger"]
        elif defect == "token_not_erc20":
            t["token"] = self.env.registry.address
        access = {self.a[n] for n in ("buyer", "buyer2", "wallet", "oem", "supplier", "supplier2", "rsup")}
        expect = None
        if self.paused:
            expect = "pausable: contract is paused"
        elif t["supplier"] == ZERO:
            expect = "escrow: zero supplier"
        elif t["supplier"] == caller:
            expect = "escrow: buyer is supplier"
        elif t["inspector"] == t["supplier"]:
            expect = "escrow: inspector is supplier"
        elif t["price"] == 0:
            expect = "escrow: zero price"
        elif t["price"] >= 2**128:
            expect = "escrow: price too large"
        elif t["max_q"] == 0:
            expect = "escrow: zero quantity"
        elif t["max_q"] >= 2**64:
            expect = "escrow: quantity too large"
        elif t["valid_until"] <= now:
            expect = "escrow: valid-until in the past"
        elif t["valid_until"] >= 2**40:
            expect = "escrow: valid-until too far"
        elif not 0 < t["review"] <= 90 * DAY:
            expect = "escrow: bad review period"
        elif t["grace"] > 90 * DAY:
            expect = "escrow: bad grace period"
        elif t["cap"] > BPS:
            expect = "escrow: bad penalty cap"
        elif t.get("version", 1) != 1:
            expect = "escrow: unknown version"
        elif caller not in access:
            expect = "escrow: buyer has no access"
        elif t["supplier"] not in access:
            expect = "escrow: supplier has no access"
        elif t["token"] == self.a["stranger"]:
            expect = "escrow: token is not a contract"
        elif t["token"] == self.env.registry.address:
            expect = "escrow: token is not an erc20"
        args = ((t["supplier"], PART_ID, t.get("version", 1), t["token"], t["price"], t["max_q"], t["valid_until"],
                 t["review"], t["inspector"], t["grace"], t["per_day"], t["cap"]),)
        action = f"propose_agreement({defect=}, token={t['token'][:8]}, supplier={t['supplier'][:8]}) by {caller[:8]}"
        out, events = self._act(action, caller, "propose_agreement", args, expect)
        if expect is not None:
            return
        agreement_id = len(self.agreements) + 1
        self._check_events(action, events, [("AgreementProposed", {"agreement_id": agreement_id, "buyer": caller,
                                                                   "supplier": t["supplier"]})])
        self.agreements[agreement_id] = Agr(
            id=agreement_id, buyer=caller, supplier=t["supplier"], token=t["token"], price=t["price"],
            max_q=t["max_q"], valid_until=t["valid_until"], review=t["review"], inspector=t["inspector"],
            grace=t["grace"], per_day=t["per_day"], cap=t["cap"],
        )

    def _accept(self, ag: Agr | None, agreement_id: int, caller: str, payees: list[tuple[str, int]]) -> None:
        now = self._now()
        expect = None
        if ag is None:
            expect = "escrow: unknown agreement"
        elif caller != ag.supplier:
            expect = "escrow: not supplier"
        elif ag.status != PROPOSED:
            expect = "escrow: agreement not proposed"
        elif now > ag.valid_until:
            expect = "escrow: agreement expired"
        elif ag.supplier not in self.certified:
            expect = "escrow: supplier not certified"
        else:
            parties = {ag.supplier, ag.buyer, ag.inspector, self.escrow, ag.token}
            total = 0
            for i, (account, bps) in enumerate(payees):
                if account == ZERO:
                    expect = "escrow: zero payee"
                elif account in parties:
                    expect = "escrow: payee is a party"
                elif bps == 0:
                    expect = "escrow: zero share"
                elif account in [p for p, _ in payees[:i]]:
                    expect = "escrow: duplicate payee"
                if expect:
                    break
                total += bps
            if expect is None and total > BPS:
                expect = "escrow: shares exceed 100%"
        action = f"accept_agreement({agreement_id}, {[(p[:8], s) for p, s in payees]}) by {caller[:8]}"
        out, events = self._act(action, caller, "accept_agreement", (agreement_id, payees), expect)
        if expect is None:
            self._check_events(action, events, [("AgreementAccepted", {"agreement_id": agreement_id})])
            ag.status = ACTIVE
            ag.payees = list(payees)

    def _close(self, ag: Agr | None, agreement_id: int, caller: str) -> None:
        self._now()
        expect = None
        if ag is None:
            expect = "escrow: unknown agreement"
        elif caller not in (ag.buyer, ag.supplier):
            expect = "escrow: not a party"
        elif ag.status == CLOSED:
            expect = "escrow: agreement closed"
        action = f"close_agreement({agreement_id}) by {caller[:8]}"
        out, events = self._act(action, caller, "close_agreement", (agreement_id,), expect)
        if expect is None:
            self._check_events(action, events, [("AgreementClosed", {"agreement_id": agreement_id, "closed_by": caller})])
            ag.status = CLOSED

    # ------------------------------------------------------------ actions: call-offs

    def _fund(self, ag: Agr, buyer: str, amount: int) -> None:
        """Mints and approves `amount` of the agreement's token for `buyer` (ERC-20 only)."""
        e = self.env
        token = e.token_contracts[ag.token]
        self._now()
        self._raw("mint", self.a["admin"], ag.token, bytes(token.mint.encode_input(buyer, amount)), None)
        self.balances[(buyer, ag.token)] += amount
        approve = bytes(token.approve.encode_input(self.escrow, amount))
        actor = e.actors[buyer]
        self._now()
        if actor.via is None:
            self._raw("approve", buyer, ag.token, approve, None)
        else:
            self._raw("approve", actor.sender, actor.address, bytes(actor.via.call.encode_input(ag.token, approve)), None)

    def _create_expect(self, ag: Agr | None, caller: str, quantity: int, ship_by: int, value: int,
                       now: int) -> str | None:
        """The contract's checks of `create_order`, in its order."""
        erc20 = ag is not None and ag.token != ETH
        if self.paused:
            return "pausable: contract is paused"
        if ag is None:
            return "escrow: unknown agreement"
        if caller != ag.buyer:
            return "escrow: not buyer"
        if ag.status != ACTIVE:
            return "escrow: agreement not active"
        if now > ag.valid_until:
            return "escrow: agreement expired"
        if quantity == 0:
            return "escrow: zero quantity"
        if ag.called + quantity > ag.max_q:
            return "escrow: above max quantity"
        if ship_by <= now:
            return "escrow: ship-by in the past"
        if ship_by >= 2**40:
            return "escrow: ship-by too far"
        if ag.supplier not in self.certified:
            return "escrow: supplier not certified"
        if not erc20 and value != quantity * ag.price:
            return "escrow: wrong value"
        if erc20 and value != 0:
            return "escrow: unexpected value"
        if erc20 and (ag.token, caller) in self.blocked:
            return "escrow: token transfer failed"
        return None

    def _create(self, ag: Agr | None, agreement_id: int, caller: str, quantity: int, ship_in: int,
                defect: str | None, data: Any = None) -> None:
        """Funds (ERC-20: mint and approve, which mines blocks), then maybe puts the clock on the
        agreement's valid-until edge, then pins it and predicts the call-off."""
        amount = quantity * (ag.price if ag else 0)
        erc20 = ag is not None and ag.token != ETH
        value = 0 if erc20 else amount
        if defect == "wrong_value" and not erc20:
            value = amount + 1
        elif defect == "unexpected_value" and erc20:
            value = 1
        pending = self.clock
        likely = self._create_expect(ag, caller, quantity, pending + ship_in, value, pending)
        if erc20 and amount and likely in (None, "escrow: token transfer failed"):
            self._fund(ag, caller, amount)
        if data is not None and ag is not None:
            self._maybe_on_the_edge(data, ag.valid_until)
        now = self._now()
        ship_by = {"ship_by_now": now, "ship_by_too_far": 2**40}.get(defect, now + ship_in)
        expect = self._create_expect(ag, caller, quantity, ship_by, value, now)
        action = f"create_order({agreement_id}, {quantity}, ship_by=now{ship_by - now:+}, {defect=}) by {caller[:8]}"
        args = (agreement_id, quantity, ship_by, h(action))
        out, events = self._act(action, caller, "create_order", args, expect, value=value)
        if expect is not None:
            return
        order_id = len(self.orders) + 1
        self._check_events(action, events, [("OrderCreated", {
            "order_id": order_id, "agreement_id": agreement_id, "buyer": caller, "supplier": ag.supplier,
            "quantity": quantity, "amount": amount, "ship_by": ship_by,
        })])
        if erc20:
            self.balances[(caller, ag.token)] -= amount
            self.balances[(self.escrow, ag.token)] += amount
        else:
            owner = "/part-owner" if caller == self.a["oem"] else ""
            self._record_gas(f"create_order/eth{owner}", out, caller, "create_order", args)
        ag.called += quantity
        self.orders[order_id] = Ord(id=order_id, a=ag, quantity=quantity, ship_by=ship_by, holder=ag.supplier)

    def _decline(self, o: Ord | None, order_id: int, caller: str) -> None:
        self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif caller != o.a.supplier:
            expect = "escrow: not supplier"
        elif o.declined:
            expect = "escrow: order declined"
        elif o.shipped or o.refunded:
            expect = "escrow: order under way"
        elif o.assigned:
            expect = "escrow: payout assigned"
        action = f"decline_order({order_id}) by {caller[:8]}"
        out, events = self._act(action, caller, "decline_order", (order_id,), expect)
        if expect is None:
            o.declined = True
            o.a.called -= o.quantity
            expected = [("OrderDeclined", {"order_id": o.id})]
            self._push(o, o.a.buyer, o.amount, expected)
            self._check_events(action, events, expected)

    def _refund(self, o: Ord | None, order_id: int, caller: str) -> None:
        now = self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif o.declined:
            expect = "escrow: order declined"
        elif now <= o.grace_end:
            expect = "escrow: shipping window open"
        elif o.open_units == 0:
            expect = "escrow: nothing to refund"
        edge = f" at grace_end{now - o.grace_end:+}" if o else ""
        action = f"refund_expired({order_id}) by {caller[:8]}{edge}"
        out, events = self._act(action, caller, "refund_expired", (order_id,), expect)
        if expect is None:
            units = o.open_units
            o.refunded = True
            expected = [("OrderRefunded", {"order_id": o.id, "quantity": units, "amount": units * o.a.price})]
            self._push(o, o.a.buyer, units * o.a.price, expected)
            self._check_events(action, events, expected)

    def _assign(self, o: Ord | None, order_id: int, caller: str, assignee: str) -> None:
        self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif caller != o.holder:
            expect = "escrow: not payout holder"
        elif o.declined:
            expect = "escrow: order declined"
        elif assignee == ZERO:
            expect = "escrow: zero assignee"
        elif assignee == o.holder:
            expect = "escrow: already payout holder"
        elif assignee in (self.escrow, o.a.inspector) or assignee in [p for p, _ in o.a.payees]:
            expect = "escrow: forbidden assignee"
        action = f"assign_payout({order_id}, {assignee[:8]}) by {caller[:8]}"
        out, events = self._act(action, caller, "assign_payout", (order_id, assignee), expect)
        if expect is None:
            self._check_events(action, events, [("PayoutAssigned", {"order_id": o.id, "previous": o.holder,
                                                                    "assignee": assignee})])
            o.holder = assignee
            o.assigned = True

    # ------------------------------------------------------------ actions: lots

    def _lot_quantity_error(self, o: Ord, quantity: int, now: int) -> str | None:
        if o.declined:
            return "escrow: order declined"
        if quantity == 0:
            return "escrow: zero quantity"
        if quantity > o.open_units:
            return "escrow: quantity above open units"
        if now > o.grace_end:
            return "escrow: shipping window closed"
        return None

    def _ship(self, o: Ord | None, order_id: int, caller: str, quantity: int, shipment: bytes) -> None:
        now = self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif caller != o.a.supplier:
            expect = "escrow: not supplier"
        else:
            expect = self._lot_quantity_error(o, quantity, now)
            if expect is None and o.a.supplier not in self.certified:
                expect = "escrow: supplier not certified"
        late = f" at ship_by{now - o.ship_by:+}" if o else ""
        action = f"ship({order_id}, {quantity}) by {caller[:8]}{late}"
        key = "ship/late" if o and now > o.ship_by else "ship/on-time"
        key += "/hash" if shipment != bytes(32) else "/no-hash"
        out, events = self._act(action, caller, "ship", (order_id, quantity, shipment), expect)
        if expect is None:
            penalty = 0
            if now > o.ship_by:
                penalty = min(o.a.cap, o.a.per_day * ((now - o.ship_by + DAY - 1) // DAY))
            lot = LotM(order=o.id, n=len(o.lots) + 1, quantity=quantity, value=quantity * o.a.price, penalty=penalty,
                       shipment=shipment, at=now, received=False, status=SHIPPED)
            o.lots.append(lot)
            o.shipped += quantity
            self._check_events(action, events, [("LotShipped", {
                "order_id": o.id, "lot": lot.n, "quantity": quantity, "value": lot.value, "penalty_bps": penalty,
                "shipment_hash": shipment,
            })])
            self._record_gas(key, out, caller, "ship", (order_id, quantity, shipment))

    def _receive(self, o: Ord | None, order_id: int, caller: str, quantity: int) -> None:
        now = self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif caller not in o.a.confirmers():
            expect = "escrow: not buyer or inspector"
        else:
            expect = self._lot_quantity_error(o, quantity, now)
        action = f"receive_goods({order_id}, {quantity}) by {caller[:8]}"
        out, events = self._act(action, caller, "receive_goods", (order_id, quantity, h("GR")), expect)
        if expect is None:
            lot = LotM(order=o.id, n=len(o.lots) + 1, quantity=quantity, value=quantity * o.a.price, penalty=0,
                       shipment=bytes(32), at=now, received=True, status=COMPLETED)
            o.lots.append(lot)
            o.shipped += quantity
            expected = [("GoodsReceived", {"order_id": o.id, "lot": lot.n, "quantity": quantity, "value": lot.value,
                                           "penalty_bps": 0, "receiver": caller})]
            expected += self._settle(o, lot, lot.value)
            self._check_events(action, events, expected)

    def _lot_error(self, o: Ord, n: int, status: int, wrong: str) -> str | None:
        lot = self._lot(o, n)
        if lot is None:
            return "escrow: unknown lot"
        if lot.status != status:
            return wrong
        return None

    def _confirm(self, o: Ord | None, order_id: int, n: int, caller: str) -> None:
        self._now()
        expect = None
        if o is None:
            expect = "escrow: unknown order"
        elif caller not in o.a.confirmers():
            expect = "escrow: not buyer or inspector"
        else:
            expect = self._lot_error(o, n, SHIPPED, "escrow: lot not shipped")
        action = f"confirm_delivery({order_id}, {n}) by {caller[:8]}"
        out, events = self._act(action, caller, "confirm_delivery", (order_id, n, h("GRN")), expect)
        if expect is None:
            self._complete(action, o, n, caller, events)

    def _complete(self, action: str, o: Ord, n: int, confirmer: str, events: list) -> None:
        lot = o.lots[n - 1]
        lot.status = COMPLETED
        expected = [("DeliveryConfirmed", {"order_id": o.id, "lot": n, "confirmer": confirmer})]
        expected += self._settle(o, lot, lot.value)
        self._check_events(action, events, expected)

    def _confirm_signed(self, o: Ord | None, order_id: int, n: int, signer: str, relayer: str, offset: int,
                        signed_lot: int, forged_shipment: bool) -> None:
        """`signer` signs a receipt for (order, `signed_lot`, its shipment hash — or a forged one),
        a relayer brings it for lot `n`. A signer "wallet-approve" has the wallet approve the
        digest on chain and relays dummy signature bytes; "wallet" has its owner key sign."""
        e = self.env
        now = self.clock
        deadline = now + offset
        receipt = h(f"signed GRN {order_id}/{n}")
        stored = lambda num: (self._lot(o, num).shipment if o and self._lot(o, num) else bytes(32))  # noqa: E731
        shipment = h("forged ASN") if forged_shipment else stored(signed_lot)
        signed_digest = struct_digest(e.chain_id, self.escrow, order_id, signed_lot, shipment, receipt, deadline)
        true_digest = struct_digest(e.chain_id, self.escrow, order_id, n, stored(n), receipt, deadline)
        if signer == "wallet-approve":
            self._now()
            call = bytes(e.wallet.approve_hash.encode_input(signed_digest))
            self._raw("approve_hash", self.a["owner"], e.wallet.address, call, None)
            self.approved.add(signed_digest)
            signature = sign(e.keys[self.a["stranger"]], h("dummy"))  # well-formed, signs nothing useful
            key_of = None
        else:
            key_of = self.a["owner"] if signer == "wallet" else signer
            signature = sign(e.keys[key_of], signed_digest)
        now = self._now()
        recovered = key_of if signed_digest == true_digest else None
        if signer == "wallet-approve":
            recovered = self.a["stranger"] if h("dummy") == true_digest else None
        expect = None
        if now > deadline:
            expect = "escrow: receipt expired"
        elif o is None:
            expect = "escrow: unknown order"
        else:
            who = self._signer(o.a.buyer, o.a.inspector, recovered, true_digest)
            if who is None:
                expect = "escrow: invalid signature"
            else:
                expect = self._lot_error(o, n, SHIPPED, "escrow: lot not shipped")
        action = (f"confirm_delivery_signed({order_id}, lot {n}) signed by {signer[:8]} for lot {signed_lot}"
                  f"{' (forged shipment)' if forged_shipment else ''}, deadline {offset:+}, relayed by {relayer[:8]}")
        out, events = self._act(action, relayer, "confirm_delivery_signed", (order_id, n, receipt, deadline, signature),
                                expect)
        if expect is None:
            self._complete(action, o, n, who, events)

    def _signer(self, buyer: str, inspector: str, recovered: str | None, digest: bytes) -> str | None:
        """Who the escrow takes a receipt from, mirroring its order: two EOAs share one ecrecover;
        with a contract among them, contracts are asked (ERC-1271) first, then the EOA, if any.
        `recovered` is the key that signed this very digest (None for a mismatch)."""
        contracts = {self.a["wallet"], self.a["rsup"], self.a["rpay"]}
        buyer_c, inspector_c = buyer in contracts, inspector in contracts

        def wallet_says_yes(account: str) -> bool:
            return account == self.a["wallet"] and (recovered == self.a["owner"] or digest in self.approved)

        if not buyer_c and not inspector_c:
            if recovered is not None and (recovered == buyer or (recovered == inspector and inspector != ZERO)):
                return recovered
            return None
        if buyer_c and wallet_says_yes(buyer):
            return buyer
        if inspector_c and wallet_says_yes(inspector):
            return inspector
        eoa = buyer if not buyer_c else (inspector if not inspector_c else ZERO)
        if eoa != ZERO and recovered == eoa:
            return eoa
        return None

    def _release(self, o: Ord | None, order_id: int, n: int, caller: str) -> None:
        now = self._now()
        expect = None
        lot = self._lot(o, n) if o else None
        if o is None:
            expect = "escrow: unknown order"
        else:
            expect = self._lot_error(o, n, SHIPPED, "escrow: lot not shipped")
            if expect is None and now <= lot.review_end(o.a):
                expect = "escrow: review period running"
        edge = f" at review_end{now - lot.review_end(o.a):+}" if lot and not lot.received else ""
        action = f"release({order_id}, {n}) by {caller[:8]}{edge}"
        out, events = self._act(action, caller, "release", (order_id, n), expect)
        if expect is None:
            lot.status = COMPLETED
            expected = [("LotReleased", {"order_id": o.id, "lot": n})] + self._settle(o, lot, lot.value)
            self._check_events(action, events, expected)

    def _dispute(self, o: Ord | None, order_id: int, n: int, caller: str) -> None:
        now = self._now()
        expect = None
        lot = self._lot(o, n) if o else None
        if o is None:
            expect = "escrow: unknown order"
        elif caller not in o.a.confirmers():
            expect = "escrow: not buyer or inspector"
        else:
            expect = self._lot_error(o, n, SHIPPED, "escrow: lot not shipped")
            if expect is None and now > lot.review_end(o.a):
                expect = "escrow: review period over"
        edge = f" at review_end{now - lot.review_end(o.a):+}" if lot and not lot.received else ""
        action = f"dispute({order_id}, {n}) by {caller[:8]}{edge}"
        out, events = self._act(action, caller, "dispute", (order_id, n, h("dent")), expect)
        if expect is None:
            lot.status = DISPUTED
            lot.deadline = now + self.timeout
            self._check_events(action, events, [("LotDisputed", {"order_id": o.id, "lot": n})])
            role = "buyer" if caller == o.a.buyer else "inspector"
            self._record_gas(f"dispute/{role}", out, caller, "dispute", (order_id, n, h("dent")))

    def _resolve(self, o: Ord | None, order_id: int, n: int, caller: str, bps: int) -> None:
        self._now()
        expect = None
        if caller not in self.env.arbiters:
            expect = MISSING_ROLE
        elif o is None:
            expect = "escrow: unknown order"
        elif caller in (o.a.buyer, o.a.supplier, o.a.inspector, o.holder) or caller in [p for p, _ in o.a.payees]:
            expect = "escrow: arbiter is a party"
        else:
            expect = self._lot_error(o, n, DISPUTED, "escrow: lot not disputed")
            if expect is None and bps > BPS:
                expect = "escrow: bps above 10000"
        action = f"resolve({order_id}, {n}, {bps}) by {caller[:8]}"
        out, events = self._act(action, caller, "resolve", (order_id, n, bps), expect)
        if expect is None:
            lot = o.lots[n - 1]
            lot.status = RESOLVED
            expected = [("DisputeResolved", {"order_id": o.id, "lot": n, "supplier_bps": bps})]
            expected += self._settle(o, lot, lot.value * bps // BPS)
            self._check_events(action, events, expected)

    def _resolve_expired(self, o: Ord | None, order_id: int, n: int, caller: str) -> None:
        now = self._now()
        expect = None
        lot = self._lot(o, n) if o else None
        if o is None:
            expect = "escrow: unknown order"
        else:
            expect = self._lot_error(o, n, DISPUTED, "escrow: lot not disputed")
            if expect is None and now <= lot.deadline:
                expect = "escrow: arbitration running"
        edge = f" at deadline{now - lot.deadline:+}" if lot and lot.deadline else ""
        action = f"resolve_expired({order_id}, {n}) by {caller[:8]}{edge}"
        out, events = self._act(action, caller, "resolve_expired", (order_id, n), expect)
        if expect is None:
            lot.status = RESOLVED
            expected = [("DisputeResolved", {"order_id": o.id, "lot": n, "supplier_bps": BPS // 2})]
            expected += self._settle(o, lot, lot.value * (BPS // 2) // BPS)
            self._check_events(action, events, expected)

    def _claim(self, account: str, token: str, recipient: str | None) -> None:
        """``recipient`` None: ``claim(token)``; else ``claim_to(token, recipient)``."""
        self._now()
        to = account if recipient is None else recipient
        credit = self.credits[(account, token)]
        expect = None
        if recipient == ZERO:
            expect = "escrow: zero recipient"
        elif credit == 0:
            expect = "escrow: nothing to claim"
        elif not self._accepts(token, to):
            expect = "escrow: claim transfer failed"
        fn, args = ("claim", (token,)) if recipient is None else ("claim_to", (token, recipient))
        action = f"{fn}({token[:8]}) of {account[:8]} to {to[:8]}, credit {credit}"
        out, events = self._act(action, account, fn, args, expect)
        if expect is None:
            self._check_events(action, events, [("Claimed", {"account": account, "token": token, "amount": credit})])
            self.credits[(account, token)] = 0
            self.balances[(to, token)] += credit
            self.balances[(self.escrow, token)] -= credit

    # ------------------------------------------------------------ gas (SPEC rule 5)

    def _record_gas(self, key: str, out: Outcome, caller: str, fn: str, args: tuple) -> None:
        e = self.env
        actor = e.actors[caller]
        inner = bytes(getattr(e.escrow, fn).encode_input(*args))
        data = inner if actor.via is None else bytes(actor.via.call.encode_input(self.escrow, inner))
        self._flat_gas(key, actor, out, data)

    # ------------------------------------------------------------ drawing arguments

    def _draw_quantity(self, data: Any, room: int) -> int:
        """Mostly 1 .. room; one time in ten 0 or room + 1 (both must revert)."""
        if room and data.draw(st.integers(0, 9), label="valid quantity?"):
            return data.draw(st.integers(1, room), label="quantity")
        return data.draw(st.sampled_from([0, room + 1]), label="bad quantity")

    def _draw_terms(self, data: Any, buyer: str) -> dict:
        e = self.env
        now = self.clock
        token = data.draw(st.sampled_from(e.tokens), label="token")
        supplier = data.draw(st.sampled_from([self.a["supplier"], self.a["supplier2"], self.a["rsup"]]), label="supplier")
        inspectors = [ZERO, self.a["inspector"]] + ([self.a["wallet"]] if buyer != self.a["wallet"] else [])
        prices = [1, 3, 10**15 + 1, 999_999_937] + ([2**128 - 1] if token != ETH else [])
        return dict(
            supplier=supplier,
            token=token,
            price=data.draw(st.sampled_from(prices), label="unit price"),
            max_q=data.draw(st.sampled_from([MAX_UNITS, 10, 2**64 - 1, 45]), label="max quantity"),
            valid_until=now + data.draw(st.sampled_from([365 * DAY, 30 * DAY, 365 * DAY, DAY, 3_600]), label="valid for"),
            review=data.draw(st.sampled_from([DAY, 1, 3_600, 3 * DAY, 90 * DAY]), label="review"),
            inspector=data.draw(st.sampled_from(inspectors), label="inspector"),
            grace=data.draw(st.sampled_from([0, DAY, 5 * DAY, 90 * DAY]), label="grace"),
            per_day=data.draw(st.sampled_from([0, 100, 2_500, 2**16 - 1]), label="penalty per day"),
            cap=data.draw(st.sampled_from([0, 1_000, 10_000, 333]), label="penalty cap"),
        )

    def _draw_payees(self, data: Any, ag: Agr | None, valid: bool) -> list[tuple[str, int]]:
        """A payee list, valid or with one defect; the model works out the reason itself."""
        pool = [self.a["rpay"], self.a["sub1"], self.a["sub2"]]  # the refusing receiver first: credits come early
        count = data.draw(st.sampled_from([2, 3, 1, 0]), label="payee count")
        accounts = data.draw(st.permutations(pool), label="payees")[:count]
        shares = [data.draw(st.integers(1, BPS // max(count, 1)), label="share") for _ in accounts]
        if shares and data.draw(st.booleans(), label="shares sum to exactly 100%?"):
            shares[-1] += BPS - sum(shares)
        payees = list(zip(accounts, shares))
        if valid:
            return payees
        defect = data.draw(st.sampled_from([None] * 4 + ["zero", "party", "zero_share", "duplicate", "over_100"]),
                           label="payee defect")
        at = data.draw(st.integers(0, len(payees)), label="defect position")
        if defect == "zero":
            payees.insert(at, (ZERO, 100))
        elif defect == "party" and ag is not None:
            party = data.draw(st.sampled_from([ag.supplier, ag.buyer, ag.inspector, self.escrow, ag.token]),
                              label="party as payee")
            payees.insert(at, (party, 100))
        elif defect == "zero_share":
            payees.insert(at, (self.a["bank"], 0))
        elif defect == "duplicate" and payees:
            payees.append((payees[min(at, len(payees) - 1)][0], 1))
        elif defect == "over_100":
            payees.append((self.a["bank"], BPS + 1 - sum(s for _, s in payees)))
        return payees

    # ------------------------------------------------------------ rules

    @initialize(data=st.data())
    def open_business(self, data: Any) -> None:
        """Starts every run with one to three accepted agreements and some call-offs driven to
        random stages, so that the rules below find lots in every state; the refusing receivers
        may start out refusing, so that credits (and claims) come early."""
        e = self.env
        for receiver in sorted(e.receivers):
            if data.draw(st.sampled_from([True, True, False]), label="receiver refuses ETH from the start?"):
                self._now()
                self._raw("set_mode(1)", self.a["operator"], receiver, bytes(e.receivers[receiver].set_mode.encode_input(1)), None)
                self.modes[receiver] = 1
        for token in sorted(e.token_contracts):
            for name in ("sub1", "sub2", "supplier"):
                if data.draw(st.sampled_from([True, False, False]), label=f"token blocklists {name} from the start?"):
                    self._now()
                    call = bytes(e.token_contracts[token].set_blocked.encode_input(self.a[name], True))
                    self._raw(f"set_blocked({name})", self.a["operator"], token, call, None)
                    self.blocked.add((token, self.a[name]))
        for _ in range(data.draw(st.integers(1, 3), label="opening agreements")):
            buyer = data.draw(st.sampled_from([self.a["buyer"], self.a["buyer2"], self.a["wallet"]]), label="buyer")
            terms = self._draw_terms(data, buyer)
            terms["valid_until"] = self.clock + 365 * DAY
            self._propose(buyer, terms, None)
            ag = self.agreements[len(self.agreements)]
            self._accept(ag, ag.id, ag.supplier, self._draw_payees(data, ag, valid=True))
        for _ in range(data.draw(st.integers(1, 4), label="opening orders")):
            ag = self.agreements[data.draw(st.sampled_from(sorted(self.agreements)), label="agreement")]
            quantity = data.draw(st.integers(1, 8), label="quantity")
            self._create(ag, ag.id, ag.buyer, quantity, data.draw(st.sampled_from([DAY, 7 * DAY]), label="ship in"),
                         None)
            o = self.orders[len(self.orders)]
            for _ in range(data.draw(st.integers(0, 2), label="opening lots")):
                if not o.open_units:
                    break
                q = data.draw(st.integers(1, o.open_units), label="lot quantity")
                self._ship(o, o.id, o.a.supplier, q, h(f"ASN {o.id}/{len(o.lots) + 1}"))
                if data.draw(st.booleans(), label="dispute it?"):
                    self._dispute(o, o.id, len(o.lots), o.a.buyer)

    @precondition(lambda self: len(self.agreements) < MAX_AGREEMENTS)
    @rule(data=st.data())
    def propose_agreement(self, data: Any) -> None:
        caller = self._pick_caller(data, [self.a["buyer"], self.a["buyer2"], self.a["wallet"]])
        defects = [None] * 12 + [
            "zero_supplier", "buyer_is_supplier", "inspector_is_supplier", "zero_price", "price_too_large",
            "zero_quantity", "quantity_too_large", "valid_until_past", "valid_until_too_far", "bad_review",
            "bad_grace", "bad_cap", "unknown_version", "supplier_no_access", "token_not_contract", "token_not_erc20",
        ]
        self._propose(caller, self._draw_terms(data, caller), data.draw(st.sampled_from(defects), label="defect"))

    @precondition(lambda self: self.agreements)
    @rule(data=st.data())
    def accept_agreement(self, data: Any) -> None:
        ag = self._pick_agreement(data, (PROPOSED,))
        agreement_id = ag.id if data.draw(st.integers(0, 19), label="unknown id?") else len(self.agreements) + 1
        known = self.agreements.get(agreement_id)
        caller = self._pick_caller(data, [ag.supplier])
        self._maybe_on_the_edge(data, ag.valid_until)
        self._accept(known, agreement_id, caller, self._draw_payees(data, ag, valid=False))

    @precondition(lambda self: self.agreements)
    @rule(data=st.data())
    def close_agreement(self, data: Any) -> None:
        ag = self._pick_agreement(data, (PROPOSED, ACTIVE))
        self._close(ag, ag.id, self._pick_caller(data, [ag.buyer, ag.supplier]))

    @precondition(lambda self: self.agreements and len(self.orders) < MAX_ORDERS)
    @rule(data=st.data())
    def create_order(self, data: Any) -> None:
        ag = self._pick_agreement(data, (ACTIVE,))
        agreement_id = ag.id if data.draw(st.integers(0, 19), label="unknown id?") else len(self.agreements) + 1
        known = self.agreements.get(agreement_id)
        caller = self._pick_caller(data, [ag.buyer])
        room = max(0, min(MAX_UNITS, ag.max_q - ag.called))
        quantity = min(self._draw_quantity(data, room), MAX_UNITS + 1)
        defects = [None] * 8 + ["ship_by_now", "ship_by_too_far", "wrong_value", "unexpected_value"]
        defect = data.draw(st.sampled_from(defects), label="defect")
        ship_in = data.draw(st.sampled_from([3_600, DAY, 7 * DAY, 30 * DAY]), label="ship in")
        self._create(known, agreement_id, caller, quantity, ship_in, defect, data)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def decline_order(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: not (o.declined or o.shipped or o.refunded or o.assigned))
        self._decline(o, o.id, self._pick_caller(data, [o.a.supplier]))

    @precondition(lambda self: self.orders and sum(len(o.lots) for o in self.orders.values()) < MAX_LOTS)
    @rule(data=st.data())
    def ship(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: o.open_units > 0)
        quantity = self._draw_quantity(data, o.open_units)
        edge = data.draw(st.sampled_from(["none", "ship_by", "grace_end", "penalty_day"]), label="edge")
        if edge != "none":
            deadline = {"ship_by": o.ship_by, "grace_end": o.grace_end, "penalty_day": o.ship_by + DAY}[edge]
            self._maybe_on_the_edge(data, deadline)
        shipment = data.draw(st.sampled_from([h(f"ASN {o.id}/{len(o.lots) + 1}"), bytes(32)]), label="shipment hash")
        self._ship(o, o.id, self._pick_caller(data, [o.a.supplier]), quantity, shipment)

    @precondition(lambda self: self.orders and sum(len(o.lots) for o in self.orders.values()) < MAX_LOTS)
    @rule(data=st.data())
    def receive_goods(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: o.open_units > 0)
        quantity = self._draw_quantity(data, o.open_units)
        self._maybe_on_the_edge(data, o.grace_end)
        self._receive(o, o.id, self._pick_caller(data, o.a.confirmers()), quantity)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def confirm_delivery(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: any(lot.status == SHIPPED for lot in o.lots))
        n = self._pick_lot(data, o, (SHIPPED,))
        if data.draw(st.booleans(), label="signed receipt?"):
            e = self.env
            signers = [s for s in o.a.confirmers() if s in e.keys]
            if self.a["wallet"] in o.a.confirmers():
                signers += ["wallet", "wallet-approve"]
            if not signers or data.draw(st.integers(0, 9), label="a rightful signer?") < 2:
                signers = [self.a["supplier"], self.a["stranger"]]
            signer = data.draw(st.sampled_from(signers), label="signer")
            relayer = data.draw(st.sampled_from([self.a["stranger"], self.a["supplier"], self.a["operator"],
                                                 self.a["arbiter"]]), label="relayer")
            offset = data.draw(st.sampled_from([DAY, 0, -1, 3_600]), label="deadline offset")
            signed_lot = n if data.draw(st.integers(0, 9), label="receipt for another lot?") else max(1, n - 1)
            forged = data.draw(st.integers(0, 9), label="forged shipment hash?") == 0
            self._confirm_signed(o, o.id, n, signer, relayer, offset, signed_lot, forged)
        else:
            self._confirm(o, o.id, n, self._pick_caller(data, o.a.confirmers()))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def dispute(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: any(lot.status == SHIPPED for lot in o.lots))
        n = self._pick_lot(data, o, (SHIPPED,))
        lot = self._lot(o, n)
        if lot is not None and not lot.received:
            self._maybe_on_the_edge(data, lot.review_end(o.a))
        self._dispute(o, o.id, n, self._pick_caller(data, o.a.confirmers()))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def resolve(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: any(lot.status == DISPUTED for lot in o.lots))
        n = self._pick_lot(data, o, (DISPUTED,))
        arbiters = sorted(self.env.arbiters) + [self.a["stranger"], self.a["admin"]]
        caller = data.draw(st.sampled_from([self.a["arbiter"]] * 3 + arbiters), label="arbiter")
        if data.draw(st.integers(0, 9), label="bps above 10000?") < 9:
            bps = data.draw(st.sampled_from([5_000, 0, BPS, 1, BPS - 1]) | st.integers(0, BPS), label="bps")
        else:
            bps = data.draw(st.integers(BPS + 1, 2**16 - 1), label="bad bps")
        self._resolve(o, o.id, n, caller, bps)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def finish_without_cooperation(self, data: Any) -> None:
        """The calls anyone may make once a deadline ran out: release, refund_expired, resolve_expired."""
        kind = data.draw(st.sampled_from(["release", "refund_expired", "resolve_expired"]), label="path")
        caller = data.draw(st.sampled_from(sorted(self.env.actors)), label="caller")
        if kind == "refund_expired":
            o = self._pick_order(data, lambda o: o.open_units > 0)
            self._maybe_on_the_edge(data, o.grace_end)
            order_id = o.id if data.draw(st.integers(0, 19), label="unknown id?") else self._unknown_order()
            self._refund(self.orders.get(order_id), order_id, caller)
            return
        status = SHIPPED if kind == "release" else DISPUTED
        o = self._pick_order(data, lambda o: any(lot.status == status for lot in o.lots))
        n = self._pick_lot(data, o, (status,))
        lot = self._lot(o, n)
        if lot is not None:
            self._maybe_on_the_edge(data, lot.review_end(o.a) if kind == "release" else lot.deadline)
        (self._release if kind == "release" else self._resolve_expired)(o, o.id, n, caller)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def assign_payout(self, data: Any) -> None:
        o = self._pick_order(data, lambda o: not o.declined)
        caller = self._pick_caller(data, [o.holder])
        pool = [self.a["bank"], self.a["stranger"], self.a["rpay"], o.a.buyer, o.a.supplier, o.holder, ZERO,
                self.escrow, self.a["inspector"], self.a["sub1"]]
        self._assign(o, o.id, caller, data.draw(st.sampled_from(pool), label="assignee"))

    @precondition(lambda self: any(self.credits.values()))
    @rule(data=st.data())
    def claim(self, data: Any) -> None:
        """Mostly an existing credit, claimed to the account itself or (always, for a receiver
        that still refuses) to another recipient; one time in ten anyone claims anything."""
        e = self.env
        owed = sorted(key for key, amount in self.credits.items() if amount)
        if data.draw(st.integers(0, 9), label="claim an existing credit?"):
            account, token = data.draw(st.sampled_from(owed), label="credit")
        else:
            account = data.draw(st.sampled_from(sorted(e.actors)), label="claimant")
            token = data.draw(st.sampled_from(e.tokens), label="token")
        recipient = None
        refuses = not self._accepts(token, account)
        if data.draw(st.integers(0, 9), label="claim_to?") < (8 if refuses else 4):
            recipient = data.draw(st.sampled_from(sorted(e.actors) + [ZERO]), label="recipient")
        self._claim(account, token, recipient)

    @rule(data=st.data())
    def admin_acts(self, data: Any) -> None:
        """pause / unpause / set_arbitration_timeout, by the admin or by someone who may not; SPEC
        rule 6: no agreement, order, lot or running deadline changes."""
        e = self.env
        caller = self._pick_caller(data, [self.a["admin"]])
        kind = data.draw(st.sampled_from(["toggle", "timeout", "again"]), label="admin action")
        self._now()
        before = e.lens.picture()
        expect = MISSING_ROLE if caller != self.a["admin"] else None
        if kind == "timeout":
            seconds = data.draw(st.sampled_from([7 * DAY, 3_600, DAY, 365 * DAY, 3_599, 365 * DAY + 1]), label="timeout")
            if expect is None and not 3_600 <= seconds <= 365 * DAY:
                expect = "escrow: bad timeout"
            action = f"set_arbitration_timeout({seconds}) by {caller[:8]}"
            out, events = self._act(action, caller, "set_arbitration_timeout", (seconds,), expect)
            if expect is None:
                self._check_events(action, events, [("ArbitrationTimeoutSet", {"previous": self.timeout, "current": seconds})])
                self.timeout = seconds
        else:
            pause = self.paused if kind == "again" else not self.paused
            if expect is None and pause == self.paused:
                expect = "pausable: contract is paused" if pause else "pausable: contract is not paused"
            action = f"{'pause' if pause else 'unpause'}() by {caller[:8]}"
            out, events = self._act(action, caller, "pause" if pause else "unpause", (), expect)
            if expect is None:
                self._check_events(action, events, [("Paused" if pause else "Unpaused", {"account": caller})])
                self.paused = pause
        after = e.lens.picture()
        assert after == before, f"after {self.last_action}: an admin action changed agreements, orders or lots (rule 6)"

    @rule(data=st.data())
    def time_passes(self, data: Any) -> None:
        """A few seconds, weeks, or exactly onto a running deadline (or one second past it)."""
        now = self.clock
        kind = data.draw(st.sampled_from(["deadline", "deadline", "seconds", "days"]), label="jump")
        deadlines = sorted({t + data.draw(st.sampled_from([0, 1]), label="+1 s?") for t in self._deadlines()})
        deadlines = [t for t in deadlines if now <= t < 2**40 - 100 * DAY]  # the clock never goes back
        if kind == "deadline" and deadlines:
            self.clock = data.draw(st.sampled_from(deadlines), label="deadline")
        elif kind == "days":
            self.clock = now + data.draw(st.integers(DAY, 45 * DAY), label="dt")
        else:
            self.clock = now + data.draw(st.integers(1, 3_600), label="dt")

    @rule(data=st.data())
    def world_changes(self, data: Any) -> None:
        """A receiver contract starts or stops refusing ETH; a token blocklists or releases an
        account; the certifier revokes or restores supplier2's certification."""
        e = self.env
        kind = data.draw(st.sampled_from(["receiver", "token", "certification"]), label="what changes")
        self._now()
        if kind == "receiver":
            receiver = data.draw(st.sampled_from(sorted(e.receivers)), label="receiver")
            mode = data.draw(st.sampled_from([0, 1]), label="mode")
            call = bytes(e.receivers[receiver].set_mode.encode_input(mode))
            self._raw(f"set_mode({mode}) on {receiver[:8]}", self.a["operator"], receiver, call, None)
            self.modes[receiver] = mode
        elif kind == "token":
            token = data.draw(st.sampled_from(sorted(e.token_contracts)), label="token")
            names = ["sub1", "sub2", "supplier", "supplier2", "bank", "buyer", "wallet"]
            account = self.a[data.draw(st.sampled_from(names), label="account")]
            flag = data.draw(st.booleans(), label="blocked?")
            call = bytes(e.token_contracts[token].set_blocked.encode_input(account, flag))
            self._raw(f"set_blocked({account[:8]}, {flag}) on {token[:8]}", self.a["operator"], token, call, None)
            (self.blocked.add if flag else self.blocked.discard)((token, account))
        else:
            supplier2 = self.a["supplier2"]
            registry = e.registry
            if supplier2 in self.certified:
                call = bytes(registry.revoke_certification.encode_input(PART_ID, 1, supplier2))
                self.certified.discard(supplier2)
            else:
                call = bytes(registry.certify.encode_input(PART_ID, 1, supplier2, FOREVER, h("re-audit")))
                self.certified.add(supplier2)
            self._raw("certification of supplier2 toggled", self.a["certifier"], registry.address, call, None)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def advance(self, data: Any) -> None:
        """The happy path: an unsettled order's rightful party takes the next step the model
        allows (or, with nothing unsettled, an active agreement's buyer places a call-off)."""
        unsettled = sorted(i for i, o in self.orders.items() if not o.settled)
        now = self.clock
        if not unsettled:
            active = sorted(i for i, ag in self.agreements.items() if ag.status == ACTIVE and now < ag.valid_until)
            if active and not self.paused:
                ag = self.agreements[data.draw(st.sampled_from(active), label="agreement")]
                if ag.called < ag.max_q:
                    q = data.draw(st.integers(1, min(MAX_UNITS, ag.max_q - ag.called)), label="quantity")
                    self._create(ag, ag.id, ag.buyer, q, 7 * DAY, None)
            return
        o = self.orders[data.draw(st.sampled_from(unsettled), label="order")]
        shipped = [lot for lot in o.lots if lot.status == SHIPPED]
        disputed = [lot for lot in o.lots if lot.status == DISPUTED]
        if o.open_units and now <= o.grace_end and (not (shipped or disputed) or data.draw(st.booleans(), label="lot?")):
            q = data.draw(st.integers(1, o.open_units), label="lot quantity")
            if data.draw(st.integers(0, 3), label="receive instead of ship?") == 0:
                self._receive(o, o.id, data.draw(st.sampled_from(o.a.confirmers()), label="receiver"), q)
            else:
                self._ship(o, o.id, o.a.supplier, q, h(f"ASN {o.id}/{len(o.lots) + 1}"))
        elif shipped:
            lot = data.draw(st.sampled_from(shipped), label="shipped lot")
            if now > lot.review_end(o.a):
                self._release(o, o.id, lot.n, self.a["stranger"])
            elif data.draw(st.integers(0, 2), label="dispute?") == 0:
                self._dispute(o, o.id, lot.n, data.draw(st.sampled_from(o.a.confirmers()), label="disputer"))
            else:
                self._confirm(o, o.id, lot.n, data.draw(st.sampled_from(o.a.confirmers()), label="confirmer"))
        elif disputed:
            lot = data.draw(st.sampled_from(disputed), label="disputed lot")
            if now > lot.deadline:
                self._resolve_expired(o, o.id, lot.n, self.a["stranger"])
            else:
                self._resolve(o, o.id, lot.n, self.a["arbiter"], data.draw(st.integers(0, BPS), label="bps"))
        elif o.open_units:
            self._refund(o, o.id, self.a["stranger"])

    @precondition(lambda self: any(not o.settled for o in self.orders.values()))
    @rule()
    def settle_everything(self) -> None:
        """SPEC rule 2: once every running deadline passed, calls anyone may make settle every
        order (refund the unshipped units, release shipped lots, split disputes 50/50), whoever
        else — buyer, inspector, supplier, arbiter — stays silent."""
        live = [o for o in self.orders.values() if not o.settled]
        ends = [o.grace_end for o in live if o.open_units]
        ends += [lot.review_end(o.a) for o in live for lot in o.lots if lot.status == SHIPPED]
        ends += [lot.deadline for o in live for lot in o.lots if lot.status == DISPUTED]
        self.clock = max(max(ends) + 1, self.clock)
        stranger = self.a["stranger"]
        for o in live:
            if o.open_units:
                self._refund(o, o.id, stranger)
            for lot in o.lots:
                if lot.status == SHIPPED:
                    self._release(o, o.id, lot.n, stranger)
                elif lot.status == DISPUTED:
                    self._resolve_expired(o, o.id, lot.n, stranger)
            assert o.settled, f"order {o.id} is not settled after settle_everything (SPEC rule 2)"

    # ------------------------------------------------------------ invariants

    def _chain(self) -> tuple:
        """(balances, credits, agreements, orders, lots), read once per transaction."""
        if self._cache is None or self._cache[0] != self.txs:
            self._cache = (self.txs, *self.env.lens.everything())
        return self._cache[1:]

    @invariant()
    def rule1_escrow_holds_what_it_owes(self) -> None:
        STATS["checks"] += 1
        balances, credits, *_ = self._chain()
        for token in self.env.tokens:
            held_for_orders = sum(o.held() for o in self.orders.values() if o.a.token == token)
            owed = sum(amount for (_, t), amount in credits.items() if t == token)
            held = balances[(self.escrow, token)]
            assert held >= held_for_orders + owed, (
                f"rule 1 after {self.last_action}: escrow holds {held} of {token} but owes {held_for_orders}"
                f" (unsettled lots + open units) + {owed} (credits)"
            )
            assert held == held_for_orders + owed, (
                f"after {self.last_action}: escrow holds {held} of {token} != {held_for_orders} + {owed}"
            )

    @invariant()
    def rule1_orders_paid_exactly(self) -> None:
        for o in self.orders.values():
            assert o.paid_out == o.settled_value(), (
                f"rule 1 after {self.last_action}: order {o.id} paid out {o.paid_out}, settled {o.settled_value()}"
            )
            if o.settled:
                assert o.paid_out == o.amount, (
                    f"rule 1 after {self.last_action}: settled order {o.id} paid out {o.paid_out} of {o.amount}"
                )

    @invariant()
    def rule3_payees_never_change(self) -> None:
        _, _, agreements, _, _ = self._chain()
        for ag in self.agreements.values():
            got = agreements[ag.id - 1][-1]
            assert got == ag.payees, f"rule 3 after {self.last_action}: payees_of({ag.id}) {got} != declared {ag.payees}"

    @invariant()
    def rule4_money_moves_only_as_the_model_says(self) -> None:
        balances, credits, *_ = self._chain()
        wrong = {k: (balances[k], self.balances[k]) for k in balances if balances[k] != self.balances[k]}
        assert not wrong, f"rule 4 after {self.last_action}: balances unlike the model (chain, model): {wrong}"
        wrong = {k: (credits[k], self.credits[k]) for k in credits if credits[k] != self.credits[k]}
        assert not wrong, f"rule 4 after {self.last_action}: credit_of unlike the model (chain, model): {wrong}"

    @invariant()
    def views_match_the_model(self) -> None:
        _, _, agreements, orders, lots = self._chain()
        assert len(agreements) == len(self.agreements), f"after {self.last_action}: agreement_count"
        for ag in self.agreements.values():
            terms, buyer, status, called, _ = agreements[ag.id - 1]
            assert (tuple(terms), buyer, status, called) == (ag.terms(), ag.buyer, ag.status, ag.called), (
                f"after {self.last_action}: get_agreement({ag.id}) {(terms, buyer, status, called)} != model"
                f" {(ag.terms(), ag.buyer, ag.status, ag.called)}"
            )
        assert len(orders) == len(self.orders), f"after {self.last_action}: order_count"
        for o in self.orders.values():
            expected = (
                (o.a.id, o.a.buyer, o.a.supplier, o.quantity, o.amount, o.ship_by, o.shipped,
                 (o.quantity - o.shipped) if o.refunded else 0, len(o.lots), o.holder, o.declined),
                o.ship_by, o.grace_end,
            )
            assert orders[o.id - 1] == expected, f"after {self.last_action}: get_order({o.id}) {orders[o.id - 1]} != {expected}"
        want_lots = [
            (o.id, lot.n, (lot.quantity, lot.value, lot.penalty, lot.shipment, lot.at, lot.deadline, lot.status),
             lot.review_end(o.a), lot.deadline)
            for o in self.orders.values() for lot in o.lots
        ]
        assert lots == want_lots, f"after {self.last_action}: lots {lots} != model {want_lots}"


# Seeds of runs that once failed, replayed on every `make test`: a run that fails names its seed
# and the line to add here (seed, what it found). No run of the v2 machine has failed since it
# landed; the entry below is a fixed seed, replayed so that the replay path itself stays tested.
SAVED_SEEDS: list[tuple[int, str]] = [
    (20261127, "fixed replay of the seed path (no failure found)"),
]


def _steps() -> int:
    return STATS["checks"] - STATS["examples"]


def _run_seeded(run_seed: int, examples: int) -> None:
    """One hypothesis run of the machine from ``run_seed``; a failure names the seed to save."""
    STATS["seeds"].append(run_seed)
    try:
        run_state_machine_as_test(seed(run_seed)(EscrowMachine), settings=settings(settings(), max_examples=examples))
    except BaseException as failure:
        failure.add_note(
            f"escrow machine: seed {run_seed} fails. Keep it as a regression: add ({run_seed}, \"what it found\") "
            "to SAVED_SEEDS in tests/stateful/test_escrow_machine.py; replay it alone with "
            f"STATEFUL_SEED={run_seed} ape test tests/stateful"
        )
        raise


def test_escrow_machine__random_runs__keep_spec_rules(env):
    """Random runs; ``STATEFUL_MIN_STEPS`` (``make test-deep``: 10 000) repeats runs with fresh
    seeds until that many steps were checked; ``STATEFUL_SEED`` replays one seed;
    ``STATEFUL_MAX_EXAMPLES`` caps the examples of one run."""
    EscrowMachine.env = env
    examples = int(os.environ.get("STATEFUL_MAX_EXAMPLES", settings().max_examples))
    if os.environ.get("STATEFUL_SEED"):
        _run_seeded(int(os.environ["STATEFUL_SEED"]), examples)
        return
    target = int(os.environ.get("STATEFUL_MIN_STEPS", "0"))
    rng = random.SystemRandom()
    _run_seeded(rng.getrandbits(32), examples)
    while _steps() < target:
        _run_seeded(rng.getrandbits(32), examples)
    assert _steps() >= target


@pytest.mark.parametrize(("run_seed", "found"), SAVED_SEEDS, ids=[str(s) for s, _ in SAVED_SEEDS])
def test_escrow_machine__saved_seeds__still_pass(env, run_seed, found):
    EscrowMachine.env = env
    before = _steps()
    _run_seeded(run_seed, min(settings().max_examples, 10))
    assert _steps() > before, f"seed {run_seed} ({found}) ran no step"
