"""factorychain.orders: lot receipts, relay checks and payout previews against an in-memory OrderEscrow (no chain)."""

from types import SimpleNamespace

import pytest
from eth_account import Account
from eth_utils import keccak

from factorychain import (
    DomainMismatchError,
    LotNotShippedError,
    OrderError,
    ReceiptExpiredError,
    ShipmentMismatchError,
    WrongSignerError,
    domain_separator,
    lot_payout,
    lot_transfers,
    order_confirmers,
    order_terms,
    penalty_if_shipped,
    preview_lot_payout,
    receive_transfers,
    relay_receipt,
    sign_lot_receipt,
    sign_receipt,
    verify_receipt,
)
from factorychain.orders import LOT_STATUS, SHIPPED

BUYER = Account.from_key(keccak(b"buyer"))
INSPECTOR = Account.from_key(keccak(b"inspector"))
STRANGER = Account.from_key(keccak(b"stranger"))
SUPPLIER = Account.from_key(keccak(b"supplier")).address
BANK = Account.from_key(keccak(b"bank")).address
HEAT = Account.from_key(keccak(b"heat")).address
COAT = Account.from_key(keccak(b"coat")).address
ZERO = "0x" + "00" * 20
CHAIN = 31337
#: The chain's time, far behind the wall clock: receipts must be judged by the chain's.
NOW = 1_700_000_000
SHIP_BY = NOW - 10 * 86_400
ASN = keccak(b"ASN-88231")
GRN = keccak(b"GRN")
ETH = 10**18


class FakeEscrow:
    """Answers the views orders.py reads, as OrderEscrow v2 would for order 1, lot 1 (and lot 2)."""

    address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

    def __init__(self, inspector=INSPECTOR.address, status=SHIPPED, holder=SUPPLIER, penalty_bps=0):
        terms = SimpleNamespace(
            supplier=SUPPLIER,
            part_id=keccak(b"PN-4711"),
            version=1,
            token=ZERO,
            unit_price=ETH // 80,
            max_quantity=10_000,
            valid_until=NOW + 365 * 86_400,
            review_period=3 * 86_400,
            inspector=inspector,
            grace_period=5 * 86_400,
            penalty_bps_per_day=100,
            penalty_cap_bps=1_000,
        )
        self.agreement = SimpleNamespace(terms=terms, buyer=BUYER.address, status=2, units_called_off=1_000)
        self.order = SimpleNamespace(
            agreement_id=1, buyer=BUYER.address, supplier=SUPPLIER, quantity=1_000, amount=ETH * 25 // 2,
            ship_by=SHIP_BY, units_shipped=400, units_refunded=0, lot_count=1, payout_holder=holder, declined=False,
        )  # fmt: skip
        self.lot = SimpleNamespace(
            quantity=400, value=5 * ETH, penalty_bps=penalty_bps, shipment_hash=ASN, shipped_at=NOW - 60,
            arbitration_deadline=0, status=status,
        )  # fmt: skip
        self.payees = [SimpleNamespace(account=HEAT, share_bps=1_500), SimpleNamespace(account=COAT, share_bps=800)]
        self.chain_manager = SimpleNamespace(pending_timestamp=NOW, chain_id=CHAIN)
        self.calls = []

    def DOMAIN_SEPARATOR(self):
        return domain_separator(CHAIN, self.address)

    def get_order(self, order_id):
        return self.order if order_id == 1 else SimpleNamespace(agreement_id=0)

    def get_agreement(self, agreement_id):
        assert agreement_id == 1
        return self.agreement

    def get_lot(self, order_id, lot):
        return self.lot if (order_id, lot) == (1, 1) else SimpleNamespace(status=0, shipment_hash=bytes(32))

    def payees_of(self, agreement_id):
        return self.payees

    def confirm_delivery_signed(self, order_id, lot, receipt_hash, deadline, signature, sender):
        self.calls.append((order_id, lot, receipt_hash, deadline, signature, sender))
        return "receipt"


def _receipt(signer=INSPECTOR, *, lot=1, shipment=ASN, deadline=NOW + 600, chain_id=CHAIN, escrow=FakeEscrow.address):
    return sign_receipt(signer, 1, lot, shipment, GRN, deadline, chain_id, escrow, now=NOW - 3_600)


def test_order_confirmers__buyer_and_optional_inspector_from_the_agreement():
    assert order_confirmers(FakeEscrow(), 1) == [BUYER.address, INSPECTOR.address]
    assert order_confirmers(FakeEscrow(inspector=ZERO), 1) == [BUYER.address]


def test_unknown_order_or_lot__order_error():
    with pytest.raises(OrderError, match=f"order 2 does not exist on escrow {FakeEscrow.address}"):
        order_confirmers(FakeEscrow(), 2)
    with pytest.raises(OrderError, match="order 1 has no lot 3"):
        preview_lot_payout(FakeEscrow(), 1, 3)


def test_order_terms__from_the_agreement():
    terms = order_terms(FakeEscrow(), 1)
    assert terms.inspector == INSPECTOR.address and terms.penalty_cap_bps == 1_000 and terms.pays_in_eth


# ---------------------------------------------------------------- signing with the chain's view


def test_sign_lot_receipt__reads_shipment_chain_and_time_from_the_escrow():
    escrow = FakeEscrow()
    receipt = sign_lot_receipt(escrow, INSPECTOR, 1, 1, GRN, NOW)  # past by the wall clock, not by the chain's
    assert (receipt.shipment_hash, receipt.chain_id, receipt.escrow, receipt.lot) == (ASN, CHAIN, escrow.address, 1)
    assert verify_receipt(receipt) == INSPECTOR.address
    assert relay_receipt(escrow, receipt, "courier") == "receipt"


