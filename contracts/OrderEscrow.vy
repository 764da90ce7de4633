# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title FactoryChain order escrow
@custom:contract-name OrderEscrow
@license GNU Affero General Public License v3.0 only
@notice Holds a buyer's money from the moment it orders parts until delivery
        is confirmed, then pays the supplier *and the subcontractors it
        declared* in the same transaction, to the last wei. Missed ship-by
        dates refund the buyer, a silent buyer releases payment after the
        review period, and disputes go to an arbiter (or split 50/50 when
        arbitration times out). Delivery may be confirmed directly or with an
        EIP-712 receipt signed off chain by the buyer or the order's inspector.
@dev Every transfer is pushed; a transfer that fails becomes a credit its
     payee takes with `claim`, so no receiver can block anyone else. Each
     order occupies five storage words plus one per subcontractor (at most
     eight), and no call loops over orders, parts or partners.
"""

from ethereum.ercs import IERC20

from .interfaces import IPartRegistry

from snekmate.auth import access_control
from snekmate.utils import pausable
from snekmate.utils import eip712_domain_separator as eip712
from snekmate.utils import ecdsa
from snekmate.utils import signature_checker

initializes: access_control
initializes: pausable
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
# Pausing stops new orders only; wallets and UIs read the flag.
exports: pausable.paused
# EIP-5267: wallets discover the receipt-signing domain on chain.
exports: eip712.eip712Domain


flag OrderStatus:
    CREATED
    ACCEPTED
    SHIPPED
    DISPUTED
    COMPLETED
    REFUNDED
    CANCELLED
    RESOLVED


struct Payee:
    account: address
    share_bps: uint16


struct Order:
    buyer: address
    supplier: address
    part_id: bytes32
    version: uint256
    quantity: uint256
    token: address
    amount: uint256
    ship_by: uint256
    review_period: uint256
    inspector: address
    shipped_at: uint256
    status: OrderStatus


# @dev The stored form of an order: five words, packed by what is written
#      together. `state` holds everything a transition changes, so ship,
#      dispute and every final step write one word.
struct PackedOrder:
    # buyer | ship_by << 160 | review_period << 200 | version << 224
    core: uint256
    # supplier | status << 160 | shipped_at << 168 | disputed_at << 208 | payee count << 248
    state: uint256
    # token | amount << 160
    money: uint256
    part_id: bytes32
    # inspector | quantity << 160
    extra: uint256


ARBITER_ROLE: public(constant(bytes32)) = keccak256("ARBITER_ROLE")

# @dev Interface version of this contract, recorded by the deploy script.
VERSION: public(constant(String[8])) = "1.0.0"

RECEIPT_TYPEHASH: public(constant(bytes32)) = keccak256(
    "DeliveryReceipt(uint256 orderId,bytes32 receiptHash,uint256 deadline)"
)

MAX_PAYEES: public(constant(uint256)) = 8
BPS: public(constant(uint256)) = 10_000
MAX_REVIEW_PERIOD: public(constant(uint256)) = 90 * 86_400
DEFAULT_ARBITRATION_TIMEOUT: public(constant(uint256)) = 30 * 86_400
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
_MASK_40: constant(uint256) = (1 << 40) - 1
_MASK_24: constant(uint256) = (1 << 24) - 1
_MASK_32: constant(uint256) = (1 << 32) - 1
_MASK_64: constant(uint256) = (1 << 64) - 1
_MASK_96: constant(uint256) = (1 << 96) - 1
_MASK_8: constant(uint256) = (1 << 8) - 1
_MAX_AMOUNT: constant(uint256) = _MASK_96

_STATUS_SHIFT: constant(uint256) = 160
_SHIPPED_SHIFT: constant(uint256) = 168
_DISPUTED_SHIFT: constant(uint256) = 208
_COUNT_SHIFT: constant(uint256) = 248


registry: public(immutable(IPartRegistry))

order_count: public(uint256)

# @dev Seconds after a dispute when anyone may split it 50/50.
arbitration_timeout: public(uint256)

_orders: HashMap[uint256, PackedOrder]

# @dev order_id => index => account | share_bps << 160.
_payees: HashMap[uint256, HashMap[uint256, uint256]]

# @dev account => token => amount whose push failed, taken with `claim`.
credit_of: public(HashMap[address, HashMap[address, uint256]])


event OrderCreated:
    order_id: indexed(uint256)
    buyer: indexed(address)
    supplier: indexed(address)
    part_id: bytes32
    version: uint256
    token: address
    amount: uint256
    po_ref: bytes32

event OrderCancelled:
    order_id: indexed(uint256)

event OrderAccepted:
    order_id: indexed(uint256)
    payees: DynArray[Payee, MAX_PAYEES]

event OrderShipped:
    order_id: indexed(uint256)
    shipment_hash: bytes32

event DeliveryConfirmed:
    order_id: indexed(uint256)
    confirmer: indexed(address)
    receipt_hash: bytes32

event OrderReleased:
    order_id: indexed(uint256)

event OrderDisputed:
    order_id: indexed(uint256)
    reason_hash: bytes32

event DisputeResolved:
    order_id: indexed(uint256)
    supplier_bps: uint256

event OrderRefunded:
    order_id: indexed(uint256)

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
    pausable.__init__()
    eip712.__init__("FactoryChain", "1")
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    registry = IPartRegistry(registry_)
    self.arbitration_timeout = DEFAULT_ARBITRATION_TIMEOUT


# ---------------------------------------------------------------- buyer


@external
@payable
def create_order(
    supplier: address,
    part_id: bytes32,
    version: uint256,
    quantity: uint256,
    token: address,
    amount: uint256,
    ship_by: uint256,
    review_period: uint256,
    inspector: address,
    po_ref: bytes32,
) -> uint256:
    """
    @notice Orders `quantity` parts of one exact design version from
            `supplier` and locks the price in escrow (ETH sent with the call,
            or an ERC-20 pulled with `transferFrom`: approve first).
    @param supplier Who makes the parts; needs access to the part.
    @param part_id The part ordered; the buyer needs access to it too.
    @param version The exact design version the parts must meet.
    @param quantity Units ordered (informational, for ERP matching).
    @param token empty(address) for ETH, else the ERC-20 paid in.
    @param amount The full price, paid out on delivery.
    @param ship_by Unix time by which the supplier must ship (inclusive).
    @param review_period Seconds the buyer has after shipping to confirm or
           dispute before anyone may release payment (1 s to 90 days).
    @param inspector Optional second confirmer (QA, gate scanner key).
    @param po_ref The buyer's purchase-order number, echoed in the event.
    @return The new order id (ids start at 1).
    """
    pausable._require_not_paused()
    assert supplier != empty(address), "escrow: zero supplier"
    assert supplier != msg.sender, "escrow: buyer is supplier"
    assert inspector != supplier, "escrow: inspector is supplier"
    assert quantity != 0, "escrow: zero quantity"
    assert quantity <= _MASK_64, "escrow: quantity too large"
    assert amount != 0, "escrow: zero amount"
    assert amount <= _MAX_AMOUNT, "escrow: amount too large"
    assert ship_by > block.timestamp, "escrow: ship-by in the past"
    assert ship_by <= _MASK_40, "escrow: ship-by too far"
    assert review_period != 0 and review_period <= MAX_REVIEW_PERIOD, "escrow: bad review period"

    version_ok: bool = False
    buyer_ok: bool = False
    supplier_ok: bool = False
    version_ok, buyer_ok, supplier_ok = staticcall registry.check_order(part_id, version, msg.sender, supplier)
    assert version_ok and version <= _MASK_32, "escrow: unknown version"
    assert buyer_ok, "escrow: buyer has no access"
    assert supplier_ok, "escrow: supplier has no access"

    order_id: uint256 = self.order_count + 1
    self.order_count = order_id
    self._orders[order_id] = PackedOrder(
        core=convert(msg.sender, uint256) | ship_by << 160 | review_period << 200 | version << 224,
        state=convert(supplier, uint256) | convert(OrderStatus.CREATED, uint256) << _STATUS_SHIFT,
        money=convert(token, uint256) | amount << 160,
        part_id=part_id,
        extra=convert(inspector, uint256) | quantity << 160,
    )

    if token == empty(address):
        assert msg.value == amount, "escrow: wrong value"
    else:
        assert msg.value == 0, "escrow: unexpected value"
        self._pull(token, msg.sender, amount)

    log OrderCreated(
        order_id=order_id,
        buyer=msg.sender,
        supplier=supplier,
        part_id=part_id,
        version=version,
        token=token,
        amount=amount,
        po_ref=po_ref,
    )
    return order_id


@external
def cancel_order(order_id: uint256):
    """
    @notice Cancels an order the supplier has not accepted; full refund.
    @param order_id The order.
    """
    order: PackedOrder = self._load(order_id)
    assert msg.sender == self._buyer(order), "escrow: not buyer"
    assert self._status(order) == OrderStatus.CREATED, "escrow: not created"
    self._set_status(order_id, order.state, OrderStatus.CANCELLED)
    log OrderCancelled(order_id=order_id)
    self._push(order_id, self._token(order), self._buyer(order), self._amount(order))


@external
def confirm_delivery(order_id: uint256, receipt_hash: bytes32):
    """
    @notice Confirms a shipped order arrived as ordered; pays everyone at once.
    @param order_id The order.
    @param receipt_hash Hash of the goods-receipt document, kept off chain.
    """
    order: PackedOrder = self._load(order_id)
    assert msg.sender == self._buyer(order) or (
        msg.sender == self._inspector(order) and msg.sender != empty(address)
    ), "escrow: not buyer or inspector"
    self._confirm(order_id, order, msg.sender, receipt_hash)


@external
def confirm_delivery_signed(order_id: uint256, receipt_hash: bytes32, deadline: uint256, signature: Bytes[65]):
    """
    @notice Confirms delivery with an EIP-712 `DeliveryReceipt` the buyer or
            the inspector signed off chain; anyone may relay it and pay gas.
    @dev EOAs sign with ECDSA (low-s only); contract wallets answer ERC-1271.
         A receipt cannot be replayed: it names one order, and that order
         leaves SHIPPED when it is used.
    @param order_id The order named in the receipt.
    @param receipt_hash The receipt hash named in the receipt.
    @param deadline Unix time after which the receipt is void (inclusive).
    @param signature 65-byte r|s|v (or 64-byte EIP-2098) signature, or a
           contract wallet's signature bytes. `DeliveryConfirmed` names
           the signer as the confirmer.
    """
    assert block.timestamp <= deadline, "escrow: receipt expired"
    order: PackedOrder = self._load(order_id)
    digest: bytes32 = eip712._hash_typed_data_v4(
        keccak256(abi_encode(RECEIPT_TYPEHASH, order_id, receipt_hash, deadline))
    )
    buyer: address = self._buyer(order)
    inspector: address = self._inspector(order)
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
        elif inspector.is_contract and signature_checker._is_valid_ERC1271_signature_now(inspector, digest, signature):
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
    self._confirm(order_id, order, signer, receipt_hash)


@external
def dispute(order_id: uint256, reason_hash: bytes32):
    """
    @notice Stops payout of a shipped order during its review period and
            hands it to arbitration.
    @param order_id The order.
    @param reason_hash Hash of the complaint document, kept off chain.
    """
    order: PackedOrder = self._load(order_id)
    assert msg.sender == self._buyer(order) or (
        msg.sender == self._inspector(order) and msg.sender != empty(address)
    ), "escrow: not buyer or inspector"
    assert self._status(order) == OrderStatus.SHIPPED, "escrow: not shipped"
    assert block.timestamp <= self._review_ends(order), "escrow: review period over"
    state: uint256 = (order.state & ~(_MASK_40 << _DISPUTED_SHIFT)) | block.timestamp << _DISPUTED_SHIFT
    self._set_status(order_id, state, OrderStatus.DISPUTED)
    log OrderDisputed(order_id=order_id, reason_hash=reason_hash)


# ---------------------------------------------------------------- supplier


@external
def accept_order(order_id: uint256, payees: DynArray[Payee, MAX_PAYEES]):
    """
    @notice Takes the order and declares, once and for all, which
            subcontractors get which share of every payout.
    @dev The supplier must hold a live certification for the exact part
         version ordered. Shares are in basis points of the payout; the
         supplier receives the rest, rounding dust included.
    @param order_id The order.
    @param payees Up to eight subcontractors: distinct, non-zero, not the
           supplier, each share > 0, shares summing to at most 10 000.
    """
    order: PackedOrder = self._load(order_id)
    supplier: address = self._supplier(order)
    assert msg.sender == supplier, "escrow: not supplier"
    assert self._status(order) == OrderStatus.CREATED, "escrow: not created"
    assert block.timestamp <= self._ship_by(order), "escrow: ship-by passed"
    assert staticcall registry.is_certified(order.part_id, self._version(order), supplier), "escrow: supplier not certified"

    total: uint256 = 0
    count: uint256 = len(payees)
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        payee: Payee = payees[i]
        assert payee.account != empty(address), "escrow: zero payee"
        assert payee.account != supplier, "escrow: payee is supplier"
        assert payee.share_bps != 0, "escrow: zero share"
        for j: uint256 in range(MAX_PAYEES):
            if j == i:
                break
            assert payees[j].account != payee.account, "escrow: duplicate payee"
        total += convert(payee.share_bps, uint256)
        self._payees[order_id][i] = convert(payee.account, uint256) | convert(payee.share_bps, uint256) << 160
    assert total <= BPS, "escrow: shares exceed 100%"

    state: uint256 = (order.state & ~(_MASK_8 << _COUNT_SHIFT)) | count << _COUNT_SHIFT
    self._set_status(order_id, state, OrderStatus.ACCEPTED)
    log OrderAccepted(order_id=order_id, payees=payees)


@external
def mark_shipped(order_id: uint256, shipment_hash: bytes32):
    """
    @notice Records that the parts left the factory, with evidence, and
            starts the buyer's review period.
    @param order_id The order.
    @param shipment_hash Hash of the shipping documents, kept off chain.
    """
    order: PackedOrder = self._load(order_id)
    assert msg.sender == self._supplier(order), "escrow: not supplier"
    assert self._status(order) == OrderStatus.ACCEPTED, "escrow: not accepted"
    assert block.timestamp <= self._ship_by(order), "escrow: ship-by passed"
    state: uint256 = (order.state & ~(_MASK_40 << _SHIPPED_SHIFT)) | block.timestamp << _SHIPPED_SHIFT
    self._set_status(order_id, state, OrderStatus.SHIPPED)
    log OrderShipped(order_id=order_id, shipment_hash=shipment_hash)


# ---------------------------------------------------------------- anyone


@external
def release(order_id: uint256):
    """
    @notice Pays a shipped order out once its review period ended with no
            confirmation and no dispute: the buyer's silence pays the supplier.
    @param order_id The order.
    """
    order: PackedOrder = self._load(order_id)
    assert self._status(order) == OrderStatus.SHIPPED, "escrow: not shipped"
    assert block.timestamp > self._review_ends(order), "escrow: review period running"
    self._set_status(order_id, order.state, OrderStatus.COMPLETED)
    log OrderReleased(order_id=order_id)
    self._distribute(order_id, order, self._amount(order))


@external
def refund_expired(order_id: uint256):
    """
    @notice Refunds the buyer in full when the supplier missed the ship-by date.
    @param order_id The order (CREATED or ACCEPTED).
    """
    order: PackedOrder = self._load(order_id)
    status: OrderStatus = self._status(order)
    assert status == OrderStatus.CREATED or status == OrderStatus.ACCEPTED, "escrow: not refundable"
    assert block.timestamp > self._ship_by(order), "escrow: ship-by not passed"
    self._set_status(order_id, order.state, OrderStatus.REFUNDED)
    log OrderRefunded(order_id=order_id)
    self._push(order_id, self._token(order), self._buyer(order), self._amount(order))


@external
def resolve_expired(order_id: uint256):
    """
    @notice Splits a dispute 50/50 when the arbiter stayed silent for the
            arbitration timeout.
    @param order_id The disputed order.
    """
    order: PackedOrder = self._load(order_id)
    assert self._status(order) == OrderStatus.DISPUTED, "escrow: not disputed"
    disputed_at: uint256 = (order.state >> _DISPUTED_SHIFT) & _MASK_40
    assert block.timestamp > disputed_at + self.arbitration_timeout, "escrow: arbitration running"
    self._resolve(order_id, order, BPS // 2)


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


# ---------------------------------------------------------------- arbiter and admin


@external
def resolve(order_id: uint256, supplier_bps: uint16):
    """
    @notice Settles a dispute: `supplier_bps` of the amount goes to the
            supplier side (split as on completion), the rest to the buyer.
    @param order_id The disputed order.
    @param supplier_bps The supplier side's share, 0 to 10 000.
    """
    access_control._check_role(ARBITER_ROLE, msg.sender)
    order: PackedOrder = self._load(order_id)
    assert self._status(order) == OrderStatus.DISPUTED, "escrow: not disputed"
    assert convert(supplier_bps, uint256) <= BPS, "escrow: bps above 10000"
    self._resolve(order_id, order, convert(supplier_bps, uint256))


@external
def pause():
    """
    @notice Stops new orders. Every order already funded can still finish.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Lets new orders in again.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._unpause()


