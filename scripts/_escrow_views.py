"""What `ape run orders` reads before it sends: agreements, orders and lots as typed snapshots, and
the one-screen preview it prints — this module DOES read the chain (escrow and registry views).

`ape run` ignores files whose name starts with ``_``: this is a helper of scripts/orders.py.
Every "no such thing" ends as one ``Error:`` line naming the fix (see :func:`scripts._common.fail`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from eth_utils import keccak

from factorychain.deployment import Deployment
from factorychain.orders import AGREEMENT_STATUS, LOT_STATUS
from factorychain.payouts import LotPayout
from factorychain.terms import ZERO_ADDRESS, Payee, Terms
from factorychain.tokens import Token, token_at
from scripts._common import fail, load_suite

#: AgreementStatus and LotStatus flag values (SPEC v2).
PROPOSED, ACTIVE = 1, 2
SHIPPED, DISPUTED = 1, 2
_HEX32 = re.compile(r"^0[xX][0-9a-fA-F]{64}$")


# ---------------------------------------------------------------- parsing (pure)


def parse_id(text: str, what: str) -> int:
    """A positive id (agreement, order, lot) from ``12`` or ``#12``."""
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit() or int(cleaned) == 0:
        fail(f"{what}: {text!r} is not a number (1, 2, 3 …)")
    return int(cleaned)


def parse_quantity(text: str, what: str = "--quantity") -> int:
    cleaned = text.strip().replace("_", "").replace(",", "")
    if not cleaned.isdigit() or int(cleaned) == 0:
        fail(f"{what}: {text!r} is not a whole number of units above 0")
    return int(cleaned)


def po_ref(text: str) -> bytes:
    """The ``bytes32`` PO reference: the text itself, UTF-8, right-padded with zeros when it fits
    in 32 bytes (readable on chain and in the ledger); else its keccak256; ``0x`` + 64 hex as is."""
    cleaned = text.strip()
    if not cleaned:
        fail("--po: give the purchase-order number (e.g. PO-2026-0042)")
    if _HEX32.match(cleaned):
        return bytes.fromhex(cleaned[2:])
    raw = cleaned.encode("utf-8")
    return raw.ljust(32, b"\x00") if len(raw) <= 32 else keccak(raw)


def po_text(ref: bytes) -> str:
    """A PO reference as the text it was made from, when it was padded text; else hex."""
    stripped = bytes(ref).rstrip(b"\x00")
    if stripped and b"\x00" not in stripped:
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and text.isprintable():
            return text
    return "0x" + bytes(ref).hex()


def hash_of(file_text: str | None, hex_text: str | None, file_option: str, hash_option: str) -> bytes:
    """keccak256 of the file given with ``file_option``, or the hex given with ``hash_option``,
    or 32 zero bytes when neither is given."""
    from pathlib import Path

    if file_text is not None and hex_text is not None:
        fail(f"give {file_option} or {hash_option}, not both")
    if file_text is not None:
        path = Path(file_text).expanduser()
        if not path.is_file():
            fail(f"{file_option}: no such file {path}")
        return keccak(path.read_bytes())
    if hex_text is not None:
        cleaned = hex_text.strip()
        if not re.fullmatch(r"(0[xX])?[0-9a-fA-F]{64}", cleaned):
            fail(f"{hash_option}: {hex_text!r} is not 32 bytes of hex")
        return bytes.fromhex(cleaned[2:] if cleaned[:2].lower() == "0x" else cleaned)
    return bytes(32)


# ---------------------------------------------------------------- snapshots (read the chain)


@dataclass
class Suite:
    """The recorded deployment, its contracts, and the chain's time (the pending block's)."""

    deployment: Deployment
    registry: Any
    escrow: Any
    now: int

    @property
    def chain_id(self) -> int:
        return int(self.deployment.chain_id)


def open_suite(deployment_path: str | None) -> Suite:
    from ape import chain, project

    deployment, registry, escrow = load_suite(project, deployment_path)
    return Suite(deployment, registry, escrow, int(chain.pending_timestamp))


