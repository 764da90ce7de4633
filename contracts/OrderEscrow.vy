# pragma version ~=0.4.3
# pragma nonreentrancy on
# pragma experimental-codegen
# pragma optimize codesize
"""
@title FactoryChain order escrow (v2: framework agreements, call-offs, lots)
@custom:contract-name OrderEscrow
@license GNU Affero General Public License v3.0 only
@notice A buyer and a supplier agree once on a **framework agreement**
        (part version, unit price, subcontractor shares, late terms); the
        buyer then places **call-off orders**, each funded in escrow, which
        the supplier delivers in **lots**. Each lot is paid the moment it is
        confirmed: to the supplier *and the subcontractors it declared*, in
        the same transaction, to the last wei. Late lots pay the buyer a
        penalty out of the supplier's remainder; a silent buyer releases
        payment after the review period; unshipped units are refunded after
        the shipping window; disputes go to an arbiter (or split 50/50 when
        arbitration times out); a supplier may assign its receivable.
@dev Every transfer is pushed; a transfer that fails becomes a credit its
     payee takes with `claim`, so no receiver can block anyone else.
     Storage: six words per agreement plus one per subcontractor, one word
     per order (plus one if its payout is assigned), one word per lot (plus
     one for a non-zero shipment hash). No call loops over agreements,
     orders, lots, parts or partners; the only loops run over at most eight
     payees.
"""

from ethereum.ercs import IERC20

from .interfaces import IPartRegistry

from snekmate.auth import access_control
from snekmate.utils import eip712_domain_separator as eip712
from snekmate.utils import ecdsa
from snekmate.utils import signature_checker

initializes: access_control
initializes: eip712

# Roles: the admin grants ARBITER_ROLE and may hand over administration.
exports: (
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
)
# EIP-5267: wallets discover the receipt-signing domain on chain.
exports: eip712.eip712Domain


flag AgreementStatus:
    PROPOSED
    ACTIVE
    CLOSED


flag LotStatus:
    SHIPPED
    DISPUTED
    COMPLETED
    RESOLVED


struct Payee:
    account: address
    share_bps: uint16


struct Terms:
    supplier: address
    part_id: bytes32
    version: uint256
    token: address
    unit_price: uint256
    max_quantity: uint256
    valid_until: uint256
    review_period: uint256
    inspector: address
    grace_period: uint256
    penalty_bps_per_day: uint16
    penalty_cap_bps: uint16


struct Agreement:
    terms: Terms
    buyer: address
    status: AgreementStatus
    units_called_off: uint256


struct Order:
    agreement_id: uint256
    buyer: address
    supplier: address
    quantity: uint256
    amount: uint256
    ship_by: uint256
    units_shipped: uint256
    units_refunded: uint256
    lot_count: uint256
    payout_holder: address
    declined: bool


struct Lot:
    quantity: uint256
    value: uint256
    penalty_bps: uint256
    shipment_hash: bytes32
    shipped_at: uint256
    arbitration_deadline: uint256
    status: LotStatus


# @dev The stored form of an agreement: six words, grouped by the calls that
#      read them together, so a call-off reads five, a payout four.
struct PackedAgreement:
    # buyer | status << 160 | valid_until << 168 | review_period << 208
    #   | payee count << 232 | pays-in-ERC-20 flag << 240
    parties: uint256
    # supplier | version << 160 | grace_period << 192 | penalty/day << 216 | penalty cap << 232
    supply: uint256
    # unit_price | max_quantity << 128 | units_called_off << 192
    pricing: uint256
    token: address
    inspector: address
    part_id: bytes32


ARBITER_ROLE: public(constant(bytes32)) = keccak256("ARBITER_ROLE")

# @dev Interface version of this contract, recorded by the deploy script.
VERSION: public(constant(String[8])) = "2.0.0"

RECEIPT_TYPEHASH: public(constant(bytes32)) = keccak256(
    "DeliveryReceipt(uint256 orderId,uint256 lot,bytes32 shipmentHash,bytes32 receiptHash,uint256 deadline)"
)

MAX_PAYEES: public(constant(uint256)) = 8
BPS: public(constant(uint256)) = 10_000
DAY: public(constant(uint256)) = 86_400
MAX_REVIEW_PERIOD: public(constant(uint256)) = 90 * 86_400
MAX_GRACE_PERIOD: public(constant(uint256)) = 90 * 86_400
DEFAULT_ARBITRATION_TIMEOUT: public(constant(uint256)) = 30 * 86_400
MIN_ARBITRATION_TIMEOUT: public(constant(uint256)) = 3_600
MAX_ARBITRATION_TIMEOUT: public(constant(uint256)) = 365 * 86_400

# @dev Gas handed to an ETH receiver on a pushed payout: enough for a Safe
#      or similar proxy wallet to accept it, too little to do harm.
ETH_PUSH_GAS: public(constant(uint256)) = 10_000
# @dev Gas handed to an ERC-20 `transfer` on a pushed payout: a blocklist or
#      proxy token needs ~60k; a token that burns more defers the payment.
TOKEN_PUSH_GAS: public(constant(uint256)) = 100_000
# @dev Gas a push must still have before its call, so that a relayer cannot
#      starve the call (EIP-150 forwards only 63/64) and turn a good payment
#      into a credit on purpose.
_ETH_PUSH_RESERVE: constant(uint256) = ETH_PUSH_GAS + ETH_PUSH_GAS // 63 + 12_000
_TOKEN_PUSH_RESERVE: constant(uint256) = TOKEN_PUSH_GAS + TOKEN_PUSH_GAS // 63 + 5_000

_MASK_160: constant(uint256) = (1 << 160) - 1
_MASK_128: constant(uint256) = (1 << 128) - 1
_MASK_64: constant(uint256) = (1 << 64) - 1
_MASK_48: constant(uint256) = (1 << 48) - 1
_MASK_40: constant(uint256) = (1 << 40) - 1
_MASK_32: constant(uint256) = (1 << 32) - 1
_MASK_24: constant(uint256) = (1 << 24) - 1
_MASK_16: constant(uint256) = (1 << 16) - 1
_MASK_8: constant(uint256) = (1 << 8) - 1

# Agreement `parties` word.
_A_STATUS: constant(uint256) = 160
_A_VALID_UNTIL: constant(uint256) = 168
_A_REVIEW: constant(uint256) = 208
_A_COUNT: constant(uint256) = 232
# @dev Set when the agreement pays in an ERC-20: ETH payouts never read the token word.
_A_ERC20: constant(uint256) = 240
# Agreement `supply` word.
_S_VERSION: constant(uint256) = 160
_S_GRACE: constant(uint256) = 192
_S_PER_DAY: constant(uint256) = 216
_S_CAP: constant(uint256) = 232
# Agreement `pricing` word.
_P_MAX: constant(uint256) = 128
_P_CALLED: constant(uint256) = 192
# `_counters` word.
_C_AGREEMENTS: constant(uint256) = 64
_C_ORDERS: constant(uint256) = 128
# @dev The pause flag lives in the counters word that `propose_agreement` and
#      `create_order` read anyway (snekmate's `pausable` would spend a cold
#      word on every call-off and a fresh one on every pause); its reasons and
#      events are snekmate's, unchanged.
_C_PAUSED: constant(uint256) = 1 << 192

