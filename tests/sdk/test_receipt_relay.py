"""factorychain.orders: relay checks against an in-memory stand-in for OrderEscrow (no chain)."""

from types import SimpleNamespace

import pytest
from eth_account import Account
from eth_utils import keccak

from factorychain import (
    DomainMismatchError,
    ReceiptError,
    ReceiptExpiredError,
    WrongSignerError,
    domain_separator,
    order_confirmers,
    relay_receipt,
    sign_receipt,
)
from factorychain.orders import SHIPPED

BUYER = Account.from_key(keccak(b"buyer"))
INSPECTOR = Account.from_key(keccak(b"inspector"))
STRANGER = Account.from_key(keccak(b"stranger"))
ZERO = "0x" + "00" * 20
CHAIN = 31337
NOW = 1_700_000_000


class FakeEscrow:
    address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

    def __init__(self, inspector=INSPECTOR.address, status=SHIPPED):
        self.order = SimpleNamespace(buyer=BUYER.address, inspector=inspector)
        self._status = status
        self.chain_manager = SimpleNamespace(pending_timestamp=NOW)
        self.calls = []

    def DOMAIN_SEPARATOR(self):
        return domain_separator(CHAIN, self.address)

    def status(self, order_id):
        return self._status

    def get_order(self, order_id):
        return self.order

    def confirm_delivery_signed(self, order_id, receipt_hash, deadline, signature, sender):
        self.calls.append((order_id, receipt_hash, deadline, signature, sender))
        return "receipt"


def _receipt(signer=INSPECTOR, deadline=NOW + 600, chain_id=CHAIN, escrow=FakeEscrow.address):
    return sign_receipt(signer, 1, keccak(b"GRN"), deadline, chain_id, escrow)


def test_order_confirmers__buyer_and_optional_inspector():
    assert order_confirmers(FakeEscrow(), 1) == [BUYER.address, INSPECTOR.address]
    assert order_confirmers(FakeEscrow(inspector=ZERO), 1) == [BUYER.address]


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


def test_relay__order_not_shipped__refused():
    with pytest.raises(ReceiptError, match="order 1 is COMPLETED, not SHIPPED"):
        relay_receipt(FakeEscrow(status=16), _receipt(), "relayer")


def test_relay__stranger_or_absent_inspector__wrong_signer():
    with pytest.raises(WrongSignerError):
        relay_receipt(FakeEscrow(), _receipt(signer=STRANGER), "relayer")
    with pytest.raises(WrongSignerError):
        relay_receipt(FakeEscrow(inspector=ZERO), _receipt(signer=INSPECTOR), "relayer")


def test_relay__unchecked_for_contract_wallets():
    escrow = FakeEscrow()
    relay_receipt(escrow, _receipt(signer=STRANGER), "relayer", check=False)
    assert len(escrow.calls) == 1
