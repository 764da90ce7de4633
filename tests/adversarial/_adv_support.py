"""Helpers for the adversarial catalogue: receipts signed by hand, contracts as actors, raw bytecode.

Kept apart from tests/conftest.py (owned by the lead) and named uniquely, since test directories
have no ``__init__.py`` and share one module namespace.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

ZERO = "0x0000000000000000000000000000000000000000"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_RECEIPT_TYPEHASH = keccak(text="DeliveryReceipt(uint256 orderId,bytes32 receiptHash,uint256 deadline)")


def domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    """EIP-712 domain separator of receipts, computed here so tests need not trust the contract's view."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPEHASH, keccak(text="FactoryChain"), keccak(text="1"), chain_id, verifying_contract],
        )
    )


def receipt_digest(chain_id: int, escrow: str, order_id: int, receipt_hash: bytes, deadline: int) -> bytes:
    struct_hash = keccak(encode(["bytes32", "uint256", "bytes32", "uint256"], [_RECEIPT_TYPEHASH, order_id, receipt_hash, deadline]))
    return keccak(b"\x19\x01" + domain_separator(chain_id, escrow) + struct_hash)


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


def sign_receipt(account: Any, chain_id: int, escrow: str, order_id: int, receipt_hash: bytes, deadline: int) -> bytes:
    return sig65(*sign_digest(account.private_key, receipt_digest(chain_id, escrow, order_id, receipt_hash, deadline)))


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


class Party:
    """An actor that is either an EOA or a contract acting through its ``call(target, data)``.

    ``do(target, "method", *args, value=...)`` sends the call as that actor, so one scenario can
    put a hostile contract in the buyer's, the supplier's or a subcontractor's seat.
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

    def fund(self, money: Any, escrow: Any, amount: int, minter: Any) -> int:
        """Gives the party `amount` of `money` approved to `escrow`; returns the ETH value to send."""
        if money.token is None:
            if self.is_contract:
                return amount  # the operator sends it along with the call
            return amount
        money.token.mint(self.address, amount, sender=minter)
        self.do(money.token, "approve", escrow.address, amount)
        return 0


def events_of(tx: Any, name: str) -> list[Any]:
    return [e for e in tx.events if e.event_name == name]


def payments(tx: Any, name: str = "Paid") -> list[tuple[str, int]]:
    """(payee, amount) of every Paid (or PaymentDeferred) event, in order."""
    return [(e.payee, e.amount) for e in events_of(tx, name)]


# ---------------------------------------------------------------- one order, any hostile seat

DAY = 86_400
BPS = 10_000
REVIEW = 3 * DAY
ARBITER_BPS = {"confirm": BPS, "release": BPS, "resolve": 6_000, "resolve_expired": BPS // 2}
STAGE_FOR = {
    "cancel": "created",
    "refund_expired": "accepted",
    "confirm": "shipped",
    "release": "shipped",
    "resolve": "disputed",
    "resolve_expired": "disputed",
}


def open_order(ctx: Any, money: Any, amount: int, buyer: Party, supplier: Party, subs: list[tuple[Any, int]], stage: str) -> int:
    """Creates an order with any party in any seat and walks it to `stage`; returns its id."""
    escrow, chain = ctx.escrow, ctx.chain
    value = buyer.fund(money, escrow, amount, ctx.admin)
    ship_by = chain.pending_timestamp + 7 * DAY
    buyer.do(
        escrow, "create_order", supplier.address, ctx.part, 1, 100, money.address, amount, ship_by, REVIEW, ZERO,
        b"\x01" * 32, value=value,
    )
    order_id = escrow.order_count()
    if stage in ("accepted", "shipped", "disputed"):
        supplier.do(escrow, "accept_order", order_id, [(getattr(a, "address", a), bps) for a, bps in subs])
    if stage in ("shipped", "disputed"):
        supplier.do(escrow, "mark_shipped", order_id, b"\x02" * 32)
    if stage == "disputed":
        buyer.do(escrow, "dispute", order_id, b"\x03" * 32)
    return order_id


def final_call(path: str, order_id: int) -> tuple[str, tuple[Any, ...]]:
    """The method and arguments that end an order along `path`."""
    return {
        "cancel": ("cancel_order", (order_id,)),
        "refund_expired": ("refund_expired", (order_id,)),
        "confirm": ("confirm_delivery", (order_id, b"\x04" * 32)),
        "release": ("release", (order_id,)),
        "resolve": ("resolve", (order_id, ARBITER_BPS["resolve"])),
        "resolve_expired": ("resolve_expired", (order_id,)),
    }[path]


def finish(ctx: Any, path: str, order_id: int, buyer: Party) -> Any:
    """Ends the order along `path`, moving time as far as that path needs; returns the tx."""
    escrow, chain = ctx.escrow, ctx.chain
    method, args = final_call(path, order_id)
    if path == "cancel":
        return buyer.do(escrow, method, *args)
    if path == "confirm":
        return buyer.do(escrow, method, *args)
    if path == "refund_expired":
        chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1
    elif path == "release":
        chain.pending_timestamp = escrow.get_order(order_id).shipped_at + REVIEW + 1
    elif path == "resolve_expired":
        chain.pending_timestamp = escrow.deadlines(order_id)[2] + 1
    sender = ctx.arbiter if path == "resolve" else ctx.stranger
    return getattr(escrow, method)(*args, sender=sender)


def expected_payout(path: str, amount: int, buyer: str, supplier: str, subs: list[tuple[str, int]]) -> dict[str, int]:
    """What the SPEC says each party receives when the order ends along `path` (zero parts omitted)."""
    if path in ("cancel", "refund_expired"):
        return {buyer: amount}
    side = amount * ARBITER_BPS[path] // BPS
    out: dict[str, int] = {}
    paid = 0
    for account, bps in subs:
        share = side * bps // BPS
        out[account] = share
        paid += share
    out[supplier] = side - paid
    out[buyer] = out.get(buyer, 0) + amount - side
    return {k: v for k, v in out.items() if v}