@external
def set_arbitration_timeout(seconds: uint256):
    """
    @notice Sets how long an arbiter has before anyone may split a dispute 50/50.
    @param seconds 1 hour to 365 days.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert seconds >= 3_600 and seconds <= MAX_ARBITRATION_TIMEOUT, "escrow: bad timeout"
    log ArbitrationTimeoutSet(previous=self.arbitration_timeout, current=seconds)
    self.arbitration_timeout = seconds


# ---------------------------------------------------------------- views


@external
@view
def get_order(order_id: uint256) -> Order:
    """
    @notice An order as stored; all fields zero (status 0) for an unknown id.
    @param order_id The order.
    @return The order.
    """
    order: PackedOrder = self._orders[order_id]
    return Order(
        buyer=self._buyer(order),
        supplier=self._supplier(order),
        part_id=order.part_id,
        version=self._version(order),
        quantity=order.extra >> 160,
        token=self._token(order),
        amount=self._amount(order),
        ship_by=self._ship_by(order),
        review_period=(order.core >> 200) & _MASK_24,
        inspector=self._inspector(order),
        shipped_at=(order.state >> _SHIPPED_SHIFT) & _MASK_40,
        status=self._status(order),
    )


@external
@view
def status(order_id: uint256) -> OrderStatus:
    """
    @notice The status of an order; 0 for an unknown id.
    @param order_id The order.
    @return The status flag.
    """
    return convert((self._orders[order_id].state >> _STATUS_SHIFT) & _MASK_8, OrderStatus)


@external
@view
def payees_of(order_id: uint256) -> DynArray[Payee, MAX_PAYEES]:
    """
    @notice The subcontractors declared at acceptance, in declaration order.
    @param order_id The order.
    @return The payees and their shares.
    """
    count: uint256 = self._orders[order_id].state >> _COUNT_SHIFT
    result: DynArray[Payee, MAX_PAYEES] = []
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        word: uint256 = self._payees[order_id][i]
        result.append(Payee(account=convert(word & _MASK_160, address), share_bps=convert(word >> 160, uint16)))
    return result


@external
@view
def deadlines(order_id: uint256) -> (uint256, uint256, uint256):
    """
    @notice The clocks of an order, for UIs and keepers: ship-by date, end of
            the review period (0 before shipping), and when arbitration times
            out (0 unless disputed).
    @param order_id The order.
    @return (ship_by, review_ends, arbitration_ends), inclusive Unix times.
    """
    order: PackedOrder = self._orders[order_id]
    shipped_at: uint256 = (order.state >> _SHIPPED_SHIFT) & _MASK_40
    disputed_at: uint256 = (order.state >> _DISPUTED_SHIFT) & _MASK_40
    review_ends: uint256 = 0
    if shipped_at != 0:
        review_ends = self._review_ends(order)
    arbitration_ends: uint256 = 0
    if disputed_at != 0:
        arbitration_ends = disputed_at + self.arbitration_timeout
    return self._ship_by(order), review_ends, arbitration_ends


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
def receipt_digest(order_id: uint256, receipt_hash: bytes32, deadline: uint256) -> bytes32:
    """
    @notice The EIP-712 digest a buyer or inspector signs to confirm delivery.
    @param order_id The order.
    @param receipt_hash Hash of the goods-receipt document.
    @param deadline Unix time after which the receipt is void.
    @return The 32-byte digest.
    """
    return eip712._hash_typed_data_v4(keccak256(abi_encode(RECEIPT_TYPEHASH, order_id, receipt_hash, deadline)))


# ---------------------------------------------------------------- internal: state


@internal
@view
def _load(order_id: uint256) -> PackedOrder:
    order: PackedOrder = self._orders[order_id]
    assert order.core != 0, "escrow: unknown order"
    return order


@internal
def _set_status(order_id: uint256, state: uint256, status: OrderStatus):
    self._orders[order_id].state = (state & ~(_MASK_8 << _STATUS_SHIFT)) | convert(status, uint256) << _STATUS_SHIFT


@internal
@pure
def _buyer(order: PackedOrder) -> address:
    return convert(order.core & _MASK_160, address)


@internal
@pure
def _supplier(order: PackedOrder) -> address:
    return convert(order.state & _MASK_160, address)


@internal
@pure
def _inspector(order: PackedOrder) -> address:
    return convert(order.extra & _MASK_160, address)


@internal
@pure
def _token(order: PackedOrder) -> address:
    return convert(order.money & _MASK_160, address)


@internal
@pure
def _amount(order: PackedOrder) -> uint256:
    return order.money >> 160


@internal
@pure
def _version(order: PackedOrder) -> uint256:
    return order.core >> 224


@internal
@pure
def _ship_by(order: PackedOrder) -> uint256:
    return (order.core >> 160) & _MASK_40


@internal
@pure
def _review_ends(order: PackedOrder) -> uint256:
    return ((order.state >> _SHIPPED_SHIFT) & _MASK_40) + ((order.core >> 200) & _MASK_24)


@internal
@pure
def _status(order: PackedOrder) -> OrderStatus:
    return convert((order.state >> _STATUS_SHIFT) & _MASK_8, OrderStatus)


@internal
def _confirm(order_id: uint256, order: PackedOrder, confirmer: address, receipt_hash: bytes32):
    assert self._status(order) == OrderStatus.SHIPPED, "escrow: not shipped"
    self._set_status(order_id, order.state, OrderStatus.COMPLETED)
    log DeliveryConfirmed(order_id=order_id, confirmer=confirmer, receipt_hash=receipt_hash)
    self._distribute(order_id, order, self._amount(order))


@internal
def _resolve(order_id: uint256, order: PackedOrder, supplier_bps: uint256):
    self._set_status(order_id, order.state, OrderStatus.RESOLVED)
    log DisputeResolved(order_id=order_id, supplier_bps=supplier_bps)
    amount: uint256 = self._amount(order)
    supplier_side: uint256 = amount * supplier_bps // BPS
    self._distribute(order_id, order, supplier_side)
    self._push(order_id, self._token(order), self._buyer(order), amount - supplier_side)


# ---------------------------------------------------------------- internal: money


@internal
def _distribute(order_id: uint256, order: PackedOrder, total: uint256):
    """
    @dev Pays `total` to the declared subcontractors by share, and the rest,
         rounding dust included, to the supplier: the parts sum to `total`.
    """
    token: address = self._token(order)
    count: uint256 = order.state >> _COUNT_SHIFT
    paid: uint256 = 0
    for i: uint256 in range(MAX_PAYEES):
        if i == count:
            break
        word: uint256 = self._payees[order_id][i]
        share: uint256 = total * (word >> 160) // BPS
        paid += share
        self._push(order_id, token, convert(word & _MASK_160, address), share)
    self._push(order_id, token, self._supplier(order), total - paid)


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
        self.credit_of[to][token] += amount
        log PaymentDeferred(order_id=order_id, payee=to, token=token, amount=amount)


@internal
def _claim(token: address, recipient: address) -> uint256:
    amount: uint256 = self.credit_of[msg.sender][token]
    assert amount != 0, "escrow: nothing to claim"
    self.credit_of[msg.sender][token] = 0
    ok: bool = False
    if token == empty(address):
        ok = raw_call(recipient, b"", value=amount, revert_on_failure=False)
    else:
        ok = self._call_token(token, abi_encode(recipient, amount, method_id=method_id("transfer(address,uint256)")), msg.gas)
    assert ok, "escrow: claim transfer failed"
    log Claimed(account=msg.sender, token=token, amount=amount)
    return amount


@internal
def _pull(token: address, sender: address, amount: uint256):
    """
    @dev Pulls exactly `amount`: tokens that return nothing (USDT) pass,
         tokens that deliver less than asked (fee-on-transfer) are refused.
    """
    assert token.is_contract, "escrow: token is not a contract"
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