@dataclass
class AgreementView:
    id: int
    terms: Terms
    buyer: str
    status: int
    units_called_off: int
    payees: list[Payee]
    token: Token

    @property
    def status_name(self) -> str:
        return AGREEMENT_STATUS.get(self.status, str(self.status))

    @property
    def inspector(self) -> str | None:
        return None if self.terms.inspector == ZERO_ADDRESS else self.terms.inspector

    @property
    def units_left(self) -> int:
        return self.terms.max_quantity - self.units_called_off

    def money(self, amount: int) -> str:
        return self.token.format(amount)


def agreement_view(suite: Suite, agreement_id: int) -> AgreementView:
    record = suite.escrow.get_agreement(agreement_id)
    if int(record.status) == 0:
        count = int(suite.escrow.agreement_count())
        fail(
            f"agreement {agreement_id} does not exist on escrow {suite.escrow.address} "
            f"({'the latest is ' + str(count) if count else 'none was proposed yet'}; `ape run orders list` shows yours)"
        )
    terms = Terms.from_struct(record.terms)
    payees = [Payee(str(p.account), int(p.share_bps)) for p in suite.escrow.payees_of(agreement_id)]
    return AgreementView(
        agreement_id, terms, str(record.buyer), int(record.status), int(record.units_called_off), payees, token_at(terms.token)
    )


@dataclass
class OrderView:
    id: int
    agreement: AgreementView
    buyer: str
    supplier: str
    quantity: int
    amount: int
    ship_by: int
    units_shipped: int
    units_refunded: int
    lot_count: int
    payout_holder: str
    declined: bool
    grace_end: int = 0
    po: str = ""

    @property
    def open_units(self) -> int:
        if self.declined or self.units_refunded:
            return 0
        return self.quantity - self.units_shipped

    @property
    def assigned(self) -> bool:
        return self.payout_holder != self.supplier

    def money(self, amount: int) -> str:
        return self.agreement.money(amount)


def order_view(suite: Suite, order_id: int) -> OrderView:
    record = suite.escrow.get_order(order_id)
    if int(record.agreement_id) == 0:
        count = int(suite.escrow.order_count())
        fail(
            f"order {order_id} does not exist on escrow {suite.escrow.address} "
            f"({'the latest is ' + str(count) if count else 'no order was created yet'}; `ape run orders list` shows yours)"
        )
    agreement = agreement_view(suite, int(record.agreement_id))
    ship_by = int(record.ship_by)
    return OrderView(
        id=order_id,
        agreement=agreement,
        buyer=str(record.buyer),
        supplier=str(record.supplier),
        quantity=int(record.quantity),
        amount=int(record.amount),
        ship_by=ship_by,
        units_shipped=int(record.units_shipped),
        units_refunded=int(record.units_refunded),
        lot_count=int(record.lot_count),
        payout_holder=str(record.payout_holder),
        declined=bool(record.declined),
        grace_end=ship_by + agreement.terms.grace_period,
    )


@dataclass
class LotView:
    order: OrderView
    number: int
    quantity: int
    value: int
    penalty_bps: int
    shipment_hash: bytes
    shipped_at: int
    arbitration_deadline: int
    status: int
    review_end: int

    @property
    def status_name(self) -> str:
        return LOT_STATUS.get(self.status, str(self.status))

    @property
    def received(self) -> bool:
        return self.review_end == 0


def lot_view(suite: Suite, order: OrderView, lot: int) -> LotView:
    record = suite.escrow.get_lot(order.id, lot)
    if int(record.status) == 0:
        fail(
            f"order {order.id} has no lot {lot} "
            f"({'its lots are 1 to ' + str(order.lot_count) if order.lot_count else 'nothing was shipped yet'})"
        )
    _, _, review_end, _ = suite.escrow.deadlines(order.id, lot)
    return LotView(
        order=order,
        number=lot,
        quantity=int(record.quantity),
        value=int(record.value),
        penalty_bps=int(record.penalty_bps),
        shipment_hash=bytes(record.shipment_hash),
        shipped_at=int(record.shipped_at),
        arbitration_deadline=int(record.arbitration_deadline),
        status=int(record.status),
        review_end=int(review_end),
    )


