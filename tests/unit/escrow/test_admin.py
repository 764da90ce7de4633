"""Admin: pause/unpause (new orders only), the arbitration timeout, and role management."""

import ape
import pytest
from eth_account import Account

from conftest import DAY, STATUS, ZERO, h
from _escrow_support import own_events
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

ADMIN_ROLE = b"\x00" * 32
NOT_ADMIN = ["arbiter", "buyer", "supplier", "oem", "stranger"]


# ---------------------------------------------------------------- pause / unpause


def test_pause__by_admin__blocks_new_orders(escrow, make_order, admin):
    tx = escrow.pause(sender=admin)
    assert own_events(tx, escrow) == [escrow.Paused(account=admin.address)]
    assert escrow.paused()
    with ape.reverts("pausable: contract is paused"):
        make_order()
    assert escrow.order_count() == 0


def test_unpause__by_admin__lets_orders_in_again(escrow, make_order, admin):
    escrow.pause(sender=admin)
    tx = escrow.unpause(sender=admin)
    assert own_events(tx, escrow) == [escrow.Unpaused(account=admin.address)]
    assert not escrow.paused()
    assert make_order() == 1


def test_pause__already_paused__reverts(escrow, admin):
    escrow.pause(sender=admin)
    with ape.reverts("pausable: contract is paused"):
        escrow.pause(sender=admin)
    assert escrow.paused()


def test_unpause__not_paused__reverts(escrow, admin):
    with ape.reverts("pausable: contract is not paused"):
        escrow.unpause(sender=admin)


@pytest.mark.parametrize("caller", NOT_ADMIN)
def test_pause__by_non_admin__reverts(escrow, request, caller):
    with ape.reverts("access_control: account is missing role"):
        escrow.pause(sender=request.getfixturevalue(caller))
    assert not escrow.paused()


@pytest.mark.parametrize("caller", NOT_ADMIN)
def test_unpause__by_non_admin__reverts(escrow, admin, request, caller):
    escrow.pause(sender=admin)
    with ape.reverts("access_control: account is missing role"):
        escrow.unpause(sender=request.getfixturevalue(caller))
    assert escrow.paused()


def test_pause__every_exit_path__stays_open(escrow, make_order, admin, buyer, supplier, arbiter, stranger, sub1, chain, project):
    """Orders funded before the pause still move through every transition to every final state."""
    refusing = project.MockReceiver.deploy(1, sender=admin)
    to_cancel = make_order(stage="created")
    to_accept = make_order(stage="created")
    to_ship = make_order(stage="accepted")
    to_confirm = make_order(stage="shipped")
    to_release = make_order(stage="shipped", review_period=DAY)
    to_dispute = make_order(stage="shipped")
    to_resolve = make_order(stage="disputed")
    to_time_out = make_order(stage="disputed")
    with_credit = make_order(stage="shipped", payees=[(refusing, 1_000)])
    escrow.confirm_delivery(with_credit, h("GRN"), sender=buyer)
    to_refund = make_order(stage="created", ship_in=60 * DAY)

    escrow.pause(sender=admin)

    escrow.cancel_order(to_cancel, sender=buyer)
    escrow.accept_order(to_accept, [(sub1.address, 100)], sender=supplier)
    escrow.mark_shipped(to_ship, h("ASN"), sender=supplier)
    escrow.confirm_delivery(to_confirm, h("GRN"), sender=buyer)
    escrow.dispute(to_dispute, h("bad"), sender=buyer)
    escrow.resolve(to_resolve, 5_000, sender=arbiter)
    chain.pending_timestamp = escrow.deadlines(to_release)[1] + 1
    escrow.release(to_release, sender=stranger)
    chain.pending_timestamp = escrow.deadlines(to_time_out)[2] + 1
    escrow.resolve_expired(to_time_out, sender=stranger)
    chain.pending_timestamp = escrow.get_order(to_refund).ship_by + 1
    escrow.refund_expired(to_refund, sender=stranger)
    refusing.set_mode(0, sender=stranger)
    refusing.call(escrow, escrow.claim.encode_input(ZERO), sender=stranger)

    assert escrow.paused()
    assert [escrow.status(i) for i in (to_cancel, to_accept, to_ship, to_confirm, to_dispute)] == [
        STATUS["CANCELLED"],
        STATUS["ACCEPTED"],
        STATUS["SHIPPED"],
        STATUS["COMPLETED"],
        STATUS["DISPUTED"],
    ]
    assert [escrow.status(i) for i in (to_resolve, to_release, to_time_out, to_refund)] == [
        STATUS["RESOLVED"],
        STATUS["COMPLETED"],
        STATUS["RESOLVED"],
        STATUS["REFUNDED"],
    ]
    assert escrow.credit_of(refusing, ZERO) == 0


