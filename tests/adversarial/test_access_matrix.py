"""Who may call what: every state-changing function of both v2 contracts × every actor.

The cases are generated from the compiled ABIs (functions whose stateMutability is nonpayable or
payable), not from a list kept by hand, and checked against ``ACCESS`` below, which says for
each function who may call it, with which arguments, and which reason everybody else gets. So:

* a function added to either contract without a row here fails ``test_access_table__...`` and
  every one of its matrix cases, and cannot escape the matrix (the coverage guard);
* for each (function, actor) pair where the actor may not call, the call — made in a state where
  the rightful caller succeeds, which the ``rightful caller`` cases prove in the very same state —
  reverts with a non-empty reason equal to the expected phrase, and moves no money: every
  actor's and the escrow's ETH and token balance and every escrow credit is unchanged, except
  the caller's ETH, which drops by exactly the transaction fee (SPEC rule 4).

Transactions are sent with raw ``eth_sendTransaction`` and the reason is read from Anvil's call
tracer: Ape's own revert path builds a source traceback per revert (~0.5 s) and the matrix has
two hundred of them. Calldata is still encoded from the compiled ABI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import requests
from ape import chain
from eth_abi import decode

from _adv_support import session_state_first, sign_receipt  # noqa: F401  (autouse)
from conftest import DAY, PART_ID, SPEC_V1, SPEC_V2, UNIT_PRICE, URI_V1, URI_V2, ZERO, h, make_terms

ACTORS = ("admin", "oem", "certifier", "buyer", "supplier", "sub1", "inspector", "arbiter", "stranger")
ANYONE = frozenset(ACTORS)
MISSING_ROLE = "access_control: account is missing role"
RENOUNCE_OTHERS = "access_control: can only renounce roles for itself"
NOT_OWNER = "registry: not part owner"
CONFIRMERS = "escrow: not buyer or inspector"
ORPHAN = h("PN-0042 orphaned hinge")
TX_GAS = 3_000_000


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Access:
    """Who may call one function, the arguments that make the rightful call succeed, and the
    revert reason everyone else must get."""

    allowed: frozenset[str]
    args: Callable[["World", str], tuple]  # (world, caller name) -> arguments
    reason: str = ""  # for every actor not allowed ("" when everyone is allowed)
    value: int = 0
    prepare: Callable[["World"], None] | None = None  # brings the state the call needs
    reason_for: dict[str, str] = field(default_factory=dict)  # per-actor exceptions to `reason`


def _only(*names: str) -> frozenset[str]:
    return frozenset(names)


ACCESS: dict[tuple[str, str], Access] = {
    # ------------------------------------------------------------ OrderEscrow: agreements
    ("escrow", "propose_agreement"): Access(
        # Anyone with access to the part may buy; the OEM owns the part and so has access.
        _only("buyer", "oem"),
        lambda w, _: (make_terms(w.a["supplier"], inspector=w.a["inspector"], valid_until=w.now() + 30 * DAY),),
        "escrow: buyer has no access",
        reason_for={"supplier": "escrow: buyer is supplier"},
    ),
    ("escrow", "accept_agreement"): Access(
        _only("supplier"), lambda w, _: (w.ids["proposed"], [(w.a["sub1"], 1_000)]), "escrow: not supplier"
    ),
    ("escrow", "close_agreement"): Access(
        _only("buyer", "supplier"), lambda w, _: (w.ids["agreement"],), "escrow: not a party"
    ),
    # ------------------------------------------------------------ call-off orders
    ("escrow", "create_order"): Access(
        _only("buyer"),
        lambda w, _: (w.ids["agreement"], 10, w.now() + 30 * DAY, h("PO-9")),
        "escrow: not buyer",
        value=10 * UNIT_PRICE,
    ),
    ("escrow", "decline_order"): Access(_only("supplier"), lambda w, _: (w.ids["created"],), "escrow: not supplier"),
    ("escrow", "refund_expired"): Access(ANYONE, lambda w, _: (w.ids["window_closed"],)),
    ("escrow", "assign_payout"): Access(
        _only("supplier"), lambda w, _: (w.ids["created"], w.a["oem"]), "escrow: not payout holder"
    ),
    # ------------------------------------------------------------ lots
    ("escrow", "ship"): Access(_only("supplier"), lambda w, _: (w.ids["created"], 1, h("ASN-9")), "escrow: not supplier"),
    ("escrow", "receive_goods"): Access(
        _only("buyer", "inspector"), lambda w, _: (w.ids["created"], 1, h("GR-9")), CONFIRMERS
    ),
    ("escrow", "confirm_delivery"): Access(
        _only("buyer", "inspector"), lambda w, _: (w.ids["shipped"], 1, h("GRN-9")), CONFIRMERS
    ),
    ("escrow", "confirm_delivery_signed"): Access(
        # Anyone relays; what matters is who signed. Here each actor signs and relays its own receipt.
        _only("buyer", "inspector"),
        lambda w, who: w.signed_receipt(who),
        "escrow: invalid signature",
    ),
    ("escrow", "dispute"): Access(
        _only("buyer", "inspector"), lambda w, _: (w.ids["shipped"], 1, h("dent")), CONFIRMERS
    ),
    ("escrow", "resolve"): Access(_only("arbiter"), lambda w, _: (w.ids["disputed"], 1, 6_000), MISSING_ROLE),
    ("escrow", "release"): Access(ANYONE, lambda w, _: (w.ids["review_over"], 1)),
    ("escrow", "resolve_expired"): Access(ANYONE, lambda w, _: (w.ids["arbitration_over"], 1)),
    # ------------------------------------------------------------ credits
    # Anyone may claim, but only their own credit: sub1 holds the only one.
    ("escrow", "claim"): Access(_only("sub1"), lambda w, _: (w.token.address,), "escrow: nothing to claim"),
    ("escrow", "claim_to"): Access(
        _only("sub1"), lambda w, _: (w.token.address, w.a["stranger"]), "escrow: nothing to claim"
    ),
    # ------------------------------------------------------------ admin and roles
    ("escrow", "pause"): Access(_only("admin"), lambda w, _: (), MISSING_ROLE),
    ("escrow", "unpause"): Access(
        _only("admin"), lambda w, _: (), MISSING_ROLE, prepare=lambda w: w.escrow.pause(sender=w.accounts["admin"])
    ),
    ("escrow", "set_arbitration_timeout"): Access(_only("admin"), lambda w, _: (7 * DAY,), MISSING_ROLE),
    ("escrow", "grantRole"): Access(
        _only("admin"), lambda w, _: (w.escrow.ARBITER_ROLE(), w.a["stranger"]), MISSING_ROLE
    ),
    ("escrow", "revokeRole"): Access(
        _only("admin"), lambda w, _: (w.escrow.ARBITER_ROLE(), w.a["arbiter"]), MISSING_ROLE
    ),
    ("escrow", "renounceRole"): Access(
        _only("arbiter"), lambda w, _: (w.escrow.ARBITER_ROLE(), w.a["arbiter"]), RENOUNCE_OTHERS
    ),
    # ------------------------------------------------------------ PartRegistry (v2)
    ("registry", "register_part"): Access(
        _only("oem"), lambda w, _: (h("PN-0815 hinge"), SPEC_V1, URI_V1), MISSING_ROLE
    ),
    ("registry", "revise_part"): Access(_only("oem"), lambda w, _: (PART_ID, SPEC_V2, URI_V2), NOT_OWNER),
    ("registry", "transfer_part"): Access(_only("oem"), lambda w, _: (PART_ID, w.oem2.address), NOT_OWNER),
    ("registry", "recover_part"): Access(
        # The orphan's owner lost MANUFACTURER_ROLE; only the admin may hand the part on.
        _only("admin"), lambda w, _: (ORPHAN, w.a["oem"]), MISSING_ROLE
    ),
    ("registry", "grant_access"): Access(_only("oem"), lambda w, _: (PART_ID, w.a["stranger"]), NOT_OWNER),
    ("registry", "revoke_access"): Access(_only("oem"), lambda w, _: (PART_ID, w.a["buyer"]), NOT_OWNER),
    ("registry", "share_key"): Access(
        _only("oem"), lambda w, _: (PART_ID, 1, w.a["buyer"], b"\x04" + bytes(96)), NOT_OWNER
    ),
    ("registry", "certify"): Access(
        _only("certifier"), lambda w, _: (PART_ID, 1, w.a["supplier"], w.now() + 100 * DAY, h("audit 2")), MISSING_ROLE
    ),
    ("registry", "revoke_certification"): Access(
        _only("certifier"), lambda w, _: (PART_ID, 1, w.a["supplier"]), MISSING_ROLE
    ),
    ("registry", "grantRole"): Access(
        _only("admin"), lambda w, _: (w.registry.MANUFACTURER_ROLE(), w.a["stranger"]), MISSING_ROLE
    ),
    ("registry", "revokeRole"): Access(
        _only("admin"), lambda w, _: (w.registry.MANUFACTURER_ROLE(), w.a["oem"]), MISSING_ROLE
    ),
    ("registry", "renounceRole"): Access(
        _only("certifier"), lambda w, _: (w.registry.CERTIFIER_ROLE(), w.a["certifier"]), RENOUNCE_OTHERS
    ),
}


def _state_changing(contract_type: Any) -> list[str]:
    names = [
        item.name
        for item in contract_type.abi
        if item.type == "function" and item.stateMutability in ("nonpayable", "payable")
    ]
    assert len(names) == len(set(names)), f"overloaded functions need one table row per signature: {names}"
    return sorted(names)


def _abi_functions() -> list[tuple[str, str]]:
    from ape import project

    return [("escrow", n) for n in _state_changing(project.OrderEscrow.contract_type)] + [
        ("registry", n) for n in _state_changing(project.PartRegistry.contract_type)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrizes the matrix from the ABIs: a function missing from ACCESS still gets its cases
    (all denied) and they fail, so it cannot slip through unnoticed."""
    if "denied" not in metafunc.fixturenames and "granted" not in metafunc.fixturenames:
        return
    pairs = []
    for contract, fn in _abi_functions():
        allowed = ACCESS[(contract, fn)].allowed if (contract, fn) in ACCESS else frozenset()
        for actor in ACTORS:
            if (actor in allowed) == ("granted" in metafunc.fixturenames):
                pairs.append(pytest.param((contract, fn, actor), id=f"{contract}.{fn}-{actor}"))
    metafunc.parametrize("granted" if "granted" in metafunc.fixturenames else "denied", pairs)


