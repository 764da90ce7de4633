"""OrderEscrow v2 views: SPEC's names in the ABI, zeros for unknown ids, counters, order/lot clocks."""

import ape
import pytest

from conftest import AGREEMENT, DAY, GRACE, LOT, REVIEW, UNIT_PRICE, ZERO, Money, h
from _escrow_support import own_events, payees_tuples, pin_at
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

TERMS_FIELDS = [
    "supplier", "part_id", "version", "token", "unit_price", "max_quantity", "valid_until",
    "review_period", "inspector", "grace_period", "penalty_bps_per_day", "penalty_cap_bps",
]
ORDER_FIELDS = [
    "agreement_id", "buyer", "supplier", "quantity", "amount", "ship_by", "units_shipped",
    "units_refunded", "lot_count", "payout_holder", "declined",
]
LOT_FIELDS = ["quantity", "value", "penalty_bps", "shipment_hash", "shipped_at", "arbitration_deadline", "status"]

# SPEC v2's events: (name, [(field, indexed)]).
EVENTS = {
    "AgreementProposed": [("agreement_id", True), ("buyer", True), ("supplier", True), ("part_id", False),
                          ("version", False), ("token", False), ("unit_price", False), ("max_quantity", False),
                          ("valid_until", False)],
    "AgreementAccepted": [("agreement_id", True), ("payees", False)],
    "AgreementClosed": [("agreement_id", True), ("closed_by", True)],
    "OrderCreated": [("order_id", True), ("agreement_id", True), ("buyer", False), ("supplier", True),
                     ("quantity", False), ("amount", False), ("ship_by", False), ("po_ref", False)],
    "OrderDeclined": [("order_id", True)],
    "LotShipped": [("order_id", True), ("lot", True), ("quantity", False), ("value", False),
                   ("penalty_bps", False), ("shipment_hash", False)],
    "GoodsReceived": [("order_id", True), ("lot", True), ("quantity", False), ("value", False),
                      ("penalty_bps", False), ("receiver", True), ("receipt_hash", False)],
    "DeliveryConfirmed": [("order_id", True), ("lot", True), ("confirmer", True), ("receipt_hash", False)],
    "LotReleased": [("order_id", True), ("lot", True)],
    "LotDisputed": [("order_id", True), ("lot", True), ("reason_hash", False)],
    "DisputeResolved": [("order_id", True), ("lot", True), ("supplier_bps", False)],
    "OrderRefunded": [("order_id", True), ("quantity", False), ("amount", False)],
    "PayoutAssigned": [("order_id", True), ("previous", True), ("assignee", True)],
    "Paid": [("order_id", True), ("payee", True), ("token", True), ("amount", False)],
    "PaymentDeferred": [("order_id", True), ("payee", True), ("token", True), ("amount", False)],
    "Claimed": [("account", True), ("token", True), ("amount", False)],
    "ArbitrationTimeoutSet": [("previous", False), ("current", False)],
}


def abi_entry(escrow, name: str, kind: str = "function"):
    entries = [e for e in escrow.contract_type.abi if e.type == kind and e.name == name]
    assert len(entries) == 1, f"{kind} {name} appears {len(entries)} times in the ABI"
    return entries[0]


# ---------------------------------------------------------------- ABI names


@pytest.mark.parametrize(
    "name, inputs",
    [
        ("credit_of", ["account", "token"]),
        ("get_agreement", ["agreement_id"]),
        ("payees_of", ["agreement_id"]),
        ("get_order", ["order_id"]),
        ("get_lot", ["order_id", "lot"]),
        ("deadlines", ["order_id", "lot"]),
        ("receipt_digest", ["order_id", "lot", "receipt_hash", "deadline"]),
        ("agreement_count", []),
        ("order_count", []),
        ("arbitration_timeout", []),
        ("registry", []),
        ("propose_agreement", ["terms"]),
        ("accept_agreement", ["agreement_id", "payees"]),
        ("close_agreement", ["agreement_id"]),
        ("create_order", ["agreement_id", "quantity", "ship_by", "po_ref"]),
        ("decline_order", ["order_id"]),
        ("assign_payout", ["order_id", "assignee"]),
        ("set_arbitration_timeout", ["seconds"]),
    ],
)
def test_abi__argument_names_as_in_spec(escrow, name, inputs):
    assert [i.name for i in abi_entry(escrow, name).inputs] == inputs


def test_abi__get_agreement_returns_agreement_struct(escrow):
    (output,) = abi_entry(escrow, "get_agreement").outputs
    assert [c.name for c in output.components] == ["terms", "buyer", "status", "units_called_off"]
    assert [c.name for c in output.components[0].components] == TERMS_FIELDS
    assert output.components[0].components[-1].type == "uint16"
    assert output.components[0].components[-2].type == "uint16"


