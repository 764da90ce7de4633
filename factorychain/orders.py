"""Relaying signed delivery receipts to a deployed ``OrderEscrow`` — these functions DO touch the chain.

The checks are the pure ones of :func:`factorychain.receipts.check_receipt`, fed with what the
escrow itself says: its ``DOMAIN_SEPARATOR()``, the order's buyer and inspector, its status, and
the pending block's timestamp. A receipt that would revert is refused before any gas is spent.
"""

from __future__ import annotations

from typing import Any

from ._hex import as_address, as_uint
from .errors import DomainMismatchError, ReceiptError
from .receipts import SignedReceipt, check_receipt, domain_separator

__all__ = ["ORDER_STATUS", "SHIPPED", "order_confirmers", "relay_receipt"]

#: ``OrderEscrow``'s ``flag OrderStatus`` values, by name.
ORDER_STATUS = {
    1: "CREATED",
    2: "ACCEPTED",
    4: "SHIPPED",
    8: "DISPUTED",
    16: "COMPLETED",
    32: "REFUNDED",
    64: "CANCELLED",
    128: "RESOLVED",
}
SHIPPED = 4
_ZERO_ADDRESS = "0x" + "00" * 20


def order_confirmers(escrow: Any, order_id: int) -> list[str]:
    """Who may confirm delivery of an order: its buyer, and its inspector if one is named."""
    order = escrow.get_order(as_uint(order_id, "order id", minimum=1))
    confirmers = [as_address(order.buyer, "buyer")]
    inspector = as_address(order.inspector, "inspector")
    if inspector != as_address(_ZERO_ADDRESS, "zero address"):
        confirmers.append(inspector)
    return confirmers


def relay_receipt(
    escrow: Any, receipt: SignedReceipt, sender: Any, *, check: bool = True, min_remaining: int = 0
) -> Any:
    """Send ``confirm_delivery_signed`` for ``receipt`` from ``sender``; returns the Ape receipt.

    With ``check`` (the default) the receipt must be for this escrow's domain, for an order in
    ``SHIPPED``, unexpired at the pending block's timestamp plus ``min_remaining`` seconds, and
    signed by the order's buyer or inspector. Pass ``check=False`` for receipts signed by an
    ERC-1271 contract wallet, which only the escrow itself can verify.
    """
    if check:
        if as_address(escrow, "escrow") != receipt.escrow:
            raise DomainMismatchError(
                f"receipt was signed for escrow {receipt.escrow}, not {as_address(escrow, 'escrow')}"
            )
        on_chain = bytes(escrow.DOMAIN_SEPARATOR())
        if on_chain != domain_separator(receipt.chain_id, receipt.escrow):
            raise DomainMismatchError(
                f"receipt was signed for chain id {receipt.chain_id}, which is not this escrow's chain"
            )
        status = int(escrow.status(receipt.order_id))
        if status != SHIPPED:
            raise ReceiptError(
                f"order {receipt.order_id} is {ORDER_STATUS.get(status, 'unknown')}, not SHIPPED"
            )
        check_receipt(
            receipt,
            order_confirmers(escrow, receipt.order_id),
            now=int(escrow.chain_manager.pending_timestamp),
            min_remaining=min_remaining,
        )
    return escrow.confirm_delivery_signed(*receipt.as_args(), sender=sender)