# @dev Order word: agreement_id (48) | quantity << 48 (64) | units_shipped << 112 (64)
#      | ship_by << 176 (40) | lot_count << 216 (32) | flags << 248.
_O_QUANTITY: constant(uint256) = 48
_O_SHIPPED: constant(uint256) = 112
_O_SHIP_BY: constant(uint256) = 176
_O_LOTS: constant(uint256) = 216
_O_DECLINED: constant(uint256) = 1 << 248
_O_REFUNDED: constant(uint256) = 1 << 249
_O_ASSIGNED: constant(uint256) = 1 << 250

# @dev Lot word: quantity (64) | penalty_bps << 64 (16) | shipped_at << 80 (64)
#      | arbitration_deadline << 144 (64) | status << 208 (8) | received << 216.
#      Times get 64 bits: every reachable value (< 2**41 by the deadline
#      rules, and any block time an EVM client accepts) fits, so none spills.
_L_PENALTY: constant(uint256) = 64
_L_SHIPPED_AT: constant(uint256) = 80
_L_ARBITRATION: constant(uint256) = 144
_L_STATUS: constant(uint256) = 208
_L_RECEIVED: constant(uint256) = 1 << 216


registry: public(immutable(IPartRegistry))

# @dev arbitration_timeout | agreement_count << 64 | order_count << 128 | paused << 192.
#      One word, never zero after deployment: the first agreement and the
#      first call-off update a live word instead of creating one (-17k gas
#      each), and `dispute` reads the timeout from the same word.
_counters: uint256

_agreements: HashMap[uint256, PackedAgreement]

# @dev agreement_id => index => account | share_bps << 160.
_payees: HashMap[uint256, HashMap[uint256, uint256]]

_orders: HashMap[uint256, uint256]

# @dev order_id => assignee of the supplier's remainder (set with the ASSIGNED flag).
_assignees: HashMap[uint256, address]

_lots: HashMap[uint256, HashMap[uint256, uint256]]

# @dev order_id => lot => shipment hash (stored only when non-zero).
_shipment_hashes: HashMap[uint256, HashMap[uint256, bytes32]]

# @dev account => token => amount whose push failed, taken with `claim`.
_credits: HashMap[address, HashMap[address, uint256]]


event AgreementProposed:
    agreement_id: indexed(uint256)
    buyer: indexed(address)
    supplier: indexed(address)
    part_id: bytes32
    version: uint256
    token: address
    unit_price: uint256
    max_quantity: uint256
    valid_until: uint256

event AgreementAccepted:
    agreement_id: indexed(uint256)
    payees: DynArray[Payee, MAX_PAYEES]

event AgreementClosed:
    agreement_id: indexed(uint256)
    closed_by: indexed(address)

event OrderCreated:
    order_id: indexed(uint256)
    agreement_id: indexed(uint256)
    buyer: address
    supplier: indexed(address)
    quantity: uint256
    amount: uint256
    ship_by: uint256
    po_ref: bytes32

event OrderDeclined:
    order_id: indexed(uint256)

event LotShipped:
    order_id: indexed(uint256)
    lot: indexed(uint256)
    quantity: uint256
    value: uint256
    penalty_bps: uint256
    shipment_hash: bytes32

event GoodsReceived:
    order_id: indexed(uint256)
    lot: indexed(uint256)
    quantity: uint256
    value: uint256
    penalty_bps: uint256
    receiver: indexed(address)
    receipt_hash: bytes32

event DeliveryConfirmed:
    order_id: indexed(uint256)
    lot: indexed(uint256)
    confirmer: indexed(address)
    receipt_hash: bytes32

event LotReleased:
    order_id: indexed(uint256)
    lot: indexed(uint256)

event LotDisputed:
    order_id: indexed(uint256)
    lot: indexed(uint256)
    reason_hash: bytes32

event DisputeResolved:
    order_id: indexed(uint256)
    lot: indexed(uint256)
    supplier_bps: uint256

event OrderRefunded:
    order_id: indexed(uint256)
    quantity: uint256
    amount: uint256

event PayoutAssigned:
    order_id: indexed(uint256)
    previous: indexed(address)
    assignee: indexed(address)

event Paid:
    order_id: indexed(uint256)
    payee: indexed(address)
    token: indexed(address)
    amount: uint256

event PaymentDeferred:
    order_id: indexed(uint256)
    payee: indexed(address)
    token: indexed(address)
    amount: uint256

event Claimed:
    account: indexed(address)
    token: indexed(address)
    amount: uint256

event Paused:
    account: address

event Unpaused:
    account: address

event ArbitrationTimeoutSet:
    previous: uint256
    current: uint256


@deploy
def __init__(registry_: address, admin: address):
    """
    @notice Deploys an escrow that checks parts against `registry_`.
    @dev The deployer keeps no role unless it is `admin` itself.
    @param registry_ The PartRegistry consulted for access and certification.
    @param admin The account that will hold DEFAULT_ADMIN_ROLE.
    """
    assert registry_.is_contract, "escrow: registry is not a contract"
    assert admin != empty(address), "escrow: zero admin"
    access_control.__init__()
    eip712.__init__("FactoryChain", "2")
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    registry = IPartRegistry(registry_)
    self._counters = DEFAULT_ARBITRATION_TIMEOUT


# ---------------------------------------------------------------- agreements