# ---------------------------------------------------------------- the world, built once


def _reason(output: str | None) -> str:
    raw = bytes.fromhex((output or "0x")[2:])
    if raw[:4] != bytes.fromhex("08c379a0"):
        return ""
    return decode(["string"], raw[4:])[0]


class World:
    """Agreements and orders in every state a function needs, a credit for sub1, an orphaned part,
    and raw-RPC helpers."""

    def __init__(self, contracts: dict[str, Any], accounts: dict[str, Any], token: Any, lens: Any, oem2: Any):
        self.escrow = contracts["escrow"]
        self.registry = contracts["registry"]
        self.contracts = contracts
        self.accounts = accounts
        self.a = {name: acct.address for name, acct in accounts.items()}
        self.token = token
        self.lens = lens
        self.oem2 = oem2
        self.ids: dict[str, int] = {}
        # A keep-alive session that skips the proxy lookup web3 makes on every request.
        self._uri = chain.provider.web3.provider.endpoint_uri
        self._session = requests.Session()
        self._session.trust_env = False

    def rpc(self, method: str, params: list) -> Any:
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        response = self._session.post(self._uri, json=request).json()
        assert "error" not in response, f"{method}: {response['error']}"
        return response["result"]

    def now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["pending", False])["timestamp"], 16)

    def signed_receipt(self, who: str) -> tuple:
        """`who` signs (v2 EIP-712, computed independently) a receipt for lot 1 of the shipped order."""
        order_id, receipt, deadline = self.ids["shipped"], h("GRN-signed"), self.now() + DAY
        signature = sign_receipt(
            self.accounts[who], chain.chain_id, self.escrow.address, order_id, 1, h("ASN"), receipt, deadline
        )
        return order_id, 1, receipt, deadline, signature

    def money(self) -> dict[tuple[str, str, str], int]:
        """Every tracked balance and escrow credit: {(kind, account, token): amount}."""
        tokens = [ZERO, self.token.address]
        accounts = [*self.a.values(), self.escrow.address, self.oem2.address]
        data = self.lens.money.encode_input(self.escrow.address, tokens, accounts)
        raw = self.rpc("eth_call", [{"to": self.lens.address, "data": "0x" + bytes(data).hex()}, "latest"])
        balances, credits = decode(["uint256[]", "uint256[]"], bytes.fromhex(raw[2:]))
        keys = [(a, t) for t in tokens for a in accounts]
        return {("balance", *k): v for k, v in zip(keys, balances)} | {("credit", *k): v for k, v in zip(keys, credits)}

    def send(self, sender: str, contract: str, fn: str, args: tuple, value: int) -> tuple[bool, str, int]:
        """(succeeded, revert reason, fee paid) of one mined transaction."""
        target = self.contracts[contract]
        data = getattr(target, fn).encode_input(*args)
        tx = {
            "from": sender,
            "to": target.address,
            "data": "0x" + bytes(data).hex(),
            "value": hex(value),
            "gas": hex(TX_GAS),
        }
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        for _ in range(10_000):  # Anvil mines on its own task: the receipt may lag the hash
            if receipt is not None:
                break
            time.sleep(0.001)
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        if int(receipt["status"], 16) == 1:
            return True, "", fee
        trace = self.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        return False, _reason(trace.get("output")), fee


