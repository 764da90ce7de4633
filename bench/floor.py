"""Gas floors: the least gas any implementation of the published interface must spend on a call.

Pure arithmetic, no chain access: every function takes the transaction's actual input bytes and
the facts of the case (how many payees, which of them are new accounts or new token holders, who
calls) and returns a :class:`Floor`, an itemised bill. The model, its prices and what it leaves
out are in docs/gas-floor.md; in short, a floor counts

* the transaction itself: 21 000 plus 16 per non-zero and 4 per zero input byte;
* the storage the call must touch, the bits packed as densely as the interface allows:
  ``words(bits)`` words per record, one cold write per word that must change (22 100 to create,
  5 000 to update, 5 000 less a 4 800 refund to clear), one cold read (2 100) per further word;
* the events the interface names, at 375 + 375 per topic + 8 per data byte;
* the value transfers it must make (9 000 − 2 300 stipend returned + account access, + 25 000
  for an empty account) and the ERC-20 work it must cause in a minimal standard token;
* cold access (2 600) to every other contract it must consult, and the precompiles and hashing
  a signature check cannot skip.

It leaves out everything an implementation could in principle avoid or that does not depend on
the interface: memory, ABI decoding, stack work, warm re-reads, argument checks, jumps.
Prices are those of the Cancun fork the project runs on (ape-config.yaml: ``evm_version``).

v2 (SPEC v2: agreements, call-off orders, lots). Records and the least bits each call needs of
them are spelled out per call below, one constant per field, so that a reader can check a floor
against SPEC v2 line by line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

# ---------------------------------------------------------------- prices (Cancun)

TX_BASE = 21_000  # Yellow Paper G_transaction
CALLDATA_ZERO_BYTE = 4  # Yellow Paper G_txdatazero
CALLDATA_NONZERO_BYTE = 16  # EIP-2028
COLD_SLOAD = 2_100  # EIP-2929 COLD_SLOAD_COST
COLD_ACCOUNT = 2_600  # EIP-2929 COLD_ACCOUNT_ACCESS_COST
WARM_ACCESS = 100  # EIP-2929 WARM_STORAGE_READ_COST
SSTORE_SET = 20_000  # EIP-2200 SSTORE_SET_GAS: zero -> non-zero
SSTORE_RESET = 2_900  # EIP-2929: 5 000 - COLD_SLOAD_COST, non-zero -> other value
SSTORE_CLEAR_REFUND = 4_800  # EIP-3529 SSTORE_CLEARS_SCHEDULE
MAX_REFUND_QUOTIENT = 5  # EIP-3529: the refund is capped at gas used // 5
CALL_VALUE = 9_000  # Yellow Paper G_callvalue
CALL_STIPEND = 2_300  # Yellow Paper G_callstipend: handed to the callee free, returned unused
NEW_ACCOUNT = 25_000  # Yellow Paper G_newaccount: value sent to an empty account (EIP-161)
LOG = 375  # Yellow Paper G_log
LOG_TOPIC = 375  # Yellow Paper G_logtopic
LOG_DATA_BYTE = 8  # Yellow Paper G_logdata
KECCAK = 30  # Yellow Paper G_keccak256
KECCAK_WORD = 6  # Yellow Paper G_keccak256word
ECRECOVER = 3_000  # Yellow Paper, precompile 0x01

COLD_SSTORE_SET = SSTORE_SET + COLD_SLOAD  # 22 100
COLD_SSTORE_UPDATE = SSTORE_RESET + COLD_SLOAD  # 5 000
DIRTY_SSTORE = WARM_ACCESS  # EIP-2200: re-writing a slot this transaction already wrote

WORD_BITS = 256

# ---------------------------------------------------------------- information the interface stores
# Widths are the least bits that hold every value the contracts accept (SPEC v2 and the limits
# OrderEscrow enforces with a reason).

ADDRESS_BITS = 160
HASH_BITS = 256  # part_id, spec_hash, shipment_hash
VERSION_BITS = 32  # the escrow refuses version >= 2**32
PRICE_BITS = 128  # unit_price < 2**128
QUANTITY_BITS = 64  # max_quantity, quantity, units called off / shipped < 2**64
TIME_BITS = 40  # valid_until, ship_by < 2**40; shipped_at, deadlines are block times
PERIOD_BITS = 23  # review_period, grace_period <= 90 days = 7 776 000 s < 2**23
PENALTY_DAY_BITS = 16  # penalty_bps_per_day: any uint16
BPS_BITS = 14  # penalty cap, a lot's penalty, a payee's share: <= 10 000
AGREEMENT_STATUS_BITS = 2  # none, PROPOSED, ACTIVE, CLOSED
LOT_STATUS_BITS = 3  # none + four statuses
PAYEE_COUNT_BITS = 4  # 0..8
ID_BITS = 48  # an order names its agreement: fewer than 2**48 agreements, ever
LOT_COUNT_BITS = 32  # the escrow refuses lot 2**32
FLAG_BITS = 1  # declined, refunded, assigned, received
URI_LENGTH_BITS = 9  # 0..256
PAYEE_BITS = ADDRESS_BITS + BPS_BITS  # 174: four payees need three words, eight need six


def token_bits(erc20: bool) -> int:
    """What a call must read to know the money: a one-bit "ETH" flag beside the words it reads
    anyway, or the token's address. (An ETH agreement need never read a token word.)"""
    return ADDRESS_BITS if erc20 else FLAG_BITS