def test_abi__propose_agreement_takes_terms_struct(escrow):
    (terms,) = abi_entry(escrow, "propose_agreement").inputs
    assert [c.name for c in terms.components] == TERMS_FIELDS


def test_abi__payees_struct(escrow):
    (output,) = abi_entry(escrow, "payees_of").outputs
    assert output.type == "tuple[]"
    assert [(c.name, c.type) for c in output.components] == [("account", "address"), ("share_bps", "uint16")]
    (_, payees) = abi_entry(escrow, "accept_agreement").inputs
    assert [(c.name, c.type) for c in payees.components] == [("account", "address"), ("share_bps", "uint16")]


def test_abi__get_order_and_get_lot_structs(escrow):
    (order,) = abi_entry(escrow, "get_order").outputs
    assert [c.name for c in order.components] == ORDER_FIELDS
    assert order.components[-1].type == "bool"
    (lot,) = abi_entry(escrow, "get_lot").outputs
    assert [c.name for c in lot.components] == LOT_FIELDS


def test_abi__deadlines_four_uints(escrow):
    assert [o.type for o in abi_entry(escrow, "deadlines").outputs] == ["uint256"] * 4


def test_abi__bps_arguments_are_uint16(escrow):
    assert [i.type for i in abi_entry(escrow, "resolve").inputs] == ["uint256", "uint256", "uint16"]


@pytest.mark.parametrize("event_name", sorted(EVENTS))
def test_abi__events_as_in_spec(escrow, event_name):
    event = abi_entry(escrow, event_name, kind="event")
    assert [(i.name, i.indexed) for i in event.inputs] == EVENTS[event_name]


# ---------------------------------------------------------------- unknown ids: all zeros


@pytest.mark.parametrize("agreement_id", [0, 1, 2**256 - 1])
def test_get_agreement__unknown__zeros(escrow, agreement_id):
    agreement = escrow.get_agreement(agreement_id)
    assert tuple(agreement.terms) == (ZERO, b"\x00" * 32, 0, ZERO, 0, 0, 0, 0, ZERO, 0, 0, 0)
    assert (agreement.buyer, agreement.status, agreement.units_called_off) == (ZERO, 0, 0)
    assert escrow.payees_of(agreement_id) == []


@pytest.mark.parametrize("order_id", [0, 1, 2**256 - 1])
def test_get_order__unknown__zeros(escrow, order_id):
    order = escrow.get_order(order_id)
    assert tuple(order) == (0, ZERO, ZERO, 0, 0, 0, 0, 0, 0, ZERO, False)
    assert escrow.deadlines(order_id, 0) == (0, 0, 0, 0)
    assert escrow.deadlines(order_id, 1) == (0, 0, 0, 0)


@pytest.mark.parametrize("order_id, lot", [(0, 0), (1, 0), (1, 1), (1, 2), (2**256 - 1, 2**256 - 1)])
def test_get_lot__unknown__zeros(escrow, make_order, order_id, lot):
    if order_id == 1:
        make_order(quantity=10, stage="shipped", lot_quantity=4)
        if lot == 1:
            lot = 3  # an order with one lot: lot 3 does not exist
    assert tuple(escrow.get_lot(order_id, lot)) == (0, 0, 0, b"\x00" * 32, 0, 0, 0)


def test_receipt_digest__unknown_lot__reverts(escrow, make_order):
    order_id = make_order(quantity=10)
    with ape.reverts("escrow: unknown lot"):
        escrow.receipt_digest(order_id, 1, h("GRN"), 0)


def test_payees_of__proposed__empty(escrow, make_agreement):
    assert escrow.payees_of(make_agreement(accept=False)) == []


def test_credit_of__nothing_owed__zero(escrow, buyer, erc20):
    assert escrow.credit_of(buyer, ZERO) == 0
    assert escrow.credit_of(buyer, erc20) == 0


# ---------------------------------------------------------------- counters


def test_counters__count_proposals_and_call_offs_only(escrow, make_agreement, make_order, supplier, buyer):
    assert (escrow.agreement_count(), escrow.order_count()) == (0, 0)
    first = make_agreement(accept=False)
    assert (escrow.agreement_count(), escrow.order_count()) == (1, 0)
    escrow.accept_agreement(first, [], sender=supplier)
    assert escrow.agreement_count() == 1
    order_id = make_order(agreement_id=first, quantity=5)
    assert (escrow.agreement_count(), escrow.order_count()) == (1, 1)
    escrow.decline_order(order_id, sender=supplier)  # a declined order keeps its id
    make_order(agreement_id=first, quantity=5)
    second = make_agreement()
    escrow.close_agreement(second, sender=buyer)
    assert (escrow.agreement_count(), escrow.order_count()) == (2, 2)


def test_counters__failed_calls_count_nothing(escrow, make_agreement, buyer, chain):
    agreement_id = make_agreement()
    with ape.reverts("escrow: wrong value"):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + DAY, h("PO"), sender=buyer, value=1)
    assert (escrow.agreement_count(), escrow.order_count()) == (1, 0)