@pytest.fixture(scope="module")
def world(project, accounts, admin, oem, certifier, buyer, supplier, sub1, inspector, arbiter, stranger,
          registry, escrow, part, erc20) -> World:
    actors = dict(admin=admin, oem=oem, certifier=certifier, buyer=buyer, supplier=supplier, sub1=sub1,
                  inspector=inspector, arbiter=arbiter, stranger=stranger)
    oem2, oem3 = accounts.generate_test_account(), accounts.generate_test_account()
    oem3.balance = 10**20
    manufacturer = registry.MANUFACTURER_ROLE()
    registry.grantRole(manufacturer, oem2, sender=admin)
    registry.grantRole(manufacturer, oem3, sender=admin)
    registry.register_part(ORPHAN, SPEC_V1, URI_V1, sender=oem3)
    registry.revokeRole(manufacturer, oem3, sender=admin)  # its part can now only be recovered
    lens = project.MockStatefulLens.deploy(sender=admin)
    w = World({"escrow": escrow, "registry": registry}, actors, erc20, lens, oem2)
    w.rpc("anvil_impersonateAccount", [oem3.address])  # raw transactions need an unlocked sender
    w.oem3 = oem3

    def agreement(token: Any = ZERO, accept: bool = True, **terms: Any) -> int:
        escrow.propose_agreement(
            make_terms(supplier, token=token, inspector=inspector, valid_until=chain.pending_timestamp + 365 * DAY,
                       **terms),
            sender=buyer,
        )
        agreement_id = escrow.agreement_count()
        if accept:
            escrow.accept_agreement(agreement_id, [(sub1, 1_000)], sender=supplier)
        return agreement_id

    w.ids["agreement"] = agreement()
    w.ids["proposed"] = agreement(accept=False)

    def order(stage: str, ship_in: int = 60 * DAY) -> int:
        escrow.create_order(w.ids["agreement"], 10, chain.pending_timestamp + ship_in, h("PO"), sender=buyer,
                            value=10 * UNIT_PRICE)
        order_id = escrow.order_count()
        if stage in ("shipped", "disputed"):
            escrow.ship(order_id, 10, h("ASN"), sender=supplier)
        if stage == "disputed":
            escrow.dispute(order_id, 1, h("dent"), sender=buyer)
        return order_id

    # Orders whose clock must have run out for the calls anyone may make...
    w.ids["window_closed"] = order("created", ship_in=DAY)
    w.ids["review_over"] = order("shipped")
    w.ids["arbitration_over"] = order("disputed")
    # ...and a credit for sub1: an ERC-20 payout pushed while the token blocklisted it.
    credited = agreement(token=erc20)
    erc20.mint(buyer, 10 * UNIT_PRICE, sender=admin)
    erc20.approve(escrow, 10 * UNIT_PRICE, sender=buyer)
    escrow.create_order(credited, 10, chain.pending_timestamp + DAY, h("PO"), sender=buyer)
    erc20.set_blocked(sub1, True, sender=admin)
    escrow.receive_goods(escrow.order_count(), 10, h("GR"), sender=buyer)
    erc20.set_blocked(sub1, False, sender=admin)
    assert escrow.credit_of(sub1, erc20) == UNIT_PRICE

    chain.pending_timestamp += escrow.arbitration_timeout() + 1
    chain.mine()
    # Orders whose clock is still running, made after the jump.
    for stage in ("created", "shipped", "disputed"):
        w.ids[stage] = order(stage)
    return w