def test_pause__signed_confirmation__stays_open(escrow, make_order, admin, buyer, stranger, chain):
    order_id = make_order(stage="shipped")
    escrow.pause(sender=admin)
    deadline = chain.pending_timestamp + DAY
    # Typed-data signing proper is covered in test_confirm_delivery_signed.py; here the view's digest will do.
    digest = escrow.receipt_digest(order_id, h("GRN"), deadline)
    signed = Account.unsafe_sign_hash(digest, buyer.private_key)
    escrow.confirm_delivery_signed(order_id, h("GRN"), deadline, signed.signature, sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


# ---------------------------------------------------------------- arbitration timeout


@pytest.mark.parametrize("seconds", [3_600, 7 * DAY, 365 * DAY])
def test_set_arbitration_timeout__by_admin__sets_and_logs(escrow, admin, seconds):
    tx = escrow.set_arbitration_timeout(seconds, sender=admin)
    assert own_events(tx, escrow) == [escrow.ArbitrationTimeoutSet(previous=30 * DAY, current=seconds)]
    assert escrow.arbitration_timeout() == seconds


def test_set_arbitration_timeout__twice__logs_previous(escrow, admin):
    escrow.set_arbitration_timeout(DAY, sender=admin)
    tx = escrow.set_arbitration_timeout(2 * DAY, sender=admin)
    assert own_events(tx, escrow) == [escrow.ArbitrationTimeoutSet(previous=DAY, current=2 * DAY)]


@pytest.mark.parametrize("seconds", [0, 1, 3_599, 365 * DAY + 1, 2**256 - 1])
def test_set_arbitration_timeout__out_of_range__reverts(escrow, admin, seconds):
    with ape.reverts("escrow: bad timeout"):
        escrow.set_arbitration_timeout(seconds, sender=admin)
    assert escrow.arbitration_timeout() == 30 * DAY


@pytest.mark.parametrize("caller", NOT_ADMIN)
def test_set_arbitration_timeout__by_non_admin__reverts(escrow, request, caller):
    with ape.reverts("access_control: account is missing role"):
        escrow.set_arbitration_timeout(DAY, sender=request.getfixturevalue(caller))
    assert escrow.arbitration_timeout() == 30 * DAY


def test_set_arbitration_timeout__while_paused__allowed(escrow, admin):
    escrow.pause(sender=admin)
    escrow.set_arbitration_timeout(DAY, sender=admin)
    assert escrow.arbitration_timeout() == DAY


# ---------------------------------------------------------------- roles


def test_grant_role__arbiter_by_admin__logs_and_grants(escrow, admin, stranger):
    role = escrow.ARBITER_ROLE()
    tx = escrow.grantRole(role, stranger, sender=admin)
    assert own_events(tx, escrow) == [escrow.RoleGranted(role=role, account=stranger.address, sender=admin.address)]
    assert escrow.hasRole(role, stranger)


@pytest.mark.parametrize("caller", ["arbiter", "stranger"])
def test_grant_role__by_non_admin__reverts(escrow, request, caller, stranger):
    with ape.reverts("access_control: account is missing role"):
        escrow.grantRole(escrow.ARBITER_ROLE(), stranger, sender=request.getfixturevalue(caller))
    assert not escrow.hasRole(escrow.ARBITER_ROLE(), stranger)


def test_admin_handover__new_admin_acts_old_admin_cannot(escrow, admin, stranger):
    escrow.grantRole(ADMIN_ROLE, stranger, sender=admin)
    escrow.renounceRole(ADMIN_ROLE, admin, sender=admin)
    assert not escrow.hasRole(ADMIN_ROLE, admin)
    with ape.reverts("access_control: account is missing role"):
        escrow.pause(sender=admin)
    escrow.pause(sender=stranger)
    assert escrow.paused()


def test_renounce_role__for_someone_else__reverts(escrow, admin, arbiter):
    with ape.reverts("access_control: can only renounce roles for itself"):
        escrow.renounceRole(escrow.ARBITER_ROLE(), arbiter, sender=admin)
    assert escrow.hasRole(escrow.ARBITER_ROLE(), arbiter)
