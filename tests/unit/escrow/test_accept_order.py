"""accept_order: the supplier takes the order and declares its subcontractors once and for all."""

import ape
import pytest

from conftest import DAY, PART_ID, SPEC_V2, STATUS, URI_V2, h
from _escrow_support import ALL_STAGES, accepted_payees, lower_payees, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def crowd(accounts):
    """Nine fresh addresses, one more than an order may declare."""
    return [accounts.generate_test_account() for _ in range(9)]


@pytest.fixture
def uncertified(registry, oem, accounts):
    """A supplier with access to the part but no certification (yet)."""
    account = accounts.generate_test_account()
    registry.grant_access(PART_ID, account, sender=oem)
    accounts[0].transfer(account, 10**18)
    return account


def accept(escrow, order_id, payees, sender):
    return escrow.accept_order(order_id, [(getattr(a, "address", a), bps) for a, bps in payees], sender=sender)


# ---------------------------------------------------------------- success


@pytest.mark.parametrize(
    "shares",
    [[], [1], [1_500, 333], [10_000], [5_000, 5_000], [1_250] * 8],
    ids=["none", "one_bps", "two", "all_to_one_sub", "exactly_10000", "eight"],
)
def test_accept_order__by_supplier__records_payees(escrow, make_order, supplier, crowd, shares):
    order_id = make_order()
    payees = list(zip(crowd, shares))
    balance = escrow.balance

    tx = accept(escrow, order_id, payees, supplier)

    logs = own_events(tx, escrow)
    assert [log.event_name for log in logs] == ["OrderAccepted"]
    assert logs[0].order_id == order_id
    assert accepted_payees(logs[0]) == lower_payees(payees)
    assert escrow.status(order_id) == STATUS["ACCEPTED"]
    assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == [(a.address, bps) for a, bps in payees]
    assert escrow.balance == balance  # accepting moves no money


def test_accept_order__payee_is_buyer_or_inspector__allowed(escrow, make_order, supplier, buyer, inspector):
    order_id = make_order()
    accept(escrow, order_id, [(buyer, 100), (inspector, 200)], supplier)
    assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == [(buyer.address, 100), (inspector.address, 200)]


def test_accept_order__ship_by_to_the_second__after_reverts_at_allowed(escrow, make_order, supplier, chain):
    order_id = make_order(ship_in=DAY)
    ship_by = escrow.get_order(order_id).ship_by
    with chain.isolate():
        chain.pending_timestamp = ship_by + 1
        with ape.reverts("escrow: ship-by passed"):
            escrow.accept_order(order_id, [], sender=supplier)
    chain.pending_timestamp = ship_by
    tx = escrow.accept_order(order_id, [], sender=supplier)
    assert tx.timestamp == ship_by
    assert escrow.status(order_id) == STATUS["ACCEPTED"]


def test_accept_order__certified_until_now__allowed(escrow, make_order, registry, certifier, uncertified, chain):
    until = chain.pending_timestamp + 2 * DAY
    registry.certify(PART_ID, 1, uncertified, until, h("audit"), sender=certifier)
    order_id = make_order(order_supplier=uncertified, ship_in=5 * DAY)
    chain.pending_timestamp = until
    escrow.accept_order(order_id, [], sender=uncertified)
    assert escrow.status(order_id) == STATUS["ACCEPTED"]


# ---------------------------------------------------------------- certification


def test_accept_order__never_certified__reverts(escrow, make_order, uncertified):
    order_id = make_order(order_supplier=uncertified)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_order(order_id, [], sender=uncertified)
    assert escrow.status(order_id) == STATUS["CREATED"]


def test_accept_order__certification_expired_one_second_ago__reverts(
    escrow, make_order, registry, certifier, uncertified, chain
):
    until = chain.pending_timestamp + 2 * DAY
    registry.certify(PART_ID, 1, uncertified, until, h("audit"), sender=certifier)
    order_id = make_order(order_supplier=uncertified, ship_in=5 * DAY)
    chain.pending_timestamp = until + 1
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_order(order_id, [], sender=uncertified)


def test_accept_order__certification_revoked__reverts(escrow, make_order, registry, certifier, supplier):
    order_id = make_order()
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_order(order_id, [], sender=supplier)


