"""Orders from the command line: every step a party takes under escrow v2, in human terms.

    ape run orders propose PN-4711 --supplier 0xSup… --price 0.0125 --max-quantity 10000 \\
        --valid-until +365d --review 3d --grace 5d --penalty-per-day 1% --penalty-cap 10% \\
        --inspector 0xGate… --network … --account oem
    ape run orders accept 1 --payee 0xHeat…:15% --payee 0xCoat…:8% --account supplier
    ape run orders create 1 --quantity 600 --ship-by +14d --po PO-2026-0042 --account oem
    ape run orders ship 1 --quantity 400 --docs packing-list.pdf --account supplier
    ape run orders sign-receipt 1 1 --receipt grn.pdf --out r.json --account gate
    ape run orders relay r.json --account courier
    ape run orders show 1

Dates are ISO 8601 (``2026-07-01`` is the end of that day, UTC) or a time from the chain's now
(``+14d``, ``+12h``); amounts are whole tokens with the token's decimals (``12.5`` ETH, ``1000``
of a 6-decimal stablecoin); PO and part numbers are text; payees are ``ADDRESS:PERCENT``.
Every transaction is simulated first (a revert stops with its reason in one line), then shown
as a one-screen preview — what moves, to whom, and the next deadline — and sent after a
confirmation (``--yes`` for scripts; without a terminal and without ``--yes`` nothing is sent).
ERC-20 call-offs approve exactly their amount first (resetting a left-over allowance to 0, as
USDT-style tokens require).

Readers: ``show`` reads the chain's views; ``list``, ``owed``, ``deadlines`` and ``export`` read
the local ledger (synced first); ``watch`` polls the node for what one party must know.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.errors import InvalidInputError
from factorychain.safe import SafeCall
from factorychain.orders import (
    check_lot_receipt,
    penalty_if_shipped,
    preview_lot_payout,
    relay_receipt,
    sign_lot_receipt,
)
from factorychain.payouts import lot_payout
from factorychain.receipts import SignedReceipt
from factorychain.terms import BPS, ZERO_ADDRESS, agreement_terms, parse_amount, parse_percent, payee_shares
from factorychain.tokens import Token, TokenError, approval_steps, ensure_allowance, token_at
from scripts._common import (
    confirm_send,
    deployment_option,
    fail,
    format_span,
    format_when,
    ledger_options,
    one_line_command,
    one_line_errors,
    parse_duration,
    parse_part,
    parse_when,
    resolve_address,
    simulate,
    synced_ledger,
    unlock_signer,
    yes_option,
)
from scripts._escrow_views import (
    ACTIVE,
    DISPUTED,
    PROPOSED,
    SHIPPED,
    OrderView,
    Preview,
    Suite,
    agreement_view,
    event_args,
    hash_of,
    lot_view,
    open_suite,
    order_view,
    outcome,
    parse_id,
    parse_quantity,
    pct,
    po_ref,
    po_text,
    roles_of,
    shares_summary,
    who,
)
from scripts._safe import open_safe, safe_options, through_safe

COMMAND = one_line_command()


def _send(method: Any, *args: Any, account: Any, yes: bool, preview: Preview, value: int = 0, hints: dict[str, str] | None = None) -> Any:
    """Simulate, show the preview, confirm, unlock a keystore once, send."""
    simulate(method, *args, sender=account, value=value, hints=hints)
    preview.show()
    confirm_send(yes)
    unlock_signer(account)
    return method(*args, sender=account, value=value)


def _token(text: str) -> Token:
    cleaned = text.strip()
    if cleaned.lower() in ("eth", "ether", ""):
        return token_at(ZERO_ADDRESS)
    try:
        return token_at(resolve_address(cleaned, "--token"))
    except TokenError as exc:
        fail(f"--token: {exc}")


def _amount(text: str, token: Token, what: str) -> int:
    try:
        return parse_amount(text.strip().replace("_", ""), token.decimals, what)
    except InvalidInputError as exc:
        fail(f"{exc} ({token.symbol} has {token.decimals} decimals)")


def _percent(text: str, what: str) -> int:
    try:
        return parse_percent(text, what)
    except InvalidInputError as exc:
        fail(str(exc))


def _percent_value(text: str, what: str) -> Decimal:
    """The percentage as an exact ``Decimal`` (what the SDK's terms take), parsed once, here."""
    return Decimal(_percent(text, what)).scaleb(-2)


def _payee(text: str, index: int) -> tuple[str, str]:
    address, sep, share = text.strip().rpartition(":")
    if not sep or not address or not share:
        fail(f"--payee {text!r}: write ADDRESS:PERCENT, e.g. 0xAbC…:15%")
    return resolve_address(address, f"--payee {index}"), share


def _not_for_you(role: str, address: str) -> str:
    return f"the {role} is {address}; use --account with it"


def _order_title(order: OrderView) -> str:
    po = f"PO {order.po}, " if order.po else ""
    return f"order #{order.id} ({po}agreement #{order.agreement.id})"


def _with_po(suite: Suite, order: OrderView) -> OrderView:
    """The order's PO reference, from its OrderCreated event (the only place the escrow keeps it)."""
    logs = suite.escrow.OrderCreated.range(
        suite.deployment.block_number, suite.escrow.chain_manager.blocks.height + 1, search_topics={"order_id": order.id}
    )
    for log in logs:
        order.po = po_text(bytes(log.po_ref))
    return order


def _lot_payout_preview(preview: Preview, suite: Suite, order: OrderView, lot: int, names: dict[str, list[str]], supplier_bps: int = BPS, title: str = "") -> None:
    payout = preview_lot_payout(suite.escrow, order.id, lot, supplier_bps=supplier_bps)
    preview.payout(
        title or f"pays {order.money(payout.value)} now:",
        payout,
        [p.account for p in order.agreement.payees],
        order.payout_holder,
        order.buyer,
        names,
        order.agreement.token,
    )


def _echo_outcome(receipt: Any, suite: Suite, order: OrderView, names: dict[str, list[str]]) -> None:
    for line in outcome(receipt, suite.escrow, order.agreement.token, names):
        click.echo(line)


@click.group(short_help="Agreements, call-off orders and lots on the recorded escrow")
def cli() -> None:
    """Every step of a framework agreement and its call-offs, in human terms: dates, token
    amounts, PO numbers. Each transaction is simulated, previewed and confirmed before it is sent."""


# ---------------------------------------------------------------- agreements


@cli.command(cls=COMMAND, short_help="Buyer: propose a framework agreement to a supplier")
@click.argument("part")
@click.option("--supplier", required=True, metavar="ADDRESS", help="The supplier (address or account alias).")
@click.option("--price", required=True, metavar="AMOUNT", help="Price per unit in whole tokens (0.0125 ETH; 4.20 of a stablecoin).")
@click.option("--max-quantity", required=True, metavar="UNITS", help="Cap on the units of all call-offs together.")
@click.option("--valid-until", required=True, metavar="DATE", help="Last moment to accept and call off: ISO 8601 or +365d.")
@click.option("--token", "token_text", default="eth", show_default=True, metavar="ADDRESS|eth", help="What the agreement pays in.")
@click.option("--review", default="3d", show_default=True, metavar="DURATION", help="Time the buyer has to confirm or dispute a shipped lot.")
@click.option("--grace", default="0", show_default=True, metavar="DURATION", help="Late-shipping window after each order's ship-by date.")
@click.option("--penalty-per-day", default="0%", show_default=True, metavar="PERCENT", help="Penalty per started day late, of the lot's value.")
@click.option("--penalty-cap", default="0%", show_default=True, metavar="PERCENT", help="Ceiling of the late penalty.")
@click.option("--inspector", default=None, metavar="ADDRESS", help="A second confirmer (QA, a gate scanner's key).")
@click.option("--version", "version_text", default=None, metavar="N", help="Part version (default: the latest).")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def propose(
    part: str,
    supplier: str,
    price: str,
    max_quantity: str,
    valid_until: str,
    token_text: str,
    review: str,
    grace: str,
    penalty_per_day: str,
    penalty_cap: str,
    inspector: str | None,
    version_text: str | None,
    account: Any,
    deployment_path: str | None,
    yes: bool,
) -> None:
    """Propose the terms for PART to --supplier; nothing is funded until a call-off."""
    suite = open_suite(deployment_path)
    pid = parse_part(part)
    latest = int(suite.registry.latest_version(pid))
    if latest == 0:
        fail(f"unknown part {part!r} on registry {suite.registry.address} (`ape run parts show {part}`)")
    version = latest if version_text is None else parse_quantity(version_text, "--version")
    if version > latest:
        fail(f"--version {version}: part {part!r} has versions 1 to {latest}")
    token = _token(token_text)
    supplier_address = resolve_address(supplier, "--supplier")
    inspector_address = resolve_address(inspector, "--inspector") if inspector else None
    terms = agreement_terms(
        supplier=supplier_address,
        part_id=pid,
        version=version,
        token=None if token.is_eth else token.address,
        decimals=token.decimals,
        unit_price=_amount(price, token, "--price"),
        max_quantity=parse_quantity(max_quantity, "--max-quantity"),
        valid_until=parse_when(valid_until, "--valid-until", suite.now),
        review_period=parse_duration(review, "--review"),
        grace_period=parse_duration(grace, "--grace"),
        penalty_per_day=_percent_value(penalty_per_day, "--penalty-per-day"),
        penalty_cap=_percent_value(penalty_cap, "--penalty-cap"),
        inspector=inspector_address,
    )
    if terms.valid_until <= suite.now:
        fail(f"--valid-until: {format_when(terms.valid_until)} is not after the chain's time {format_when(suite.now)}")
    hints = {
        "escrow: supplier has no access": f"the part's owner grants it: `ape run parts grant {part} {supplier_address}`",
        "escrow: buyer has no access": f"the part's owner grants it to you: `ape run parts grant {part} {account.address}`",
        "escrow: buyer is supplier": "--supplier is your own --account",
    }
    late = "none"
    if terms.penalty_bps_per_day or terms.grace_period:
        late = (
            f"{format_span(terms.grace_period)} grace after ship-by; {pct(terms.penalty_bps_per_day)} a started day, "
            f"at most {pct(terms.penalty_cap_bps)} of a late lot"
        )
    preview = (
        Preview(f"Propose a framework agreement for {part!r} v{version} to {supplier_address}")
        .row("buyer", f"{account.address} (you)")
        .row("price", f"{token.format(terms.unit_price)} per unit; at most {terms.max_quantity:,} units ({token.format(terms.amount(terms.max_quantity))} in all)")
        .row("valid until", format_when(terms.valid_until, suite.now) + ": accept and call off until then")
        .row("review", f"{format_span(terms.review_period)} per lot to confirm or dispute; silence pays the supplier")
        .row("late terms", late)
        .row("inspector", f"{inspector_address} may confirm, dispute and receive lots" if inspector_address else "none")
        .row("moves", "nothing now: each call-off locks its own amount")
    )
    receipt = _send(suite.escrow.propose_agreement, terms, account=account, yes=yes, preview=preview, hints=hints)
    agreement_id = int(event_args(receipt, suite.escrow.AgreementProposed).agreement_id)
    click.echo(f"Proposed agreement #{agreement_id} to {supplier_address} ({receipt.txn_hash})")
    click.echo(f"  next: the supplier accepts it with `ape run orders accept {agreement_id} --payee ADDRESS:PERCENT …`")


@cli.command(cls=COMMAND, short_help="Supplier: accept an agreement, declaring subcontractor shares")
@click.argument("agreement")
@click.option("--payee", "payees", multiple=True, metavar="ADDRESS:PERCENT", help="A subcontractor and its share of every lot (repeat, up to 8).")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def accept(agreement: str, payees: tuple[str, ...], account: Any, deployment_path: str | None, yes: bool) -> None:
    """Accept AGREEMENT; the --payee shares are fixed for every lot of every call-off, forever."""
    suite = open_suite(deployment_path)
    a = agreement_view(suite, parse_id(agreement, "AGREEMENT"))
    shares = payee_shares([_payee(text, i) for i, text in enumerate(payees, start=1)])
    if a.status != PROPOSED:
        fail(f"agreement {a.id} is {a.status_name}, not PROPOSED: only a proposal can be accepted")
    example = lot_payout(a.terms.unit_price, [p.share_bps for p in shares])
    per_unit = ", ".join(
        [f"subcontractor {i} {a.money(amount)}" for i, amount in enumerate(example.subcontractors, start=1)]
        + [f"you {a.money(example.holder)}"]
    )
    hints = {
        "escrow: not supplier": _not_for_you("supplier", a.terms.supplier),
        "escrow: supplier not certified": f"a certifier certifies it for v{a.terms.version}: `ape run parts certify PART {a.terms.version} {a.terms.supplier}`",
        "escrow: payee is a party": "a payee may not be the supplier, the buyer, the inspector, the escrow or the token",
        "escrow: agreement expired": f"it was valid until {format_when(a.terms.valid_until)}",
    }
    preview = (
        Preview(f"Accept agreement #{a.id} from {a.buyer}")
        .row("price", f"{a.money(a.terms.unit_price)} per unit, at most {a.terms.max_quantity:,} units, until {format_when(a.terms.valid_until, suite.now)}")
        .row("payees", shares_summary(shares))
        .row("you keep", f"{pct(BPS - sum(p.share_bps for p in shares))} of every lot, less any late penalty")
        .row("per unit", per_unit)
        .row("final", "the shares cannot be changed later, for any order or lot")
    )
    receipt = _send(suite.escrow.accept_agreement, a.id, shares, account=account, yes=yes, preview=preview, hints=hints)
    click.echo(f"Accepted agreement #{a.id} with {len(shares)} payee(s) ({receipt.txn_hash})")


@cli.command(cls=COMMAND, short_help="Buyer or supplier: close an agreement to new call-offs")
@click.argument("agreement")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def close(agreement: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Close AGREEMENT for good: no new call-offs; orders already placed run to their end."""
    suite = open_suite(deployment_path)
    a = agreement_view(suite, parse_id(agreement, "AGREEMENT"))
    hints = {"escrow: not a party": f"only the buyer {a.buyer} or the supplier {a.terms.supplier} may close it"}
    preview = (
        Preview(f"Close agreement #{a.id} (now {a.status_name})")
        .row("parties", f"buyer {a.buyer}, supplier {a.terms.supplier}")
        .row("called off", f"{a.units_called_off:,} of {a.terms.max_quantity:,} units; those orders run to their end")
        .row("moves", "nothing: an agreement holds no money")
        .row("final", "no new call-off can be placed under it, ever")
    )
    receipt = _send(suite.escrow.close_agreement, a.id, account=account, yes=yes, preview=preview, hints=hints)
    click.echo(f"Closed agreement #{a.id} ({receipt.txn_hash})")


# ---------------------------------------------------------------- call-off orders


@cli.command(cls=COMMAND, short_help="Buyer: place and fund a call-off order")
@click.argument("agreement")
@click.option("--quantity", required=True, metavar="UNITS", help="Units called off.")
@click.option("--ship-by", required=True, metavar="DATE", help="When the supplier should ship: ISO 8601 or +14d.")
@click.option("--po", "po", required=True, metavar="TEXT", help="Your purchase-order number (kept on chain as text when it fits 32 bytes).")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def create(agreement: str, quantity: str, ship_by: str, po: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Call off --quantity units under AGREEMENT and lock their price in escrow."""
    suite = open_suite(deployment_path)
    a = agreement_view(suite, parse_id(agreement, "AGREEMENT"))
    units = parse_quantity(quantity)
    when = parse_when(ship_by, "--ship-by", suite.now)
    reference = po_ref(po)
    if a.status != ACTIVE:
        reason = "the supplier has not accepted it yet" if a.status == PROPOSED else "it was closed"
        fail(f"agreement {a.id} is {a.status_name}: {reason}")
    if units > a.units_left:
        fail(f"--quantity {units:,}: only {a.units_left:,} of the agreement's {a.terms.max_quantity:,} units are left")
    if when <= suite.now:
        fail(f"--ship-by: {format_when(when)} is not after the chain's time {format_when(suite.now)}")
    amount = a.terms.amount(units)
    token = a.token
    held = token.balance(account)
    if held < amount:
        fail(f"you hold {token.format(held)}; this call-off locks {token.format(amount)}")
    allowance = token.allowance(account, suite.escrow)
    steps = approval_steps(allowance, amount)
    hints = {
        "escrow: not buyer": _not_for_you("buyer", a.buyer),
        "escrow: supplier not certified": f"the supplier {a.terms.supplier} holds no live certification for the part's v{a.terms.version}",
        "escrow: agreement expired": f"it was valid until {format_when(a.terms.valid_until)}",
    }
    preview = Preview(f"Call off {units:,} units under agreement #{a.id} (PO {po_text(reference)})")
    preview.row("locks", f"{token.format(amount)} from you ({account.address}) in escrow, now")
    if not token.is_eth:
        if steps:
            approve = " then ".join(f"approve({token.format(step)})" for step in steps)
            reset = " (the left-over allowance is reset to 0 first)" if len(steps) == 2 else ""
            preview.row("approve", f"{approve} for the escrow{reset}")
        else:
            preview.row("approve", f"none: the escrow may already pull {token.format(allowance)}")
    preview.row("supplier", f"{a.terms.supplier} ships by {format_when(when, suite.now)}")
    if a.terms.grace_period:
        preview.row("late", f"until {format_when(when + a.terms.grace_period)}: {pct(a.terms.penalty_bps_per_day)} a day, at most {pct(a.terms.penalty_cap_bps)}")
    preview.row("refund", f"units unshipped after {format_when(when + a.terms.grace_period)} can be refunded to you")
    args = (a.id, units, when, reference)
    value = amount if token.is_eth else 0
    if token.is_eth or not steps:
        receipt = _send(suite.escrow.create_order, *args, account=account, yes=yes, preview=preview, value=value, hints=hints)
    else:
        preview.show()
        confirm_send(yes)
        unlock_signer(account)
        ensure_allowance(token, account, suite.escrow, amount, on_step=lambda step, r: click.echo(f"Approved {token.format(step)} for the escrow ({r.txn_hash})"))
        simulate(suite.escrow.create_order, *args, sender=account, hints=hints)
        receipt = suite.escrow.create_order(*args, sender=account)
    order_id = int(event_args(receipt, suite.escrow.OrderCreated).order_id)
    click.echo(f"Created order #{order_id} under agreement #{a.id}: {units:,} units, {token.format(amount)} locked, ship by {format_when(when)} ({receipt.txn_hash})")


@cli.command(cls=COMMAND, short_help="Supplier: turn a call-off down before anything shipped")
@click.argument("order")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def decline(order: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Decline ORDER: its whole amount goes back to the buyer, its units back under the agreement's cap."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    hints = {
        "escrow: not supplier": _not_for_you("supplier", o.supplier),
        "escrow: order under way": "units were already shipped, received or refunded",
        "escrow: payout assigned": f"its payout was sold to {o.payout_holder}",
    }
    preview = (
        Preview(f"Decline {_order_title(o)}")
        .row("returns", f"{o.money(o.amount)} to the buyer {o.buyer}")
        .row("units", f"{o.quantity:,} go back under the agreement's cap")
        .row("final", "a declined order can never be shipped, received or refunded")
    )
    receipt = _send(suite.escrow.decline_order, o.id, account=account, yes=yes, preview=preview, hints=hints)
    click.echo(f"Declined order #{o.id} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, roles_of(o.agreement, o))


@cli.command(cls=COMMAND, short_help="Buyer (anyone): refund the units left unshipped after the window")
@click.argument("order")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def refund(order: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Refund ORDER's unshipped units to its buyer once ship-by + grace has passed."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    hints = {
        "escrow: shipping window open": f"the supplier may ship until {format_when(o.grace_end, suite.now)}",
        "escrow: nothing to refund": "every unit was shipped, received or already refunded",
        "escrow: order declined": "a declined order was already paid back in full",
    }
    names = roles_of(o.agreement, o, account.address)
    preview = (
        Preview(f"Refund the unshipped units of {_order_title(o)}")
        .row("units", f"{o.open_units:,} of {o.quantity:,} never shipped nor received")
        .row("returns", f"{o.money(o.open_units * o.agreement.terms.unit_price)} to {who(o.buyer, names)}")
        .row("window", f"closed {format_when(o.grace_end, suite.now)}")
        .row("lots", "already shipped lots are not touched")
    )
    receipt = _send(suite.escrow.refund_expired, o.id, account=account, yes=yes, preview=preview, hints=hints)
    log = event_args(receipt, suite.escrow.OrderRefunded)
    click.echo(f"Refunded {int(log.quantity):,} unit(s) of order #{o.id}: {o.money(int(log.amount))} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


@cli.command(cls=COMMAND, short_help="Payout holder: sell an order's receivable to a bank or factor")
@click.argument("order")
@click.argument("assignee")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def assign(order: str, assignee: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Let ASSIGNEE receive the supplier's remainder of every later settlement of ORDER."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    target = resolve_address(assignee, "ASSIGNEE")
    names = roles_of(o.agreement, o, account.address)
    in_review = sum(
        lot.value
        for lot in (lot_view(suite, o, n) for n in range(1, o.lot_count + 1))
        if lot.status in (SHIPPED, DISPUTED)
    )
    hints = {
        "escrow: not payout holder": _not_for_you("payout holder", o.payout_holder),
        "escrow: forbidden assignee": "an assignee may not be the inspector, a subcontractor or the escrow",
        "escrow: already payout holder": f"{target} already holds the payout",
    }
    preview = (
        Preview(f"Assign the payout of {_order_title(o)} to {target}")
        .row("from", who(o.payout_holder, names))
        .row("covers", f"lots in review or dispute {o.money(in_review)}; unshipped units {o.money(o.open_units * o.agreement.terms.unit_price)}")
        .row("untouched", f"subcontractors' shares ({shares_summary(o.agreement.payees)}) and late penalties")
    )
    receipt = _send(suite.escrow.assign_payout, o.id, target, account=account, yes=yes, preview=preview, hints=hints)
    click.echo(f"Assigned the payout of order #{o.id} to {target} ({receipt.txn_hash})")


# ---------------------------------------------------------------- lots


def _evidence_options(file_option: str, hash_option: str, what: str) -> Any:
    def decorate(func: Any) -> Any:
        func = click.option(hash_option, "evidence_hash", default=None, metavar="HEX", help=f"keccak256 of the {what}, if the file is elsewhere.")(func)
        func = click.option(file_option, "evidence_file", default=None, metavar="FILE", help=f"The {what}; its keccak256 goes on chain.")(func)
        return func

    return decorate


def _evidence(file_text: str | None, hex_text: str | None, file_option: str, hash_option: str) -> bytes:
    return hash_of(file_text, hex_text, file_option, hash_option)


@cli.command(cls=COMMAND, short_help="Supplier: ship a lot of an order")
@click.argument("order")
@click.option("--quantity", default=None, metavar="UNITS", help="Units in this lot (default: every open unit).")
@_evidence_options("--docs", "--shipment-hash", "shipping documents")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def ship(
    order: str, quantity: str | None, evidence_file: str | None, evidence_hash: str | None, account: Any, deployment_path: str | None, yes: bool
) -> None:
    """Record that a lot of ORDER left the factory; the buyer's review period starts."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    shipment = _evidence(evidence_file, evidence_hash, "--docs", "--shipment-hash")
    units = parse_quantity(quantity) if quantity is not None else o.open_units
    if units == 0:
        fail(f"order #{o.id} has no open units to ship ({o.units_shipped:,} shipped or received, {o.units_refunded:,} refunded{', declined' if o.declined else ''})")
    terms = o.agreement.terms
    penalty_bps = penalty_if_shipped(suite.escrow, o.id)
    value = units * terms.unit_price
    payout = lot_payout(value, [p.share_bps for p in o.agreement.payees], penalty_bps=penalty_bps)
    names = roles_of(o.agreement, o, account.address)
    hints = {
        "escrow: not supplier": _not_for_you("supplier", o.supplier),
        "escrow: shipping window closed": f"it closed {format_when(o.grace_end, suite.now)}; the open units can only be refunded: `ape run orders refund {o.id}`",
        "escrow: quantity above open units": f"{o.open_units:,} unit(s) are open",
        "escrow: supplier not certified": f"your certification for v{terms.version} lapsed; a certifier renews it",
        "escrow: order declined": "you declined it",
    }
    late = "on time"
    if suite.now > o.ship_by:
        late = f"late, penalty {pct(penalty_bps)} ({o.money(payout.penalty)} back to the buyer when paid)"
    preview = (
        Preview(f"Ship lot {o.lot_count + 1} of {_order_title(o)}")
        .row("units", f"{units:,} of {o.open_units:,} open; value {o.money(value)}")
        .row("ship-by", f"{format_when(o.ship_by, suite.now)}: {late}")
        .row("shipment", "0x" + shipment.hex() + ("" if any(shipment) else " (no documents hashed)"))
        .row("review", f"the buyer may confirm or dispute until {format_when(suite.now + terms.review_period, suite.now)}; then anyone may release it")
        .payout("when it is paid:", payout, [p.account for p in o.agreement.payees], o.payout_holder, o.buyer, names, o.agreement.token)
    )
    receipt = _send(suite.escrow.ship, o.id, units, shipment, account=account, yes=yes, preview=preview, hints=hints)
    log = event_args(receipt, suite.escrow.LotShipped)
    click.echo(
        f"Shipped lot {int(log.lot)} of order #{o.id}: {int(log.quantity):,} units, {o.money(int(log.value))}, "
        f"penalty {pct(int(log.penalty_bps))} ({receipt.txn_hash})"
    )


@cli.command(cls=COMMAND, short_help="Buyer or inspector: accept goods in hand and pay for them")
@click.argument("order")
@click.option("--quantity", required=True, metavar="UNITS", help="Units received.")
@_evidence_options("--receipt", "--receipt-hash", "goods-received note")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def receive(
    order: str, quantity: str, evidence_file: str | None, evidence_hash: str | None, account: Any, deployment_path: str | None, yes: bool
) -> None:
    """Record --quantity units of ORDER as received without a shipping notice: a paid lot, no penalty."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    receipt_hash = _evidence(evidence_file, evidence_hash, "--receipt", "--receipt-hash")
    units = parse_quantity(quantity)
    names = roles_of(o.agreement, o, account.address)
    payout = lot_payout(o.agreement.terms.amount(units), [p.share_bps for p in o.agreement.payees])
    hints = {
        "escrow: not buyer or inspector": f"the buyer is {o.buyer}" + (f", the inspector {o.agreement.inspector}" if o.agreement.inspector else "") + "; use --account with one of them",
        "escrow: shipping window closed": f"it closed {format_when(o.grace_end, suite.now)}; the open units can only be refunded",
        "escrow: quantity above open units": f"{o.open_units:,} unit(s) are open",
    }
    preview = (
        Preview(f"Receive {units:,} units of {_order_title(o)} as lot {o.lot_count + 1}")
        .row("units", f"{units:,} of {o.open_units:,} open; no penalty on a received lot")
        .row("receipt", "0x" + receipt_hash.hex() + ("" if any(receipt_hash) else " (no document hashed)"))
        .payout("pays now:", payout, [p.account for p in o.agreement.payees], o.payout_holder, o.buyer, names, o.agreement.token)
    )
    receipt = _send(suite.escrow.receive_goods, o.id, units, receipt_hash, account=account, yes=yes, preview=preview, hints=hints)
    log = event_args(receipt, suite.escrow.GoodsReceived)
    click.echo(f"Received lot {int(log.lot)} of order #{o.id}: {units:,} units, {o.money(int(log.value))} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


def _lot_hints(o: OrderView, lot: Any, suite: Suite) -> dict[str, str]:
    return {
        "escrow: lot not shipped": f"lot {lot.number} is {lot.status_name}",
        "escrow: not buyer or inspector": f"the buyer is {o.buyer}" + (f", the inspector {o.agreement.inspector}" if o.agreement.inspector else "") + "; use --account with one of them",
        "escrow: review period running": f"the buyer may confirm or dispute until {format_when(lot.review_end, suite.now)}",
        "escrow: review period over": f"it ended {format_when(lot.review_end, suite.now)}; the lot can only be confirmed or released now",
        "escrow: lot not disputed": f"lot {lot.number} is {lot.status_name}",
    }


@cli.command(cls=COMMAND, short_help="Buyer or inspector: confirm a shipped lot and pay it")
@click.argument("order")
@click.argument("lot")
@_evidence_options("--receipt", "--receipt-hash", "goods-received note")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def confirm(
    order: str, lot: str, evidence_file: str | None, evidence_hash: str | None, account: Any, deployment_path: str | None, yes: bool
) -> None:
    """Confirm LOT of ORDER arrived as ordered: everyone is paid in this transaction."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    lv = lot_view(suite, o, parse_id(lot, "LOT"))
    receipt_hash = _evidence(evidence_file, evidence_hash, "--receipt", "--receipt-hash")
    names = roles_of(o.agreement, o, account.address)
    preview = Preview(f"Confirm lot {lv.number} of {_order_title(o)}").row(
        "lot", f"{lv.quantity:,} units, {o.money(lv.value)}, {lv.status_name}, penalty {pct(lv.penalty_bps)}"
    )
    if lv.status == SHIPPED:
        _lot_payout_preview(preview, suite, o, lv.number, names)
    receipt = _send(suite.escrow.confirm_delivery, o.id, lv.number, receipt_hash, account=account, yes=yes, preview=preview, hints=_lot_hints(o, lv, suite))
    click.echo(f"Confirmed lot {lv.number} of order #{o.id} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


@cli.command("sign-receipt", cls=COMMAND, short_help="Buyer or inspector: sign a delivery receipt anyone can relay")
@click.argument("order")
@click.argument("lot")
@_evidence_options("--receipt", "--receipt-hash", "goods-received note")
@click.option("--deadline", default="+1d", show_default=True, metavar="DATE", help="Until when it may be relayed: ISO 8601 or +2d.")
@click.option("--out", default=None, metavar="FILE", help="Write the signed receipt here (default: stdout).")
@account_option()
@deployment_option()
@one_line_errors
def sign_receipt_command(
    order: str,
    lot: str,
    evidence_file: str | None,
    evidence_hash: str | None,
    deadline: str,
    out: str | None,
    account: Any,
    deployment_path: str | None,
) -> None:
    """Sign an EIP-712 receipt for LOT of ORDER (no transaction, no gas); `relay` sends it."""
    suite = open_suite(deployment_path)
    o = order_view(suite, parse_id(order, "ORDER"))
    lv = lot_view(suite, o, parse_id(lot, "LOT"))
    receipt_hash = _evidence(evidence_file, evidence_hash, "--receipt", "--receipt-hash")
    until = parse_when(deadline, "--deadline", suite.now)
    if until < suite.now:
        fail(f"--deadline: {format_when(until)} is already past (chain time {format_when(suite.now)}); nobody could relay it — give a later one, e.g. +1d")
    if lv.status != SHIPPED:
        fail(f"lot {lv.number} of order #{o.id} is {lv.status_name}, not SHIPPED: there is nothing to confirm")
    allowed = [o.agreement.buyer] + ([o.agreement.inspector] if o.agreement.inspector else [])
    if account.address not in allowed:
        fail(f"{account.address} may not confirm order #{o.id}: the buyer is {o.agreement.buyer}" + (f", the inspector {o.agreement.inspector}" if o.agreement.inspector else ""))
    if out is not None and Path(out).expanduser().exists():
        fail(f"--out: {out} already exists; refusing to overwrite it")
    unlock_signer(account)
    signed = sign_lot_receipt(suite.escrow, account, o.id, lv.number, receipt_hash, until)
    text = json.dumps({**signed.to_dict(), "signer": account.address}, indent=2)
    if out is None:
        click.echo(text)
        return
    Path(out).expanduser().write_text(text + "\n", encoding="utf-8")
    click.echo(f"Signed a receipt for lot {lv.number} of order #{o.id} as {account.address}, valid until {format_when(until, suite.now)} -> {out}", err=True)


@cli.command(cls=COMMAND, short_help="Anyone: relay a signed receipt (pays the gas, pays the lot)")
@click.argument("receipt_file")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def relay(receipt_file: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Send RECEIPT_FILE (from `sign-receipt`) with confirm_delivery_signed: the lot is paid."""
    path = Path(receipt_file).expanduser()
    if not path.is_file():
        fail(f"RECEIPT_FILE: no such file {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{path}: not a JSON receipt ({exc.__class__.__name__})")
    signed = SignedReceipt.from_dict(data)
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, signed.order_id))
    lv = lot_view(suite, o, signed.lot)
    signer = check_lot_receipt(suite.escrow, signed)
    names = roles_of(o.agreement, o, account.address)
    preview = (
        Preview(f"Relay the receipt for lot {lv.number} of {_order_title(o)}")
        .row("signed by", who(signer, names))
        .row("valid until", format_when(signed.deadline, suite.now))
        .row("gas", f"paid by you ({account.address})")
    )
    _lot_payout_preview(preview, suite, o, lv.number, names)
    simulate(suite.escrow.confirm_delivery_signed, *signed.as_args(), sender=account, hints=_lot_hints(o, lv, suite))
    preview.show()
    confirm_send(yes)
    unlock_signer(account)
    receipt = relay_receipt(suite.escrow, signed, account, check=False)
    click.echo(f"Relayed the receipt of {signer} for lot {lv.number} of order #{o.id} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


@cli.command(cls=COMMAND, short_help="Anyone: pay a lot whose review period ended in silence")
@click.argument("order")
@click.argument("lot")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def release(order: str, lot: str, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Release LOT of ORDER after its review period: the buyer's silence pays the supplier side."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    lv = lot_view(suite, o, parse_id(lot, "LOT"))
    names = roles_of(o.agreement, o, account.address)
    preview = Preview(f"Release lot {lv.number} of {_order_title(o)}").row(
        "review", f"ended {format_when(lv.review_end, suite.now)}" if lv.review_end else "none (received lot)"
    )
    if lv.status == SHIPPED:
        _lot_payout_preview(preview, suite, o, lv.number, names)
    receipt = _send(suite.escrow.release, o.id, lv.number, account=account, yes=yes, preview=preview, hints=_lot_hints(o, lv, suite))
    click.echo(f"Released lot {lv.number} of order #{o.id} ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


@cli.command(cls=COMMAND, short_help="Buyer or inspector: dispute a shipped lot during its review")
@click.argument("order")
@click.argument("lot")
@_evidence_options("--reason", "--reason-hash", "complaint")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def dispute(
    order: str, lot: str, evidence_file: str | None, evidence_hash: str | None, account: Any, deployment_path: str | None, yes: bool
) -> None:
    """Stop the payout of LOT of ORDER and hand it to arbitration."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    lv = lot_view(suite, o, parse_id(lot, "LOT"))
    reason = _evidence(evidence_file, evidence_hash, "--reason", "--reason-hash")
    timeout = int(suite.escrow.arbitration_timeout())
    preview = (
        Preview(f"Dispute lot {lv.number} of {_order_title(o)}")
        .row("lot", f"{lv.quantity:,} units, {o.money(lv.value)}; review until {format_when(lv.review_end, suite.now)}")
        .row("reason", "0x" + reason.hex() + ("" if any(reason) else " (no complaint document hashed)"))
        .row("moves", "nothing: the lot's value stays in escrow until it is resolved")
        .row("arbiter", f"rules by {format_when(suite.now + timeout, suite.now)}; after that anyone may split it 50/50 (`ape run orders resolve {o.id} {lv.number} --expired`)")
    )
    receipt = _send(suite.escrow.dispute, o.id, lv.number, reason, account=account, yes=yes, preview=preview, hints=_lot_hints(o, lv, suite))
    click.echo(f"Disputed lot {lv.number} of order #{o.id} ({receipt.txn_hash})")


@cli.command(cls=COMMAND, short_help="Arbiter: split a disputed lot (or anyone, 50/50, once arbitration expired)")
@click.argument("order")
@click.argument("lot")
@click.option("--supplier-share", default=None, metavar="PERCENT", help="The supplier side's share of the lot (the rest goes to the buyer).")
@click.option("--expired", is_flag=True, help="Split 50/50 because the arbitration deadline passed (anyone may).")
@account_option()
@deployment_option()
@yes_option()
@safe_options()
@one_line_errors
def resolve(
    order: str,
    lot: str,
    supplier_share: str | None,
    expired: bool,
    account: Any,
    deployment_path: str | None,
    yes: bool,
    safe_text: str | None,
    proposal_path: str | None,
) -> None:
    """Settle a disputed LOT of ORDER: --supplier-share as arbiter, or --expired after the deadline.

    With --safe the arbiter is that Safe multisig: --account signs as one of its owners and the
    run that reaches the Safe's threshold executes (see `ape run roles --help`)."""
    if (supplier_share is None) == (not expired):
        fail("give --supplier-share PERCENT (as the arbiter) or --expired (anyone, after the arbitration deadline)")
    suite = open_suite(deployment_path)
    safe = open_safe(safe_text) if safe_text else None
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    lv = lot_view(suite, o, parse_id(lot, "LOT"))
    bps = BPS // 2 if expired else _percent(supplier_share or "", "--supplier-share")
    if bps > BPS:
        fail(f"--supplier-share: {pct(bps)} is above 100 %")
    names = roles_of(o.agreement, o, safe.address if safe else account.address)
    hints = {
        **_lot_hints(o, lv, suite),
        "access_control: account is missing role": f"only an arbiter may rule{' (the Safe does not hold ARBITER_ROLE)' if safe else ''}; after {format_when(lv.arbitration_deadline, suite.now)} anyone may split it 50/50 with --expired",
        "escrow: arbitration running": f"the arbiter may rule until {format_when(lv.arbitration_deadline, suite.now)}",
        "escrow: arbiter is a party": "the arbiter is a party of this order and may not rule on it",
    }
    preview = Preview(f"Resolve lot {lv.number} of {_order_title(o)}: supplier side {pct(bps)}").row(
        "lot", f"{lv.quantity:,} units, {o.money(lv.value)}, {lv.status_name}, penalty {pct(lv.penalty_bps)}"
    )
    if lv.status == DISPUTED:
        preview.row("deadline", f"arbitration until {format_when(lv.arbitration_deadline, suite.now)}")
        _lot_payout_preview(preview, suite, o, lv.number, names, supplier_bps=bps)
    if safe is not None:
        name, args = ("resolve_expired", (o.id, lv.number)) if expired else ("resolve", (o.id, lv.number, bps))
        data = bytes(getattr(suite.escrow, name).encode_input(*args))
        call = SafeCall(suite.escrow.address, data, f"{name}({', '.join(map(str, args))}) on OrderEscrow")
        receipts = through_safe(safe, [call], account, proposal_path, yes, preview.title, preview=preview, hints=hints, refuser="the escrow")
        if not receipts:
            return
        receipt = receipts[0]
    elif expired:
        receipt = _send(suite.escrow.resolve_expired, o.id, lv.number, account=account, yes=yes, preview=preview, hints=hints)
    else:
        receipt = _send(suite.escrow.resolve, o.id, lv.number, bps, account=account, yes=yes, preview=preview, hints=hints)
    click.echo(f"Resolved lot {lv.number} of order #{o.id} at {pct(bps)} to the supplier side ({receipt.txn_hash})")
    _echo_outcome(receipt, suite, o, names)


# ---------------------------------------------------------------- credits


def _credit_tokens(suite: Suite, account: str) -> list[str]:
    """ETH and every token a payment to ``account`` was ever deferred in."""
    tokens = {ZERO_ADDRESS}
    logs = suite.escrow.PaymentDeferred.range(
        suite.deployment.block_number, suite.escrow.chain_manager.blocks.height + 1, search_topics={"payee": account}
    )
    tokens.update(str(log.token) for log in logs)
    return sorted(tokens)


@cli.command(cls=COMMAND, short_help="Withdraw your credits (payments whose transfer failed)")
@click.option("--token", "token_text", default=None, metavar="ADDRESS|eth", help="Only this token (default: every token you have a credit in).")
@click.option("--to", "recipient", default=None, metavar="ADDRESS", help="Send the credit to another address (e.g. after a token blocklisted yours).")
@account_option()
@deployment_option()
@yes_option()
@one_line_errors
def claim(token_text: str | None, recipient: str | None, account: Any, deployment_path: str | None, yes: bool) -> None:
    """Withdraw what the escrow holds for you because pushing it to you failed."""
    suite = open_suite(deployment_path)
    target = resolve_address(recipient, "--to") if recipient else None
    tokens = [_token(token_text)] if token_text is not None else [token_at(t) for t in _credit_tokens(suite, account.address)]
    credits = [(t, int(suite.escrow.credit_of(account.address, t.address))) for t in tokens]
    credits = [(t, amount) for t, amount in credits if amount]
    if not credits:
        click.echo(f"Nothing to claim: {account.address} has no credit on escrow {suite.escrow.address}")
        return
    preview = Preview(f"Claim the credits of {account.address}")
    for t, amount in credits:
        preview.row(t.symbol, f"{t.format(amount)} -> {target or account.address}")
    for t, _ in credits:
        args = (t.address, target) if target else (t.address,)
        simulate(suite.escrow.claim_to if target else suite.escrow.claim, *args, sender=account)
    preview.show()
    confirm_send(yes)
    unlock_signer(account)
    for t, amount in credits:
        receipt = suite.escrow.claim_to(t.address, target, sender=account) if target else suite.escrow.claim(t.address, sender=account)
        click.echo(f"Claimed {t.format(amount)} ({receipt.txn_hash})")


# ---------------------------------------------------------------- readers


def _status_of(o: OrderView, lots: list[Any]) -> str:
    if o.declined:
        return "declined"
    open_lots = [lot for lot in lots if lot.status in (SHIPPED, DISPUTED)]
    if o.open_units == 0 and not open_lots:
        return "settled"
    return "open"


@cli.command(cls=COMMAND, short_help="An order as the chain sees it now: parties, lots, clocks, next step")
@click.argument("order")
@deployment_option()
@one_line_errors
def show(order: str, deployment_path: str | None) -> None:
    """Print ORDER (its agreement's terms, every lot, the running clocks) from the escrow's views."""
    suite = open_suite(deployment_path)
    o = _with_po(suite, order_view(suite, parse_id(order, "ORDER")))
    a = o.agreement
    lots = [lot_view(suite, o, n) for n in range(1, o.lot_count + 1)]
    names = roles_of(a, o)
    status = _status_of(o, lots)
    click.echo(f"Order #{o.id}{' (PO ' + o.po + ')' if o.po else ''} under agreement #{a.id} ({a.status_name}): {status}")
    click.echo(f"  buyer      {o.buyer}")
    click.echo(f"  supplier   {o.supplier}")
    if a.inspector:
        click.echo(f"  inspector  {a.inspector}")
    if o.assigned:
        click.echo(f"  payout     {o.payout_holder} (assignee)")
    click.echo(f"  payees     {shares_summary(a.payees)}")
    click.echo(f"  price      {o.money(a.terms.unit_price)} per unit; {o.quantity:,} units, {o.money(o.amount)}")
    click.echo(
        f"  units      {o.units_shipped:,} shipped or received, {o.units_refunded:,} refunded, {o.open_units:,} open"
        + (" (declined: everything went back to the buyer)" if o.declined else "")
    )
    click.echo(f"  ship-by    {format_when(o.ship_by, suite.now)}; late lots until {format_when(o.grace_end, suite.now)}")
    for lot in lots:
        detail = "received" if lot.received else f"penalty {pct(lot.penalty_bps)}"
        clock = ""
        if lot.status == SHIPPED:
            clock = f"; review until {format_when(lot.review_end, suite.now)}"
        elif lot.status == DISPUTED:
            clock = f"; arbitration until {format_when(lot.arbitration_deadline, suite.now)}"
        click.echo(f"  lot {lot.number:<3}    {lot.quantity:,} units, {o.money(lot.value)}, {lot.status_name}, {detail}{clock}")
    click.echo(f"  next       {_next_step(suite, o, lots, names)}")


def _next_step(suite: Suite, o: OrderView, lots: list[Any], names: dict[str, list[str]]) -> str:
    if o.declined:
        return "nothing: the order was declined"
    for lot in lots:
        if lot.status == SHIPPED:
            if suite.now > lot.review_end:
                return f"anyone may release lot {lot.number}: `ape run orders release {o.id} {lot.number}`"
            return f"the buyer confirms or disputes lot {lot.number} by {format_when(lot.review_end, suite.now)}"
        if lot.status == DISPUTED:
            if suite.now > lot.arbitration_deadline:
                return f"anyone may split lot {lot.number} 50/50: `ape run orders resolve {o.id} {lot.number} --expired`"
            return f"an arbiter resolves lot {lot.number} by {format_when(lot.arbitration_deadline, suite.now)}"
    if o.open_units:
        if suite.now > o.grace_end:
            return f"anyone may refund the {o.open_units:,} open units: `ape run orders refund {o.id}`"
        if suite.now > o.ship_by:
            return f"the supplier may still ship the {o.open_units:,} open units, late, until {format_when(o.grace_end, suite.now)}"
        return f"the supplier ships the {o.open_units:,} open units by {format_when(o.ship_by, suite.now)}"
    return "nothing: every unit is settled"


def _party(text: str | None, what: str = "PARTY") -> str | None:
    return resolve_address(text, what) if text else None


class _Tokens:
    """Token facts read once per command."""

    def __init__(self) -> None:
        self._known: dict[str, Token] = {}

    def __call__(self, address: str) -> Token:
        if address not in self._known:
            self._known[address] = token_at(address)
        return self._known[address]


def _ledger_header(sync: Any, suite: Suite) -> str:
    cursor = sync.ledger.cursor
    if cursor is None:
        return "ledger: nothing indexed yet"
    return f"as of block {cursor[0]:,} ({format_when(sync.ledger.now())})"


@cli.command("list", cls=COMMAND, short_help="Orders from the ledger: all, or those a party takes part in")
@click.argument("party", required=False)
@ledger_options()
@deployment_option()
@one_line_errors
def list_orders(party: str | None, confirmations_text: str | None, ledger_file: str | None, deployment_path: str | None) -> None:
    """List the orders PARTY takes part in (buyer, supplier, assignee, inspector, subcontractor), or all."""
    who_text = _party(party)
    suite = open_suite(deployment_path)
    sync = synced_ledger(suite.deployment, confirmations_text, ledger_file)
    try:
        ledger = sync.ledger
        if who_text:
            orders = ledger.orders_of(who_text)
        else:
            orders, number = [], 1
            while (found := ledger.order(number)) is not None:
                orders.append(found)
                number += 1
        tokens = _Tokens()
        click.echo(f"{len(orders)} order(s){' of ' + who_text if who_text else ''}, {_ledger_header(sync, suite)}")
        for data in orders:
            token = tokens(data["token"])
            full = ledger.order(data["order_id"]) or data
            open_lots = [lot for lot in full.get("lots", []) if lot["status"] in (SHIPPED, DISPUTED)]
            open_units = 0 if data["refunded"] or data["declined"] else data["quantity"] - data["units_shipped"]
            state = "declined" if data["declined"] else ("settled" if not open_units and not open_lots else "open")
            roles = f"  [{', '.join(data['roles'])}]" if data.get("roles") else ""
            po = data.get("po_ref_text") or ""
            click.echo(
                f"  #{data['order_id']:<4} {po[:32]:<14} agreement #{data['agreement_id']:<3} "
                f"{data['units_shipped']:,}/{data['quantity']:,} units  {token.format(data['amount'])}  {state}"
                f"{f', {len(open_lots)} lot(s) in review or dispute' if open_lots else ''}{roles}"
            )
    finally:
        sync.ledger.close()


@cli.command(cls=COMMAND, short_help="What an address has locked, will receive and may claim, per token")
@click.argument("address")
@ledger_options()
@deployment_option()
@one_line_errors
def owed(address: str, confirmations_text: str | None, ledger_file: str | None, deployment_path: str | None) -> None:
    """Per token: what ADDRESS has locked as a buyer, will receive as supplier, subcontractor or
    assignee (lots in review, unshipped units, lots in dispute), and its credits to claim."""
    who_address = resolve_address(address, "ADDRESS")
    suite = open_suite(deployment_path)
    sync = synced_ledger(suite.deployment, confirmations_text, ledger_file)
    try:
        totals = sync.ledger.owed(who_address, now=suite.now)
        tokens = _Tokens()
        click.echo(f"{who_address}, {_ledger_header(sync, suite)}")
        if not totals:
            click.echo("  nothing locked, receivable or to claim")
        for token_address, item in totals.items():
            token = tokens(token_address)
            click.echo(f"  {token.symbol} ({token_address})")
            click.echo(f"    locked as buyer      {token.format(item.locked)}")
            click.echo(f"    receivable           {token.format(item.receivable)}  (lots in review {token.format(item.in_review)}, unshipped units {token.format(item.unshipped)})")
            click.echo(f"    in dispute           {token.format(item.in_dispute)}  (if the supplier side is awarded in full)")
            click.echo(f"    credit to claim      {token.format(item.credit)}" + ("  (`ape run orders claim`)" if item.credit else ""))
    finally:
        sync.ledger.close()


@cli.command(cls=COMMAND, short_help="The running clocks, soonest first: who acts, what happens after")
@click.option("--party", default=None, metavar="ADDRESS", help="Only the orders this address takes part in.")
@click.option("--upcoming", is_flag=True, help="Leave out the clocks that already ran out (those are due now).")
@ledger_options()
@deployment_option()
@one_line_errors
def deadlines(party: str | None, upcoming: bool, confirmations_text: str | None, ledger_file: str | None, deployment_path: str | None) -> None:
    """Every ship-by, shipping window, review period and arbitration deadline still running."""
    who_address = _party(party, "--party")
    suite = open_suite(deployment_path)
    sync = synced_ledger(suite.deployment, confirmations_text, ledger_file)
    try:
        items = sync.ledger.deadlines(suite.now, party=who_address, include_past=not upcoming)
        tokens = _Tokens()
        click.echo(f"{len(items)} clock(s){' of ' + who_address if who_address else ''}, {_ledger_header(sync, suite)}")
        for item in items:
            token = tokens(item.token)
            where = f"order #{item.order_id}" + (f" lot {item.lot}" if item.lot else "")
            if item.due_at < suite.now:
                action = f"ran out: {item.after}"
            else:
                action = f"{item.who}; then {item.after}"
            click.echo(f"  {format_when(item.due_at, suite.now)}  {item.kind:<15} {where:<16} {token.format(item.amount)}  {action}")
    finally:
        sync.ledger.close()


@cli.command(cls=COMMAND, short_help="Every payment, refund and penalty as CSV or JSON Lines, for an ERP")
@click.option("--format", "fmt", default="csv", show_default=True, metavar="csv|jsonl")
@click.option("--out", default=None, metavar="FILE", help="Write here (default: stdout).")
@click.option("--party", default=None, metavar="ADDRESS", help="Only rows paying this address.")
@click.option("--since-block", default="0", show_default=True, metavar="N", help="Only rows from this block on.")
@ledger_options()
@deployment_option()
@one_line_errors
def export(
    fmt: str, out: str | None, party: str | None, since_block: str, confirmations_text: str | None, ledger_file: str | None, deployment_path: str | None
) -> None:
    """One row per payment, deferral, claim, refund and penalty, with PO, order, lot, payee, token,
    amount (smallest unit, exact), transaction and block time."""
    if fmt not in ("csv", "jsonl"):
        fail(f"--format: {fmt!r} is not csv or jsonl")
    if not since_block.strip().isdigit():
        fail(f"--since-block: {since_block!r} is not a block number")
    who_address = _party(party, "--party")
    if out is not None and Path(out).expanduser().exists():
        fail(f"--out: {out} already exists; refusing to overwrite it")
    suite = open_suite(deployment_path)
    sync = synced_ledger(suite.deployment, confirmations_text, ledger_file)
    try:
        filters = {"since_block": int(since_block), "party": who_address}
        if out is None:
            stream = click.get_text_stream("stdout")
            sync.ledger.write_export(stream, fmt, **filters)
            return
        target = Path(out).expanduser()
        with target.open("w", encoding="utf-8", newline="") as handle:
            count = sync.ledger.write_export(handle, fmt, **filters)
        click.echo(f"Exported {count} row(s) to {target} ({_ledger_header(sync, suite)})", err=True)
    finally:
        sync.ledger.close()


# ---------------------------------------------------------------- notifications


def _post(url: str, payload: dict[str, Any]) -> str | None:
    """POST ``payload`` as JSON; the error in one line, or None."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return " ".join(str(getattr(exc, "reason", exc)).split())
    return None


@cli.command(cls=COMMAND, short_help="Print (and POST) what a party must know, as it happens")
@click.option("--party", required=True, metavar="ADDRESS", help="The address to watch for.")
@click.option("--webhook", default=None, metavar="URL", help="Also POST each notice there as JSON.")
@click.option("--interval", default="15s", show_default=True, metavar="DURATION", help="Time between polls of the node.")
@click.option("--from-block", "from_block", default=None, metavar="N", help="Report events from this block on (default: new ones only).")
@click.option("--once", is_flag=True, help="Poll once and exit (for cron, and tests).")
@ledger_options()
@deployment_option()
@one_line_errors
def watch(
    party: str,
    webhook: str | None,
    interval: str,
    from_block: str | None,
    once: bool,
    confirmations_text: str | None,
    ledger_file: str | None,
    deployment_path: str | None,
) -> None:
    """Report designs revised and keys shared for PARTY, orders created and lots shipped, review
    periods ending within 24 h, certifications ending within 14 days, payments deferred to credits."""
    import time

    from ape import chain

    from factorychain.notices import clock_notices, event_notices

    me = resolve_address(party, "--party")
    pause = parse_duration(interval, "--interval")
    if from_block is not None and not from_block.strip().isdigit():
        fail(f"--from-block: {from_block!r} is not a block number")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        fail(f"--webhook: {webhook!r} is not an http(s) URL")
    suite = open_suite(deployment_path)
    registry = suite.registry
    start = int(from_block) if from_block is not None else int(chain.blocks.height) + 1
    reported: set[str] = set()
    last_seen = start - 1

    def certification(part_id: str, version: int, supplier: str) -> tuple[bool, int]:
        pid = bytes.fromhex(part_id[2:])
        return bool(registry.is_certified(pid, version, supplier)), int(registry.certified_until(pid, version, supplier))

    def has_access(part_id: str) -> bool:
        return bool(registry.has_access(bytes.fromhex(part_id[2:]), me))

    click.echo(f"Watching {me} on escrow {suite.escrow.address} from block {start:,}" + (f"; POSTing to {webhook}" if webhook else ""), err=True)
    while True:
        sync = synced_ledger(suite.deployment, confirmations_text, ledger_file)
        try:
            ledger = sync.ledger
            cursor = ledger.cursor[0] if ledger.cursor else start - 1
            fresh = [e for e in ledger.events() if last_seen < e.block_number <= cursor]
            now = int(chain.pending_timestamp)
            notices = event_notices(me, fresh, ledger, has_access=has_access)
            notices += clock_notices(me, ledger, now, certification=certification)
            last_seen = max(last_seen, cursor)
        finally:
            sync.ledger.close()
        for notice in notices:
            if notice.key in reported:
                continue
            reported.add(notice.key)
            click.echo(f"[{notice.kind}] {notice.text}")
            if webhook is not None:
                error = _post(webhook, notice.to_json())
                if error is not None:
                    click.echo(f"Warning: webhook {webhook}: {error}; the notice was printed only", err=True)
        if once:
            return
        time.sleep(pause)