def test_arbitration_timeout__default_30_days(escrow):
    assert escrow.arbitration_timeout() == 30 * DAY


def test_registry__is_the_deployment_registry(escrow, registry):
    assert escrow.registry() == registry.address


# ---------------------------------------------------------------- one order through its life


def test_views__order_and_lot_clocks_through_the_lifecycle(
    escrow, make_agreement, make_order, buyer, supplier, inspector, sub1, chain
):
    agreement_id = make_agreement(payees=[(sub1, 1_000)])
    t0 = pin_at(chain, chain.pending_timestamp + 100)
    order_id = make_order(agreement_id=agreement_id, quantity=10, ship_in=7 * DAY)
    # make_order reads pending_timestamp for ship_by before mining at it.
    ship_by = escrow.get_order(order_id).ship_by
    assert ship_by >= t0 + 7 * DAY
    assert escrow.deadlines(order_id, 0) == (ship_by, ship_by + GRACE, 0, 0)
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + GRACE, 0, 0)

    t_ship = pin_at(chain, ship_by - DAY)
    escrow.ship(order_id, 3, h("ASN-1"), sender=supplier)
    assert tuple(escrow.get_lot(order_id, 1)) == (3, 3 * UNIT_PRICE, 0, h("ASN-1"), t_ship, 0, LOT["SHIPPED"])
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + GRACE, t_ship + REVIEW, 0)

    t_dispute = pin_at(chain, t_ship + REVIEW)
    escrow.dispute(order_id, 1, h("dent"), sender=inspector)
    assert escrow.get_lot(order_id, 1).arbitration_deadline == t_dispute + 30 * DAY
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]
    assert escrow.deadlines(order_id, 1) == (ship_by, ship_by + GRACE, t_ship + REVIEW, t_dispute + 30 * DAY)

    t_recv = pin_at(chain, ship_by + GRACE)
    escrow.receive_goods(order_id, 2, h("GRN"), sender=buyer)
    assert tuple(escrow.get_lot(order_id, 2)) == (2, 2 * UNIT_PRICE, 0, b"\x00" * 32, t_recv, 0, LOT["COMPLETED"])
    assert escrow.deadlines(order_id, 2) == (ship_by, ship_by + GRACE, 0, 0)

    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.units_refunded, order.lot_count) == (5, 0, 2)

    pin_at(chain, ship_by + GRACE + 1)
    escrow.refund_expired(order_id, sender=supplier)
    order = escrow.get_order(order_id)
    assert (order.quantity, order.units_shipped, order.units_refunded, order.lot_count, order.declined) == (
        10, 5, 5, 2, False
    )
    assert order.amount == 10 * UNIT_PRICE
    assert order.payout_holder == supplier.address


def test_views__agreement_status_through_its_life(escrow, make_agreement, make_order, buyer, sub1, supplier):
    agreement_id = make_agreement(accept=False)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["PROPOSED"]
    escrow.accept_agreement(agreement_id, [(sub1.address, 250)], sender=supplier)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["ACTIVE"]
    assert payees_tuples(escrow.payees_of(agreement_id)) == [(sub1.address.lower(), 250)]
    make_order(agreement_id=agreement_id, quantity=12)
    escrow.close_agreement(agreement_id, sender=buyer)
    agreement = escrow.get_agreement(agreement_id)
    assert (agreement.status, agreement.units_called_off) == (AGREEMENT["CLOSED"], 12)


def test_views__late_lot_penalty_read_back(escrow, make_order, supplier, chain):
    order_id = make_order(quantity=10)
    ship_by = escrow.get_order(order_id).ship_by
    pin_at(chain, ship_by + 2 * DAY + 1)  # three started days: 300 bps
    escrow.ship(order_id, 10, h("ASN"), sender=supplier)
    assert escrow.get_lot(order_id, 1).penalty_bps == 300


def test_credit_of__per_account_and_token(escrow, make_agreement, make_order, erc20, usdt, buyer, supplier):
    erc20_money, usdt_money = Money("erc20", erc20), Money("usdt", usdt)
    first = make_order(money=erc20_money, quantity=3)
    second = make_order(money=usdt_money, quantity=4)
    erc20.set_blocked(buyer, True, sender=buyer)
    usdt.set_blocked(buyer, True, sender=buyer)
    tx = escrow.decline_order(first, sender=supplier)
    assert own_events(tx, escrow)[-1].event_name == "PaymentDeferred"
    escrow.decline_order(second, sender=supplier)
    assert escrow.credit_of(buyer, erc20) == 3 * UNIT_PRICE
    assert escrow.credit_of(buyer, usdt) == 4 * UNIT_PRICE
    assert escrow.credit_of(buyer, ZERO) == 0
    assert escrow.credit_of(supplier, erc20) == 0