# ---------------------------------------------------------------- the tests


def test_access_table__covers_every_state_changing_function__exactly():
    in_abi = set(_abi_functions())
    assert not in_abi - ACCESS.keys(), f"functions with no access row: {sorted(in_abi - ACCESS.keys())}"
    assert not ACCESS.keys() - in_abi, f"rows for functions that no longer exist: {sorted(ACCESS.keys() - in_abi)}"
    for key, access in ACCESS.items():
        assert access.allowed, f"{key}: nobody may call it"
        assert access.reason or access.allowed == ANYONE, f"{key}: no expected reason for the actors denied"


def test_access_matrix__caller_without_the_right__reverts_and_moves_no_money(world, denied):
    contract, fn, actor = denied
    assert (contract, fn) in ACCESS, f"{contract}.{fn} is state-changing but has no row in ACCESS"
    access = ACCESS[(contract, fn)]
    if access.prepare:
        access.prepare(world)
    caller = world.a[actor]
    before = world.money()

    ok, reason, fee = world.send(caller, contract, fn, access.args(world, actor), access.value)

    assert not ok, f"{actor} called {contract}.{fn} and it succeeded"
    assert reason, f"{contract}.{fn} by {actor} reverted without a reason"
    assert reason == access.reason_for.get(actor, access.reason)
    after = world.money()
    before[("balance", caller, ZERO)] -= fee  # the only change allowed: the caller's gas
    moved = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not moved, f"{contract}.{fn} by {actor} moved money (before, after): {moved}"


