"""Call-off orders and lots on a deployed ``OrderEscrow`` (v2) — these functions DO read the chain.

They take the Ape contract object (``escrow``) and, to send, the account (``sender``)::

    receipt = sign_lot_receipt(escrow, gate_scanner, order_id, lot, spec_hash(grn), deadline)
    relay_receipt(escrow, receipt, sender=courier)       # checks first, then pays gas
    preview_lot_payout(escrow, order_id, lot)             # who would get what, to the wei

Each check feeds the pure ones of :mod:`factorychain.receipts` and :mod:`factorychain.payouts`
with what the escrow itself says: its ``DOMAIN_SEPARATOR()``, the agreement's buyer and
inspector, the lot's status and shipment hash, the pending block's timestamp. A receipt that
would revert is refused before any gas is spent.
"""

from __future__ import annotations

from typing import Any

from ._hex import BytesLike, as_address, as_uint
from .errors import DomainMismatchError, LotNotShippedError, OrderError
from .payouts import LotPayout, late_penalty_bps, lot_payout
from .receipts import SignedReceipt, check_receipt, domain_separator, sign_receipt
from .signers import SignerLike
from .terms import BPS, ZERO_ADDRESS, Terms

__all__ = [
    "AGREEMENT_STATUS",
    "LOT_STATUS",
    "SHIPPED",
    "check_lot_receipt",
    "lot_shipment_hash",
    "lot_transfers",
    "order_confirmers",
    "order_terms",
    "penalty_if_shipped",
    "preview_lot_payout",
    "receive_transfers",
    "relay_receipt",
    "sign_lot_receipt",
]

#: ``OrderEscrow``'s ``flag AgreementStatus`` values, by name (0: no such agreement).
AGREEMENT_STATUS = {1: "PROPOSED", 2: "ACTIVE", 4: "CLOSED"}
#: ``OrderEscrow``'s ``flag LotStatus`` values, by name (0: no such lot).
LOT_STATUS = {1: "SHIPPED", 2: "DISPUTED", 4: "COMPLETED", 8: "RESOLVED"}
SHIPPED = 1


def _order(escrow: Any, order_id: int) -> Any:
    order = escrow.get_order(as_uint(order_id, "order id", minimum=1))
    if int(order.agreement_id) == 0:
        raise OrderError(f"order {order_id} does not exist on escrow {as_address(escrow, 'escrow')}")
    return order


def _lot(escrow: Any, order_id: int, lot: int) -> Any:
    _order(escrow, order_id)
    record = escrow.get_lot(order_id, as_uint(lot, "lot", minimum=1))
    if int(record.status) == 0:
        raise OrderError(f"order {order_id} has no lot {lot}")
    return record


def _now(escrow: Any) -> int:
    return int(escrow.chain_manager.pending_timestamp)


def order_terms(escrow: Any, order_id: int) -> Terms:
    """The terms of the agreement an order was called off under."""
    order = _order(escrow, order_id)
    return Terms.from_struct(escrow.get_agreement(order.agreement_id).terms)


def order_confirmers(escrow: Any, order_id: int) -> list[str]:
    """Who may confirm an order's lots: the agreement's buyer, and its inspector if it names one."""
    order = _order(escrow, order_id)
    agreement = escrow.get_agreement(order.agreement_id)
    confirmers = [as_address(agreement.buyer, "buyer")]
    inspector = as_address(agreement.terms.inspector, "inspector")
    if inspector != ZERO_ADDRESS:
        confirmers.append(inspector)
    return confirmers


def lot_shipment_hash(escrow: Any, order_id: int, lot: int) -> bytes:
    """The shipment hash the supplier gave ``ship`` for the lot, which a receipt must name."""
    return bytes(_lot(escrow, order_id, lot).shipment_hash)


def _require_shipped(record: Any, order_id: int, lot: int) -> None:
    status = int(record.status)
    if status != SHIPPED:
        raise LotNotShippedError(
            f"lot {lot} of order {order_id} is {LOT_STATUS.get(status, 'unknown')}, not SHIPPED"
        )


