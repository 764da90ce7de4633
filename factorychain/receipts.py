"""EIP-712 delivery receipts for ``OrderEscrow.confirm_delivery_signed`` (escrow v2).

The buyer or the agreement's inspector signs, off chain, that one *lot* of a call-off order
arrived, naming the shipment it accepts::

    domain  = EIP712Domain(name="FactoryChain", version="2", chainId, verifyingContract=escrow)
    message = DeliveryReceipt(uint256 orderId, uint256 lot, bytes32 shipmentHash,
                              bytes32 receiptHash, uint256 deadline)

``shipmentHash`` is the hash the supplier gave ``ship`` for that lot (``escrow.get_lot(order,
lot).shipment_hash``), so a receipt signed for one shipment cannot accept another.
``receiptHash`` is the keccak256 of whatever proves the delivery (goods-received note, gate
scan): see :func:`factorychain.spec.spec_hash`. Anyone may relay the signature; the escrow
accepts it while ``block.timestamp <= deadline``. Everything here is pure: nothing reads the
chain (:mod:`factorychain.orders` fills in the shipment hash and the time from the escrow).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_account.messages import SignableMessage, encode_typed_data

from ._hex import BytesLike, as_address, as_bytes, as_uint, to_hex
from .errors import (
    DomainMismatchError,
    FactoryChainError,
    InvalidInputError,
    ReceiptExpiredError,
    ShipmentMismatchError,
    SignatureError,
    WrongSignerError,
)
from .keys import SECP256K1_N, address_from_public_key, recover_public_key, split_signature
from .signers import SignerLike, sign_signable, signable_digest

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "RECEIPT_TYPE",
    "SignedReceipt",
    "build_receipt",
    "check_receipt",
    "domain_separator",
    "is_expired",
    "receipt_digest",
    "receipt_signable",
    "sign_receipt",
    "verify_receipt",
]

DOMAIN_NAME = "FactoryChain"
DOMAIN_VERSION = "2"
RECEIPT_TYPE = (
    "DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
)

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "DeliveryReceipt": [
        {"name": "orderId", "type": "uint256"},
        {"name": "lot", "type": "uint256"},
        {"name": "shipmentHash", "type": "bytes32"},
        {"name": "receiptHash", "type": "bytes32"},
        {"name": "deadline", "type": "uint256"},
    ],
}

_RECEIPT_FIELDS = (
    "order_id",
    "lot",
    "shipment_hash",
    "receipt_hash",
    "deadline",
    "chain_id",
    "escrow",
    "signature",
)


def build_receipt(
    order_id: int,
    lot: int,
    shipment_hash: BytesLike,
    receipt_hash: BytesLike,
    deadline: int,
    chain_id: int,
    escrow: object,
) -> dict[str, Any]:
    """The EIP-712 typed-data dict of a delivery receipt for lot ``lot`` of order ``order_id``.

    JSON-serialisable (hashes as ``0x`` hex), in the shape ``eth_signTypedData_v4`` and
    ``eth_account.messages.encode_typed_data(full_message=...)`` take.
    """
    return {
        "types": {name: [dict(f) for f in fields] for name, fields in _TYPES.items()},
        "primaryType": "DeliveryReceipt",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": as_uint(chain_id, "chain id", minimum=1),
            "verifyingContract": as_address(escrow, "escrow"),
        },
        "message": {
            "orderId": as_uint(order_id, "order id", minimum=1),
            "lot": as_uint(lot, "lot", minimum=1),
            "shipmentHash": to_hex(as_bytes(shipment_hash, "shipment hash", 32)),
            "receiptHash": to_hex(as_bytes(receipt_hash, "receipt hash", 32)),
            "deadline": as_uint(deadline, "deadline"),
        },
    }


def receipt_signable(
    order_id: int,
    lot: int,
    shipment_hash: BytesLike,
    receipt_hash: BytesLike,
    deadline: int,
    chain_id: int,
    escrow: object,
) -> SignableMessage:
    """The receipt as an eth-account ``SignableMessage`` (what wallets are asked to sign)."""
    return encode_typed_data(
        full_message=build_receipt(order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    )


def receipt_digest(
    order_id: int,
    lot: int,
    shipment_hash: BytesLike,
    receipt_hash: BytesLike,
    deadline: int,
    chain_id: int,
    escrow: object,
) -> bytes:
    """The 32-byte EIP-712 hash ``keccak256(0x1901 || domainSeparator || structHash)``.

    Equals ``escrow.receipt_digest(order_id, lot, receipt_hash, deadline)`` when
    ``shipment_hash`` is the lot's stored one.
    """
    return signable_digest(
        receipt_signable(order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    )


def domain_separator(chain_id: int, escrow: object) -> bytes:
    """The escrow's EIP-712 domain separator; equals ``OrderEscrow.DOMAIN_SEPARATOR()``."""
    return bytes(receipt_signable(1, 1, bytes(32), bytes(32), 0, chain_id, escrow).header)


