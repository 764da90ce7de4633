# pragma version ~=0.4.3
"""
@title Escrow lot view double for the data vault tests
@custom:contract-name MockVaultLot
@license GNU Affero General Public License v3.0 only
@notice Exposes `get_lot(order_id, lot)` with escrow v2's `Lot` struct shape, so a disclosure
        anchored in a lot's `shipment_hash` can be verified before the real escrow is deployed.
        Test only; never deployed by scripts.
"""

flag LotStatus:
    SHIPPED
    DISPUTED
    COMPLETED
    RESOLVED


struct Lot:
    quantity: uint256
    value: uint256
    penalty_bps: uint256
    shipment_hash: bytes32
    shipped_at: uint256
    arbitration_deadline: uint256
    status: LotStatus


_lots: HashMap[uint256, HashMap[uint256, Lot]]


@external
def ship(order_id: uint256, lot: uint256, quantity: uint256, shipment_hash: bytes32):
    """
    @notice Records a shipped lot, as the escrow's `ship` would.
    @param order_id The order.
    @param lot The lot number.
    @param quantity Units in the lot.
    @param shipment_hash The root of the lot's production records.
    """
    self._lots[order_id][lot] = Lot(
        quantity=quantity,
        value=quantity * 10**15,
        penalty_bps=0,
        shipment_hash=shipment_hash,
        shipped_at=block.timestamp,
        arbitration_deadline=0,
        status=LotStatus.SHIPPED,
    )


@view
@external
def get_lot(order_id: uint256, lot: uint256) -> Lot:
    """
    @notice The lot, all zero if unknown.
    @param order_id The order.
    @param lot The lot number.
    @return The lot.
    """
    return self._lots[order_id][lot]
