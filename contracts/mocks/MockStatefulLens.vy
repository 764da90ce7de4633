# pragma version ~=0.4.3
"""
@title Test lens: reads many balances, credits, agreements, orders and lots in one call
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. The stateful and
        access-matrix suites compare the whole money picture (every
        account's balance and escrow credit in every token) and every
        agreement, order and lot (with its deadlines) against their model
        after each step; one `eth_call` per picture here replaces hundreds,
        which keeps those suites fast. Reads OrderEscrow v2's views only.
"""


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
    status: uint256
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
    status: uint256


# @dev One order as the lens reports it: the order and its own clocks
#      (`deadlines(order_id, 0)`: ship_by and ship_by + grace).
struct OrderRow:
    order: Order
    ship_by: uint256
    grace_end: uint256


# @dev One lot with every clock `deadlines(order_id, lot)` reports.
struct LotRow:
    order_id: uint256
    lot: uint256
    data: Lot
    review_end: uint256
    arbitration_end: uint256


interface IToken:
    def balanceOf(account: address) -> uint256: view


interface IEscrow:
    def credit_of(account: address, token: address) -> uint256: view
    def agreement_count() -> uint256: view
    def order_count() -> uint256: view
    def get_agreement(agreement_id: uint256) -> Agreement: view
    def payees_of(agreement_id: uint256) -> DynArray[Payee, 8]: view
    def get_order(order_id: uint256) -> Order: view
    def get_lot(order_id: uint256, lot: uint256) -> Lot: view
    def deadlines(order_id: uint256, lot: uint256) -> (uint256, uint256, uint256, uint256): view


MAX_TOKENS: constant(uint256) = 4
MAX_ACCOUNTS: constant(uint256) = 32
MAX_AGREEMENTS: constant(uint256) = 64
MAX_ORDERS: constant(uint256) = 128
MAX_LOTS_PER_ORDER: constant(uint256) = 64
MAX_LOTS: constant(uint256) = 384


@external
@view
def money(
    escrow: address, tokens: DynArray[address, MAX_TOKENS], accounts: DynArray[address, MAX_ACCOUNTS]
) -> (DynArray[uint256, 128], DynArray[uint256, 128]):
    """
    @notice Balances and escrow credits, token-major: index t * len(accounts) + a.
    @param escrow The escrow whose `credit_of` is read.
    @param tokens empty(address) for ETH, else ERC-20s.
    @param accounts The accounts read.
    @return (balances, credits).
    """
    balances: DynArray[uint256, 128] = []
    credits: DynArray[uint256, 128] = []
    for token: address in tokens:
        for account: address in accounts:
            if token == empty(address):
                balances.append(account.balance)
            else:
                balances.append(staticcall IToken(token).balanceOf(account))
            credits.append(staticcall IEscrow(escrow).credit_of(account, token))
    return balances, credits


@external
@view
def agreements(escrow: address) -> (uint256, DynArray[Agreement, MAX_AGREEMENTS], DynArray[DynArray[Payee, 8], MAX_AGREEMENTS]):
    """
    @notice Every agreement (ids 1 .. agreement_count) and its declared payees.
    @param escrow The escrow.
    @return (agreement_count, agreements, payees); index i is agreement i + 1.
    """
    count: uint256 = staticcall IEscrow(escrow).agreement_count()
    result: DynArray[Agreement, MAX_AGREEMENTS] = []
    payees: DynArray[DynArray[Payee, 8], MAX_AGREEMENTS] = []
    for i: uint256 in range(count, bound=MAX_AGREEMENTS):
        result.append(staticcall IEscrow(escrow).get_agreement(i + 1))
        payees.append(staticcall IEscrow(escrow).payees_of(i + 1))
    return count, result, payees


@external
@view
def orders(escrow: address) -> (uint256, DynArray[OrderRow, MAX_ORDERS]):
    """
    @notice Every order (ids 1 .. order_count) with its shipping clocks.
    @param escrow The escrow.
    @return (order_count, rows); index i is order i + 1.
    """
    count: uint256 = staticcall IEscrow(escrow).order_count()
    result: DynArray[OrderRow, MAX_ORDERS] = []
    for i: uint256 in range(count, bound=MAX_ORDERS):
        ship_by: uint256 = 0
        grace_end: uint256 = 0
        review_end: uint256 = 0
        arbitration_end: uint256 = 0
        ship_by, grace_end, review_end, arbitration_end = staticcall IEscrow(escrow).deadlines(i + 1, 0)
        result.append(OrderRow(order=staticcall IEscrow(escrow).get_order(i + 1), ship_by=ship_by, grace_end=grace_end))
    return count, result


@external
@view
def lots(escrow: address) -> DynArray[LotRow, MAX_LOTS]:
    """
    @notice Every lot of every order, in order then lot order, with its clocks.
    @param escrow The escrow.
    @return The rows.
    """
    count: uint256 = staticcall IEscrow(escrow).order_count()
    result: DynArray[LotRow, MAX_LOTS] = []
    for i: uint256 in range(count, bound=MAX_ORDERS):
        lot_count: uint256 = (staticcall IEscrow(escrow).get_order(i + 1)).lot_count
        for j: uint256 in range(lot_count, bound=MAX_LOTS_PER_ORDER):
            ship_by: uint256 = 0
            grace_end: uint256 = 0
            review_end: uint256 = 0
            arbitration_end: uint256 = 0
            ship_by, grace_end, review_end, arbitration_end = staticcall IEscrow(escrow).deadlines(i + 1, j + 1)
            result.append(
                LotRow(
                    order_id=i + 1,
                    lot=j + 1,
                    data=staticcall IEscrow(escrow).get_lot(i + 1, j + 1),
                    review_end=review_end,
                    arbitration_end=arbitration_end,
                )
            )
    return result