@external
def propose_agreement(terms: Terms) -> uint256:
    """
    @notice Proposes a framework agreement to `terms.supplier`: part version,
            unit price, quantity cap, validity, review and late terms.
            Nothing is funded yet; call-offs fund themselves.
    @dev The caller becomes the agreement's buyer. Both parties need access
         to the part; the token must be ETH (`empty(address)`) or a
         contract that answers `balanceOf`.
    @param terms The terms (see `Terms`); bounds are checked one by one.
    @return The new agreement id (ids start at 1).
    """
    counters: uint256 = self._require_not_paused()
    assert terms.supplier != empty(address), "escrow: zero supplier"
    assert terms.supplier != msg.sender, "escrow: buyer is supplier"
    assert terms.inspector != terms.supplier, "escrow: inspector is supplier"
    assert terms.unit_price != 0, "escrow: zero price"
    assert terms.unit_price <= _MASK_128, "escrow: price too large"
    assert terms.max_quantity != 0, "escrow: zero quantity"
    assert terms.max_quantity <= _MASK_64, "escrow: quantity too large"
    assert terms.valid_until > block.timestamp, "escrow: valid-until in the past"
    assert terms.valid_until <= _MASK_40, "escrow: valid-until too far"
    assert terms.review_period != 0 and terms.review_period <= MAX_REVIEW_PERIOD, "escrow: bad review period"
    assert terms.grace_period <= MAX_GRACE_PERIOD, "escrow: bad grace period"
    assert convert(terms.penalty_cap_bps, uint256) <= BPS, "escrow: bad penalty cap"

    version_ok: bool = False
    buyer_ok: bool = False
    supplier_ok: bool = False
    version_ok, buyer_ok, supplier_ok = staticcall registry.check_order(
        terms.part_id, terms.version, msg.sender, terms.supplier
    )
    assert version_ok and terms.version <= _MASK_32, "escrow: unknown version"
    assert buyer_ok, "escrow: buyer has no access"
    assert supplier_ok, "escrow: supplier has no access"
    if terms.token != empty(address):
        self._check_token(terms.token)

    agreement_id: uint256 = ((counters >> _C_AGREEMENTS) & _MASK_64) + 1
    self._counters = counters + (1 << _C_AGREEMENTS)
    # Field by field, so that an ETH agreement or one with no inspector does not
    # pay for writing zeros over zeros.
    self._agreements[agreement_id].parties = (
        convert(msg.sender, uint256)
        | convert(AgreementStatus.PROPOSED, uint256) << _A_STATUS
        | terms.valid_until << _A_VALID_UNTIL
        | terms.review_period << _A_REVIEW
        | convert(terms.token != empty(address), uint256) << _A_ERC20
    )
    self._agreements[agreement_id].supply = (
        convert(terms.supplier, uint256)
        | terms.version << _S_VERSION
        | terms.grace_period << _S_GRACE
        | convert(terms.penalty_bps_per_day, uint256) << _S_PER_DAY
        | convert(terms.penalty_cap_bps, uint256) << _S_CAP
    )
    self._agreements[agreement_id].pricing = terms.unit_price | terms.max_quantity << _P_MAX
    self._agreements[agreement_id].part_id = terms.part_id
    if terms.token != empty(address):
        self._agreements[agreement_id].token = terms.token
    if terms.inspector != empty(address):
        self._agreements[agreement_id].inspector = terms.inspector
    log AgreementProposed(
        agreement_id=agreement_id,
        buyer=msg.sender,
        supplier=terms.supplier,
        part_id=terms.part_id,
        version=terms.version,
        token=terms.token,
        unit_price=terms.unit_price,
        max_quantity=terms.max_quantity,
        valid_until=terms.valid_until,
    )
    return agreement_id


@external
def accept_agreement(agreement_id: uint256, payees: DynArray[Payee, MAX_PAYEES]):
    """
    @notice Accepts a proposed agreement and declares, once and for all,
            which subcontractors get which share of every lot of every
            call-off under it.
    @dev The supplier must hold a live certification for the exact part
         version. Shares are basis points of the supplier side of a lot;
         the supplier keeps the rest, rounding dust included.
    @param agreement_id The agreement.
    @param payees Up to eight subcontractors: distinct, non-zero, none of
           the supplier, the buyer, the inspector, this escrow or the token;
           each share > 0, shares summing to at most 10 000.
    """
    parties: uint256 = self._load_agreement(agreement_id)
    supply: uint256 = self._agreements[agreement_id].supply
    supplier: address = convert(supply & _MASK_160, address)
    assert msg.sender == supplier, "escrow: not supplier"
    assert self._agreement_status(parties) == AgreementStatus.PROPOSED, "escrow: agreement not proposed"
    assert block.timestamp <= (parties >> _A_VALID_UNTIL) & _MASK_40, "escrow: agreement expired"
    assert staticcall registry.is_certified(
        self._agreements[agreement_id].part_id, (supply >> _S_VERSION) & _MASK_32, supplier
    ), "escrow: supplier not certified"

    buyer: address = convert(parties & _MASK_160, address)
    inspector: address = self._agreements[agreement_id].inspector
    token: address = self._token(agreement_id, parties)
    total: uint256 = 0
    count: uint256 = len(payees)
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        payee: Payee = payees[i]
        assert payee.account != empty(address), "escrow: zero payee"
        assert (
            payee.account != supplier
            and payee.account != buyer
            and payee.account != inspector
            and payee.account != self
            and payee.account != token
        ), "escrow: payee is a party"
        assert payee.share_bps != 0, "escrow: zero share"
        for j: uint256 in range(MAX_PAYEES):
            if j == i:
                break
            assert payees[j].account != payee.account, "escrow: duplicate payee"
        total += convert(payee.share_bps, uint256)
        self._payees[agreement_id][i] = convert(payee.account, uint256) | convert(payee.share_bps, uint256) << 160
    assert total <= BPS, "escrow: shares exceed 100%"

    parties = self._with_agreement_status(parties, AgreementStatus.ACTIVE) | count << _A_COUNT
    self._agreements[agreement_id].parties = parties
    log AgreementAccepted(agreement_id=agreement_id, payees=payees)


@external
def close_agreement(agreement_id: uint256):
    """
    @notice Ends an agreement for good: no new call-offs. Orders already
            placed run to their end (an agreement holds no money).
    @param agreement_id The agreement (PROPOSED or ACTIVE).
    """
    parties: uint256 = self._load_agreement(agreement_id)
    assert msg.sender == convert(parties & _MASK_160, address) or msg.sender == convert(
        self._agreements[agreement_id].supply & _MASK_160, address
    ), "escrow: not a party"
    assert self._agreement_status(parties) != AgreementStatus.CLOSED, "escrow: agreement closed"
    self._agreements[agreement_id].parties = self._with_agreement_status(parties, AgreementStatus.CLOSED)
    log AgreementClosed(agreement_id=agreement_id, closed_by=msg.sender)


# ---------------------------------------------------------------- call-off orders


