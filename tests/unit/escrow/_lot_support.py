"""Helpers for the lot half of the OrderEscrow v2 unit tests (ship, receive, confirm, release,
dispute, resolve, refund, claim).

Imported by name, like `_escrow_support`. The fixtures here (`refusing`, `staged`) must be imported
by name into the test module that uses them, so that pytest sees them there.

The EIP-712 code is written from SPEC v2's words alone (eth_abi + keccak; eth_account signs the
raw digest with a test account's key), independently of the SDK and of the contract's
`receipt_digest`, which the tests check against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from conftest import BPS, DAY, h
from _escrow_support import addr

# ---------------------------------------------------------------- labels

ASN = h("ASN-1")  # the shipment hash `make_order(stage="shipped")` uses
ASN_2 = h("ASN-2")
GRN = h("GRN-2026-0815")
REASON = h("scratched")
PO = h("PO-1")

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

# Every account fixture that is never a party of the default order (buyer, supplier, sub1/sub2 as
# payees, inspector): the wrong callers of party-only functions are taken from here plus parties.
OUTSIDERS = ["stranger", "arbiter", "admin", "oem", "certifier"]

# ---------------------------------------------------------------- EIP-712, from first principles

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
RECEIPT_TYPEHASH = keccak(
    text="DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
)


def domain_separator(chain_id: int, verifying_contract: Any, name: str = "FactoryChain", version: str = "2") -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [DOMAIN_TYPEHASH, keccak(text=name), keccak(text=version), chain_id, to_checksum_address(addr(verifying_contract))],
        )
    )


def receipt_struct_hash(order_id: int, lot: int, shipment_hash: bytes, receipt_hash: bytes, deadline: int) -> bytes:
    return keccak(
        encode(
            ["bytes32", "uint256", "uint256", "bytes32", "bytes32", "uint256"],
            [RECEIPT_TYPEHASH, order_id, lot, shipment_hash, receipt_hash, deadline],
        )
    )


def receipt_digest(
    *, chain_id: int, verifying_contract: Any, order_id: int, lot: int, shipment_hash: bytes, receipt_hash: bytes, deadline: int
) -> bytes:
    """keccak256("\\x19\\x01" || domainSeparator || hashStruct(receipt))."""
    return keccak(
        b"\x19\x01"
        + domain_separator(chain_id, verifying_contract)
        + receipt_struct_hash(order_id, lot, shipment_hash, receipt_hash, deadline)
    )


def sign_digest(private_key: Any, digest: bytes) -> bytes:
    """65-byte r | s | v (v = 27/28), low s, as wallets produce it; `private_key` may be an Ape test
    account (its `.private_key`), a hex string or bytes. eth_account signs the raw digest."""
    signed = Account.unsafe_sign_hash(digest, _key_bytes(private_key))
    assert signed.s <= SECP256K1_N // 2 and signed.v in (27, 28)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def _key_bytes(private_key: Any) -> bytes:
    if hasattr(private_key, "private_key"):  # an Ape test account
        private_key = private_key.private_key
    if isinstance(private_key, str):
        return bytes.fromhex(private_key.removeprefix("0x"))
    return bytes(private_key)


def to_compact(signature: bytes) -> bytes:
    """EIP-2098: r | (v - 27) << 255 | s."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (s | ((v - 27) << 255)).to_bytes(32, "big")


def to_high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: (r, n - s, v flipped) recovers the same signer."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


# ---------------------------------------------------------------- money


def fees(tx: Any, account: Any, money: Any) -> int:
    """What `account` paid in gas for `tx`, in `money` (0 unless ETH and `account` sent it)."""
    if money.token is None and tx is not None and addr(tx.sender).lower() == addr(account).lower():
        return tx.total_fees_paid
    return 0