# The order record: its agreement, quantity, ship-by, units shipped, lot count and flags. One
# word: 48 + 64 + 40 + 64 + 32 + 3 = 251 bits. Buyer, supplier and price live in the agreement.
ORDER_BITS = ID_BITS + QUANTITY_BITS + TIME_BITS + QUANTITY_BITS + LOT_COUNT_BITS + 3 * FLAG_BITS
# A lot: quantity, penalty, shipped_at, arbitration deadline, status, "received" flag, and the
# shipment hash a signed receipt names (none for a received lot).
LOT_WORD_BITS = QUANTITY_BITS + BPS_BITS + TIME_BITS + TIME_BITS + LOT_STATUS_BITS + FLAG_BITS
SHIPPED_LOT_BITS = LOT_WORD_BITS + HASH_BITS  # 418 bits: two words
RECEIVED_LOT_BITS = QUANTITY_BITS + TIME_BITS + LOT_STATUS_BITS + FLAG_BITS  # 108 bits: one word

# An agreement as `propose_agreement` must store it (payee count and units called off are 0).
AGREEMENT_AT_PROPOSE_BITS = (
    3 * ADDRESS_BITS  # buyer, supplier, inspector
    + HASH_BITS  # part_id
    + VERSION_BITS
    + PRICE_BITS
    + QUANTITY_BITS  # max_quantity
    + TIME_BITS  # valid_until
    + 2 * PERIOD_BITS  # review, grace
    + PENALTY_DAY_BITS
    + BPS_BITS  # penalty cap
    + AGREEMENT_STATUS_BITS
)