def is_expired(deadline: int, now: int | None = None) -> bool:
    """True once the escrow would refuse the receipt: ``now > deadline`` (``now``: unix seconds)."""
    current = int(time.time()) if now is None else now
    return current > as_uint(deadline, "deadline")


@dataclass(frozen=True)
class SignedReceipt:
    """A signed delivery receipt: the message fields, its domain and the 65-byte signature."""

    order_id: int
    lot: int
    shipment_hash: bytes
    receipt_hash: bytes
    deadline: int
    chain_id: int
    escrow: str
    signature: bytes

    def digest(self) -> bytes:
        """The EIP-712 hash the signature is over."""
        return receipt_digest(
            self.order_id,
            self.lot,
            self.shipment_hash,
            self.receipt_hash,
            self.deadline,
            self.chain_id,
            self.escrow,
        )

    def as_args(self) -> tuple[int, int, bytes, int, bytes]:
        """Arguments for ``escrow.confirm_delivery_signed(*receipt.as_args(), sender=relayer)``.

        The shipment hash is not among them: the escrow reads it from the lot itself.
        """
        return (self.order_id, self.lot, self.receipt_hash, self.deadline, self.signature)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (hex strings for bytes) that :meth:`from_dict` reads back."""
        return {
            "order_id": self.order_id,
            "lot": self.lot,
            "shipment_hash": to_hex(self.shipment_hash),
            "receipt_hash": to_hex(self.receipt_hash),
            "deadline": self.deadline,
            "chain_id": self.chain_id,
            "escrow": self.escrow,
            "signature": to_hex(self.signature),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedReceipt:
        """Parse :meth:`to_dict` output (extra keys such as ``signer`` are ignored)."""
        if not isinstance(data, dict):
            raise InvalidInputError("receipt: expected a JSON object")
        missing = [k for k in _RECEIPT_FIELDS if k not in data]
        if missing:
            hint = " (a v1 receipt? v2 receipts name a lot and its shipment)" if "lot" in missing else ""
            raise InvalidInputError(f"receipt: missing field(s) {', '.join(missing)}{hint}")
        return cls(
            order_id=as_uint(data["order_id"], "order id", minimum=1),
            lot=as_uint(data["lot"], "lot", minimum=1),
            shipment_hash=as_bytes(data["shipment_hash"], "shipment hash", 32),
            receipt_hash=as_bytes(data["receipt_hash"], "receipt hash", 32),
            deadline=as_uint(data["deadline"], "deadline"),
            chain_id=as_uint(data["chain_id"], "chain id", minimum=1),
            escrow=as_address(data["escrow"], "escrow"),
            signature=as_bytes(data["signature"], "signature", 65),
        )


def sign_receipt(
    signer: SignerLike,
    order_id: int,
    lot: int,
    shipment_hash: BytesLike,
    receipt_hash: BytesLike,
    deadline: int,
    chain_id: int,
    escrow: object,
    *,
    now: int | None = None,
) -> SignedReceipt:
    """Sign a delivery receipt with a private key, keystore, eth-account or Ape account.

    ``shipment_hash`` is the lot's (``escrow.get_lot(order_id, lot).shipment_hash``; or let
    :func:`factorychain.orders.sign_lot_receipt` read it). ``escrow`` is the escrow's address
    (or an Ape contract object); ``chain_id`` the chain it lives on. A deadline already past at
    ``now`` (default: the wall clock; pass the chain's time when it differs) is refused with
    :class:`ReceiptExpiredError`: nobody could ever relay that receipt. The signature is
    canonical (low ``s``, ``v`` in ``{27, 28}``).
    """
    message = receipt_signable(order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    current = int(time.time()) if now is None else as_uint(now, "now")
    if is_expired(deadline, current):
        raise ReceiptExpiredError(
            f"receipt deadline {deadline} is already past (now {current}); the escrow would refuse it"
        )
    signature, _ = sign_signable(signer, message)
    return SignedReceipt(
        order_id=order_id,
        lot=lot,
        shipment_hash=as_bytes(shipment_hash, "shipment hash", 32),
        receipt_hash=as_bytes(receipt_hash, "receipt hash", 32),
        deadline=deadline,
        chain_id=chain_id,
        escrow=as_address(escrow, "escrow"),
        signature=signature,
    )


def verify_receipt(receipt: SignedReceipt) -> str:
    """The address that signed ``receipt`` (recovered off chain, checksummed).

    Raises :class:`SignatureError` for a malformed signature or one the escrow's ECDSA check
    refuses as non-canonical (high ``s``); normalise those with
    :func:`factorychain.keys.normalize_signature`. Contract wallets (ERC-1271) cannot be
    recovered off chain; their receipts are checked by the escrow only.
    """
    try:
        _, s, _ = split_signature(receipt.signature)
        if s > SECP256K1_N // 2:
            raise SignatureError("receipt signature is not canonical (high s); normalise it first")
        return address_from_public_key(recover_public_key(receipt.digest(), receipt.signature))
    except SignatureError:
        raise
    except FactoryChainError as exc:
        raise SignatureError(f"receipt signature is invalid: {exc}") from None


def check_receipt(
    receipt: SignedReceipt,
    expected_signers: Iterable[object],
    *,
    chain_id: int | None = None,
    escrow: object | None = None,
    shipment_hash: BytesLike | None = None,
    now: int | None = None,
    min_remaining: int = 0,
) -> str:
    """Everything a relayer checks before paying gas; returns the signer.

    * ``chain_id`` / ``escrow``: where the receipt will be relayed; it must have been signed for
      exactly that domain (:class:`DomainMismatchError`).
    * ``shipment_hash``: the lot's stored shipment hash; the receipt must name it
      (:class:`ShipmentMismatchError`).
    * the deadline must leave ``min_remaining`` seconds after ``now`` (default: the wall clock),
      so the transaction can still be mined in time (:class:`ReceiptExpiredError`).
    * the signature must be canonical and recover to one of ``expected_signers`` — the
      agreement's buyer and inspector (:class:`WrongSignerError`).
    """
    if chain_id is not None and chain_id != receipt.chain_id:
        raise DomainMismatchError(f"receipt was signed for chain id {receipt.chain_id}, not {chain_id}")
    if escrow is not None and as_address(escrow, "escrow") != as_address(receipt.escrow, "escrow"):
        raise DomainMismatchError(
            f"receipt was signed for escrow {receipt.escrow}, not {as_address(escrow, 'escrow')}"
        )
    if shipment_hash is not None:
        expected = as_bytes(shipment_hash, "shipment hash", 32)
        if expected != receipt.shipment_hash:
            raise ShipmentMismatchError(
                f"receipt names shipment {to_hex(receipt.shipment_hash)}, but lot {receipt.lot} of order "
                f"{receipt.order_id} was shipped as {to_hex(expected)}"
            )
    current = int(time.time()) if now is None else now
    if is_expired(receipt.deadline, current + as_uint(min_remaining, "min remaining")):
        raise ReceiptExpiredError(
            f"receipt deadline {receipt.deadline} has passed (now {current}"
            + (f", {min_remaining}s margin)" if min_remaining else ")")
        )
    allowed = {as_address(a, "expected signer") for a in expected_signers}
    signer = verify_receipt(receipt)
    if signer not in allowed:
        names = ", ".join(sorted(allowed)) or "nobody"
        raise WrongSignerError(f"receipt is signed by {signer}, expected one of: {names}")
    return signer
