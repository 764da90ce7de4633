"""Helpers for the adversarial catalogue (OrderEscrow v2): receipts signed by hand, contracts in any
seat of a deal, expected payouts computed from SPEC's rule, raw bytecode.

Kept apart from tests/conftest.py (owned by the lead) and named uniquely, since test directories
have no ``__init__.py`` and share one module namespace. Test modules import the autouse fixture
``session_state_first`` by name, so that Ape deploys every session fixture before a test's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from conftest import GRACE, PART_ID, REVIEW, addr_of, h, make_terms

ZERO = "0x0000000000000000000000000000000000000000"
DAY = 86_400
BPS = 10_000
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MISSING_ROLE = "access_control: account is missing role"

_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
RECEIPT_TYPEHASH = keccak(
    text="DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
)


@pytest.fixture(autouse=True)
def session_state_first(
    registry, escrow, part, erc20, usdt, usdc6, fee_token, false_token,
    admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
):
    """Names every session fixture statically, so that Ape builds them before any test's snapshot
    (a session fixture first built inside a test's snapshot is reverted with it and stays cached
    as a dead address)."""


# ---------------------------------------------------------------- EIP-712, computed here


def domain_separator(chain_id: int, verifying_contract: str, name: str = "FactoryChain", version: str = "2") -> bytes:
    """The receipts' domain separator, from the EIP-712 definition, not from the contract's view."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPEHASH, keccak(text=name), keccak(text=version), chain_id, verifying_contract],
        )
    )


def receipt_digest(
    chain_id: int, escrow: str, order_id: int, lot: int, shipment_hash: bytes, receipt_hash: bytes, deadline: int,
    **domain: str,
) -> bytes:
    struct_hash = keccak(
        encode(
            ["bytes32", "uint256", "uint256", "bytes32", "bytes32", "uint256"],
            [RECEIPT_TYPEHASH, order_id, lot, shipment_hash, receipt_hash, deadline],
        )
    )
    return keccak(b"\x19\x01" + domain_separator(chain_id, escrow, **domain) + struct_hash)


def sign_digest(private_key: Any, digest: bytes) -> tuple[int, int, int]:
    """(v, r, s) of a raw 32-byte digest, low-s as every wallet produces it."""
    signed = Account.unsafe_sign_hash(digest, private_key)
    return signed.v, signed.r, signed.s


