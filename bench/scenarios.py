"""Drives the contracts on a local chain and measures every state-changing call.

This module talks to the chain (it is the only one in ``bench/`` that does). It deploys fresh
contracts, brings each call into the situation its floor assumes (see ``bench.floor``) and pairs
``tx.gas_used`` with the floor computed from the transaction's own input bytes.

Steady state, so that measurements and floors speak of the same case:

* one order and one part exist before the first measured call (the order counter is non-zero);
* the escrow already holds the ERC-20 (a resident order stays open), so a payout never empties
  its balance word, and the buyer keeps a balance and a finite allowance after paying;
* "existing" payees are funded accounts that already hold the token; "new" payees are empty
  accounts (ETH) or accounts with no token balance (ERC-20);
* every payee is a plain account (no code), cold at the start of the transaction.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from bench import floor as F
from bench.floor import Floor, Receiver
from factorychain.receipts import sign_receipt

ZERO = "0x" + "00" * 20
DAY = 86_400
BPS = 10_000
ETH_AMOUNT = 10**18
TOKEN_AMOUNT = 10**21
SHORT_URI = "ipfs://bafy-bracket-rev-a.enc"
LONG_URI = "ipfs://" + "b" * 245 + ".enc"  # 256 characters, the longest the registry takes
# A contract that refuses everything: put on a payee for one payout to make its push fail.
REVERTING_CODE = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT

assert len(LONG_URI) == 256


def h(text: str) -> bytes:
    return keccak(text=text)


@dataclass
class Measurement:
    """One measured transaction beside its floor."""

    key: str
    call: str
    case: str
    gas: int
    floor: Floor
    txn_hash: str = ""

    @property
    def ratio(self) -> float:
        return self.gas / self.floor.total


@dataclass
class Pass:
    """Everything one run of the call suite measured."""

    calls: dict[str, Measurement] = field(default_factory=dict)
    # payout sweep: money kind -> [(subcontractors, confirm gas, confirm floor)]
    sweep: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    lifecycle: list[Measurement] = field(default_factory=list)
    orders_before: int = 0
    parts_before: int = 0
    transactions: int = 0
    seconds: float = 0.0


class Bench:
    """Fresh deployment plus the helpers every scenario needs."""

    def __init__(self, project: Any, chain: Any, accounts: Any):
        self.project = project
        self.chain = chain
        test = accounts.test_accounts
        self._accounts = accounts
        (self.admin, self.oem, self.certifier, self.buyer, self.supplier, _, _, self.inspector, self.arbiter,
         self.stranger) = (test[i] for i in range(10))
        self.part = h("PN-4711 bracket")
        self.parts_registered = 0
        self._pool: list[Any] = []
        self._serial = 0

    # ------------------------------------------------------------ setup

    def deploy(self) -> None:
        p, admin = self.project, self.admin
        self.registry = p.PartRegistry.deploy(admin, sender=admin)
        self.escrow = p.OrderEscrow.deploy(self.registry, admin, sender=admin)
        self.token = p.MockERC20.deploy("Steel Dollar", "STD", 18, 0, sender=admin)
        self.registry.grantRole(self.registry.MANUFACTURER_ROLE(), self.oem, sender=admin)
        self.registry.grantRole(self.registry.CERTIFIER_ROLE(), self.certifier, sender=admin)
        self.escrow.grantRole(self.escrow.ARBITER_ROLE(), self.arbiter, sender=admin)
        self.registry.register_part(self.part, h("bracket design rev A"), SHORT_URI, sender=self.oem)
        self.parts_registered = 1
        self.registry.grant_access(self.part, self.buyer, sender=self.oem)
        self._admit(self.supplier)
        # The buyer pays in tokens and keeps a balance and an allowance afterwards.
        self.token.mint(self.buyer, 10**30, sender=self.buyer)
        self.token.approve(self.escrow, 10**30, sender=self.buyer)
        self.token.mint(self.supplier, 1, sender=self.admin)
        # The one earlier order: a token order that stays open, so the escrow always holds tokens.
        self.create(erc20=True)

    def _admit(self, supplier: Any) -> None:
        self.registry.grant_access(self.part, supplier, sender=self.oem)
        self.registry.certify(
            self.part, 1, supplier, self.chain.pending_timestamp + 3650 * DAY, h("audit report"), sender=self.certifier
        )

    def fresh_account(self, eth: int = 0) -> Any:
        account = self._accounts.test_accounts.generate_test_account()
        if eth:
            self.chain.provider.set_balance(account.address, eth)
        return account

    def pool(self, size: int) -> list[Any]:
        """Existing payees: funded accounts that already hold some of the token."""
        while len(self._pool) < size:
            account = self.fresh_account(eth=10**18)
            self.token.mint(account, 1, sender=self.admin)
            self._pool.append(account)
        return self._pool[:size]

    def fresh_supplier(self) -> Any:
        """A supplier with ETH for gas, access and a certification, and no token balance."""
        supplier = self.fresh_account(eth=10**19)
        self._admit(supplier)
        return supplier

    def calldata(self, tx: Any) -> bytes:
        return bytes(self.chain.provider.web3.eth.get_transaction(tx.txn_hash)["input"])

    # ------------------------------------------------------------ order steps

    def create(self, *, erc20: bool = False, supplier: Any = None, ship_in: int = 7 * DAY, review: int = 3 * DAY) -> Any:
        supplier = supplier or self.supplier
        amount = TOKEN_AMOUNT if erc20 else ETH_AMOUNT
        self._serial += 1
        return self.escrow.create_order(
            supplier,
            self.part,
            1,
            1_000,
            self.token.address if erc20 else ZERO,
            amount,
            self.chain.pending_timestamp + ship_in,
            review,
            self.inspector,
            h(f"PO-{self._serial}"),
            sender=self.buyer,
            value=0 if erc20 else amount,
        )

    def order(
        self,
        *,
        erc20: bool = False,
        payees: list[Any] = (),
        stage: str = "shipped",
        supplier: Any = None,
        ship_in: int = 7 * DAY,
        review: int = 3 * DAY,
    ) -> tuple[int, dict[str, Any]]:
        """An order advanced to ``stage``; returns its id and the transactions that got it there."""
        supplier = supplier or self.supplier
        txs: dict[str, Any] = {"create": self.create(erc20=erc20, supplier=supplier, ship_in=ship_in, review=review)}
        order_id = txs["create"].return_value
        if stage in ("accepted", "shipped", "disputed"):
            share = BPS // 2 // max(len(payees), 1)
            txs["accept"] = self.escrow.accept_order(order_id, [(p.address, share) for p in payees], sender=supplier)
        if stage in ("shipped", "disputed"):
            txs["ship"] = self.escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
        if stage == "disputed":
            txs["dispute"] = self.escrow.dispute(order_id, h("scratched"), sender=self.buyer)
        return order_id, txs

    # ------------------------------------------------------------ the suite

    def run(self) -> Pass:
        """Every state-changing call once (the payout sweep nine times per money kind)."""
        started = time.monotonic()
        first_block = self.chain.blocks.height
        result = Pass(orders_before=self.escrow.order_count(), parts_before=self.parts_registered)
        self._registry_calls(result)
        self._sweep(result, erc20=False)
        self._sweep(result, erc20=True)
        self._new_receivers(result)
        self._signed(result)
        self._exits(result)
        self._claims(result)
        result.seconds = time.monotonic() - started
        result.transactions = self.chain.blocks.height - first_block  # Anvil mines one per block
        return result

    def _put(self, result: Pass, key: str, call: str, case: str, tx: Any, floor: Floor) -> Measurement:
        m = Measurement(key=key, call=call, case=case, gas=tx.gas_used, floor=floor, txn_hash=str(tx.txn_hash))
        result.calls[key] = m
        return m

    def _registry_calls(self, r: Pass) -> None:
        reg, oem = self.registry, self.oem
        for label, uri in (("short", SHORT_URI), ("256", LONG_URI)):
            self._serial += 1
            pid = h(f"bench part {self._serial}")
            tx = reg.register_part(pid, h(f"spec {self._serial}"), uri, sender=oem)
            self.parts_registered += 1
            case = f"{len(uri)}-char URI"
            self._put(r, f"register_part.{label}", "register_part", case, tx, F.register_part(self.calldata(tx), len(uri)))
            tx = reg.revise_part(pid, h(f"spec {self._serial} rev B"), uri, sender=oem)
            self._put(r, f"revise_part.{label}", "revise_part", case, tx, F.revise_part(self.calldata(tx), len(uri)))
        partner = self.fresh_account(eth=10**18)
        tx = reg.grant_access(self.part, partner, sender=oem)
        self._put(r, "grant_access", "grant_access", "new partner", tx, F.grant_access(self.calldata(tx)))
        tx = reg.certify(self.part, 1, partner, self.chain.pending_timestamp + 365 * DAY, h("audit"), sender=self.certifier)
        self._put(r, "certify", "certify", "new certification", tx, F.certify(self.calldata(tx)))

    def _sweep(self, r: Pass, erc20: bool) -> None:
        """Create, accept with k subcontractors, ship, confirm paying k + 1, for k = 0..8."""
        money = "erc20" if erc20 else "eth"
        label = "ERC-20" if erc20 else "ETH"
        points = []
        for k in range(9):
            payees = self.pool(k)
            order_id, txs = self.order(erc20=erc20, payees=payees)
            confirm = self.escrow.confirm_delivery(order_id, h("GRN"), sender=self.buyer)
            receivers = [Receiver()] * (k + 1)
            fl = F.confirm_delivery(self.calldata(confirm), receivers, erc20=erc20)
            points.append((k, confirm.gas_used, fl.total))
            case = f"{label}, {k + 1} payee{'s' if k else ''}" + (", existing holders" if erc20 else "")
            if k in (0, 3, 8):
                self._put(r, f"confirm_delivery.{money}.{k + 1}", "confirm_delivery", case, confirm, fl)
            if k in (0, 1, 3, 4, 8) and not erc20:
                acc = txs["accept"]
                self._put(r, f"accept_order.{k}", "accept_order", f"{k} subcontractor{'s' if k != 1 else ''}", acc,
                          F.accept_order(self.calldata(acc), k))
            if k == 3:
                create = txs["create"]
                m_create = self._put(r, f"create_order.{money}", "create_order", label, create,
                                     F.create_order(self.calldata(create), erc20=erc20))
                if not erc20:
                    ship = txs["ship"]
                    m_ship = self._put(r, "mark_shipped", "mark_shipped", "by the supplier", ship, F.mark_shipped(self.calldata(ship)))
                    r.lifecycle = [m_create, r.calls["accept_order.3"], m_ship, r.calls["confirm_delivery.eth.4"]]
        r.sweep[money] = points

    def _new_receivers(self, r: Pass) -> None:
        """Payouts where every receiver's balance word must be created."""
        for k in (0, 3, 8):
            supplier = self.fresh_supplier()
            payees = [self.fresh_account() for _ in range(k)]
            order_id, _ = self.order(erc20=True, payees=payees, supplier=supplier)
            tx = self.escrow.confirm_delivery(order_id, h("GRN"), sender=self.buyer)
            fl = F.confirm_delivery(self.calldata(tx), [Receiver(new=True)] * (k + 1), erc20=True)
            self._put(r, f"confirm_delivery.erc20new.{k + 1}", "confirm_delivery",
                      f"ERC-20, {k + 1} payee{'s' if k else ''}, new holders", tx, fl)
        payees = [self.fresh_account() for _ in range(8)]
        order_id, _ = self.order(payees=payees)
        tx = self.escrow.confirm_delivery(order_id, h("GRN"), sender=self.buyer)
        fl = F.confirm_delivery(self.calldata(tx), [Receiver(new=True)] * 8 + [Receiver()], erc20=False)
        self._put(r, "confirm_delivery.ethnew.9", "confirm_delivery", "ETH, 9 payees, 8 empty accounts", tx, fl)

    def _signed(self, r: Pass) -> None:
        payees = self.pool(3)
        order_id, _ = self.order(payees=payees)
        deadline = self.chain.pending_timestamp + DAY
        receipt = sign_receipt(self.inspector.private_key, order_id, h("GRN"), deadline, self.chain.chain_id, self.escrow.address)
        tx = self.escrow.confirm_delivery_signed(*receipt.as_args(), sender=self.stranger)
        fl = F.confirm_delivery_signed(self.calldata(tx), [Receiver()] * 4)
        self._put(r, "confirm_delivery_signed.eth.4", "confirm_delivery_signed", "ETH, 4 payees, EOA inspector, relayed", tx, fl)

    def _exits(self, r: Pass) -> None:
        esc = self.escrow
        order_id, _ = self.order(stage="created")
        tx = esc.cancel_order(order_id, sender=self.buyer)
        self._put(r, "cancel_order", "cancel_order", "ETH, refund to the caller", tx, F.cancel_order(self.calldata(tx)))

        shipped_id, _ = self.order()
        tx = esc.dispute(shipped_id, h("scratched"), sender=self.buyer)
        self._put(r, "dispute", "dispute", "by the buyer", tx, F.dispute(self.calldata(tx)))

        sub = self.pool(1)
        disputed_id, _ = self.order(payees=sub, stage="disputed")
        tx = esc.resolve(disputed_id, 5_000, sender=self.arbiter)
        self._put(r, "resolve", "resolve", "ETH, 50% to supplier side (1 sub), rest to buyer", tx,
                  F.resolve(self.calldata(tx), [Receiver()] * 2, Receiver()))

        # Orders whose clocks run out together: one time jump serves all three.
        late_id, _ = self.order(stage="accepted", ship_in=DAY)
        silent_id, _ = self.order(review=DAY)
        expired_id, _ = self.order(payees=sub, stage="disputed")
        self.chain.pending_timestamp += 31 * DAY
        tx = esc.refund_expired(late_id, sender=self.stranger)
        self._put(r, "refund_expired", "refund_expired", "ETH, by a keeper", tx, F.refund_expired(self.calldata(tx)))
        tx = esc.release(silent_id, sender=self.stranger)
        self._put(r, "release", "release", "ETH, 1 payee, by a keeper", tx, F.release(self.calldata(tx), [Receiver()]))
        tx = esc.resolve_expired(expired_id, sender=self.stranger)
        self._put(r, "resolve_expired", "resolve_expired", "ETH, 50/50, 1 sub, by a keeper", tx,
                  F.resolve(self.calldata(tx), [Receiver()] * 2, Receiver(), expired=True))

    def _claims(self, r: Pass) -> None:
        """A payee whose push failed (it had reverting code, or the token blocked it) claims."""
        esc, provider = self.escrow, self.chain.provider
        payee = self.fresh_account(eth=10**18)
        self.token.mint(payee, 1, sender=self.admin)
        provider.set_code(payee.address, REVERTING_CODE)
        order_id, _ = self.order(payees=[payee])
        esc.confirm_delivery(order_id, h("GRN"), sender=self.buyer)
        provider.set_code(payee.address, b"")
        self.token.set_blocked(payee, True, sender=self.admin)
        order_id, _ = self.order(erc20=True, payees=[payee])
        esc.confirm_delivery(order_id, h("GRN"), sender=self.buyer)
        self.token.set_blocked(payee, False, sender=self.admin)
        assert esc.credit_of(payee, ZERO) > 0 and esc.credit_of(payee, self.token) > 0, "no credit to claim"
        tx = esc.claim(ZERO, sender=payee)
        self._put(r, "claim.eth", "claim", "ETH", tx, F.claim(self.calldata(tx)))
        tx = esc.claim(self.token, sender=payee)
        self._put(r, "claim.erc20", "claim", "ERC-20, existing holder", tx, F.claim(self.calldata(tx), erc20=True))

    # ------------------------------------------------------------ scale

    def fill(self, parts: int, orders: int) -> float:
        """``parts`` more parts and ``orders`` more ETH orders. The test accounts are unlocked in
        Anvil, so the transactions go as bare ``eth_sendTransaction`` requests with a fixed gas
        limit (no signing, no estimate), a few hundred per JSON-RPC batch, queued with automine off
        and then mined: a thousand take seconds, not minutes."""
        started = time.monotonic()
        provider = self.chain.provider
        count_before = self.escrow.order_count()
        ship_by = self.chain.pending_timestamp + 365 * DAY
        nonces = {a.address: a.nonce for a in (self.oem, self.buyer)}
        txs = [
            self._tx(self.oem, self.registry, self.registry.register_part.encode_input(
                h(f"fill part {i}"), h(f"fill spec {i}"), SHORT_URI), nonces)
            for i in range(parts)
        ] + [
            self._tx(self.buyer, self.escrow, self.escrow.create_order.encode_input(
                self.supplier, self.part, 1, 1, ZERO, 1, ship_by, DAY, self.inspector, h(f"fill PO {i}")), nonces, value=1)
            for i in range(orders)
        ]
        hashes: list[str] = []
        provider.make_request("evm_setAutomine", [False])
        try:
            for i in range(0, len(txs), 250):
                hashes += self._batch("eth_sendTransaction", txs[i : i + 250])
            while int(provider.make_request("txpool_status", [])["pending"], 16):
                provider.make_request("evm_mine", [])
        finally:
            provider.make_request("evm_setAutomine", [True])
        failed = [r for r in self._batch("eth_getTransactionReceipt", hashes) if not r or int(r["status"], 16) != 1]
        assert not failed, f"fill: {len(failed)} transactions failed"
        assert self.escrow.order_count() == count_before + orders, "fill: not every order was created"
        self.parts_registered += parts
        return time.monotonic() - started

    @staticmethod
    def _tx(sender: Any, to: Any, data: bytes, nonces: dict[str, int], value: int = 0) -> dict[str, str]:
        nonce = nonces[sender.address]
        nonces[sender.address] += 1  # explicit: a batch is handled concurrently
        return {"from": sender.address, "to": to.address, "data": "0x" + bytes(data).hex(), "value": hex(value),
                "gas": hex(400_000), "nonce": hex(nonce)}

    def _batch(self, method: str, params: list[Any]) -> list[Any]:
        """One JSON-RPC batch request: ``method`` once per element of ``params``, results in order."""
        body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": [p]} for i, p in enumerate(params)])
        request = urllib.request.Request(self.chain.provider.http_uri, body.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            answers = sorted(json.loads(response.read()), key=lambda a: a["id"])
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"{method}: {errors[0]}")
        return [a["result"] for a in answers]

def hypothesis_rate(bench: Bench, examples: int) -> dict[str, float]:
    """Examples per second of a small @given loop on Anvil: each example isolates itself
    (snapshot/revert), creates an order, reads it back and cancels it."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    chain, esc = bench.chain, bench.escrow

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=("generate",))
    @given(amount=st.integers(1, 2**96 - 1), review=st.integers(1, 90 * DAY))
    def body(amount: int, review: int) -> None:
        with chain.isolate():
            tx = esc.create_order(bench.supplier, bench.part, 1, 1, ZERO, amount, chain.pending_timestamp + DAY,
                                  review, ZERO, h("PO"), sender=bench.buyer, value=amount)
            order_id = tx.return_value
            assert esc.get_order(order_id).amount == amount
            esc.cancel_order(order_id, sender=bench.buyer)
            assert esc.status(order_id) == 64

    started = time.monotonic()
    body()
    seconds = time.monotonic() - started
    return {"examples": examples, "seconds": round(seconds, 2), "per_second": round(examples / seconds, 2)}
