"""Gas floors: the least gas any implementation of the published interface must spend on a call.

Pure arithmetic, no chain access: every function takes the transaction's actual input bytes and
the facts of the case (how many payees, which of them are new accounts or new token holders) and
returns a :class:`Floor`, an itemised bill. The model, its prices and what it leaves out are in
docs/gas-floor.md; in short, a floor counts

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
# Widths are the least bits that hold every value the contracts accept (SPEC and CHANGELOG limits).

ADDRESS_BITS = 160
HASH_BITS = 256  # part_id, spec_hash
VERSION_BITS = 32  # the escrow refuses version >= 2**32
QUANTITY_BITS = 64  # quantity < 2**64
AMOUNT_BITS = 96  # amount < 2**96
TIME_BITS = 40  # ship_by < 2**40; shipped_at and disputed_at are block times
REVIEW_BITS = 24  # review_period <= 90 days < 2**24
STATUS_BITS = 4  # no order + eight states
PAYEE_COUNT_BITS = 4  # 0..8
SHARE_BITS = 14  # 1..10 000
URI_LENGTH_BITS = 9  # 0..256
PAYEE_BITS = ADDRESS_BITS + SHARE_BITS

# Everything an order holds once created: buyer, supplier, inspector, token, part_id, version,
# quantity, amount, ship_by, review_period, status.
ORDER_AT_CREATE_BITS = (
    4 * ADDRESS_BITS + HASH_BITS + VERSION_BITS + QUANTITY_BITS + AMOUNT_BITS + TIME_BITS + REVIEW_BITS + STATUS_BITS
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


# ---------------------------------------------------------------- records touched, per call


def _record(floor: Floor, what: str, bits: int, written: int) -> Floor:
    """A record the call reads ``bits`` of and must change ``written`` words of: the written words
    are cold updates (which include their read), the rest of ``words(bits)`` are cold reads."""
    total = max(words(bits), written)
    floor.update(what, written)
    return floor.read(what, total - written)


def _payout(floor: Floor, receivers: Iterable[Receiver], erc20: bool, token_warm: bool = False) -> Floor:
    """Pushes to every receiver, each with its ``Paid`` event."""
    first = True
    for receiver in receivers:
        if erc20:
            floor.erc20_transfer(receiver, token_cold=first and not token_warm, sender_first=first)
        else:
            floor.eth_push(receiver)
        floor.log("Paid", 4, 32)
        first = False
    return floor


# PartRegistry


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
    """Owner check and latest+1 in the part word; new version words; event."""
    version_bits = HASH_BITS + URI_LENGTH_BITS + 8 * uri_len
    return (
        Floor()
        .tx(calldata)
        .update("part (owner, latest)")
        .create("version (spec hash, uri)", words(version_bits))
        .log("PartRevised", 2, 32 + 32 + abi_dynamic_bytes(uri_len))
    )


def grant_access(calldata: bytes) -> Floor:
    """Owner check; a new grant word for a partner never granted before; event."""
    return Floor().tx(calldata).read("part (owner)").create("grant").log("AccessGranted", 3)


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


# OrderEscrow


def create_order(calldata: bytes, erc20: bool = False, escrow_new_holder: bool = False) -> Floor:
    """Not paused and the id counter (one global word); the registry (its contract, the part word,
    the buyer's and the supplier's grants); the order's words; the event; for ERC-20 the pull and
    the two balance checks that refuse fee-on-transfer tokens (warm calls by then)."""
    floor = (
        Floor()
        .tx(calldata)
        .update("order counter (+ paused flag)")
        .account("registry")
        .read("registry: part word")
        .read("registry: grant", 2)
        .create("order", words(ORDER_AT_CREATE_BITS))
        .log("OrderCreated", 4, 5 * 32)
    )
    if erc20:
        floor.erc20_transfer_from(new_holder=escrow_new_holder)
        floor.account("token: balance checks", warm=True, count=2)
    return floor


def cancel_order(calldata: bytes, buyer: Receiver = Receiver(warm=True), erc20: bool = False) -> Floor:
    """Buyer, status (written), token, amount; refund to the buyer (the sender)."""
    floor = Floor().tx(calldata)
    _record(floor, "order", ADDRESS_BITS + STATUS_BITS + ADDRESS_BITS + AMOUNT_BITS, 1)
    floor.log("OrderCancelled", 2)
    return _payout(floor, [buyer], erc20)


def accept_order(calldata: bytes, subcontractors: int) -> Floor:
    """Supplier, status, ship-by, part, version (status and count written); the certification
    (certification word and grant word in the registry); the payee words; the event."""
    floor = Floor().tx(calldata)
    _record(floor, "order", ADDRESS_BITS + STATUS_BITS + TIME_BITS + HASH_BITS + VERSION_BITS, 1)
    floor.account("registry").read("registry: certification").read("registry: grant")
    floor.create("payees", words(PAYEE_BITS * subcontractors))
    return floor.log("OrderAccepted", 2, 32 + 32 + 64 * subcontractors)


def mark_shipped(calldata: bytes) -> Floor:
    """Supplier, status, ship-by, shipped_at: one word, written; the event."""
    floor = Floor().tx(calldata)
    _record(floor, "order", ADDRESS_BITS + STATUS_BITS + 2 * TIME_BITS, 1)
    return floor.log("OrderShipped", 2, 32)


_PAYOUT_BITS = ADDRESS_BITS + ADDRESS_BITS + AMOUNT_BITS + PAYEE_COUNT_BITS  # supplier, token, amount, count


def confirm_delivery(calldata: bytes, receivers: list[Receiver], erc20: bool = False) -> Floor:
    """Buyer (the confirmer), status (written), what the payout needs; the payee words; the
    event; one push and one ``Paid`` per receiver (subcontractors, then the supplier)."""
    floor = Floor().tx(calldata)
    _record(floor, "order", ADDRESS_BITS + STATUS_BITS + _PAYOUT_BITS, 1)
    floor.read("payees", words(PAYEE_BITS * (len(receivers) - 1)))
    floor.log("DeliveryConfirmed", 3, 32)
    return _payout(floor, receivers, erc20)


def confirm_delivery_signed(calldata: bytes, receivers: list[Receiver], erc20: bool = False) -> Floor:
    """As ``confirm_delivery`` with the inspector read too, plus the EIP-712 digest (struct hash
    over four words, final hash over 66 bytes) and one ecrecover."""
    floor = Floor().tx(calldata)
    _record(floor, "order", 2 * ADDRESS_BITS + STATUS_BITS + _PAYOUT_BITS, 1)
    floor.read("payees", words(PAYEE_BITS * (len(receivers) - 1)))
    floor.keccak("receipt struct", 4 * 32).keccak("EIP-712 digest", 2 + 32 + 32).ecrecover()
    floor.log("DeliveryConfirmed", 3, 32)
    return _payout(floor, receivers, erc20)


def release(calldata: bytes, receivers: list[Receiver], erc20: bool = False) -> Floor:
    """Status (written), shipped_at, review period, what the payout needs; payees; event; pushes."""
    floor = Floor().tx(calldata)
    _record(floor, "order", STATUS_BITS + TIME_BITS + REVIEW_BITS + _PAYOUT_BITS, 1)
    floor.read("payees", words(PAYEE_BITS * (len(receivers) - 1)))
    floor.log("OrderReleased", 2)
    return _payout(floor, receivers, erc20)


def dispute(calldata: bytes) -> Floor:
    """Buyer, status and disputed_at (written), shipped_at, review period; the event."""
    floor = Floor().tx(calldata)
    _record(floor, "order", ADDRESS_BITS + STATUS_BITS + 2 * TIME_BITS + REVIEW_BITS, 1)
    return floor.log("OrderDisputed", 2, 32)


def resolve(
    calldata: bytes, supplier_side: list[Receiver], buyer: Receiver | None, erc20: bool = False, expired: bool = False
) -> Floor:
    """``resolve``: the arbiter role; ``resolve_expired``: disputed_at and the timeout. Then
    status (written), buyer and what the payout needs; payees; event; pushes to the supplier side
    (subcontractors, supplier) and to the buyer."""
    floor = Floor().tx(calldata)
    bits = ADDRESS_BITS + STATUS_BITS + _PAYOUT_BITS
    if expired:
        floor.read("arbitration timeout (global word)")
        bits += TIME_BITS
    else:
        floor.read("role membership")
    _record(floor, "order", bits, 1)
    floor.read("payees", words(PAYEE_BITS * (len(supplier_side) - 1)))
    floor.log("DisputeResolved", 2, 32)
    return _payout(floor, supplier_side + ([buyer] if buyer else []), erc20)


def refund_expired(calldata: bytes, buyer: Receiver = Receiver(), erc20: bool = False) -> Floor:
    """Status (written), ship-by, buyer, token, amount; event; the refund push."""
    floor = Floor().tx(calldata)
    _record(floor, "order", STATUS_BITS + TIME_BITS + ADDRESS_BITS + ADDRESS_BITS + AMOUNT_BITS, 1)
    floor.log("OrderRefunded", 2)
    return _payout(floor, [buyer], erc20)


def claim(calldata: bytes, erc20: bool = False, new_holder: bool = False) -> Floor:
    """The credit word, cleared (refund); the transfer to the caller (warm); ``Claimed``."""
    floor = Floor().tx(calldata).clear("credit")
    if erc20:
        floor.erc20_transfer(Receiver(new=new_holder, warm=True), token_cold=True, sender_first=True)
    else:
        floor.eth_push(Receiver(warm=True))
    return floor.log("Claimed", 3, 32)