@dataclass
class Balances:
    """Balances of some accounts (and the escrow) in one money, before a transaction."""

    money: Any
    before: dict

    @classmethod
    def of(cls, money: Any, accounts: Iterable[Any]) -> "Balances":
        return cls(money, {addr(a): money.balance(a) for a in accounts})

    def deltas(self, tx: Any = None) -> dict:
        """Each account's change, gas fees of the sender added back (ETH)."""
        return {
            a: self.money.balance(a) - before + (fees(tx, a, self.money) if tx is not None else 0)
            for a, before in self.before.items()
        }

    def expect(self, tx: Any, expected: dict) -> None:
        """Asserts the change of every snapshotted account: `expected` (account -> delta), 0 if absent."""
        want: dict = {}
        for account, delta in expected.items():
            want[addr(account)] = want.get(addr(account), 0) + delta
        got = self.deltas(tx)
        assert got == {a: want.get(a, 0) for a in self.before}, (got, want)


def settlement_deltas(
    *,
    escrow: Any,
    buyer: Any,
    holder: Any,
    payees: list[tuple[Any, int]],
    value: int,
    supplier_side: int,
    penalty_bps: int,
) -> dict:
    """SPEC's payout as account -> delta, the escrow losing the whole value."""
    shares, remainder = _split(supplier_side, payees)
    penalty = min(remainder, value * penalty_bps // BPS)
    out: dict = {}
    for (account, _), share in zip(payees, shares):
        out[addr(account)] = out.get(addr(account), 0) + share
    out[addr(holder)] = out.get(addr(holder), 0) + remainder - penalty
    out[addr(buyer)] = out.get(addr(buyer), 0) + value - supplier_side + penalty
    out[addr(escrow)] = out.get(addr(escrow), 0) - value
    return out


def _split(amount: int, payees: list[tuple[Any, int]]) -> tuple[list[int], int]:
    shares = [amount * bps // BPS for _, bps in payees]
    return shares, amount - sum(shares)


def late_penalty(t: int, ship_by: int, per_day: int, cap: int) -> int:
    """SPEC: min(cap, per_day * ceil((t - ship_by) / 86 400)) for t > ship_by, else 0."""
    if t <= ship_by:
        return 0
    return min(cap, per_day * ((t - ship_by + DAY - 1) // DAY))


# ---------------------------------------------------------------- views


def lot_of(escrow: Any, order_id: int, lot: int) -> dict:
    """`get_lot` as a plain dict."""
    got = escrow.get_lot(order_id, lot)
    return {
        "quantity": got.quantity,
        "value": got.value,
        "penalty_bps": got.penalty_bps,
        "shipment_hash": bytes(got.shipment_hash),
        "shipped_at": got.shipped_at,
        "arbitration_deadline": got.arbitration_deadline,
        "status": got.status,
    }


# ---------------------------------------------------------------- contract parties


def as_contract(contract: Any, escrow: Any, method: str, *args: Any, sender: Any, value: int = 0) -> Any:
    """Calls `escrow.<method>(*args)` as `contract` (a MockReceiver / MockWallet1271 `call`)."""
    data = getattr(escrow, method).encode_input(*args)
    return contract.call(escrow, data, sender=sender, value=value)


# ---------------------------------------------------------------- gas starvation


def eth_call_reason(chain: Any, sender: Any, to: Any, data: bytes, gas: int) -> str | None:
    """`eth_call` of `data` with a gas cap: None on success, else the error text (revert reason)."""
    web3 = chain.provider.web3
    try:
        web3.eth.call({"from": addr(sender), "to": addr(to), "data": "0x" + bytes(data).hex(), "gas": gas})
    except Exception as err:  # web3's ContractLogicError / ValueError for an out-of-gas call
        return str(err) or type(err).__name__
    return None


def lowest_passing_gas(chain: Any, sender: Any, to: Any, data: bytes, high: int) -> int:
    """The smallest gas cap at which `eth_call` succeeds (binary search below `high`, which passes)."""
    assert eth_call_reason(chain, sender, to, data, high) is None
    low = 21_000  # fails
    while high - low > 1:
        mid = (low + high) // 2
        if eth_call_reason(chain, sender, to, data, mid) is None:
            high = mid
        else:
            low = mid
    return high


@pytest.fixture
def refusing(project, admin):
    """A contract that reverts on every ETH it is sent (MockReceiver mode 1); `set_mode(0)` heals it."""
    return project.MockReceiver.deploy(1, sender=admin)


# ---------------------------------------------------------------- one order with a lot in every status

STAGED_UNITS = 10  # units per staged lot
STAGED_PAYEES_BPS = 500  # sub1's share in the staged agreement
#: lot status name -> (lot number in the staged order, LotStatus value)
STAGED_LOTS = {
    "released": (1, 4),
    "shipped": (2, 1),
    "disputed": (3, 2),
    "confirmed": (4, 4),
    "resolved": (5, 8),
    "received": (6, 4),
}
FINAL_LOTS = ["released", "confirmed", "resolved", "received"]


@pytest.fixture(scope="class")
def staged(escrow, part, buyer, supplier, inspector, arbiter, sub1, chain) -> dict:
    """ETH order `order` (60 units, sub1 at 500 bps) with one lot in every status, see `STAGED_LOTS`,
    plus a `declined` order and a `refunded` order (nothing shipped, all refunded): no lots at all.

    Class-scoped: built once per test class; Ape restores the class snapshot around every test. The
    clock ends inside the review period of lots 2-5 and in the order's shipping window, with no
    unit left open; `refunded`'s window (1 day, no grace) has closed.
    """
    from conftest import UNIT_PRICE, make_terms

    now = chain.pending_timestamp
    terms = make_terms(supplier, valid_until=now + 365 * DAY, inspector=inspector)
    agreement_id = escrow.propose_agreement(terms, sender=buyer).return_value
    escrow.accept_agreement(agreement_id, [(sub1.address, STAGED_PAYEES_BPS)], sender=supplier)
    no_grace = escrow.propose_agreement(
        make_terms(supplier, valid_until=now + 365 * DAY, inspector=inspector, grace_period=0), sender=buyer
    ).return_value
    escrow.accept_agreement(no_grace, [], sender=supplier)

    def create(agreement, quantity, ship_in):
        return escrow.create_order(
            agreement, quantity, chain.pending_timestamp + ship_in, PO, sender=buyer, value=quantity * UNIT_PRICE
        ).return_value

    order = create(agreement_id, 6 * STAGED_UNITS, 30 * DAY)
    declined = create(agreement_id, STAGED_UNITS, 30 * DAY)
    refunded = create(no_grace, STAGED_UNITS, DAY)
    escrow.decline_order(declined, sender=supplier)

    escrow.ship(order, STAGED_UNITS, h("ASN-released"), sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order, 1)[2] + 1
    escrow.release(order, 1, sender=buyer)
    escrow.refund_expired(refunded, sender=buyer)
    for name in ("shipped", "disputed", "confirmed", "resolved"):
        escrow.ship(order, STAGED_UNITS, h(f"ASN-{name}"), sender=supplier)
    escrow.dispute(order, STAGED_LOTS["disputed"][0], h("dent"), sender=buyer)
    escrow.confirm_delivery(order, STAGED_LOTS["confirmed"][0], h("GRN"), sender=inspector)
    escrow.dispute(order, STAGED_LOTS["resolved"][0], h("dent"), sender=inspector)
    escrow.resolve(order, STAGED_LOTS["resolved"][0], 5_000, sender=arbiter)
    escrow.receive_goods(order, STAGED_UNITS, h("GR"), sender=buyer)
    for name, (lot, status) in STAGED_LOTS.items():
        assert escrow.get_lot(order, lot).status == status, name
    return {"order": order, "declined": declined, "refunded": refunded}