# ---------------------------------------------------------------- who is who


def roles_of(agreement: AgreementView, order: OrderView | None = None, me: str | None = None) -> dict[str, list[str]]:
    """address -> what it is in this agreement/order (buyer, supplier, inspector, subcontractor n, assignee, you)."""
    names: dict[str, list[str]] = {}

    def add(address: str | None, label: str) -> None:
        if address and address != ZERO_ADDRESS:
            names.setdefault(address, []).append(label)

    add(agreement.buyer, "buyer")
    add(agreement.terms.supplier, "supplier")
    add(agreement.inspector, "inspector")
    for index, payee in enumerate(agreement.payees, start=1):
        add(payee.account, f"subcontractor {index}, {pct(payee.share_bps)}")
    if order is not None and order.assigned:
        add(order.payout_holder, "assignee")
    add(me, "you")
    return names


def who(address: str, names: dict[str, list[str]]) -> str:
    labels = names.get(address)
    return f"{address} ({', '.join(labels)})" if labels else address


def pct(bps: int) -> str:
    return f"{bps / 100:.2f} %"


# ---------------------------------------------------------------- the preview


@dataclass
class Preview:
    """A one-screen summary: a title, aligned rows, and the transfers a payout would push."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    #: (amount, receiver, note) of each transfer a payout would push.
    transfers: list[tuple[str, str, str]] = field(default_factory=list)
    transfers_title: str = ""

    def row(self, label: str, text: str) -> Preview:
        self.rows.append((label, text))
        return self

    def payout(
        self,
        title: str,
        payout: LotPayout,
        payees: Sequence[object],
        holder: str,
        buyer: str,
        names: dict[str, list[str]],
        token: Token,
    ) -> Preview:
        """The transfers settling a lot would push, in the escrow's order, with the penalty named."""
        self.transfers_title = title
        for address, amount in payout.transfers(list(payees), holder, buyer):
            note = f"incl. late penalty {token.format(payout.penalty)}" if address == buyer and payout.penalty else ""
            self.transfers.append((token.format(amount), who(address, names), note))
        if not self.transfers:
            self.transfers.append((token.format(0), "nobody", ""))
        return self

    def show(self) -> None:
        width = max((len(label) for label, _ in self.rows), default=0)
        click.echo(self.title)
        for label, text in self.rows:
            click.echo(f"  {label.ljust(width)}  {text}")
        if self.transfers:
            click.echo(f"  {self.transfers_title}")
            amount_width = max(len(amount) for amount, _, _ in self.transfers)
            for amount, receiver, note in self.transfers:
                click.echo(f"    {amount.rjust(amount_width)} -> {receiver}{': ' + note if note else ''}")


def outcome(receipt: Any, escrow: Any, token: Token, names: dict[str, list[str]]) -> list[str]:
    """``paid …`` / ``deferred …`` lines from a settlement's Paid and PaymentDeferred events."""
    lines = []
    for log in receipt.decode_logs(escrow.Paid):
        lines.append(f"  paid     {token.format(int(log.amount))} -> {who(str(log.payee), names)}")
    for log in receipt.decode_logs(escrow.PaymentDeferred):
        lines.append(
            f"  deferred {token.format(int(log.amount))} -> {who(str(log.payee), names)}: its transfer failed; "
            "it is a credit, taken with `ape run orders claim`"
        )
    return lines


def event_args(receipt: Any, event: Any) -> Any:
    """The first log of ``event`` in ``receipt`` (ids returned by the escrow are also in its events)."""
    logs = list(receipt.decode_logs(event))
    if not logs:
        fail(f"transaction {receipt.txn_hash} has no {event.name} event; check it on an explorer")
    return logs[0]


def shares_summary(payees: Iterable[Payee]) -> str:
    listed = [f"{p.account} {pct(p.share_bps)}" for p in payees]
    return ", ".join(listed) if listed else "none (the supplier keeps every lot)"