def test_accept_order__access_revoked_after_order__reverts(escrow, make_order, registry, oem, supplier):
    order_id = make_order()
    registry.revoke_access(PART_ID, supplier, sender=oem)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_order(order_id, [], sender=supplier)


def test_accept_order__certified_for_other_version_only__reverts(
    escrow, make_order, registry, oem, certifier, supplier, buyer, chain
):
    registry.revise_part(PART_ID, SPEC_V2, URI_V2, sender=oem)
    tx = escrow.create_order(
        supplier, PART_ID, 2, 1, "0x" + "00" * 20, 10, chain.pending_timestamp + DAY, DAY, "0x" + "00" * 20, h("PO"),
        sender=buyer, value=10,
    )
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_order(tx.return_value, [], sender=supplier)
    registry.certify(PART_ID, 2, supplier, chain.pending_timestamp + DAY, h("audit v2"), sender=certifier)
    escrow.accept_order(tx.return_value, [], sender=supplier)
    assert escrow.status(tx.return_value) == STATUS["ACCEPTED"]


# ---------------------------------------------------------------- refusals


class TestRefused:
    """Bad payees, wrong callers, wrong statuses: on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize(
        "build, reason",
        [
            (lambda c, s: [(c[0], 100), ("0x" + "00" * 20, 100)], "escrow: zero payee"),
            (lambda c, s: [(c[0], 100), (c[0], 100)], "escrow: duplicate payee"),
            (lambda c, s: [(c[0], 100), (c[1], 100), (c[2], 100), (c[0], 100)], "escrow: duplicate payee"),
            (lambda c, s: [(c[0], 100), (s, 100)], "escrow: payee is supplier"),
            (lambda c, s: [(c[0], 100), (c[1], 0)], "escrow: zero share"),
            (lambda c, s: [(c[0], 10_001)], "escrow: shares exceed 100%"),
            (lambda c, s: [(c[0], 5_000), (c[1], 5_001)], "escrow: shares exceed 100%"),
            (lambda c, s: [(a, 1_251) for a in c[:8]], "escrow: shares exceed 100%"),
            (lambda c, s: [(c[0], 65_535), (c[1], 65_535)], "escrow: shares exceed 100%"),
        ],
        ids=[
            "zero_payee",
            "duplicate_adjacent",
            "duplicate_far_apart",
            "payee_is_supplier",
            "zero_share",
            "sum_10001_single",
            "sum_10001_two",
            "sum_10008_eight",
            "uint16_max_twice",
        ],
    )
    def test_accept_order__bad_payees__reverts(self, escrow, staged, supplier, crowd, build, reason):
        order_id = staged["created"]
        with ape.reverts(reason):
            accept(escrow, order_id, build(crowd, supplier), supplier)
        assert escrow.status(order_id) == STATUS["CREATED"]
        assert escrow.payees_of(order_id) == []

    def test_accept_order__nine_payees__rejected(self, escrow, staged, supplier, crowd):
        order_id = staged["created"]
        with ape.reverts():
            accept(escrow, order_id, [(a, 1) for a in crowd], supplier)
        assert escrow.status(order_id) == STATUS["CREATED"]
        assert escrow.payees_of(order_id) == []

    @pytest.mark.parametrize("caller", ["buyer", "inspector", "stranger", "sub1", "arbiter"])
    def test_accept_order__by_other_than_supplier__reverts(self, escrow, staged, request, caller):
        order_id = staged["created"]
        balance = escrow.balance
        with ape.reverts("escrow: not supplier"):
            escrow.accept_order(order_id, [], sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["CREATED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "created"])
    def test_accept_order__not_created__reverts(self, escrow, staged, supplier, sub1, stage):
        order_id = staged[stage]
        with ape.reverts("escrow: not created"):
            escrow.accept_order(order_id, [], sender=supplier)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        if stage != "cancelled" and stage != "refunded":
            assert [(p.account, p.share_bps) for p in escrow.payees_of(order_id)] == [(sub1.address, 500)]


def test_accept_order__unknown_order__reverts(escrow, supplier):
    with ape.reverts("escrow: unknown order"):
        escrow.accept_order(7, [], sender=supplier)