def sign_lot_receipt(
    escrow: Any,
    signer: SignerLike,
    order_id: int,
    lot: int,
    receipt_hash: BytesLike,
    deadline: int,
    *,
    check: bool = True,
) -> SignedReceipt:
    """Sign a receipt for a lot, with the shipment hash, chain id and time read from the chain.

    A deadline already past at the pending block's time is refused
    (:class:`~factorychain.errors.ReceiptExpiredError`). With ``check`` (the default) the lot
    must be SHIPPED and the signer must be the agreement's buyer or inspector, as the escrow
    will require; pass ``check=False`` to sign for a lot in advance of its state.
    """
    record = _lot(escrow, order_id, lot)
    if check:
        _require_shipped(record, order_id, lot)
    now = _now(escrow)
    receipt = sign_receipt(
        signer,
        order_id,
        lot,
        bytes(record.shipment_hash),
        receipt_hash,
        deadline,
        int(escrow.chain_manager.chain_id),
        as_address(escrow, "escrow"),
        now=now,
    )
    if check:
        check_receipt(receipt, order_confirmers(escrow, order_id), now=now)
    return receipt


def check_lot_receipt(escrow: Any, receipt: SignedReceipt, *, min_remaining: int = 0) -> str:
    """Everything the escrow will check, checked first; returns the signer.

    The receipt must be for this escrow and its chain, for a lot that is SHIPPED, name that
    lot's shipment, be unexpired at the pending block's timestamp plus ``min_remaining``
    seconds, and be signed by the agreement's buyer or inspector.
    """
    if as_address(escrow, "escrow") != receipt.escrow:
        raise DomainMismatchError(
            f"receipt was signed for escrow {receipt.escrow}, not {as_address(escrow, 'escrow')}"
        )
    if bytes(escrow.DOMAIN_SEPARATOR()) != domain_separator(receipt.chain_id, receipt.escrow):
        raise DomainMismatchError(
            f"receipt was signed for chain id {receipt.chain_id}, which is not this escrow's chain"
        )
    record = _lot(escrow, receipt.order_id, receipt.lot)
    _require_shipped(record, receipt.order_id, receipt.lot)
    return check_receipt(
        receipt,
        order_confirmers(escrow, receipt.order_id),
        shipment_hash=bytes(record.shipment_hash),
        now=_now(escrow),
        min_remaining=min_remaining,
    )


def relay_receipt(
    escrow: Any, receipt: SignedReceipt, sender: Any, *, check: bool = True, min_remaining: int = 0
) -> Any:
    """Send ``confirm_delivery_signed`` for ``receipt`` from ``sender``; returns the Ape receipt.

    With ``check`` (the default), :func:`check_lot_receipt` runs first. Pass ``check=False``
    for receipts signed by an ERC-1271 contract wallet, which only the escrow can verify.
    """
    if check:
        check_lot_receipt(escrow, receipt, min_remaining=min_remaining)
    return escrow.confirm_delivery_signed(*receipt.as_args(), sender=sender)


def preview_lot_payout(escrow: Any, order_id: int, lot: int, *, supplier_bps: int = BPS) -> LotPayout:
    """What settling the lot would pay (``supplier_bps``: 10 000 unless an arbiter splits it)."""
    record = _lot(escrow, order_id, lot)
    order = _order(escrow, order_id)
    shares = [int(p.share_bps) for p in escrow.payees_of(order.agreement_id)]
    return lot_payout(int(record.value), shares, penalty_bps=int(record.penalty_bps), supplier_bps=supplier_bps)


def lot_transfers(escrow: Any, order_id: int, lot: int, *, supplier_bps: int = BPS) -> list[tuple[str, int]]:
    """``(address, amount)`` of every transfer settling the lot would push, in the escrow's order."""
    order = _order(escrow, order_id)
    payees = [p.account for p in escrow.payees_of(order.agreement_id)]
    payout = preview_lot_payout(escrow, order_id, lot, supplier_bps=supplier_bps)
    return payout.transfers(payees, order.payout_holder, order.buyer)


def receive_transfers(escrow: Any, order_id: int, quantity: int) -> list[tuple[str, int]]:
    """``(address, amount)`` of every transfer ``receive_goods(order_id, quantity)`` would push.

    A received lot carries no penalty and is paid in full to the supplier side at once.
    """
    order = _order(escrow, order_id)
    terms = order_terms(escrow, order_id)
    payees = list(escrow.payees_of(order.agreement_id))
    payout = lot_payout(terms.amount(quantity), [int(p.share_bps) for p in payees])
    return payout.transfers([p.account for p in payees], order.payout_holder, order.buyer)


def penalty_if_shipped(escrow: Any, order_id: int, at: int | None = None) -> int:
    """The penalty (bps) a lot of the order shipped at ``at`` (default: the pending block) would carry."""
    order = _order(escrow, order_id)
    terms = order_terms(escrow, order_id)
    when = _now(escrow) if at is None else as_uint(at, "time")
    return late_penalty_bps(int(order.ship_by), when, terms.penalty_bps_per_day, terms.penalty_cap_bps)