@external
@payable
def create_order(agreement_id: uint256, quantity: uint256, ship_by: uint256, po_ref: bytes32) -> uint256:
    """
    @notice Places a call-off of `quantity` units under an active agreement
            and locks `quantity * unit_price` in escrow (ETH sent with the
            call, or an ERC-20 pulled with `transferFrom`: approve first).
    @param agreement_id The agreement; the caller must be its buyer.
    @param quantity Units called off; all call-offs together stay within
           the agreement's `max_quantity`.
    @param ship_by Unix time by which the supplier should ship (inclusive);
           lots shipped later, within the grace period, pay a penalty.
    @param po_ref The buyer's purchase-order reference, echoed in the event.
    @return The new order id (ids start at 1).
    """
    counters: uint256 = self._require_not_paused()
    parties: uint256 = self._load_agreement(agreement_id)
    assert msg.sender == convert(parties & _MASK_160, address), "escrow: not buyer"
    assert self._agreement_status(parties) == AgreementStatus.ACTIVE, "escrow: agreement not active"
    assert block.timestamp <= (parties >> _A_VALID_UNTIL) & _MASK_40, "escrow: agreement expired"
    assert quantity != 0, "escrow: zero quantity"
    pricing: uint256 = self._agreements[agreement_id].pricing
    # Compared as "what is left" so that no quantity, however large, overflows before the reason.
    called: uint256 = pricing >> _P_CALLED
    assert quantity <= ((pricing >> _P_MAX) & _MASK_64) - called, "escrow: above max quantity"
    called += quantity
    assert ship_by > block.timestamp, "escrow: ship-by in the past"
    assert ship_by <= _MASK_40, "escrow: ship-by too far"

    supply: uint256 = self._agreements[agreement_id].supply
    supplier: address = convert(supply & _MASK_160, address)
    buyer_ok: bool = False
    certified: bool = False
    buyer_ok, certified = staticcall registry.check_call_off(
        self._agreements[agreement_id].part_id, (supply >> _S_VERSION) & _MASK_32, msg.sender, supplier
    )
    assert buyer_ok, "escrow: buyer has no access"
    assert certified, "escrow: supplier not certified"

    self._agreements[agreement_id].pricing = (pricing & ((1 << _P_CALLED) - 1)) | called << _P_CALLED
    order_id: uint256 = ((counters >> _C_ORDERS) & _MASK_64) + 1
    self._counters = counters + (1 << _C_ORDERS)
    self._orders[order_id] = agreement_id | quantity << _O_QUANTITY | ship_by << _O_SHIP_BY

    amount: uint256 = quantity * (pricing & _MASK_128)
    if (parties >> _A_ERC20) & 1 == 0:
        assert msg.value == amount, "escrow: wrong value"
    else:
        assert msg.value == 0, "escrow: unexpected value"
        self._pull(self._agreements[agreement_id].token, msg.sender, amount)

    log OrderCreated(
        order_id=order_id,
        agreement_id=agreement_id,
        buyer=msg.sender,
        supplier=supplier,
        quantity=quantity,
        amount=amount,
        ship_by=ship_by,
        po_ref=po_ref,
    )
    return order_id


@external
def decline_order(order_id: uint256):
    """
    @notice The supplier turns a call-off down before any unit moved: the
            whole amount goes back to the buyer and the units return under
            the agreement's cap.
    @param order_id The order; nothing shipped, received or refunded yet,
           and its payout not assigned (the assignee paid for it).
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    supply: uint256 = self._agreements[agreement_id].supply
    assert msg.sender == convert(supply & _MASK_160, address), "escrow: not supplier"
    assert order & _O_DECLINED == 0, "escrow: order declined"
    assert (order >> _O_SHIPPED) & _MASK_64 == 0 and order & _O_REFUNDED == 0, "escrow: order under way"
    # A supplier that sold the receivable must not cancel what it sold.
    assert order & _O_ASSIGNED == 0, "escrow: payout assigned"
    self._orders[order_id] = order | _O_DECLINED
    quantity: uint256 = (order >> _O_QUANTITY) & _MASK_64
    pricing: uint256 = self._agreements[agreement_id].pricing
    self._agreements[agreement_id].pricing = pricing - (quantity << _P_CALLED)
    log OrderDeclined(order_id=order_id)
    parties: uint256 = self._agreements[agreement_id].parties
    self._push(
        order_id, self._token(agreement_id, parties), convert(parties & _MASK_160, address), quantity * (pricing & _MASK_128)
    )


@external
def refund_expired(order_id: uint256):
    """
    @notice Once the shipping window (`ship_by + grace_period`) has closed,
            returns the value of every unit never shipped nor received to
            the buyer. Lots already shipped are not touched.
    @param order_id The order.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    assert order & _O_DECLINED == 0, "escrow: order declined"
    supply: uint256 = self._agreements[agreement_id].supply
    assert block.timestamp > ((order >> _O_SHIP_BY) & _MASK_40) + ((supply >> _S_GRACE) & _MASK_24), (
        "escrow: shipping window open"
    )
    units: uint256 = self._open_units(order)
    assert units != 0, "escrow: nothing to refund"
    self._orders[order_id] = order | _O_REFUNDED
    amount: uint256 = units * (self._agreements[agreement_id].pricing & _MASK_128)
    log OrderRefunded(order_id=order_id, quantity=units, amount=amount)
    parties: uint256 = self._agreements[agreement_id].parties
    self._push(order_id, self._token(agreement_id, parties), convert(parties & _MASK_160, address), amount)


