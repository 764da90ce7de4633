"""Drives the contracts on a local chain and measures every state-changing call (escrow v2).

This module talks to the chain (it is the only one in ``bench/`` that does, with
``bench.variants``' deploy helper). It deploys fresh contracts, brings each call into the
situation its floor assumes (see ``bench.floor``) and pairs ``tx.gas_used`` with the floor
computed from the transaction's own input bytes.

Steady state, so that measurements and floors speak of the same case:

* the buyer is the OEM that owns the part (the usual call-off: a manufacturer buying parts built
  to its own design); one extra row has a buyer that only holds a grant;
* the escrow already holds the ERC-20 (a resident ERC-20 order stays open), so a payout never
  empties its balance word, and the buyer keeps a balance and a finite allowance after paying;
* "existing" payees are funded accounts that already hold the token; "new" payees are empty
  accounts (ETH) or accounts with no token balance (ERC-20);
* every payee is a plain account (no code), cold at the start of the transaction;
* lots ship on time (no penalty) unless the case says "late".

The four headline scenarios of issue 10 (``Scenarios``) run on their own fresh deployment.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from bench import floor as F
from factorychain.receipts import build_receipt
from bench.floor import Floor, Receiver

ZERO = "0x" + "00" * 20
DAY = 86_400
BPS = 10_000
# Issue 10's scenarios: 1 000 units at 0.0125 ETH, 5 days' grace, 1 %/day capped at 10 %.
UNIT_PRICE = 125 * 10**14
TOKEN_UNIT_PRICE = 10**18
QUANTITY = 1_000
REVIEW = 3 * DAY
GRACE = 5 * DAY
PENALTY_PER_DAY = 100
PENALTY_CAP = 1_000
MAX_QUANTITY = 2**63  # room for every call-off of both passes and the fill
SHARES = (1_500, 800, 500, 400, 300, 200, 200, 100)  # subcontractor i's share, in basis points
SHORT_URI = "ipfs://bafy-bracket-rev-a.enc"
LONG_URI = "ipfs://" + "b" * 245 + ".enc"  # 256 characters, the longest the registry takes
ENVELOPE = (keccak(text="envelope") * 6)[:165]  # the SDK's ECIES envelope is 165 bytes
# A contract that refuses everything: put on a payee for one payout to make its push fail.
REVERTING_CODE = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT

assert len(LONG_URI) == 256

# The four scenarios of issue 10, their targets, and what they are compared with.
TARGETS = {"repeat3": 270_000, "receive3": 195_000, "receive1": 155_000, "first3": 560_000}
SCENARIO_STEPS = {
    "repeat3": "create_order + ship (one lot) + confirm_delivery, paying the supplier and 3 subcontractors; "
    "the second call-off under the agreement",
    "receive3": "create_order + receive_goods, paying the supplier and 3 subcontractors",
    "receive1": "create_order + receive_goods, paying the supplier alone (no subcontractor)",
    "first3": "propose_agreement + accept_agreement (3 subcontractors) + create_order + ship + confirm_delivery",
}


def h(text: str) -> bytes:
    return keccak(text=text)


def dense(t: int) -> int:
    """The first time within the hour from ``t`` whose significant bytes are all non-zero, so that a
    time argument costs the same calldata gas on every run (a zero byte is 12 gas cheaper); ``t``
    itself in the rare window where no such time is that close."""
    for candidate in range(t, t + 3_600):
        if 0 not in candidate.to_bytes((candidate.bit_length() + 7) // 8, "big"):
            return candidate
    return t


def sign_receipt(private_key: str, chain_id: int, escrow: str, order_id: int, lot: int, shipment_hash: bytes,
                 receipt_hash: bytes, deadline: int) -> bytes:
    """An EIP-712 `DeliveryReceipt` signed with eth_account, typed data from the SDK's `build_receipt`
    (the SDK's `sign_receipt` checks the deadline against the wall clock; the bench runs on chain time)."""
    typed = build_receipt(order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    return bytes(Account.sign_message(encode_typed_data(full_message=typed), private_key).signature)


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
    agreements_before: int = 0
    orders_before: int = 0
    lots_before: int = 0  # lots of the deep order before its next lot
    parts_before: int = 0
    transactions: int = 0
    seconds: float = 0.0


class Bench:
    """A deployment plus the helpers every scenario needs. ``escrow_container`` replaces
    ``project.OrderEscrow`` (a compiler variant, see ``bench.variants``)."""

    def __init__(self, project: Any, chain: Any, accounts: Any, escrow_container: Any = None):
        self.project = project
        self.chain = chain
        self.escrow_container = escrow_container or project.OrderEscrow
        test = accounts.test_accounts
        self._accounts = accounts
        (self.admin, self.oem, self.certifier, self.grantee, self.supplier, self.sub1, self.sub2, self.inspector,
         self.arbiter, self.stranger) = (test[i] for i in range(10))
        self.buyer = self.oem  # the part's owner buys (see the module docstring)
        self.part = h("PN-4711 bracket")
        self.parts_registered = 0
        self._pool: list[Any] = []
        self._serial = 0
        self._agreements: dict[tuple[str, int], int] = {}

    # ------------------------------------------------------------ setup

    def deploy_core(self) -> None:
        """Registry, escrow, the part, the supplier admitted and certified: what every scenario needs."""
        p, admin = self.project, self.admin
        self.registry = p.PartRegistry.deploy(admin, sender=admin)
        self.escrow = self.escrow_container.deploy(self.registry, admin, sender=admin)
        self.registry.grantRole(self.registry.MANUFACTURER_ROLE(), self.oem, sender=admin)
        self.registry.grantRole(self.registry.CERTIFIER_ROLE(), self.certifier, sender=admin)
        self.registry.register_part(self.part, h("bracket design rev A"), SHORT_URI, sender=self.oem)
        self.parts_registered = 1
        self._admit(self.supplier)

    def deploy(self) -> None:
        """``deploy_core`` plus the token, the arbiter, a grantee buyer, the resident ERC-20 order and
        the deep order whose lots the fill multiplies."""
        self.deploy_core()
        admin = self.admin
        self.token = self.project.MockERC20.deploy("Steel Dollar", "STD", 18, 0, sender=admin)
        self.escrow.grantRole(self.escrow.ARBITER_ROLE(), self.arbiter, sender=admin)
        self.registry.grant_access(self.part, self.grantee, sender=self.oem)
        for buyer in (self.buyer, self.grantee):
            self.token.mint(buyer, 10**40, sender=buyer)
            self.token.approve(self.escrow, 10**40, sender=buyer)
        self.token.mint(self.supplier, 1, sender=admin)
        # The resident token order: stays open, so the escrow always holds tokens.
        resident, _ = self.agreement(erc20=True, subs=0)
        self.create(resident, erc20=True)
        # The main agreement (ETH, 3 subcontractors) that the fill loads with 1 000 orders, and the
        # deep order that the fill loads with 1 000 lots; it has one settled lot to start with.
        self.main, _ = self.agreement(subs=3)
        self.deep = self.create(self.main, quantity=10_000, ship_in=365 * DAY).return_value
        self.escrow.ship(self.deep, 1, h("ASN deep 1"), sender=self.supplier)
        self.escrow.confirm_delivery(self.deep, 1, h("GRN deep 1"), sender=self.buyer)

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
            if hasattr(self, "token"):
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

    # ------------------------------------------------------------ agreement, order and lot steps

    def terms(self, *, erc20: bool = False, supplier: Any = None, inspector: Any = None) -> tuple:
        supplier = supplier or self.supplier
        inspector = self.inspector if inspector is None else inspector
        return (
            supplier.address,
            self.part,
            1,
            self.token.address if erc20 else ZERO,
            TOKEN_UNIT_PRICE if erc20 else UNIT_PRICE,
            MAX_QUANTITY,
            dense(self.chain.pending_timestamp + 3650 * DAY),
            REVIEW,
            getattr(inspector, "address", inspector),
            GRACE,
            PENALTY_PER_DAY,
            PENALTY_CAP,
        )

    def agreement(
        self,
        *,
        erc20: bool = False,
        subs: int = 0,
        payees: list[Any] | None = None,
        supplier: Any = None,
        buyer: Any = None,
    ) -> tuple[int, dict[str, Any]]:
        """A new ACTIVE agreement with ``subs`` existing payees (or the given ``payees``)."""
        supplier = supplier or self.supplier
        payees = self.pool(subs) if payees is None else payees
        txs = {"propose": self.escrow.propose_agreement(self.terms(erc20=erc20, supplier=supplier),
                                                         sender=buyer or self.buyer)}
        agreement_id = txs["propose"].return_value
        txs["accept"] = self.escrow.accept_agreement(
            agreement_id, [(p.address, SHARES[i]) for i, p in enumerate(payees)], sender=supplier
        )
        return agreement_id, txs

    def agreement_for(self, *, erc20: bool = False, subs: int = 0) -> int:
        """The pass's agreement for this money and payee count (created on first use)."""
        key = ("erc20" if erc20 else "eth", subs)
        if key not in self._agreements:
            self._agreements[key], _ = self.agreement(erc20=erc20, subs=subs)
        return self._agreements[key]

    def create(self, agreement_id: int, *, erc20: bool = False, quantity: int = QUANTITY, ship_in: int = 30 * DAY,
               buyer: Any = None) -> Any:
        self._serial += 1
        price = TOKEN_UNIT_PRICE if erc20 else UNIT_PRICE
        return self.escrow.create_order(
            agreement_id, quantity, dense(self.chain.pending_timestamp + ship_in), h(f"PO-{self._serial}"),
            sender=buyer or self.buyer, value=0 if erc20 else quantity * price,
        )

    def order(self, agreement_id: int, *, erc20: bool = False, stage: str = "shipped", ship_in: int = 30 * DAY,
              supplier: Any = None) -> tuple[int, dict[str, Any]]:
        """A call-off of ``QUANTITY`` units advanced to ``stage`` (created, shipped, disputed)."""
        txs: dict[str, Any] = {"create": self.create(agreement_id, erc20=erc20, ship_in=ship_in)}
        order_id = txs["create"].return_value
        if stage in ("shipped", "disputed"):
            txs["ship"] = self.escrow.ship(order_id, QUANTITY, h(f"ASN-{order_id}"), sender=supplier or self.supplier)
        if stage == "disputed":
            txs["dispute"] = self.escrow.dispute(order_id, 1, h("scratched"), sender=self.buyer)
        return order_id, txs

    # ------------------------------------------------------------ the call suite

    def run(self) -> Pass:
        """Every state-changing call once (the payout sweep nine times per money kind)."""
        started = time.monotonic()
        first_block = self.chain.blocks.height
        self._agreements = {}
        result = Pass(
            agreements_before=self.escrow.agreement_count(),
            orders_before=self.escrow.order_count(),
            lots_before=self.escrow.get_order(self.deep).lot_count,
            parts_before=self.parts_registered,
        )
        self._registry_calls(result)
        self._agreement_calls(result)
        self._sweep(result, erc20=False)
        self._sweep(result, erc20=True)
        self._new_receivers(result)
        self._receive(result)
        self._deep_order(result)
        self._signed(result)
        self._assigned(result)
        self._exits(result)
        self._claims(result)
        self._admin(result)
        result.seconds = time.monotonic() - started
        result.transactions = self.chain.blocks.height - first_block  # Anvil mines one per block
        return result

    def _put(self, result: Pass, key: str, call: str, case: str, tx: Any, floor: Callable[[bytes], Floor]) -> Measurement:
        m = Measurement(key=key, call=call, case=case, gas=tx.gas_used, floor=floor(self.calldata(tx)),
                        txn_hash=str(tx.txn_hash))
        result.calls[key] = m
        return m

    def _registry_calls(self, r: Pass) -> None:
        reg, oem, admin = self.registry, self.oem, self.admin
        for label, uri in (("short", SHORT_URI), ("256", LONG_URI)):
            self._serial += 1
            pid = h(f"bench part {self._serial}")
            tx = reg.register_part(pid, h(f"spec {self._serial}"), uri, sender=oem)
            self.parts_registered += 1
            case = f"{len(uri)}-char URI"
            self._put(r, f"register_part.{label}", "register_part", case, tx, lambda cd, n=len(uri): F.register_part(cd, n))
            tx = reg.revise_part(pid, h(f"spec {self._serial} rev B"), uri, sender=oem)
            self._put(r, f"revise_part.{label}", "revise_part", case, tx, lambda cd, n=len(uri): F.revise_part(cd, n))
        partner = self.fresh_account(eth=10**18)
        tx = reg.grant_access(self.part, partner, sender=oem)
        self._put(r, "grant_access", "grant_access", "new partner", tx, F.grant_access)
        tx = reg.certify(self.part, 1, partner, self.chain.pending_timestamp + 365 * DAY, h("audit"), sender=self.certifier)
        self._put(r, "certify", "certify", "new certification", tx, F.certify)
        tx = reg.share_key(self.part, 1, partner, ENVELOPE, sender=oem)
        self._put(r, "share_key", "share_key", f"{len(ENVELOPE)}-byte envelope (the SDK's)", tx,
                  lambda cd: F.share_key(cd, len(ENVELOPE)))
        tx = reg.revoke_certification(self.part, 1, partner, sender=self.certifier)
        self._put(r, "revoke_certification", "revoke_certification", "live certification", tx, F.revoke_certification)
        tx = reg.revoke_access(self.part, partner, sender=oem)
        self._put(r, "revoke_access", "revoke_access", "partner with a grant", tx, F.revoke_access)
        # A second manufacturer takes a part over, loses its role, and the admin recovers the part.
        self._serial += 1
        maker = self.fresh_account(eth=10**18)
        reg.grantRole(reg.MANUFACTURER_ROLE(), maker, sender=admin)
        pid = h(f"bench part {self._serial}")
        reg.register_part(pid, h(f"spec {self._serial}"), SHORT_URI, sender=oem)
        self.parts_registered += 1
        tx = reg.transfer_part(pid, maker, sender=oem)
        self._put(r, "transfer_part", "transfer_part", "previous owner held no grant", tx, F.transfer_part)
        reg.revokeRole(reg.MANUFACTURER_ROLE(), maker, sender=admin)
        tx = reg.recover_part(pid, oem, sender=admin)
        self._put(r, "recover_part", "recover_part", "owner lost the role, back to the OEM", tx, F.recover_part)

    def _agreement_calls(self, r: Pass) -> None:
        esc = self.escrow
        tx = esc.propose_agreement(self.terms(), sender=self.buyer)
        self._put(r, "propose_agreement.eth", "propose_agreement", "ETH, inspector set, buyer owns the part", tx,
                  F.propose_agreement)
        tx = esc.close_agreement(tx.return_value, sender=self.buyer)
        self._put(r, "close_agreement", "close_agreement", "proposed, by the buyer", tx, F.close_agreement)
        tx = esc.propose_agreement(self.terms(erc20=True), sender=self.buyer)
        self._put(r, "propose_agreement.erc20", "propose_agreement", "ERC-20, inspector set", tx,
                  lambda cd: F.propose_agreement(cd, erc20=True))
        # A buyer that holds a grant but does not own the part: the registry reads one word more.
        agreement_id, txs = self.agreement(buyer=self.grantee)
        tx = self.create(agreement_id, buyer=self.grantee)
        self._put(r, "create_order.eth.grantee", "create_order", "ETH, buyer holds a grant (not the owner)", tx,
                  F.create_order)
        # Declined by the supplier: everything back to the buyer.
        tx = esc.decline_order(tx.return_value, sender=self.supplier)
        self._put(r, "decline_order", "decline_order", "ETH, refund to the buyer", tx, F.decline_order)

    def _sweep(self, r: Pass, erc20: bool) -> None:
        """Propose, accept with k subcontractors, create, ship, confirm paying k + 1, for k = 0..8."""
        money = "erc20" if erc20 else "eth"
        label = "ERC-20" if erc20 else "ETH"
        points = []
        for k in range(9):
            agreement_id, atxs = self.agreement(erc20=erc20, subs=k)
            self._agreements[(money, k)] = agreement_id
            order_id, txs = self.order(agreement_id, erc20=erc20)
            confirm = self.escrow.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
            fl = F.confirm_delivery(self.calldata(confirm), [Receiver()] * (k + 1), erc20=erc20)
            points.append((k, confirm.gas_used, fl.total))
            case = f"{label}, {k + 1} payee{'s' if k else ''}" + (", existing holders" if erc20 else "")
            if k in (0, 3, 8):
                self._put(r, f"confirm_delivery.{money}.{k + 1}", "confirm_delivery", case, confirm,
                          lambda cd, k=k: F.confirm_delivery(cd, [Receiver()] * (k + 1), erc20=erc20))
            if k in (0, 1, 3, 4, 8) and not erc20:
                self._put(r, f"accept_agreement.{k}", "accept_agreement", f"{k} subcontractor{'s' if k != 1 else ''}",
                          atxs["accept"], lambda cd, k=k: F.accept_agreement(cd, k))
            if k == 3:
                self._put(r, f"create_order.{money}", "create_order", label, txs["create"],
                          lambda cd: F.create_order(cd, erc20=erc20))
                if not erc20:
                    self._put(r, "ship", "ship", "one lot, on time, by the supplier", txs["ship"], F.ship)
        r.sweep[money] = points

    def _new_receivers(self, r: Pass) -> None:
        """Payouts where every receiver's balance word must be created."""
        for k in (0, 3, 8):
            supplier = self.fresh_supplier()
            agreement_id, _ = self.agreement(erc20=True, payees=[self.fresh_account() for _ in range(k)], supplier=supplier)
            order_id, _ = self.order(agreement_id, erc20=True, supplier=supplier)
            tx = self.escrow.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
            self._put(r, f"confirm_delivery.erc20new.{k + 1}", "confirm_delivery",
                      f"ERC-20, {k + 1} payee{'s' if k else ''}, new holders", tx,
                      lambda cd, k=k: F.confirm_delivery(cd, [Receiver(new=True)] * (k + 1), erc20=True))
        agreement_id, _ = self.agreement(payees=[self.fresh_account() for _ in range(8)])
        order_id, _ = self.order(agreement_id)
        tx = self.escrow.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
        self._put(r, "confirm_delivery.ethnew.9", "confirm_delivery", "ETH, 9 payees, 8 empty accounts", tx,
                  lambda cd: F.confirm_delivery(cd, [Receiver(new=True)] * 8 + [Receiver()]))

    def _receive(self, r: Pass) -> None:
        """Goods received without a shipping notice: a completed lot, paid at once."""
        esc = self.escrow
        for k in (0, 3, 8):
            order_id, _ = self.order(self.agreement_for(subs=k), stage="created")
            tx = esc.receive_goods(order_id, QUANTITY, h("GRN"), sender=self.buyer)
            self._put(r, f"receive_goods.eth.{k + 1}", "receive_goods", f"ETH, {k + 1} payee{'s' if k else ''}, by the buyer",
                      tx, lambda cd, k=k: F.receive_goods(cd, [Receiver()] * (k + 1)))
        order_id, _ = self.order(self.agreement_for(subs=3), stage="created")
        tx = esc.receive_goods(order_id, QUANTITY, h("GRN"), sender=self.inspector)
        self._put(r, "receive_goods.inspector.4", "receive_goods", "ETH, 4 payees, by the inspector", tx,
                  lambda cd: F.receive_goods(cd, [Receiver()] * 4, by_inspector=True))
        order_id, _ = self.order(self.agreement_for(erc20=True, subs=3), erc20=True, stage="created")
        tx = esc.receive_goods(order_id, QUANTITY, h("GRN"), sender=self.buyer)
        self._put(r, "receive_goods.erc20.4", "receive_goods", "ERC-20, 4 payees, existing holders", tx,
                  lambda cd: F.receive_goods(cd, [Receiver()] * 4, erc20=True))

    def _deep_order(self, r: Pass) -> None:
        """The next lot of the deep order (1 lot before it on the first pass, 1 001 after the fill)."""
        lots = self.escrow.get_order(self.deep).lot_count
        tx = self.escrow.ship(self.deep, 1, h(f"ASN deep {lots + 1}"), sender=self.supplier)
        self._put(r, "ship.next_lot", "ship", "next lot of an order that has lots", tx, F.ship)
        tx = self.escrow.confirm_delivery(self.deep, lots + 1, h("GRN"), sender=self.buyer)
        self._put(r, "confirm_delivery.next_lot", "confirm_delivery", "ETH, 4 payees, that next lot", tx,
                  lambda cd: F.confirm_delivery(cd, [Receiver()] * 4))

    def _signed(self, r: Pass) -> None:
        order_id, _ = self.order(self.agreement_for(subs=3))
        deadline = dense(self.chain.pending_timestamp + DAY)
        shipment = h(f"ASN-{order_id}")
        signature = sign_receipt(self.inspector.private_key, self.chain.chain_id, self.escrow.address, order_id, 1,
                                 shipment, h("GRN"), deadline)
        tx = self.escrow.confirm_delivery_signed(order_id, 1, h("GRN"), deadline, signature, sender=self.stranger)
        self._put(r, "confirm_delivery_signed.eth.4", "confirm_delivery_signed", "ETH, 4 payees, EOA inspector, relayed",
                  tx, lambda cd: F.confirm_delivery_signed(cd, [Receiver()] * 4))

    def _assigned(self, r: Pass) -> None:
        bank = self.fresh_account(eth=10**18)
        order_id, _ = self.order(self.agreement_for(subs=3))
        tx = self.escrow.assign_payout(order_id, bank, sender=self.supplier)
        self._put(r, "assign_payout", "assign_payout", "supplier to a bank, 3 subcontractors", tx,
                  lambda cd: F.assign_payout(cd, 3))
        tx = self.escrow.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
        self._put(r, "confirm_delivery.assigned.4", "confirm_delivery", "ETH, 4 payees, supplier's part to the bank", tx,
                  lambda cd: F.confirm_delivery(cd, [Receiver()] * 4, assigned=True))

    def _exits(self, r: Pass) -> None:
        esc, chain = self.escrow, self.chain
        shipped_id, _ = self.order(self.agreement_for(subs=0))
        tx = esc.dispute(shipped_id, 1, h("scratched"), sender=self.buyer)
        self._put(r, "dispute", "dispute", "by the buyer", tx, F.dispute)

        one_sub = self.agreement_for(subs=1)
        disputed_id, _ = self.order(one_sub, stage="disputed")
        tx = esc.resolve(disputed_id, 1, 5_000, sender=self.arbiter)
        self._put(r, "resolve", "resolve", "ETH, 50% to supplier side (1 sub), rest to buyer", tx,
                  lambda cd: F.resolve(cd, [Receiver()] * 2, Receiver()))

        # Orders whose clocks run out together: one time jump serves them all.
        late_id, _ = self.order(self.agreement_for(subs=3), stage="created", ship_in=DAY)
        expiring_id, _ = self.order(self.agreement_for(subs=0), stage="created", ship_in=DAY)
        silent_id, _ = self.order(self.agreement_for(subs=0))
        expired_id, _ = self.order(one_sub, stage="disputed")
        start = chain.pending_timestamp
        chain.pending_timestamp = esc.get_order(late_id).ship_by + DAY + 3_600  # two started days late
        tx = esc.ship(late_id, QUANTITY, h(f"ASN-{late_id}"), sender=self.supplier)
        self._put(r, "ship.late", "ship", "one lot, 2 days late (penalty fixed)", tx, lambda cd: F.ship(cd, late=True))
        tx = esc.confirm_delivery(late_id, 1, h("GRN"), sender=self.buyer)
        self._put(r, "confirm_delivery.late.4", "confirm_delivery", "ETH, 3 subs + supplier + penalty to the buyer", tx,
                  lambda cd: F.confirm_delivery(cd, [Receiver()] * 4 + [Receiver(warm=True)], subcontractors=3))
        chain.pending_timestamp = start + 31 * DAY
        tx = esc.refund_expired(expiring_id, sender=self.stranger)
        self._put(r, "refund_expired", "refund_expired", "ETH, by a keeper", tx, F.refund_expired)
        tx = esc.release(silent_id, 1, sender=self.stranger)
        self._put(r, "release", "release", "ETH, 1 payee, by a keeper", tx, lambda cd: F.release(cd, [Receiver()]))
        tx = esc.resolve_expired(expired_id, 1, sender=self.stranger)
        self._put(r, "resolve_expired", "resolve_expired", "ETH, 50/50, 1 sub, by a keeper", tx,
                  lambda cd: F.resolve(cd, [Receiver()] * 2, Receiver(), expired=True))

    def _claims(self, r: Pass) -> None:
        """A payee whose push failed (it had reverting code, or the token blocked it) claims."""
        esc, provider = self.escrow, self.chain.provider
        payee = self.fresh_account(eth=10**18)
        self.token.mint(payee, 1, sender=self.admin)
        provider.set_code(payee.address, REVERTING_CODE)
        agreement_id, _ = self.agreement(payees=[payee])
        order_id, _ = self.order(agreement_id)
        esc.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
        provider.set_code(payee.address, b"")
        self.token.set_blocked(payee, True, sender=self.admin)
        agreement_id, _ = self.agreement(erc20=True, payees=[payee])
        order_id, _ = self.order(agreement_id, erc20=True)
        esc.confirm_delivery(order_id, 1, h("GRN"), sender=self.buyer)
        self.token.set_blocked(payee, False, sender=self.admin)
        assert esc.credit_of(payee, ZERO) > 0 and esc.credit_of(payee, self.token) > 0, "no credit to claim"
        tx = esc.claim(ZERO, sender=payee)
        self._put(r, "claim.eth", "claim", "ETH", tx, F.claim)
        tx = esc.claim(self.token, sender=payee)
        self._put(r, "claim.erc20", "claim", "ERC-20, existing holder", tx, lambda cd: F.claim(cd, erc20=True))

    def _admin(self, r: Pass) -> None:
        esc, admin = self.escrow, self.admin
        tx = esc.grantRole(esc.ARBITER_ROLE(), self.fresh_account(), sender=admin)
        self._put(r, "grantRole", "grantRole", "ARBITER_ROLE to a new account", tx, F.grant_role)
        tx = esc.pause(sender=admin)
        self._put(r, "pause", "pause", "by the admin", tx, F.pause)
        tx = esc.unpause(sender=admin)
        self._put(r, "unpause", "unpause", "by the admin", tx, lambda cd: F.pause(cd, unpause=True))
        timeout = esc.arbitration_timeout()
        tx = esc.set_arbitration_timeout(timeout + DAY, sender=admin)
        self._put(r, "set_arbitration_timeout", "set_arbitration_timeout", "by the admin", tx, F.set_arbitration_timeout)
        esc.set_arbitration_timeout(timeout, sender=admin)

    # ------------------------------------------------------------ scale

    def fill(self, agreements: int, orders: int, lots: int) -> float:
        """``agreements`` more agreements (proposed and accepted), ``orders`` more call-offs under
        the main agreement and ``lots`` more lots of the deep order. The test accounts are unlocked
        in Anvil, so the transactions go as bare ``eth_sendTransaction`` requests with a fixed gas
        limit (no signing, no estimate), a few hundred per JSON-RPC batch, queued with automine
        off and then mined, in two rounds (an agreement exists before it is accepted)."""
        started = time.monotonic()
        esc = self.escrow
        first_agreement = esc.agreement_count() + 1
        orders_before = esc.order_count()
        lots_before = esc.get_order(self.deep).lot_count
        ship_by = self.chain.pending_timestamp + 365 * DAY
        nonces = {a.address: a.nonce for a in (self.buyer, self.supplier)}
        round1 = [
            self._tx(self.buyer, esc, esc.propose_agreement.encode_input(self.terms()), nonces)
            for _ in range(agreements)
        ] + [
            self._tx(self.buyer, esc, esc.create_order.encode_input(self.main, 1, ship_by, h(f"fill PO {i}")), nonces,
                     value=UNIT_PRICE)
            for i in range(orders)
        ]
        round2 = [
            self._tx(self.supplier, esc, esc.accept_agreement.encode_input(first_agreement + i, []), nonces)
            for i in range(agreements)
        ] + [
            self._tx(self.supplier, esc, esc.ship.encode_input(self.deep, 1, h(f"fill ASN {i}")), nonces)
            for i in range(lots)
        ]
        for txs in (round1, round2):
            self._send_and_mine(txs)
        assert esc.agreement_count() == first_agreement - 1 + agreements, "fill: not every agreement was proposed"
        assert esc.order_count() == orders_before + orders, "fill: not every order was created"
        assert esc.get_order(self.deep).lot_count == lots_before + lots, "fill: not every lot was shipped"
        if agreements:
            assert esc.get_agreement(first_agreement + agreements - 1).status == 2, "fill: agreements not accepted"
        return time.monotonic() - started

    def _send_and_mine(self, txs: list[dict[str, str]]) -> None:
        provider = self.chain.provider
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

    @staticmethod
    def _tx(sender: Any, to: Any, data: bytes, nonces: dict[str, int], value: int = 0) -> dict[str, str]:
        nonce = nonces[sender.address]
        nonces[sender.address] += 1  # explicit: a batch is handled concurrently
        return {"from": sender.address, "to": to.address, "data": "0x" + bytes(data).hex(), "value": hex(value),
                "gas": hex(500_000), "nonce": hex(nonce)}

    def _batch(self, method: str, params: list[Any]) -> list[Any]:
        """One JSON-RPC batch request: ``method`` once per element of ``params``, results in order."""
        body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": [p]} for i, p in enumerate(params)])
        request = urllib.request.Request(self.chain.provider.http_uri, body.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as response:
            answers = sorted(json.loads(response.read()), key=lambda a: a["id"])
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"{method}: {errors[0]}")
        return [a["result"] for a in answers]

    # ------------------------------------------------------------ sizes

    def runtime_sizes(self) -> dict[str, int]:
        """Deployed runtime code of each contract, in bytes (immutables included)."""
        get_code = self.chain.provider.get_code
        return {"OrderEscrow": len(get_code(self.escrow.address)), "PartRegistry": len(get_code(self.registry.address))}


# ================================================================ the four scenarios of issue 10


@dataclass
class Scenario:
    """One of issue 10's scenarios: its transactions, each beside its floor."""

    name: str
    steps: list[Measurement]

    @property
    def gas(self) -> int:
        return sum(s.gas for s in self.steps)

    @property
    def floor(self) -> int:
        return sum(s.floor.total for s in self.steps)


@dataclass
class ScenarioRun:
    """The four scenarios and the runtime sizes of the contracts they ran on."""

    scenarios: dict[str, Scenario]
    sizes: dict[str, int]


def run_scenarios(project: Any, chain: Any, accounts: Any, escrow_container: Any = None) -> ScenarioRun:
    """Issue 10's four scenarios on a fresh registry and escrow: ETH, 1 000 units at 0.0125 ETH, 5 days'
    grace, 1 %/day capped at 10 %, inspector set, the OEM buying, existing payee accounts.

    first3 is the first agreement and its first call-off; repeat3 the second call-off under it;
    receive3 the third; receive1 the second call-off under an agreement with no subcontractor
    (its first call-off is placed, unmeasured, just before)."""
    b = Bench(project, chain, accounts, escrow_container)
    b.deploy_core()
    esc, buyer, supplier = b.escrow, b.buyer, b.supplier
    # Three funded test accounts that are no party here (fixed addresses: the same calldata on every run).
    subs = [b.sub1, b.sub2, b.grantee]
    payees = [(p.address, SHARES[i]) for i, p in enumerate(subs)]
    out: dict[str, Scenario] = {}

    def step(name: str, tx: Any, floor: Callable[[bytes], Floor]) -> Measurement:
        return Measurement(key=name, call=name, case="", gas=tx.gas_used, floor=floor(b.calldata(tx)),
                           txn_hash=str(tx.txn_hash))

    def create(agreement_id: int, po: str) -> Any:
        return esc.create_order(agreement_id, QUANTITY, dense(chain.pending_timestamp + 30 * DAY), h(po), sender=buyer,
                                value=QUANTITY * UNIT_PRICE)

    def ship_and_confirm(order_id: int) -> list[Measurement]:
        shipped = esc.ship(order_id, QUANTITY, h(f"ASN {order_id}"), sender=supplier)
        confirmed = esc.confirm_delivery(order_id, 1, h(f"GRN {order_id}"), sender=buyer)
        return [step("ship", shipped, F.ship),
                step("confirm_delivery", confirmed, lambda cd: F.confirm_delivery(cd, [Receiver()] * 4))]

    proposed = esc.propose_agreement(b.terms(), sender=buyer)
    agreement_id = proposed.return_value
    accepted = esc.accept_agreement(agreement_id, payees, sender=supplier)
    created = create(agreement_id, "PO first")
    out["first3"] = Scenario("first3", [
        step("propose_agreement", proposed, F.propose_agreement),
        step("accept_agreement", accepted, lambda cd: F.accept_agreement(cd, 3)),
        step("create_order", created, F.create_order),
    ] + ship_and_confirm(created.return_value))

    created = create(agreement_id, "PO repeat")
    out["repeat3"] = Scenario("repeat3", [step("create_order", created, F.create_order)]
                              + ship_and_confirm(created.return_value))

    for name, agreement, receivers in (("receive3", agreement_id, 4), ("receive1", None, 1)):
        if agreement is None:
            agreement = esc.propose_agreement(b.terms(), sender=buyer).return_value
            esc.accept_agreement(agreement, [], sender=supplier)
            create(agreement, "PO first, no subcontractor")
        created = create(agreement, f"PO {name}")
        received = esc.receive_goods(created.return_value, QUANTITY, h(f"GRN {name}"), sender=buyer)
        out[name] = Scenario(name, [
            step("create_order", created, F.create_order),
            step("receive_goods", received, lambda cd, n=receivers: F.receive_goods(cd, [Receiver()] * n)),
        ])
    return ScenarioRun(scenarios={name: out[name] for name in TARGETS}, sizes=b.runtime_sizes())


def hypothesis_rate(bench: Bench, examples: int) -> dict[str, float]:
    """Examples per second of a small @given loop on Anvil: each example isolates itself
    (snapshot/revert), places a call-off under an agreement, reads it back and declines it."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    chain, esc = bench.chain, bench.escrow
    agreement_id, _ = bench.agreement()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=("generate",))
    @given(quantity=st.integers(1, 10**6), ship_in=st.integers(1, 365 * DAY))
    def body(quantity: int, ship_in: int) -> None:
        with chain.isolate():
            tx = esc.create_order(agreement_id, quantity, chain.pending_timestamp + ship_in, h("PO"),
                                  sender=bench.buyer, value=quantity * UNIT_PRICE)
            order_id = tx.return_value
            assert esc.get_order(order_id).amount == quantity * UNIT_PRICE
            esc.decline_order(order_id, sender=bench.supplier)
            assert esc.get_order(order_id).declined

    started = time.monotonic()
    body()
    seconds = time.monotonic() - started
    return {"examples": examples, "seconds": round(seconds, 2), "per_second": round(examples / seconds, 2)}
