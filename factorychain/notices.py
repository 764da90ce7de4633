"""What one party must know, from the ledger's events and clocks — pure: no chain access here.

    notices = event_notices(party, new_events, ledger, has_access=lambda part_id: …)
    notices += clock_notices(party, ledger, now, certification=lambda part_id, version, supplier: …)

Kinds (``Notice.kind``):

* ``design_revised`` — a new version of a part the party has access to;
* ``key_shared`` — a design key was shared with the party (it can fetch that version now);
* ``order_created`` — a call-off in which the party is buyer, supplier, inspector or subcontractor;
* ``lot_shipped`` — a lot of such an order left the factory (the review period starts);
* ``review_ending`` — a shipped lot's review period ends within :data:`REVIEW_WARNING` seconds;
* ``certification_expiring`` — the party's certification (as a supplier), or that of the supplier of
  an agreement it buys under, ends within :data:`CERTIFICATION_WARNING` seconds;
* ``payment_deferred`` — a payment to the party failed and became a credit (``claim`` it).

Event notices come from the events given (the caller passes only the new ones); clock notices are
evaluated from state each time, and :attr:`Notice.key` lets the caller report each one once.
What only the chain knows — whether the party has access to a part, a certification's end — is
asked through the two callables, so that this module stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from eth_utils import to_checksum_address

__all__ = ["CERTIFICATION_WARNING", "REVIEW_WARNING", "Notice", "clock_notices", "event_notices"]

REVIEW_WARNING = 24 * 3_600
CERTIFICATION_WARNING = 14 * 86_400


@dataclass(frozen=True)
class Notice:
    """One thing to tell a party; ``to_json`` is what a webhook receives."""

    kind: str
    party: str
    text: str
    #: Identifies the fact, so that it is reported once (an event's block and log index, or a clock).
    key: str
    block_number: int | None = None
    tx_hash: str | None = None
    order_id: int | None = None
    lot: int | None = None
    part_id: str | None = None
    version: int | None = None
    due_at: int | None = None
    token: str | None = None
    amount: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if value is not None}
        if self.amount is not None:
            data["amount"] = str(self.amount)  # exact in every JSON reader
        if self.due_at is not None:
            data["due_at_iso"] = _iso(self.due_at)
        return data


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(part_id: str) -> str:
    return f"{part_id[:10]}…"


def _po(order: dict[str, Any] | None) -> str:
    text = (order or {}).get("po_ref_text") or ""
    return f" (PO {text})" if text and not text.startswith("0x") else ""


def event_notices(
    party: str,
    events: Iterable[Any],
    ledger: Any,
    *,
    has_access: Callable[[str], bool],
) -> list[Notice]:
    """Notices for ``party`` from ``events`` (:class:`~factorychain.ledger.DecodedEvent`), in chain order.

    ``ledger`` answers who takes part in an order (``orders_of``, ``order``, ``agreement``);
    ``has_access(part_id_hex)`` whether the party may see a part's designs.
    """
    me = to_checksum_address(party)
    mine = {o["order_id"]: o for o in ledger.orders_of(me)}
    result: list[Notice] = []
    for event in events:
        args = event.args
        common = {"party": me, "key": f"event:{event.block_number}:{event.log_index}", "block_number": event.block_number, "tx_hash": event.tx_hash}
        name = event.name
        if event.contract == "registry" and name == "PartRevised" and has_access(args["part_id"]):
            result.append(Notice("design_revised", text=f"part {_short(args['part_id'])} has a new version {args['version']}: fetch it once its key is shared", part_id=args["part_id"], version=int(args["version"]), **common))
        elif event.contract == "registry" and name == "KeyShared" and args["partner"] == me:
            result.append(Notice("key_shared", text=f"the key of part {_short(args['part_id'])} v{args['version']} was shared with you: `ape run parts fetch`", part_id=args["part_id"], version=int(args["version"]), **common))
        elif event.contract != "escrow":
            continue
        elif name == "OrderCreated" and int(args["order_id"]) in mine:
            order = mine[int(args["order_id"])]
            result.append(Notice(
                "order_created",
                text=f"order #{args['order_id']}{_po(order)} created under agreement #{args['agreement_id']}: "
                f"{int(args['quantity']):,} units, ship by {_iso(int(args['ship_by']))} ({', '.join(order['roles'])})",
                order_id=int(args["order_id"]), due_at=int(args["ship_by"]), token=order["token"], amount=int(args["amount"]), **common,
            ))  # fmt: skip
        elif name == "LotShipped" and int(args["order_id"]) in mine:
            order = mine[int(args["order_id"])]
            late = f", {int(args['penalty_bps']) / 100:.2f} % late penalty" if int(args["penalty_bps"]) else ""
            result.append(Notice(
                "lot_shipped",
                text=f"lot {args['lot']} of order #{args['order_id']}{_po(order)} shipped: {int(args['quantity']):,} units{late}; the review period starts",
                order_id=int(args["order_id"]), lot=int(args["lot"]), token=order["token"], amount=int(args["value"]), **common,
            ))  # fmt: skip
        elif name == "PaymentDeferred" and args["payee"] == me:
            result.append(Notice(
                "payment_deferred",
                text=f"a payment of order #{args['order_id']} could not be pushed to you and became a credit: `ape run orders claim`",
                order_id=int(args["order_id"]), token=args["token"], amount=int(args["amount"]), **common,
            ))  # fmt: skip
    return result


def clock_notices(
    party: str,
    ledger: Any,
    now: int,
    *,
    certification: Callable[[str, int, str], tuple[bool, int]],
    review_warning: int = REVIEW_WARNING,
    certification_warning: int = CERTIFICATION_WARNING,
) -> list[Notice]:
    """Review periods and certifications ending soon, for ``party``, at time ``now``.

    ``certification(part_id_hex, version, supplier)`` returns ``(is_certified, valid_until)``.
    """
    me = to_checksum_address(party)
    result: list[Notice] = []
    for clock in ledger.deadlines(now, party=me, include_past=False):
        if clock.kind == "review" and clock.due_at - now <= review_warning:
            order = ledger.order(clock.order_id)
            result.append(Notice(
                "review_ending", party=me, key=f"review:{clock.order_id}:{clock.lot}",
                text=f"the review period of lot {clock.lot} of order #{clock.order_id}{_po(order)} ends {_iso(clock.due_at)}: "
                f"{clock.who}; after that, {clock.after}",
                order_id=clock.order_id, lot=clock.lot, due_at=clock.due_at, token=clock.token, amount=clock.amount,
            ))  # fmt: skip
    watched: dict[tuple[str, int, str], str] = {}
    for event in ledger.events("Certified", "registry"):
        if event.args["supplier"] == me:
            watched[(event.args["part_id"], int(event.args["version"]), me)] = "your"
    for order in ledger.orders_of(me):
        if "buyer" in order["roles"]:
            agreement = ledger.agreement(order["agreement_id"]) or {}
            if agreement.get("part_id"):
                key = (agreement["part_id"], int(agreement["version"]), agreement["supplier"])
                watched.setdefault(key, f"the supplier {agreement['supplier']}'s")
    for (part_id, version, supplier), whose in sorted(watched.items()):
        certified, until = certification(part_id, version, supplier)
        if certified and now <= until and until - now <= certification_warning:
            result.append(Notice(
                "certification_expiring", party=me, key=f"certification:{part_id}:{version}:{supplier}:{until}",
                text=f"{whose} certification for part {_short(part_id)} v{version} ends {_iso(until)}: "
                "no shipment or call-off after that until a certifier renews it",
                part_id=part_id, version=version, due_at=until,
            ))  # fmt: skip
    return result