@external
def assign_payout(order_id: uint256, assignee: address):
    """
    @notice Sells the supplier's receivable: the supplier's remainder of
            every later settlement of this order goes to `assignee` (a bank
            or factor). The subcontractors' shares are untouched.
    @dev Whoever holds the payout may assign it again (the bank, onwards).
         The buyer may be the assignee (reverse factoring).
    @param order_id The order.
    @param assignee Non-zero; not this escrow, the inspector, a payee, or
           the current holder.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    holder: address = self._holder(order_id, order, agreement_id)
    assert msg.sender == holder, "escrow: not payout holder"
    assert order & _O_DECLINED == 0, "escrow: order declined"
    assert assignee != empty(address), "escrow: zero assignee"
    assert assignee != holder, "escrow: already payout holder"
    assert (
        assignee != self
        and assignee != self._agreements[agreement_id].inspector
        and not self._is_payee(agreement_id, assignee)
    ), "escrow: forbidden assignee"
    self._assignees[order_id] = assignee
    self._orders[order_id] = order | _O_ASSIGNED
    log PayoutAssigned(order_id=order_id, previous=holder, assignee=assignee)


# ---------------------------------------------------------------- lots


@external
def ship(order_id: uint256, quantity: uint256, shipment_hash: bytes32) -> uint256:
    """
    @notice Records that `quantity` units left the factory, with evidence,
            as the order's next lot; starts the buyer's review period.
    @dev A lot shipped after `ship_by` (within the grace period) carries a
         penalty of `penalty_bps_per_day` per started day late, capped,
         fixed now and paid to the buyer out of the supplier's remainder.
    @param order_id The order.
    @param quantity Units in this lot: > 0 and at most the units not yet
           shipped, received or refunded.
    @param shipment_hash Hash of the shipping documents (or the Merkle root
           of the lot's production records), kept off chain; a signed
           receipt must name it.
    @return The lot number (1, 2, 3 … within the order).
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    supply: uint256 = self._agreements[agreement_id].supply
    supplier: address = convert(supply & _MASK_160, address)
    assert msg.sender == supplier, "escrow: not supplier"
    ship_by: uint256 = self._check_lot_quantity(order, quantity, supply)
    assert staticcall registry.is_certified(
        self._agreements[agreement_id].part_id, (supply >> _S_VERSION) & _MASK_32, supplier
    ), "escrow: supplier not certified"

    penalty_bps: uint256 = 0
    if block.timestamp > ship_by:
        days_late: uint256 = (block.timestamp - ship_by + DAY - 1) // DAY
        penalty_bps = min((supply >> _S_CAP) & _MASK_16, ((supply >> _S_PER_DAY) & _MASK_16) * days_late)
    lot: uint256 = self._new_lot(order_id, order, quantity)
    self._lots[order_id][lot] = (
        quantity
        | penalty_bps << _L_PENALTY
        | block.timestamp << _L_SHIPPED_AT
        | convert(LotStatus.SHIPPED, uint256) << _L_STATUS
    )
    if shipment_hash != empty(bytes32):
        self._shipment_hashes[order_id][lot] = shipment_hash
    log LotShipped(
        order_id=order_id,
        lot=lot,
        quantity=quantity,
        value=quantity * (self._agreements[agreement_id].pricing & _MASK_128),
        penalty_bps=penalty_bps,
        shipment_hash=shipment_hash,
    )
    return lot


@external
def receive_goods(order_id: uint256, quantity: uint256, receipt_hash: bytes32) -> uint256:
    """
    @notice The buyer or the inspector has the goods in hand and accepts
            them without a shipping notice: creates a lot already COMPLETED
            (no penalty, no review) and pays it at once.
    @param order_id The order.
    @param quantity Units received: > 0 and at most the units not yet
           shipped, received or refunded, within the shipping window.
    @param receipt_hash Hash of the goods-receipt document, kept off chain.
    @return The lot number.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    buyer: address = self._check_confirmer(agreement_id, parties)
    supply: uint256 = self._agreements[agreement_id].supply
    self._check_lot_quantity(order, quantity, supply)
    lot: uint256 = self._new_lot(order_id, order, quantity)
    self._lots[order_id][lot] = (
        quantity
        | block.timestamp << _L_SHIPPED_AT
        | convert(LotStatus.COMPLETED, uint256) << _L_STATUS
        | _L_RECEIVED
    )
    value: uint256 = quantity * (self._agreements[agreement_id].pricing & _MASK_128)
    log GoodsReceived(
        order_id=order_id,
        lot=lot,
        quantity=quantity,
        value=value,
        penalty_bps=0,
        receiver=msg.sender,
        receipt_hash=receipt_hash,
    )
    self._settle(order_id, order, agreement_id, parties, buyer, value, value, 0)
    return lot


@external
def confirm_delivery(order_id: uint256, lot: uint256, receipt_hash: bytes32):
    """
    @notice Confirms a shipped lot arrived as ordered; pays everyone at once.
    @dev Allowed after the review period too, as long as nobody released it.
    @param order_id The order.
    @param lot The lot.
    @param receipt_hash Hash of the goods-receipt document, kept off chain.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    buyer: address = self._check_confirmer(agreement_id, parties)
    self._complete(order_id, order, agreement_id, parties, buyer, lot, msg.sender, receipt_hash)


@external
def confirm_delivery_signed(
    order_id: uint256, lot: uint256, receipt_hash: bytes32, deadline: uint256, signature: Bytes[65]
):
    """
    @notice Confirms a lot with an EIP-712 `DeliveryReceipt` the buyer or the
            inspector signed off chain; anyone may relay it and pay gas.
    @dev EOAs sign with ECDSA (low-s only); contract wallets answer ERC-1271.
         The receipt names the lot's shipment hash, so a receipt signed for
         one shipment cannot accept another; it cannot be replayed, since
         the lot leaves SHIPPED when it is used.
    @param order_id The order named in the receipt.
    @param lot The lot named in the receipt.
    @param receipt_hash The receipt hash named in the receipt.
    @param deadline Unix time after which the receipt is void (inclusive).
    @param signature 65-byte r|s|v (or 64-byte EIP-2098) signature, or a
           contract wallet's signature bytes. `DeliveryConfirmed` names the
           signer as the confirmer.
    """
    assert block.timestamp <= deadline, "escrow: receipt expired"
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    digest: bytes32 = self._receipt_digest(order_id, lot, receipt_hash, deadline)
    buyer: address = convert(parties & _MASK_160, address)
    inspector: address = self._agreements[agreement_id].inspector
    signer: address = empty(address)
    if not buyer.is_contract and not inspector.is_contract:
        # Both EOAs: one ecrecover answers for both.
        recovered: address = ecdsa._recover_sig(digest, signature)
        if recovered == buyer or (recovered == inspector and inspector != empty(address)):
            signer = recovered
    else:
        # A contract wallet is among the signers: ask the wallets first, since a
        # wallet's signature need not be ECDSA and the ECDSA check reverts on it.
        if buyer.is_contract and signature_checker._is_valid_ERC1271_signature_now(buyer, digest, signature):
            signer = buyer
        elif inspector.is_contract and signature_checker._is_valid_ERC1271_signature_now(
            inspector, digest, signature
        ):
            signer = inspector
        else:
            eoa: address = empty(address)
            if not buyer.is_contract:
                eoa = buyer
            elif not inspector.is_contract:
                eoa = inspector
            if eoa != empty(address) and ecdsa._recover_sig(digest, signature) == eoa:
                signer = eoa
    assert signer != empty(address), "escrow: invalid signature"
    self._complete(order_id, order, agreement_id, parties, buyer, lot, signer, receipt_hash)


@external
def release(order_id: uint256, lot: uint256):
    """
    @notice Pays a shipped lot once its review period ended with no
            confirmation and no dispute: the buyer's silence pays the
            supplier side.
    @param order_id The order.
    @param lot The lot.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    word: uint256 = self._load_lot(order_id, lot)
    assert self._lot_status(word) == LotStatus.SHIPPED, "escrow: lot not shipped"
    assert block.timestamp > self._review_ends(word, parties), "escrow: review period running"
    self._lots[order_id][lot] = self._with_lot_status(word, LotStatus.COMPLETED)
    log LotReleased(order_id=order_id, lot=lot)
    self._settle_lot(order_id, order, agreement_id, parties, word, BPS)


@external
def dispute(order_id: uint256, lot: uint256, reason_hash: bytes32):
    """
    @notice Stops payout of a shipped lot during its review period and hands
            it to arbitration; the arbitration deadline is fixed now.
    @param order_id The order.
    @param lot The lot.
    @param reason_hash Hash of the complaint document, kept off chain.
    """
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    self._check_confirmer(agreement_id, parties)
    word: uint256 = self._load_lot(order_id, lot)
    assert self._lot_status(word) == LotStatus.SHIPPED, "escrow: lot not shipped"
    assert block.timestamp <= self._review_ends(word, parties), "escrow: review period over"
    word = self._with_lot_status(word, LotStatus.DISPUTED) | (
        (block.timestamp + (self._counters & _MASK_64)) << _L_ARBITRATION
    )
    self._lots[order_id][lot] = word
    log LotDisputed(order_id=order_id, lot=lot, reason_hash=reason_hash)


@external
def resolve(order_id: uint256, lot: uint256, supplier_bps: uint16):
    """
    @notice Settles a disputed lot: `supplier_bps` of its value goes to the
            supplier side (subcontractors first, then the penalty, then the
            supplier or its assignee), the rest to the buyer.
    @dev The arbiter must be, at this moment, none of the order's buyer,
         supplier, inspector, payout holder or payees.
    @param order_id The order.
    @param lot The disputed lot.
    @param supplier_bps The supplier side's share, 0 to 10 000.
    """
    access_control._check_role(ARBITER_ROLE, msg.sender)
    order: uint256 = self._load_order(order_id)
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    assert (
        msg.sender != convert(parties & _MASK_160, address)
        and msg.sender != convert(self._agreements[agreement_id].supply & _MASK_160, address)
        and msg.sender != self._agreements[agreement_id].inspector
        and msg.sender != self._holder(order_id, order, agreement_id)
        and not self._is_payee(agreement_id, msg.sender)
    ), "escrow: arbiter is a party"
    word: uint256 = self._load_lot(order_id, lot)
    assert self._lot_status(word) == LotStatus.DISPUTED, "escrow: lot not disputed"
    assert convert(supplier_bps, uint256) <= BPS, "escrow: bps above 10000"
    self._lots[order_id][lot] = self._with_lot_status(word, LotStatus.RESOLVED)
    log DisputeResolved(order_id=order_id, lot=lot, supplier_bps=convert(supplier_bps, uint256))
    self._settle_lot(order_id, order, agreement_id, parties, word, convert(supplier_bps, uint256))


@external
def resolve_expired(order_id: uint256, lot: uint256):
    """
    @notice Splits a disputed lot 50/50 once the arbitration deadline fixed
            when the dispute was raised has passed with no ruling.
    @param order_id The order.
    @param lot The disputed lot.
    """
    order: uint256 = self._load_order(order_id)
    word: uint256 = self._load_lot(order_id, lot)
    assert self._lot_status(word) == LotStatus.DISPUTED, "escrow: lot not disputed"
    assert block.timestamp > (word >> _L_ARBITRATION) & _MASK_64, "escrow: arbitration running"
    agreement_id: uint256 = order & _MASK_48
    parties: uint256 = self._agreements[agreement_id].parties
    self._lots[order_id][lot] = self._with_lot_status(word, LotStatus.RESOLVED)
    log DisputeResolved(order_id=order_id, lot=lot, supplier_bps=BPS // 2)
    self._settle_lot(order_id, order, agreement_id, parties, word, BPS // 2)


# ---------------------------------------------------------------- credits


@external
def claim(token: address) -> uint256:
    """
    @notice Withdraws the caller's credit in `token` (payments whose push failed).
    @param token empty(address) for ETH, else the ERC-20.
    @return The amount withdrawn.
    """
    return self._claim(token, msg.sender)


@external
def claim_to(token: address, recipient: address) -> uint256:
    """
    @notice Withdraws the caller's credit in `token` to another address:
            the way out for a payee that cannot receive (a contract with no
            `receive`, an address a token blocklisted).
    @param token empty(address) for ETH, else the ERC-20.
    @param recipient Where the credit goes.
    @return The amount withdrawn.
    """
    assert recipient != empty(address), "escrow: zero recipient"
    return self._claim(token, recipient)


# ---------------------------------------------------------------- admin


@external
def pause():
    """
    @notice Stops new agreements and new call-offs. Everything already
            agreed or funded can still run to its end.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    counters: uint256 = self._require_not_paused()
    self._counters = counters | _C_PAUSED
    log Paused(account=msg.sender)


@external
def unpause():
    """
    @notice Lets new agreements and call-offs in again.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    counters: uint256 = self._counters
    assert counters & _C_PAUSED != 0, "pausable: contract is not paused"
    self._counters = counters & ~_C_PAUSED
    log Unpaused(account=msg.sender)


@external
def set_arbitration_timeout(seconds: uint256):
    """
    @notice Sets how long an arbiter has before anyone may split a dispute
            50/50, for disputes raised from now on; running disputes keep
            the deadline fixed when they were raised.
    @param seconds 1 hour to 365 days.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert seconds >= MIN_ARBITRATION_TIMEOUT and seconds <= MAX_ARBITRATION_TIMEOUT, "escrow: bad timeout"
    counters: uint256 = self._counters
    log ArbitrationTimeoutSet(previous=counters & _MASK_64, current=seconds)
    self._counters = (counters & ~_MASK_64) | seconds


# ---------------------------------------------------------------- views


@external
@view
def paused() -> bool:
    """
    @notice Whether new agreements and call-offs are paused.
    @return True while paused.
    """
    return self._counters & _C_PAUSED != 0


@external
@view
def agreement_count() -> uint256:
    """
    @notice How many agreements were ever proposed (the latest id).
    @return The count.
    """
    return (self._counters >> _C_AGREEMENTS) & _MASK_64


@external
@view
def order_count() -> uint256:
    """
    @notice How many call-off orders were ever created (the latest id).
    @return The count.
    """
    return (self._counters >> _C_ORDERS) & _MASK_64


@external
@view
def arbitration_timeout() -> uint256:
    """
    @notice Seconds an arbiter has to rule on disputes raised from now on.
    @return The timeout.
    """
    return self._counters & _MASK_64


@external
@view
def get_agreement(agreement_id: uint256) -> Agreement:
    """
    @notice An agreement as stored; all fields zero (status 0) for an unknown id.
    @param agreement_id The agreement.
    @return Its terms, buyer, status and the units called off so far.
    """
    stored: PackedAgreement = self._agreements[agreement_id]
    return Agreement(
        terms=Terms(
            supplier=convert(stored.supply & _MASK_160, address),
            part_id=stored.part_id,
            version=(stored.supply >> _S_VERSION) & _MASK_32,
            token=stored.token,
            unit_price=stored.pricing & _MASK_128,
            max_quantity=(stored.pricing >> _P_MAX) & _MASK_64,
            valid_until=(stored.parties >> _A_VALID_UNTIL) & _MASK_40,
            review_period=(stored.parties >> _A_REVIEW) & _MASK_24,
            inspector=stored.inspector,
            grace_period=(stored.supply >> _S_GRACE) & _MASK_24,
            penalty_bps_per_day=convert((stored.supply >> _S_PER_DAY) & _MASK_16, uint16),
            penalty_cap_bps=convert((stored.supply >> _S_CAP) & _MASK_16, uint16),
        ),
        buyer=convert(stored.parties & _MASK_160, address),
        status=self._agreement_status(stored.parties),
        units_called_off=stored.pricing >> _P_CALLED,
    )


@external
@view
def payees_of(agreement_id: uint256) -> DynArray[Payee, MAX_PAYEES]:
    """
    @notice The subcontractors declared at acceptance, in declaration order.
    @param agreement_id The agreement.
    @return The payees and their shares (empty before acceptance).
    """
    count: uint256 = (self._agreements[agreement_id].parties >> _A_COUNT) & _MASK_8
    result: DynArray[Payee, MAX_PAYEES] = []
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        word: uint256 = self._payees[agreement_id][i]
        result.append(Payee(account=convert(word & _MASK_160, address), share_bps=convert(word >> 160, uint16)))
    return result


@external
@view
def get_order(order_id: uint256) -> Order:
    """
    @notice A call-off order; all fields zero for an unknown id.
    @param order_id The order.
    @return The order, with the parties and price read from its agreement.
    """
    order: uint256 = self._orders[order_id]
    if order == 0:
        return empty(Order)
    agreement_id: uint256 = order & _MASK_48
    quantity: uint256 = (order >> _O_QUANTITY) & _MASK_64
    shipped: uint256 = (order >> _O_SHIPPED) & _MASK_64
    refunded: uint256 = 0
    if order & _O_REFUNDED != 0:
        refunded = quantity - shipped
    return Order(
        agreement_id=agreement_id,
        buyer=convert(self._agreements[agreement_id].parties & _MASK_160, address),
        supplier=convert(self._agreements[agreement_id].supply & _MASK_160, address),
        quantity=quantity,
        amount=quantity * (self._agreements[agreement_id].pricing & _MASK_128),
        ship_by=(order >> _O_SHIP_BY) & _MASK_40,
        units_shipped=shipped,
        units_refunded=refunded,
        lot_count=(order >> _O_LOTS) & _MASK_32,
        payout_holder=self._holder(order_id, order, agreement_id),
        declined=order & _O_DECLINED != 0,
    )


@external
@view
def get_lot(order_id: uint256, lot: uint256) -> Lot:
    """
    @notice A lot of an order; all fields zero for an unknown lot.
    @param order_id The order.
    @param lot The lot number.
    @return The lot; `shipped_at` is the creation time of a received lot,
            whose shipment hash is zero.
    """
    word: uint256 = self._lots[order_id][lot]
    if word == 0:
        return empty(Lot)
    agreement_id: uint256 = self._orders[order_id] & _MASK_48
    quantity: uint256 = word & _MASK_64
    return Lot(
        quantity=quantity,
        value=quantity * (self._agreements[agreement_id].pricing & _MASK_128),
        penalty_bps=(word >> _L_PENALTY) & _MASK_16,
        shipment_hash=self._shipment_hashes[order_id][lot],
        shipped_at=(word >> _L_SHIPPED_AT) & _MASK_64,
        arbitration_deadline=(word >> _L_ARBITRATION) & _MASK_64,
        status=self._lot_status(word),
    )


@external
@view
def deadlines(order_id: uint256, lot: uint256) -> (uint256, uint256, uint256, uint256):
    """
    @notice The clocks of an order and one of its lots, for UIs and keepers.
    @param order_id The order.
    @param lot The lot, or any number with no lot behind it for the order's
           clocks alone.
    @return (ship_by, ship_by + grace_period, end of the lot's review period
            (0 for no lot or a received lot), arbitration deadline (0 unless
            disputed)); all inclusive Unix times, all 0 for an unknown order.
    """
    order: uint256 = self._orders[order_id]
    if order == 0:
        return 0, 0, 0, 0
    agreement_id: uint256 = order & _MASK_48
    ship_by: uint256 = (order >> _O_SHIP_BY) & _MASK_40
    grace_end: uint256 = ship_by + ((self._agreements[agreement_id].supply >> _S_GRACE) & _MASK_24)
    word: uint256 = self._lots[order_id][lot]
    review_end: uint256 = 0
    if word != 0 and word & _L_RECEIVED == 0:
        review_end = self._review_ends(word, self._agreements[agreement_id].parties)
    return ship_by, grace_end, review_end, (word >> _L_ARBITRATION) & _MASK_64


@external
@view
def credit_of(account: address, token: address) -> uint256:
    """
    @notice What `account` may withdraw in `token` with `claim`.
    @param account The payee whose push failed.
    @param token empty(address) for ETH, else the ERC-20.
    @return The credit.
    """
    return self._credits[account][token]


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @notice The EIP-712 domain separator of receipts for this escrow on this chain.
    @return The domain separator (re-computed if the chain id changed).
    """
    return eip712._domain_separator_v4()


@external
@view
def receipt_digest(order_id: uint256, lot: uint256, receipt_hash: bytes32, deadline: uint256) -> bytes32:
    """
    @notice The EIP-712 digest a buyer or inspector signs to confirm a lot;
            it names the lot's shipment hash.
    @param order_id The order.
    @param lot The lot (must exist).
    @param receipt_hash Hash of the goods-receipt document.
    @param deadline Unix time after which the receipt is void.
    @return The 32-byte digest.
    """
    self._load_lot(order_id, lot)
    return self._receipt_digest(order_id, lot, receipt_hash, deadline)


# ---------------------------------------------------------------- internal: state


@internal
@view
def _require_not_paused() -> uint256:
    counters: uint256 = self._counters
    assert counters & _C_PAUSED == 0, "pausable: contract is paused"
    return counters


@internal
@view
def _load_agreement(agreement_id: uint256) -> uint256:
    parties: uint256 = self._agreements[agreement_id].parties
    assert parties != 0, "escrow: unknown agreement"
    return parties


@internal
@view
def _load_order(order_id: uint256) -> uint256:
    order: uint256 = self._orders[order_id]
    assert order != 0, "escrow: unknown order"
    return order


@internal
@view
def _load_lot(order_id: uint256, lot: uint256) -> uint256:
    word: uint256 = self._lots[order_id][lot]
    assert word != 0, "escrow: unknown lot"
    return word


@internal
@pure
def _agreement_status(parties: uint256) -> AgreementStatus:
    return convert((parties >> _A_STATUS) & _MASK_8, AgreementStatus)


@internal
@pure
def _with_agreement_status(parties: uint256, status: AgreementStatus) -> uint256:
    return (parties & ~(_MASK_8 << _A_STATUS)) | convert(status, uint256) << _A_STATUS


@internal
@pure
def _lot_status(word: uint256) -> LotStatus:
    return convert((word >> _L_STATUS) & _MASK_8, LotStatus)


@internal
@pure
def _with_lot_status(word: uint256, status: LotStatus) -> uint256:
    return (word & ~(_MASK_8 << _L_STATUS)) | convert(status, uint256) << _L_STATUS


@internal
@pure
def _review_ends(word: uint256, parties: uint256) -> uint256:
    return ((word >> _L_SHIPPED_AT) & _MASK_64) + ((parties >> _A_REVIEW) & _MASK_24)


@internal
@pure
def _open_units(order: uint256) -> uint256:
    if order & (_O_DECLINED | _O_REFUNDED) != 0:
        return 0
    return ((order >> _O_QUANTITY) & _MASK_64) - ((order >> _O_SHIPPED) & _MASK_64)


@internal
@view
def _holder(order_id: uint256, order: uint256, agreement_id: uint256) -> address:
    if order & _O_ASSIGNED != 0:
        return self._assignees[order_id]
    return convert(self._agreements[agreement_id].supply & _MASK_160, address)


@internal
@view
def _token(agreement_id: uint256, parties: uint256) -> address:
    if (parties >> _A_ERC20) & 1 == 0:
        return empty(address)
    return self._agreements[agreement_id].token


@internal
@view
def _is_payee(agreement_id: uint256, account: address) -> bool:
    count: uint256 = (self._agreements[agreement_id].parties >> _A_COUNT) & _MASK_8
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        if self._payees[agreement_id][i] & _MASK_160 == convert(account, uint256):
            return True
    return False


@internal
@view
def _check_confirmer(agreement_id: uint256, parties: uint256) -> address:
    """
    @dev The caller must be the buyer or the agreement's inspector; the
         inspector's word is read only when the caller is not the buyer.
    """
    buyer: address = convert(parties & _MASK_160, address)
    if msg.sender != buyer:
        inspector: address = self._agreements[agreement_id].inspector
        assert msg.sender == inspector and inspector != empty(address), "escrow: not buyer or inspector"
    return buyer


@internal
@view
def _check_lot_quantity(order: uint256, quantity: uint256, supply: uint256) -> uint256:
    """
    @dev The rules `ship` and `receive_goods` share; returns the ship-by date.
    """
    assert order & _O_DECLINED == 0, "escrow: order declined"
    assert quantity != 0, "escrow: zero quantity"
    assert quantity <= self._open_units(order), "escrow: quantity above open units"
    ship_by: uint256 = (order >> _O_SHIP_BY) & _MASK_40
    assert block.timestamp <= ship_by + ((supply >> _S_GRACE) & _MASK_24), "escrow: shipping window closed"
    return ship_by


@internal
def _new_lot(order_id: uint256, order: uint256, quantity: uint256) -> uint256:
    lot: uint256 = ((order >> _O_LOTS) & _MASK_32) + 1
    assert lot <= _MASK_32, "escrow: too many lots"
    self._orders[order_id] = order + (quantity << _O_SHIPPED) + (1 << _O_LOTS)
    return lot


@internal
@view
def _receipt_digest(order_id: uint256, lot: uint256, receipt_hash: bytes32, deadline: uint256) -> bytes32:
    return eip712._hash_typed_data_v4(
        keccak256(
            abi_encode(
                RECEIPT_TYPEHASH, order_id, lot, self._shipment_hashes[order_id][lot], receipt_hash, deadline
            )
        )
    )


@internal
def _complete(
    order_id: uint256,
    order: uint256,
    agreement_id: uint256,
    parties: uint256,
    buyer: address,
    lot: uint256,
    confirmer: address,
    receipt_hash: bytes32,
):
    word: uint256 = self._load_lot(order_id, lot)
    assert self._lot_status(word) == LotStatus.SHIPPED, "escrow: lot not shipped"
    self._lots[order_id][lot] = self._with_lot_status(word, LotStatus.COMPLETED)
    log DeliveryConfirmed(order_id=order_id, lot=lot, confirmer=confirmer, receipt_hash=receipt_hash)
    self._settle_lot(order_id, order, agreement_id, parties, word, BPS)


# ---------------------------------------------------------------- internal: money


@internal
def _settle_lot(
    order_id: uint256, order: uint256, agreement_id: uint256, parties: uint256, word: uint256, supplier_bps: uint256
):
    value: uint256 = (word & _MASK_64) * (self._agreements[agreement_id].pricing & _MASK_128)
    self._settle(
        order_id,
        order,
        agreement_id,
        parties,
        convert(parties & _MASK_160, address),
        value,
        value * supplier_bps // BPS,
        (word >> _L_PENALTY) & _MASK_16,
    )


@internal
def _settle(
    order_id: uint256,
    order: uint256,
    agreement_id: uint256,
    parties: uint256,
    buyer: address,
    lot_value: uint256,
    supplier_side: uint256,
    penalty_bps: uint256,
):
    """
    @dev Pays a lot of value `value` whose supplier side is `supplier_side`:
         each payee `supplier_side * share // 10 000`; from the remainder the
         penalty goes to the buyer (never more than the remainder); the rest,
         rounding dust included, to the payout holder; `value -
         supplier_side` to the buyer too. The parts sum to `value` exactly.
    """
    token: address = self._token(agreement_id, parties)
    count: uint256 = (parties >> _A_COUNT) & _MASK_8
    paid: uint256 = 0
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        payee: uint256 = self._payees[agreement_id][i]
        share: uint256 = supplier_side * (payee >> 160) // BPS
        paid += share
        self._push(order_id, token, convert(payee & _MASK_160, address), share)
    remainder: uint256 = supplier_side - paid
    penalty: uint256 = min(remainder, lot_value * penalty_bps // BPS)
    self._push(order_id, token, self._holder(order_id, order, agreement_id), remainder - penalty)
    self._push(order_id, token, buyer, lot_value - supplier_side + penalty)


@internal
def _push(order_id: uint256, token: address, to: address, amount: uint256):
    """
    @dev Sends `amount` now, or, if the receiver or token refuses, books it
         as a credit for `claim`. Never reverts for the receiver's sake.
    """
    if amount == 0:
        return
    ok: bool = False
    if token == empty(address):
        assert msg.gas >= _ETH_PUSH_RESERVE, "escrow: out of gas"
        ok = raw_call(to, b"", value=amount, gas=ETH_PUSH_GAS, revert_on_failure=False)
    else:
        assert msg.gas >= _TOKEN_PUSH_RESERVE, "escrow: out of gas"
        ok = self._call_token(
            token, abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")), TOKEN_PUSH_GAS
        )
    if ok:
        log Paid(order_id=order_id, payee=to, token=token, amount=amount)
    else:
        self._credits[to][token] += amount
        log PaymentDeferred(order_id=order_id, payee=to, token=token, amount=amount)


@internal
def _claim(token: address, recipient: address) -> uint256:
    amount: uint256 = self._credits[msg.sender][token]
    assert amount != 0, "escrow: nothing to claim"
    self._credits[msg.sender][token] = 0
    ok: bool = False
    if token == empty(address):
        ok = raw_call(recipient, b"", value=amount, revert_on_failure=False)
    else:
        ok = self._call_token(
            token, abi_encode(recipient, amount, method_id=method_id("transfer(address,uint256)")), msg.gas
        )
    assert ok, "escrow: claim transfer failed"
    log Claimed(account=msg.sender, token=token, amount=amount)
    return amount


@internal
@view
def _check_token(token: address):
    """
    @dev A token must be a contract that answers `balanceOf` with one word,
         so that a typo'd address fails at the proposal with a reason
         instead of at the first call-off without one.
    """
    assert token.is_contract, "escrow: token is not a contract"
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        token,
        abi_encode(self, method_id=method_id("balanceOf(address)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    assert success and len(response) == 32, "escrow: token is not an erc20"


@internal
def _pull(token: address, sender: address, amount: uint256):
    """
    @dev Pulls exactly `amount`: tokens that return nothing (USDT) pass,
         tokens that deliver less than asked (fee-on-transfer) are refused.
    """
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    ok: bool = self._call_token(
        token,
        abi_encode(sender, self, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        msg.gas,
    )
    assert ok, "escrow: token transfer failed"
    after: uint256 = staticcall IERC20(token).balanceOf(self)
    assert after >= before and after - before == amount, "escrow: fee-on-transfer token"


@internal
def _call_token(token: address, data: Bytes[100], gas_limit: uint256) -> bool:
    """
    @dev Calls an ERC-20 without trusting its return: success with no
         return data (USDT style) or with a true word counts as success.
    """
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(token, data, max_outsize=32, gas=gas_limit, revert_on_failure=False)
    if not success:
        return False
    if len(response) == 0:
        return True
    return len(response) == 32 and convert(response, bytes32) != empty(bytes32)