def sig65(v: int, r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def sig64(v: int, r: int, s: int) -> bytes:
    """EIP-2098 compact form: r | (v - 27) << 255 | s."""
    return r.to_bytes(32, "big") + (((v - 27) << 255) | s).to_bytes(32, "big")


def high_s(v: int, r: int, s: int) -> bytes:
    """The malleable twin of a signature: same signer, s' = n - s, parity flipped."""
    return sig65(55 - v, r, SECP256K1_N - s)


def sign_receipt(
    account: Any, chain_id: int, escrow: str, order_id: int, lot: int, shipment_hash: bytes, receipt_hash: bytes,
    deadline: int, **domain: str,
) -> bytes:
    digest = receipt_digest(chain_id, escrow, order_id, lot, shipment_hash, receipt_hash, deadline, **domain)
    return sig65(*sign_digest(account.private_key, digest))


# ---------------------------------------------------------------- raw helpers


def calldata(contract: Any, method: str, *args: Any) -> bytes:
    """ABI-encoded call of `contract.method(*args)`, for contracts that act as actors or re-enter."""
    return bytes(getattr(contract, method).encode_input(*args))


def memory_cost(size: int) -> int:
    """Gas the EVM charges to grow memory from 0 to `size` bytes (yellow paper C_mem)."""
    words = (size + 31) // 32
    return 3 * words + words * words // 512


def bomb_bytecode(size: int, revert: bool) -> bytes:
    """Creation code of a contract whose every call returns (or reverts with) `size` zero bytes.

    Runtime: PUSH3 size PUSH1 0 RETURN|REVERT. The callee pays the memory itself; a caller that
    copied the data back would pay the same again, so a caller's gas use shows whether it does.
    """
    assert size < 1 << 24
    runtime = b"\x62" + size.to_bytes(3, "big") + b"\x60\x00" + (b"\xfd" if revert else b"\xf3")
    # PUSH1 len DUP1 PUSH1 off PUSH1 0 CODECOPY PUSH1 0 RETURN
    init = b"\x60" + bytes([len(runtime)]) + b"\x80\x60\x0b\x60\x00\x39\x60\x00\xf3"
    assert len(init) == 11
    return init + runtime


def deploy_raw(creation_code: bytes, deployer: Any, name: str = "Raw") -> Any:
    """Deploys hand-written creation code (no ABI) and returns the Ape contract instance."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    contract_type = ContractType(contractName=name, abi=[], deploymentBytecode={"bytecode": "0x" + creation_code.hex()})
    return ContractContainer(contract_type).deploy(sender=deployer)


def intrinsic_gas(data: bytes) -> int:
    """Gas a transaction pays before its first opcode (Cancun: 21 000 + 4 per zero, 16 per other byte)."""
    return 21_000 + sum(4 if b == 0 else 16 for b in data)


def own_events(tx: Any, contract: Any) -> list:
    """The logs `contract` itself emitted in `tx` (token logs and mocks' logs left out)."""
    return [log for log in tx.events if log.contract_address == contract.address]


def events_of(tx: Any, name: str) -> list[Any]:
    return [e for e in tx.events if e.event_name == name]


def payments(tx: Any, name: str = "Paid") -> list[tuple[str, int]]:
    """(payee, amount) of every Paid (or PaymentDeferred) event, in order."""
    return [(e.payee, e.amount) for e in events_of(tx, name)]


def pushes(tx: Any) -> list[tuple[str, str, int]]:
    """(event name, payee, amount) of every Paid and PaymentDeferred event, in push order."""
    return [(e.event_name, e.payee, e.amount) for e in tx.events if e.event_name in ("Paid", "PaymentDeferred")]


# ---------------------------------------------------------------- MockStatefulLens, decoded with eth_abi

_TERMS = "(address,bytes32,uint256,address,uint256,uint256,uint256,uint256,address,uint256,uint16,uint16)"
LENS_AGREEMENTS = ["uint256", f"({_TERMS},address,uint256,uint256)[]", "(address,uint16)[][]"]
LENS_ORDERS = ["uint256", "((uint256,address,address,uint256,uint256,uint256,uint256,uint256,uint256,address,bool),uint256,uint256)[]"]
LENS_LOTS = ["(uint256,uint256,(uint256,uint256,uint256,bytes32,uint256,uint256,uint256),uint256,uint256)[]"]


def lens_picture(chain: Any, lens: Any, escrow: Any) -> tuple:
    """(agreements, orders, lots) of `escrow` as MockStatefulLens reads them, decoded with eth_abi
    (Ape's decoder cannot read nested dynamic arrays of structs)."""
    from eth_abi import decode

    web3 = chain.provider.web3
    out = []
    for method, types in (("agreements", LENS_AGREEMENTS), ("orders", LENS_ORDERS), ("lots", LENS_LOTS)):
        data = getattr(lens, method).encode_input(escrow.address)
        raw = web3.eth.call({"to": lens.address, "data": "0x" + bytes(data).hex()})
        out.append(decode(types, bytes(raw)))
    return tuple(out)


# ---------------------------------------------------------------- SPEC's payout rule


def lot_payout(
    value: int, supplier_side: int, payees: list[tuple[Any, int]], penalty_bps: int, holder: Any, buyer: Any
) -> list[tuple[str, int]]:
    """The pushes of one lot's settlement, in order, zero amounts skipped: each payee
    `S * s // 10 000`, the holder the remainder less the penalty, the buyer `V - S + penalty`."""
    out: list[tuple[str, int]] = []
    paid = 0
    for account, bps in payees:
        share = supplier_side * bps // BPS
        paid += share
        out.append((addr_of(account), share))
    remainder = supplier_side - paid
    penalty = min(remainder, value * penalty_bps // BPS)
    out.append((addr_of(holder), remainder - penalty))
    out.append((addr_of(buyer), value - supplier_side + penalty))
    return [(a, v) for a, v in out if v]


def summed(pairs: list[tuple[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for account, amount in pairs:
        total[account] = total.get(account, 0) + amount
    return total


# ---------------------------------------------------------------- any party in any seat


class Party:
    """An actor that is either an EOA or a contract acting through its ``call(target, data)``.

    ``do(target, "method", *args, value=...)`` sends the call as that actor, so one scenario can
    put a hostile contract in the buyer's, the supplier's, a subcontractor's or an assignee's seat.
    """

    def __init__(self, account: Any, operator: Any = None) -> None:
        self.account = account
        self.operator = operator  # the EOA that pays gas for a contract actor

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def is_contract(self) -> bool:
        return self.operator is not None

    def do(self, target: Any, method: str, *args: Any, value: int = 0) -> Any:
        if self.is_contract:
            return self.account.call(target, calldata(target, method, *args), value=value, sender=self.operator)
        return getattr(target, method)(*args, sender=self.account, value=value)


@dataclass
class Deal:
    """One agreement and one call-off, with who sits where."""

    agreement_id: int
    order_id: int
    buyer: Party
    supplier: Party
    payees: list[tuple[Any, int]]
    money: Any
    unit_price: int
    quantity: int
    lots: list[int] = field(default_factory=list)

    @property
    def payee_pairs(self) -> list[tuple[str, int]]:
        return [(addr_of(a), bps) for a, bps in self.payees]


def seat(registry: Any, oem: Any, certifier: Any, chain: Any, contract: Any, supplier: bool = False) -> None:
    """Admits a contract (or a fresh account) to PART_ID, and certifies it when it supplies."""
    registry.grant_access(PART_ID, contract, sender=oem)
    if supplier:
        registry.certify(PART_ID, 1, contract, chain.pending_timestamp + 3650 * DAY, h("audit"), sender=certifier)


def open_deal(
    escrow: Any,
    chain: Any,
    minter: Any,
    *,
    money: Any,
    buyer: Party,
    supplier: Party,
    payees: list[tuple[Any, int]] = (),
    inspector: Any = ZERO,
    quantity: int = 100,
    unit_price: int = 10**16 + 7,
    ship_in: int = 7 * DAY,
    stage: str = "created",
    lot_quantity: int | None = None,
    shipment_hash: bytes = h("ASN-1"),
    **terms: Any,
) -> Deal:
    """Proposes and accepts an agreement, funds one call-off and walks it to `stage`:
    "created", "shipped" (lot 1 of `lot_quantity`, default all), "disputed" (lot 1 disputed by
    the buyer) or "received" (lot 1 received by the buyer and paid)."""
    terms.setdefault("valid_until", chain.pending_timestamp + 365 * DAY)
    proposal = make_terms(
        supplier.address, token=money.address, unit_price=unit_price, inspector=inspector, **terms
    )
    buyer.do(escrow, "propose_agreement", proposal)
    agreement_id = escrow.agreement_count()
    supplier.do(escrow, "accept_agreement", agreement_id, [(addr_of(a), bps) for a, bps in payees])
    amount = quantity * unit_price
    value = 0
    if money.token is None:
        value = amount
    else:
        money.token.mint(buyer.address, amount, sender=minter)
        buyer.do(money.token, "approve", escrow.address, amount)
    buyer.do(escrow, "create_order", agreement_id, quantity, chain.pending_timestamp + ship_in, h("PO"), value=value)
    deal = Deal(agreement_id, escrow.order_count(), buyer, supplier, list(payees), money, unit_price, quantity)
    lot_quantity = quantity if lot_quantity is None else lot_quantity
    if stage in ("shipped", "disputed"):
        supplier.do(escrow, "ship", deal.order_id, lot_quantity, shipment_hash)
        deal.lots.append(escrow.get_order(deal.order_id).lot_count)
    if stage == "disputed":
        buyer.do(escrow, "dispute", deal.order_id, deal.lots[-1], h("scratched"))
    if stage == "received":
        buyer.do(escrow, "receive_goods", deal.order_id, lot_quantity, h("GR-1"))
        deal.lots.append(escrow.get_order(deal.order_id).lot_count)
    return deal


# Final paths of a deal and the supplier side of the value each settles.
ARBITER_BPS = 6_000
FINAL_STAGE = {
    "decline": "created",
    "refund_expired": "created",
    "receive": "created",
    "confirm": "shipped",
    "release": "shipped",
    "resolve": "disputed",
    "resolve_expired": "disputed",
}


def final_call(path: str, deal: Deal) -> tuple[str, tuple[Any, ...]]:
    """The method and arguments that settle the deal along `path`."""
    order_id = deal.order_id
    lot = deal.lots[-1] if deal.lots else 1
    return {
        "decline": ("decline_order", (order_id,)),
        "refund_expired": ("refund_expired", (order_id,)),
        "receive": ("receive_goods", (order_id, deal.quantity, h("GR-9"))),
        "confirm": ("confirm_delivery", (order_id, lot, h("GRN-9"))),
        "release": ("release", (order_id, lot)),
        "resolve": ("resolve", (order_id, lot, ARBITER_BPS)),
        "resolve_expired": ("resolve_expired", (order_id, lot)),
    }[path]


def finish(escrow: Any, chain: Any, path: str, deal: Deal, arbiter: Any, stranger: Any) -> Any:
    """Settles the deal along `path`, moving time as far as that path needs; returns the tx."""
    method, args = final_call(path, deal)
    if path == "decline":
        return deal.supplier.do(escrow, method, *args)
    if path in ("receive", "confirm"):
        return deal.buyer.do(escrow, method, *args)
    ship_by, grace_end, review_end, arbitration_end = escrow.deadlines(deal.order_id, deal.lots[-1] if deal.lots else 0)
    if path == "refund_expired":
        chain.pending_timestamp = grace_end + 1
    elif path == "release":
        chain.pending_timestamp = review_end + 1
    elif path == "resolve_expired":
        chain.pending_timestamp = arbitration_end + 1
    sender = arbiter if path == "resolve" else stranger
    return getattr(escrow, method)(*args, sender=sender)


def expected_for(path: str, deal: Deal, holder: Any = None) -> list[tuple[str, int]]:
    """The pushes SPEC prescribes when the deal settles along `path` (no penalty: on time)."""
    value = deal.quantity * deal.unit_price
    if path in ("decline", "refund_expired"):
        return [(deal.buyer.address, value)]
    side = {"resolve": value * ARBITER_BPS // BPS, "resolve_expired": value // 2}.get(path, value)
    return lot_payout(value, side, deal.payees, 0, holder or deal.supplier.address, deal.buyer.address)


__all__ = [
    "ARBITER_BPS", "BPS", "DAY", "Deal", "FINAL_STAGE", "GRACE", "MISSING_ROLE", "Party", "REVIEW", "ZERO",
    "bomb_bytecode", "calldata", "deploy_raw", "domain_separator", "events_of", "expected_for", "final_call", "finish",
    "high_s", "intrinsic_gas", "lens_picture", "lot_payout", "memory_cost", "open_deal", "own_events", "payments", "pushes",
    "receipt_digest", "seat", "session_state_first", "sig64", "sig65", "sign_digest", "sign_receipt", "summed",
]