def words(bits: int) -> int:
    """Storage words needed for ``bits`` bits of one record (a record: data under one key)."""
    if bits < 0:
        raise ValueError("bits must be >= 0")
    return -(-bits // WORD_BITS)


def calldata_gas(data: bytes) -> int:
    """Intrinsic gas of the transaction input: 4 per zero byte, 16 per other byte (EIP-2028)."""
    zeros = data.count(0)
    return zeros * CALLDATA_ZERO_BYTE + (len(data) - zeros) * CALLDATA_NONZERO_BYTE


def log_gas(topics: int, data_bytes: int) -> int:
    """Gas of one LOG: 375 + 375 per topic (the event signature is one) + 8 per data byte."""
    if not 0 <= topics <= 4:
        raise ValueError("a log has 0 to 4 topics")
    return LOG + LOG_TOPIC * topics + LOG_DATA_BYTE * data_bytes


def keccak_gas(size: int) -> int:
    """Gas of KECCAK256 over ``size`` bytes."""
    return KECCAK + KECCAK_WORD * words(size * 8)


def abi_dynamic_bytes(length: int) -> int:
    """ABI size of a ``string``/``bytes`` value of ``length`` bytes in event data:
    the head offset, the length word and the data padded to whole words."""
    return 32 + 32 + 32 * words(length * 8)


# ---------------------------------------------------------------- the bill


@dataclass(frozen=True)
class Item:
    """One line of a floor: ``count`` times ``unit`` gas for ``what``."""

    what: str
    unit: int
    count: int = 1

    @property
    def gas(self) -> int:
        return self.unit * self.count


@dataclass(frozen=True)
class Receiver:
    """Someone a call must pay.

    ``new``: ETH: the account is empty (no balance, nonce or code, EIP-161), so the transfer
    creates it; ERC-20: its token balance is zero, so the token must create a balance word.
    ``warm``: the account is already accessed in this transaction (the sender, EIP-2929).
    """

    new: bool = False
    warm: bool = False


@dataclass
class Floor:
    """An itemised floor. Refunds are kept apart: EIP-3529 caps them at a fifth of the gas used."""

    items: list[Item] = field(default_factory=list)
    refunds: list[Item] = field(default_factory=list)

    # -- totals

    @property
    def gross(self) -> int:
        return sum(i.gas for i in self.items)

    @property
    def refund(self) -> int:
        """The refund the EVM grants: the refund counter, capped at gross // 5 (EIP-3529)."""
        return min(sum(i.gas for i in self.refunds), self.gross // MAX_REFUND_QUOTIENT)

    @property
    def total(self) -> int:
        return self.gross - self.refund

    def lines(self) -> list[tuple[str, int]]:
        """(label, gas) per item, refunds negative, for reports."""
        out = [(f"{i.what}" + (f" x{i.count}" if i.count != 1 else ""), i.gas) for i in self.items if i.count]
        out += [(f"refund: {i.what}" + (f" x{i.count}" if i.count != 1 else ""), -i.gas) for i in self.refunds if i.count]
        return out

    # -- builders (each returns self, so a floor reads as one expression)

    def add(self, what: str, unit: int, count: int = 1) -> Floor:
        if count < 0:
            raise ValueError("count must be >= 0")
        if count:
            self.items.append(Item(what, unit, count))
        return self

    def tx(self, calldata: bytes) -> Floor:
        zeros = calldata.count(0)
        self.add("transaction base", TX_BASE)
        self.add("calldata zero byte", CALLDATA_ZERO_BYTE, zeros)
        return self.add("calldata non-zero byte", CALLDATA_NONZERO_BYTE, len(calldata) - zeros)

    def read(self, what: str, count: int = 1) -> Floor:
        """Cold reads of words the call needs but does not write."""
        return self.add(f"read {what}", COLD_SLOAD, count)

    def create(self, what: str, count: int = 1) -> Floor:
        """Cold zero -> non-zero writes."""
        return self.add(f"create {what}", COLD_SSTORE_SET, count)

    def update(self, what: str, count: int = 1) -> Floor:
        """Cold non-zero -> non-zero writes (the read before the write is included)."""
        return self.add(f"update {what}", COLD_SSTORE_UPDATE, count)

    def rewrite(self, what: str, count: int = 1) -> Floor:
        """Writes to a slot this transaction already wrote (EIP-2200 dirty slot)."""
        return self.add(f"rewrite {what}", DIRTY_SSTORE, count)

    def clear(self, what: str, count: int = 1) -> Floor:
        """Cold non-zero -> zero writes: 5 000 each, 4 800 back each (EIP-3529)."""
        self.add(f"clear {what}", COLD_SSTORE_UPDATE, count)
        if count:
            self.refunds.append(Item(f"clear {what}", SSTORE_CLEAR_REFUND, count))
        return self

    def account(self, what: str, warm: bool = False, count: int = 1) -> Floor:
        """Accessing another account (CALL, STATICCALL, EXTCODESIZE, BALANCE)."""
        return self.add(f"{'warm' if warm else 'cold'} account {what}", WARM_ACCESS if warm else COLD_ACCOUNT, count)

    def log(self, event: str, topics: int, data_bytes: int = 0, count: int = 1) -> Floor:
        return self.add(f"log {event}", log_gas(topics, data_bytes), count)

    def keccak(self, what: str, size: int) -> Floor:
        return self.add(f"keccak {what}", keccak_gas(size))

    def ecrecover(self) -> Floor:
        return self.add("ecrecover precompile", ECRECOVER)

    def eth_push(self, receiver: Receiver) -> Floor:
        """CALL with value to an account without code: 9 000 for the value, the account access,
        25 000 if the account is empty; the callee runs no code, so the 2 300 stipend comes back."""
        self.add("CALL value", CALL_VALUE)
        self.add("CALL stipend returned", -CALL_STIPEND)
        self.account("payee", warm=receiver.warm)
        if receiver.new:
            self.add("CALL new account", NEW_ACCOUNT)
        return self

    def erc20_transfer(self, receiver: Receiver, *, token_cold: bool, sender_first: bool) -> Floor:
        """What a minimal standard token must do on ``transfer``: the call, the sender's balance
        word (cold update the first time, dirty re-write after), the receiver's balance word
        (created for a new holder), and the ``Transfer`` event EIP-20 requires."""
        self.account("token", warm=not token_cold)
        if sender_first:
            self.update("token: sender balance")
        else:
            self.rewrite("token: sender balance")
        if receiver.new:
            self.create("token: receiver balance")
        else:
            self.update("token: receiver balance")
        return self.log("token: Transfer", 3, 32)

    def erc20_transfer_from(self, *, new_holder: bool) -> Floor:
        """``transferFrom`` into the escrow, first touch of the token: the call, the allowance
        decrement, both balance words, ``Transfer``."""
        self.account("token")
        self.update("token: allowance")
        self.update("token: sender balance")
        if new_holder:
            self.create("token: receiver balance")
        else:
            self.update("token: receiver balance")
        return self.log("token: Transfer", 3, 32)

    # -- records

    def record(self, what: str, bits: int, written: int = 0) -> Floor:
        """A record the call reads ``bits`` of and must change ``written`` words of: the written
        words are cold updates (which include their read), the rest of ``words(bits)`` are cold
        reads."""
        total = max(words(bits), written)
        self.update(what, written)
        return self.read(what, total - written)


def payout(floor: Floor, receivers: Iterable[Receiver], erc20: bool) -> Floor:
    """Pushes to every receiver, each with its ``Paid`` event (4 topics, one data word)."""
    first = True
    for receiver in receivers:
        if erc20:
            floor.erc20_transfer(receiver, token_cold=first, sender_first=first)
        else:
            floor.eth_push(receiver)
        floor.log("Paid", 4, 32)
        first = False
    return floor


def _payees(floor: Floor, count: int) -> Floor:
    """The agreement's payee words: ``count`` subcontractors of 174 bits each, read."""
    return floor.read("payees", words(PAYEE_BITS * count))


# ================================================================ PartRegistry


def register_part(calldata: bytes, uri_len: int) -> Floor:
    """Role check; new part word (owner, latest); new version words (hash, URI); event."""
    version_bits = HASH_BITS + URI_LENGTH_BITS + 8 * uri_len
    return (
        Floor()
        .tx(calldata)
        .read("role membership")
        .create("part (owner, latest)", words(ADDRESS_BITS + VERSION_BITS))
        .create("version (spec hash, uri)", words(version_bits))
        .log("PartRegistered", 3, 32 + 32 + abi_dynamic_bytes(uri_len))
    )


def revise_part(calldata: bytes, uri_len: int) -> Floor:
    """Owner check and latest+1 in the part word; the owner's role (v2); new version words; event."""
    version_bits = HASH_BITS + URI_LENGTH_BITS + 8 * uri_len
    return (
        Floor()
        .tx(calldata)
        .update("part (owner, latest)")
        .read("role membership")
        .create("version (spec hash, uri)", words(version_bits))
        .log("PartRevised", 2, 32 + 32 + abi_dynamic_bytes(uri_len))
    )


def grant_access(calldata: bytes) -> Floor:
    """Owner and role check; a new grant word for a partner never granted before; event."""
    return Floor().tx(calldata).read("part (owner)").read("role membership").create("grant").log("AccessGranted", 3)


def revoke_access(calldata: bytes) -> Floor:
    """Owner and role check; the partner's grant word changes. It cannot simply be cleared: the
    v2 rule that a lapsed access voids certifications for good must be remembered per partner."""
    return Floor().tx(calldata).read("part (owner)").read("role membership").update("grant (lapse recorded)").log(
        "AccessRevoked", 3
    )


def certify(calldata: bytes) -> Floor:
    """Role check, version exists, supplier has access; new certification word; event."""
    return (
        Floor()
        .tx(calldata)
        .read("role membership")
        .read("part (latest)")
        .read("grant")
        .create("certification")
        .log("Certified", 3, 3 * 32)
    )


def revoke_certification(calldata: bytes) -> Floor:
    """Role check; the certification word cleared (refund); event."""
    return Floor().tx(calldata).read("role membership").clear("certification").log("CertificationRevoked", 3, 32)


def transfer_part(calldata: bytes, previous_had_grant: bool = False) -> Floor:
    """Owner and role check, the new owner's role; the part word; the previous owner's access
    record (it lapses unless it holds a grant: created for an owner that never had one); event."""
    floor = Floor().tx(calldata).update("part (owner, latest)").read("role membership", 2)
    floor.read("previous owner's access word") if previous_had_grant else floor.create("previous owner's lapse")
    return floor.log("PartTransferred", 4)


def recover_part(calldata: bytes) -> Floor:
    """Admin role; the owner no longer holds MANUFACTURER_ROLE; the new owner does; then as
    ``transfer_part`` (the previous owner held no grant)."""
    return (
        Floor()
        .tx(calldata)
        .read("role membership", 3)
        .update("part (owner, latest)")
        .create("previous owner's lapse")
        .log("PartTransferred", 4)
    )


def share_key(calldata: bytes, envelope_len: int) -> Floor:
    """Owner and role check, the version exists (part word), the partner's grant; only an event."""
    return (
        Floor()
        .tx(calldata)
        .read("part (owner, latest)")
        .read("role membership")
        .read("grant")
        .log("KeyShared", 3, 32 + abi_dynamic_bytes(envelope_len))
    )


# ================================================================ OrderEscrow: agreements


def propose_agreement(calldata: bytes, erc20: bool = False, grants: int = 1) -> Floor:
    """The agreement counter (a paused flag fits beside it); the registry: its part word (version
    exists, owner) and the grants of the parties who do not own the part (``grants``); for an
    ERC-20, one ``balanceOf`` on the token; the agreement's words; ``AgreementProposed``."""
    floor = (
        Floor()
        .tx(calldata)
        .update("agreement counter (+ paused flag)")
        .account("registry")
        .read("registry: part word")
        .read("registry: grant", grants)
    )
    if erc20:
        floor.account("token: balanceOf").read("token: balance word")
    floor.create("agreement", words(AGREEMENT_AT_PROPOSE_BITS + token_bits(erc20)))
    return floor.log("AgreementProposed", 4, 6 * 32)


def accept_agreement(calldata: bytes, subcontractors: int, erc20: bool = False) -> Floor:
    """Supplier (the caller), status (written with the payee count), valid_until, part and version
    (the certification), buyer, inspector and token (no payee may be one); the registry's
    certification and the supplier's access word (v2: a lapse voids it); the payee words; event."""
    bits = (
        ADDRESS_BITS + AGREEMENT_STATUS_BITS + PAYEE_COUNT_BITS + TIME_BITS + HASH_BITS + VERSION_BITS
        + ADDRESS_BITS + ADDRESS_BITS + token_bits(erc20)
    )
    floor = Floor().tx(calldata).record("agreement", bits, 1)
    floor.account("registry").read("registry: certification").read("registry: supplier access word")
    floor.create("payees", words(PAYEE_BITS * subcontractors))
    return floor.log("AgreementAccepted", 2, 32 + 32 + 64 * subcontractors)


def close_agreement(calldata: bytes, by_supplier: bool = False) -> Floor:
    """The caller's role (buyer, or supplier too when the supplier closes) and the status, written."""
    bits = ADDRESS_BITS + AGREEMENT_STATUS_BITS + (ADDRESS_BITS if by_supplier else 0)
    return Floor().tx(calldata).record("agreement", bits, 1).log("AgreementClosed", 3)


# ================================================================ OrderEscrow: call-off orders


def create_order(calldata: bytes, erc20: bool = False, escrow_new_holder: bool = False) -> Floor:
    """The order counter; the agreement: buyer, status, valid_until, price, cap and units called
    off (written), supplier, part and version, the money; the registry: the buyer's access and
    the supplier's certification now (three words: the part word or the buyer's grant, the
    certification, the supplier's access word); the order word; ``OrderCreated``; for an ERC-20
    the pull and the two balance checks that refuse fee-on-transfer tokens (warm by then)."""
    bits = (
        ADDRESS_BITS + AGREEMENT_STATUS_BITS + TIME_BITS + PRICE_BITS + 2 * QUANTITY_BITS
        + ADDRESS_BITS + HASH_BITS + VERSION_BITS + token_bits(erc20)
    )
    floor = (
        Floor()
        .tx(calldata)
        .update("order counter (+ paused flag)")
        .record("agreement", bits, 1)
        .account("registry")
        .read("registry: access and certification", 3)
        .create("order", words(ORDER_BITS))
        .log("OrderCreated", 4, 5 * 32)
    )
    if erc20:
        floor.erc20_transfer_from(new_holder=escrow_new_holder)
        floor.account("token: balance checks", warm=True, count=2)
    return floor


def decline_order(calldata: bytes, erc20: bool = False) -> Floor:
    """The order word (declined flag written); the agreement: supplier (the caller), units called
    off (written back under the cap), price, buyer, money; ``OrderDeclined``; the refund push to
    the buyer (cold: the supplier calls)."""
    bits = ADDRESS_BITS + QUANTITY_BITS + PRICE_BITS + ADDRESS_BITS + token_bits(erc20)
    floor = Floor().tx(calldata).update("order").record("agreement", bits, 1).log("OrderDeclined", 2)
    return payout(floor, [Receiver()], erc20)


def refund_expired(calldata: bytes, erc20: bool = False) -> Floor:
    """The order word (refunded flag written); the agreement: grace period, price, buyer, money;
    ``OrderRefunded``; the push to the buyer (cold: a keeper calls)."""
    bits = PERIOD_BITS + PRICE_BITS + ADDRESS_BITS + token_bits(erc20)
    floor = Floor().tx(calldata).update("order").record("agreement", bits).log("OrderRefunded", 2, 64)
    return payout(floor, [Receiver()], erc20)


def assign_payout(calldata: bytes, subcontractors: int) -> Floor:
    """The order word (assigned flag written); the agreement: supplier (the holder), inspector and
    the payees (none may be the assignee); the assignee word, created; ``PayoutAssigned``."""
    floor = Floor().tx(calldata).update("order")
    floor.record("agreement", ADDRESS_BITS + ADDRESS_BITS + PAYEE_COUNT_BITS)
    _payees(floor, subcontractors)
    return floor.create("assignee").log("PayoutAssigned", 4)


# ================================================================ OrderEscrow: lots


def ship(calldata: bytes, late: bool = False, shipment_hash: bool = True) -> Floor:
    """The order word (units shipped, lot count: written); the agreement: supplier (the caller),
    grace period, part and version (the certification now), price (the event's value), and for a
    late lot the penalty terms; the registry's certification and the supplier's access word; the
    lot's words (two with a shipment hash); ``LotShipped``."""
    bits = ADDRESS_BITS + PERIOD_BITS + HASH_BITS + VERSION_BITS + PRICE_BITS
    if late:
        bits += PENALTY_DAY_BITS + BPS_BITS
    floor = Floor().tx(calldata).update("order").record("agreement", bits)
    floor.account("registry").read("registry: certification").read("registry: supplier access word")
    floor.create("lot", words(SHIPPED_LOT_BITS if shipment_hash else LOT_WORD_BITS))
    return floor.log("LotShipped", 3, 4 * 32)


def _settlement_bits(erc20: bool, assigned: bool) -> int:
    """What every payout reads of the agreement: payee count, money, price, and the supplier
    unless the payout was assigned (then the assignee word is read instead)."""
    return PAYEE_COUNT_BITS + token_bits(erc20) + PRICE_BITS + (0 if assigned else ADDRESS_BITS)


def _settle(floor: Floor, subcontractors: int, assigned: bool) -> Floor:
    """The payee words, and the assignee word when the payout was assigned."""
    _payees(floor, subcontractors)
    if assigned:
        floor.read("assignee")
    return floor


def receive_goods(
    calldata: bytes, receivers: list[Receiver], erc20: bool = False, by_inspector: bool = False, assigned: bool = False
) -> Floor:
    """The order word (written); the agreement: buyer (and the inspector when the inspector
    calls), grace period, what the payout reads; a new one-word lot (no shipment hash, no
    penalty); ``GoodsReceived``; payees; one push and ``Paid`` per receiver. ``receivers``:
    subcontractors first, then the supplier (or assignee)."""
    subs = len(receivers) - 1
    bits = ADDRESS_BITS + (ADDRESS_BITS if by_inspector else 0) + PERIOD_BITS + _settlement_bits(erc20, assigned)
    floor = Floor().tx(calldata).update("order").record("agreement", bits)
    floor.create("lot", words(RECEIVED_LOT_BITS))
    floor.log("GoodsReceived", 4, 4 * 32)
    _settle(floor, subs, assigned)
    return payout(floor, receivers, erc20)


def confirm_delivery(
    calldata: bytes,
    receivers: list[Receiver],
    erc20: bool = False,
    assigned: bool = False,
    subcontractors: int | None = None,
) -> Floor:
    """The order word (agreement id, assigned flag: read); the agreement: buyer (the confirmer)
    and what the payout reads; the lot word (status written); ``DeliveryConfirmed``; payees; one
    push and ``Paid`` per receiver. ``receivers``: subcontractors, then the supplier (or
    assignee), then the buyer when a penalty goes back (``subcontractors`` says how many of the
    receivers are subcontractors when that is not all but one)."""
    subs = len(receivers) - 1 if subcontractors is None else subcontractors
    floor = Floor().tx(calldata).read("order").record("agreement", ADDRESS_BITS + _settlement_bits(erc20, assigned))
    floor.update("lot").log("DeliveryConfirmed", 4, 32)
    _settle(floor, subs, assigned)
    return payout(floor, receivers, erc20)


def confirm_delivery_signed(calldata: bytes, receivers: list[Receiver], erc20: bool = False) -> Floor:
    """As ``confirm_delivery`` with the inspector read too (either may have signed) and the lot's
    shipment hash (the receipt names it); the EIP-712 digest (struct hash over six words, final
    hash over 66 bytes) and one ecrecover. The domain separator is cached in code."""
    subs = len(receivers) - 1
    floor = Floor().tx(calldata).read("order")
    floor.record("agreement", 2 * ADDRESS_BITS + _settlement_bits(erc20, False))
    floor.record("lot", QUANTITY_BITS + BPS_BITS + LOT_STATUS_BITS + HASH_BITS, 1)
    floor.keccak("receipt struct", 6 * 32).keccak("EIP-712 digest", 2 + 32 + 32).ecrecover()
    floor.log("DeliveryConfirmed", 4, 32)
    _payees(floor, subs)
    return payout(floor, receivers, erc20)


def release(calldata: bytes, receivers: list[Receiver], erc20: bool = False) -> Floor:
    """The order word (read); the agreement: review period and what the payout reads; the lot
    word (shipped_at read, status written); ``LotReleased``; payees; pushes (a keeper calls)."""
    floor = Floor().tx(calldata).read("order").record("agreement", PERIOD_BITS + _settlement_bits(erc20, False))
    floor.update("lot").log("LotReleased", 3)
    _payees(floor, len(receivers) - 1)
    return payout(floor, receivers, erc20)


def dispute(calldata: bytes) -> Floor:
    """The order word (read); the agreement: buyer (the caller) and review period; the lot word
    (status and arbitration deadline written); the arbitration timeout (a global word);
    ``LotDisputed``."""
    floor = Floor().tx(calldata).read("order").record("agreement", ADDRESS_BITS + PERIOD_BITS)
    return floor.update("lot").read("arbitration timeout (global word)").log("LotDisputed", 3, 32)


def resolve(
    calldata: bytes, supplier_side: list[Receiver], buyer: Receiver | None, erc20: bool = False, expired: bool = False
) -> Floor:
    """``resolve``: the arbiter's role, and the arbiter must be none of buyer, supplier,
    inspector, payout holder, payees (all read); ``resolve_expired``: only the lot's own
    arbitration deadline. Then the order word, the lot word (status written), the buyer (who gets
    the rest), what the payout reads; ``DisputeResolved``; pushes to the supplier side
    (subcontractors, supplier) and the buyer."""
    floor = Floor().tx(calldata)
    bits = ADDRESS_BITS + _settlement_bits(erc20, False)  # buyer, payee count, money, price, supplier
    if not expired:
        floor.read("role membership")
        bits += ADDRESS_BITS  # the inspector, for the arbiter-is-no-party check
    floor.read("order").record("agreement", bits)
    floor.update("lot").log("DisputeResolved", 3, 32)
    _payees(floor, len(supplier_side) - 1)
    return payout(floor, supplier_side + ([buyer] if buyer else []), erc20)


# ================================================================ OrderEscrow: money and admin


def claim(calldata: bytes, erc20: bool = False, new_holder: bool = False) -> Floor:
    """The credit word, cleared (refund); the transfer to the caller (warm); ``Claimed``."""
    floor = Floor().tx(calldata).clear("credit")
    if erc20:
        floor.erc20_transfer(Receiver(new=new_holder, warm=True), token_cold=True, sender_first=True)
    else:
        floor.eth_push(Receiver(warm=True))
    return floor.log("Claimed", 3, 32)


def pause(calldata: bytes, unpause: bool = False) -> Floor:
    """The admin role; the paused flag; ``Paused`` / ``Unpaused`` (the account, not indexed).
    Each floor is the least for its own call: pausing sets a flag that fits in the (never zero)
    counter word (an update); lifting it is cheapest as the clear of a word of its own (refund)."""
    floor = Floor().tx(calldata).read("role membership")
    if unpause:
        floor.clear("paused flag")
    else:
        floor.update("paused flag (in the counter word)")
    return floor.log("Unpaused" if unpause else "Paused", 1, 32)


def set_arbitration_timeout(calldata: bytes) -> Floor:
    """The admin role; the timeout in the global word; ``ArbitrationTimeoutSet``."""
    return Floor().tx(calldata).read("role membership").update("arbitration timeout").log("ArbitrationTimeoutSet", 1, 64)


def grant_role(calldata: bytes) -> Floor:
    """The caller's membership of the role's admin role; a new membership word; ``RoleGranted``
    (role, account, sender: all indexed)."""
    return Floor().tx(calldata).read("role membership").create("membership").log("RoleGranted", 4)
