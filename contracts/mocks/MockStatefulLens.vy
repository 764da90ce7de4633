# pragma version ~=0.4.3
"""
@title Test lens: reads many balances, credits and orders in one call
@license GNU Affero General Public License v3.0 only
@notice Test double only; never deployed by scripts. The stateful and
        access-matrix suites compare the whole money picture (every
        account's balance and escrow credit in every token) and every
        order against their model after each step; one `eth_call` here
        replaces a hundred, which keeps those suites fast.
"""


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
    status: uint256


interface IToken:
    def balanceOf(account: address) -> uint256: view


interface IEscrow:
    def credit_of(account: address, token: address) -> uint256: view
    def order_count() -> uint256: view
    def get_order(order_id: uint256) -> Order: view
    def payees_of(order_id: uint256) -> DynArray[Payee, 8]: view
    def status(order_id: uint256) -> uint256: view


MAX_TOKENS: constant(uint256) = 4
MAX_ACCOUNTS: constant(uint256) = 24
MAX_ORDERS: constant(uint256) = 160


@external
@view
def money(
    escrow: address, tokens: DynArray[address, MAX_TOKENS], accounts: DynArray[address, MAX_ACCOUNTS]
) -> (DynArray[uint256, 96], DynArray[uint256, 96]):
    """
    @notice Balances and escrow credits, token-major: index t * len(accounts) + a.
    @param escrow The escrow whose `credit_of` is read.
    @param tokens empty(address) for ETH, else ERC-20s.
    @param accounts The accounts read.
    @return (balances, credits).
    """
    balances: DynArray[uint256, 96] = []
    credits: DynArray[uint256, 96] = []
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
def orders(escrow: address) -> (uint256, DynArray[Order, MAX_ORDERS], DynArray[DynArray[Payee, 8], MAX_ORDERS], DynArray[uint256, MAX_ORDERS]):
    """
    @notice Every order of `escrow` (ids 1 .. order_count): `get_order`,
            `payees_of` and `status`, as the escrow reports them.
    @param escrow The escrow.
    @return (order_count, orders, payees, statuses), index i is order i + 1.
    """
    count: uint256 = staticcall IEscrow(escrow).order_count()
    result: DynArray[Order, MAX_ORDERS] = []
    payees: DynArray[DynArray[Payee, 8], MAX_ORDERS] = []
    statuses: DynArray[uint256, MAX_ORDERS] = []
    for i: uint256 in range(MAX_ORDERS):
        if i == count:
            break
        result.append(staticcall IEscrow(escrow).get_order(i + 1))
        payees.append(staticcall IEscrow(escrow).payees_of(i + 1))
        statuses.append(staticcall IEscrow(escrow).status(i + 1))
    return count, result, payees, statuses