def test_access_matrix__rightful_caller__succeeds(world, granted):
    contract, fn, actor = granted
    access = ACCESS[(contract, fn)]
    if access.prepare:
        access.prepare(world)

    ok, reason, _ = world.send(world.a[actor], contract, fn, access.args(world, actor), access.value)

    assert ok, f"{actor} may call {contract}.{fn} but it reverted with {reason!r}"


OWNER_FUNCTIONS = {
    "revise_part": lambda w: (ORPHAN, SPEC_V2, URI_V2),
    "transfer_part": lambda w: (ORPHAN, w.oem2.address),
    "grant_access": lambda w: (ORPHAN, w.a["stranger"]),
    "revoke_access": lambda w: (ORPHAN, w.a["buyer"]),
    "share_key": lambda w: (ORPHAN, 1, w.a["buyer"], b"\x04" + bytes(96)),
}


@pytest.mark.parametrize("fn", sorted(OWNER_FUNCTIONS))
def test_access_matrix__part_owner_without_the_role__refused(world, fn):
    """(v2) Owning a part is not enough: its owner must still hold MANUFACTURER_ROLE."""
    assert world.registry.part_owner(ORPHAN) == world.oem3.address
    before = world.money()

    ok, reason, _ = world.send(world.oem3.address, "registry", fn, OWNER_FUNCTIONS[fn](world), 0)

    assert not ok and reason == MISSING_ROLE
    assert world.money() == before