def test_sign_lot_receipt__deadline_past_at_the_chain_time__refused():
    with pytest.raises(ReceiptExpiredError, match=f"deadline {NOW - 1} is already past \\(now {NOW}\\)"):
        sign_lot_receipt(FakeEscrow(), INSPECTOR, 1, 1, GRN, NOW - 1)


def test_sign_lot_receipt__stranger_or_lot_not_shipped__refused_unless_unchecked():
    with pytest.raises(WrongSignerError):
        sign_lot_receipt(FakeEscrow(), STRANGER, 1, 1, GRN, NOW + 60)
    with pytest.raises(LotNotShippedError, match="lot 1 of order 1 is DISPUTED, not SHIPPED"):
        sign_lot_receipt(FakeEscrow(status=2), INSPECTOR, 1, 1, GRN, NOW + 60)
    assert sign_lot_receipt(FakeEscrow(status=2), STRANGER, 1, 1, GRN, NOW + 60, check=False).lot == 1


# ---------------------------------------------------------------- relay


def test_relay__valid_receipt_sent_with_sender():
    escrow, receipt = FakeEscrow(), _receipt()
    assert relay_receipt(escrow, receipt, "relayer") == "receipt"
    assert escrow.calls == [(*receipt.as_args(), "relayer")]


def test_relay__deadline_checked_at_pending_timestamp():
    escrow = FakeEscrow()
    relay_receipt(escrow, _receipt(deadline=NOW), "relayer")
    with pytest.raises(ReceiptExpiredError):
        relay_receipt(escrow, _receipt(deadline=NOW - 1), "relayer")
    with pytest.raises(ReceiptExpiredError):
        relay_receipt(escrow, _receipt(deadline=NOW + 5), "relayer", min_remaining=10)


def test_relay__other_chain_or_escrow__refused_before_sending():
    escrow = FakeEscrow()
    with pytest.raises(DomainMismatchError, match="chain id 1"):
        relay_receipt(escrow, _receipt(chain_id=1), "relayer")
    with pytest.raises(DomainMismatchError, match="escrow"):
        relay_receipt(escrow, _receipt(escrow="0x" + "12" * 20), "relayer")
    assert escrow.calls == []


@pytest.mark.parametrize("status", [2, 4, 8])
def test_relay__lot_not_shipped__refused(status):
    with pytest.raises(LotNotShippedError, match=f"lot 1 of order 1 is {LOT_STATUS[status]}, not SHIPPED"):
        relay_receipt(FakeEscrow(status=status), _receipt(), "relayer")


def test_relay__unknown_lot__refused():
    with pytest.raises(OrderError, match="order 1 has no lot 2"):
        relay_receipt(FakeEscrow(), _receipt(lot=2), "relayer")


def test_relay__receipt_for_another_shipment__refused():
    escrow = FakeEscrow()
    with pytest.raises(ShipmentMismatchError, match="names shipment"):
        relay_receipt(escrow, _receipt(shipment=keccak(b"ASN-other")), "relayer")
    assert escrow.calls == []


def test_relay__stranger_or_absent_inspector__wrong_signer():
    with pytest.raises(WrongSignerError):
        relay_receipt(FakeEscrow(), _receipt(signer=STRANGER), "relayer")
    with pytest.raises(WrongSignerError):
        relay_receipt(FakeEscrow(inspector=ZERO), _receipt(signer=INSPECTOR), "relayer")


def test_relay__unchecked_for_contract_wallets():
    escrow = FakeEscrow()
    relay_receipt(escrow, _receipt(signer=STRANGER), "relayer", check=False)
    assert len(escrow.calls) == 1


# ---------------------------------------------------------------- payout previews


def test_preview__late_lot_with_assignee():
    escrow = FakeEscrow(holder=BANK, penalty_bps=200)
    payout = preview_lot_payout(escrow, 1, 1)
    assert payout == lot_payout(5 * ETH, [1_500, 800], penalty_bps=200)
    assert (payout.subcontractors, payout.penalty, payout.holder, payout.buyer) == (
        (ETH * 3 // 4, ETH * 2 // 5),
        ETH // 10,
        ETH * 15 // 4,
        ETH // 10,
    )
    assert lot_transfers(escrow, 1, 1) == [
        (HEAT, ETH * 3 // 4),
        (COAT, ETH * 2 // 5),
        (BANK, ETH * 15 // 4),
        (BUYER.address, ETH // 10),
    ]


def test_preview__resolution_splits_before_the_shares():
    transfers = lot_transfers(FakeEscrow(), 1, 1, supplier_bps=6_000)
    assert transfers == [(HEAT, 450 * ETH // 1000), (COAT, 240 * ETH // 1000), (SUPPLIER, 2_310 * ETH // 1000), (BUYER.address, 2 * ETH)]
    assert sum(amount for _, amount in transfers) == 5 * ETH


def test_receive_transfers__no_penalty_paid_in_full_to_the_holder():
    transfers = receive_transfers(FakeEscrow(holder=BANK), 1, 200)
    value = 200 * (ETH // 80)
    assert transfers == [(HEAT, value * 15 // 100), (COAT, value * 8 // 100), (BANK, value * 77 // 100)]


def test_penalty_if_shipped__per_started_day_capped():
    escrow = FakeEscrow()
    assert penalty_if_shipped(escrow, 1, at=SHIP_BY) == 0
    assert penalty_if_shipped(escrow, 1, at=SHIP_BY + 1) == 100
    assert penalty_if_shipped(escrow, 1, at=SHIP_BY + 2 * 86_400) == 200
    assert penalty_if_shipped(escrow, 1, at=SHIP_BY + 2 * 86_400 + 1) == 300
    assert penalty_if_shipped(escrow, 1) == 1_000  # now: ten days late, at the cap
