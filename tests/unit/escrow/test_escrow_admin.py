"""Admin: pause/unpause (new business only), set_arbitration_timeout (future disputes only), roles."""

import ape
import pytest
from eth_account import Account

from conftest import DAY, UNIT_PRICE, Money, h, make_terms
from _escrow_support import MISSING_ROLE, NOT_PAUSED, PAUSED, own_events, pin_at
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

DEFAULT_ADMIN_ROLE = b"\x00" * 32
HOUR = 3_600
NON_ADMINS = ["arbiter", "buyer", "supplier", "stranger", "oem", "certifier", "inspector"]


@pytest.fixture
def paused(escrow, admin):
    escrow.pause(sender=admin)
    return escrow


# ---------------------------------------------------------------- pause / unpause


def test_pause__by_admin__paused_and_logged(escrow, admin):
    tx = escrow.pause(sender=admin)
    assert own_events(tx, escrow) == [escrow.Paused(account=admin.address)]
    assert escrow.paused() is True


def test_unpause__by_admin__unpaused_and_logged(paused, escrow, admin):
    tx = escrow.unpause(sender=admin)
    assert own_events(tx, escrow) == [escrow.Unpaused(account=admin.address)]
    assert escrow.paused() is False


@pytest.mark.parametrize("caller_name", NON_ADMINS)
def test_pause__not_admin__reverts(escrow, request, caller_name):
    with ape.reverts(MISSING_ROLE):
        escrow.pause(sender=request.getfixturevalue(caller_name))
    assert escrow.paused() is False


@pytest.mark.parametrize("caller_name", NON_ADMINS)
def test_unpause__not_admin__reverts(paused, escrow, request, caller_name):
    with ape.reverts(MISSING_ROLE):
        escrow.unpause(sender=request.getfixturevalue(caller_name))
    assert escrow.paused() is True


def test_pause__twice__reverts(paused, escrow, admin):
    with ape.reverts(PAUSED):
        escrow.pause(sender=admin)


def test_unpause__not_paused__reverts(escrow, admin):
    with ape.reverts(NOT_PAUSED):
        escrow.unpause(sender=admin)


# ---------------------------------------------------------------- what pause blocks


def test_pause__blocks_propose_agreement(paused, escrow, part, buyer, supplier, chain):
    with ape.reverts(PAUSED):
        escrow.propose_agreement(make_terms(supplier, valid_until=chain.pending_timestamp + DAY), sender=buyer)


def test_pause__blocks_create_order(escrow, make_agreement, admin, buyer, chain):
    agreement_id = make_agreement()
    escrow.pause(sender=admin)
    with ape.reverts(PAUSED):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + DAY, h("PO"), sender=buyer, value=UNIT_PRICE)


def test_pause__blocks_even_the_admin_proposing(paused, escrow, part, oem, supplier, chain):
    # oem owns the part, so it may buy: the pause check comes first and names the cause.
    with ape.reverts(PAUSED):
        escrow.propose_agreement(make_terms(supplier, valid_until=chain.pending_timestamp + DAY), sender=oem)


# ---------------------------------------------------------------- what pause does not block


def test_pause__accept_and_close_still_work(escrow, make_agreement, admin, buyer, supplier):
    first, second = make_agreement(accept=False), make_agreement(accept=False)
    escrow.pause(sender=admin)
    escrow.accept_agreement(first, [], sender=supplier)
    escrow.close_agreement(second, sender=buyer)
    assert escrow.get_agreement(first).status == 2
    assert escrow.get_agreement(second).status == 4


def test_pause__decline_and_assign_still_work(escrow, make_agreement, make_order, admin, supplier, stranger):
    agreement_id = make_agreement()
    declined, assigned = make_order(agreement_id=agreement_id), make_order(agreement_id=agreement_id)
    escrow.pause(sender=admin)
    escrow.decline_order(declined, sender=supplier)
    escrow.assign_payout(assigned, stranger, sender=supplier)
    assert escrow.get_order(declined).declined is True
    assert escrow.get_order(assigned).payout_holder == stranger.address


def test_pause__ship_receive_confirm_still_work(escrow, make_order, admin, buyer, supplier, inspector):
    order_id = make_order(quantity=10)
    escrow.pause(sender=admin)
    escrow.ship(order_id, 4, h("ASN"), sender=supplier)
    escrow.confirm_delivery(order_id, 1, h("GRN"), sender=inspector)
    escrow.receive_goods(order_id, 6, h("GRN-2"), sender=buyer)
    assert escrow.get_order(order_id).units_shipped == 10
    assert escrow.balance == 0


def test_pause__signed_confirmation_still_works(escrow, make_order, admin, buyer, stranger, chain):
    order_id = make_order(quantity=10, stage="shipped")
    deadline = chain.pending_timestamp + DAY
    digest = escrow.receipt_digest(order_id, 1, h("GRN"), deadline)
    signature = Account.unsafe_sign_hash(digest, buyer.private_key).signature
    escrow.pause(sender=admin)
    tx = escrow.confirm_delivery_signed(order_id, 1, h("GRN"), deadline, signature, sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.DeliveryConfirmed(
        order_id=order_id, lot=1, confirmer=buyer.address, receipt_hash=h("GRN")
    )


def test_pause__release_refund_still_work(escrow, make_agreement, make_order, admin, supplier, stranger, chain):
    agreement_id = make_agreement()
    shipped = make_order(agreement_id=agreement_id, quantity=10, stage="shipped", lot_quantity=4)
    escrow.pause(sender=admin)
    pin_at(chain, escrow.deadlines(shipped, 1)[2] + 1)
    escrow.release(shipped, 1, sender=stranger)
    pin_at(chain, escrow.deadlines(shipped, 1)[1] + 1)
    escrow.refund_expired(shipped, sender=stranger)
    assert escrow.get_order(shipped).units_refunded == 6
    assert escrow.balance == 0


def test_pause__dispute_resolve_resolve_expired_still_work(
    escrow, make_agreement, make_order, admin, buyer, arbiter, stranger, chain
):
    agreement_id = make_agreement()
    first = make_order(agreement_id=agreement_id, quantity=10, stage="disputed")
    second = make_order(agreement_id=agreement_id, quantity=10, stage="shipped")
    escrow.pause(sender=admin)
    escrow.dispute(second, 1, h("dent"), sender=buyer)
    escrow.resolve(first, 1, 7_000, sender=arbiter)
    pin_at(chain, escrow.deadlines(second, 1)[3] + 1)
    escrow.resolve_expired(second, 1, sender=stranger)
    assert escrow.get_lot(first, 1).status == 8
    assert escrow.get_lot(second, 1).status == 8
    assert escrow.balance == 0


def test_pause__claim_and_claim_to_still_work(escrow, make_agreement, make_order, erc20, admin, buyer, supplier, stranger):
    money = Money("erc20", erc20)
    agreement_id = make_agreement(money=money)
    first = make_order(agreement_id=agreement_id, money=money, quantity=3)
    second = make_order(agreement_id=agreement_id, money=money, quantity=5)
    erc20.set_blocked(buyer, True, sender=buyer)
    escrow.decline_order(first, sender=supplier)
    escrow.decline_order(second, sender=supplier)
    assert escrow.credit_of(buyer, erc20) == 8 * UNIT_PRICE
    escrow.pause(sender=admin)

    escrow.claim_to(erc20, stranger, sender=buyer)
    assert erc20.balanceOf(stranger) == 8 * UNIT_PRICE
    assert escrow.credit_of(buyer, erc20) == 0
    with ape.reverts("escrow: nothing to claim"):
        escrow.claim(erc20, sender=buyer)


def test_pause__admin_and_role_functions_still_work(paused, escrow, admin, stranger):
    escrow.set_arbitration_timeout(DAY, sender=admin)
    escrow.grantRole(escrow.ARBITER_ROLE(), stranger, sender=admin)
    assert escrow.arbitration_timeout() == DAY
    assert escrow.hasRole(escrow.ARBITER_ROLE(), stranger)


def test_pause__changes_no_agreement_order_or_lot(escrow, make_order, admin, sub1):
    order_id = make_order(quantity=10, stage="disputed", lot_quantity=4, payees=[(sub1, 300)])
    agreement_id = escrow.get_order(order_id).agreement_id
    views = lambda: (  # noqa: E731
        escrow.get_agreement(agreement_id),
        escrow.payees_of(agreement_id),
        escrow.get_order(order_id),
        escrow.get_lot(order_id, 1),
        escrow.deadlines(order_id, 1),
    )
    before = views()
    escrow.pause(sender=admin)
    assert views() == before
    escrow.unpause(sender=admin)
    assert views() == before


# ---------------------------------------------------------------- set_arbitration_timeout


def test_set_arbitration_timeout__by_admin__set_and_logged(escrow, admin):
    tx = escrow.set_arbitration_timeout(7 * DAY, sender=admin)
    assert own_events(tx, escrow) == [escrow.ArbitrationTimeoutSet(previous=30 * DAY, current=7 * DAY)]
    assert escrow.arbitration_timeout() == 7 * DAY

    tx = escrow.set_arbitration_timeout(HOUR, sender=admin)
    assert own_events(tx, escrow) == [escrow.ArbitrationTimeoutSet(previous=7 * DAY, current=HOUR)]


def test_set_arbitration_timeout__same_value__logged(escrow, admin):
    tx = escrow.set_arbitration_timeout(30 * DAY, sender=admin)
    assert own_events(tx, escrow) == [escrow.ArbitrationTimeoutSet(previous=30 * DAY, current=30 * DAY)]


@pytest.mark.parametrize("seconds", [HOUR, 365 * DAY])
def test_set_arbitration_timeout__on_the_bound__allowed(escrow, admin, seconds):
    escrow.set_arbitration_timeout(seconds, sender=admin)
    assert escrow.arbitration_timeout() == seconds


@pytest.mark.parametrize("seconds", [0, 1, HOUR - 1, 365 * DAY + 1, 2**64, 2**256 - 1])
def test_set_arbitration_timeout__out_of_bounds__reverts(escrow, admin, seconds):
    with ape.reverts("escrow: bad timeout"):
        escrow.set_arbitration_timeout(seconds, sender=admin)
    assert escrow.arbitration_timeout() == 30 * DAY


@pytest.mark.parametrize("caller_name", NON_ADMINS)
def test_set_arbitration_timeout__not_admin__reverts(escrow, request, caller_name):
    with ape.reverts(MISSING_ROLE):
        escrow.set_arbitration_timeout(DAY, sender=request.getfixturevalue(caller_name))
    assert escrow.arbitration_timeout() == 30 * DAY


def test_set_arbitration_timeout__applies_only_to_disputes_raised_after(
    escrow, make_agreement, make_order, admin, buyer, stranger, chain
):
    agreement_id = make_agreement()
    old = make_order(agreement_id=agreement_id, quantity=10, stage="shipped")
    new = make_order(agreement_id=agreement_id, quantity=10, stage="shipped")
    t_old = pin_at(chain, chain.pending_timestamp + 100)
    escrow.dispute(old, 1, h("dent"), sender=buyer)
    assert escrow.get_lot(old, 1).arbitration_deadline == t_old + 30 * DAY

    escrow.set_arbitration_timeout(HOUR, sender=admin)
    t_new = pin_at(chain, chain.pending_timestamp + 100)
    escrow.dispute(new, 1, h("dent"), sender=buyer)

    # The running dispute keeps the deadline fixed when it was raised.
    assert escrow.get_lot(old, 1).arbitration_deadline == t_old + 30 * DAY
    assert escrow.deadlines(old, 1)[3] == t_old + 30 * DAY
    assert escrow.get_lot(new, 1).arbitration_deadline == t_new + HOUR

    pin_at(chain, t_new + HOUR)
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(new, 1, sender=stranger)
    pin_at(chain, t_new + HOUR + 1)
    escrow.resolve_expired(new, 1, sender=stranger)
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(old, 1, sender=stranger)

    # Raising the timeout again does not stretch a running dispute either.
    escrow.set_arbitration_timeout(365 * DAY, sender=admin)
    pin_at(chain, t_old + 30 * DAY)
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(old, 1, sender=stranger)
    pin_at(chain, t_old + 30 * DAY + 1)
    escrow.resolve_expired(old, 1, sender=stranger)
    assert escrow.get_lot(old, 1).status == 8


def test_set_arbitration_timeout__changes_no_order_or_lot(escrow, make_order, admin):
    order_id = make_order(quantity=10, stage="disputed")
    before = (escrow.get_order(order_id), escrow.get_lot(order_id, 1), escrow.deadlines(order_id, 1))
    escrow.set_arbitration_timeout(HOUR, sender=admin)
    assert (escrow.get_order(order_id), escrow.get_lot(order_id, 1), escrow.deadlines(order_id, 1)) == before


# ---------------------------------------------------------------- roles


def test_roles__admin_grants_arbiter__new_arbiter_resolves(escrow, make_order, admin, stranger):
    order_id = make_order(quantity=10, stage="disputed")
    role = escrow.ARBITER_ROLE()
    tx = escrow.grantRole(role, stranger, sender=admin)
    assert own_events(tx, escrow) == [escrow.RoleGranted(role=role, account=stranger.address, sender=admin.address)]
    escrow.resolve(order_id, 1, 10_000, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == 8


def test_roles__admin_revokes_arbiter__cannot_resolve(escrow, make_order, admin, arbiter):
    order_id = make_order(quantity=10, stage="disputed")
    role = escrow.ARBITER_ROLE()
    tx = escrow.revokeRole(role, arbiter, sender=admin)
    assert own_events(tx, escrow) == [escrow.RoleRevoked(role=role, account=arbiter.address, sender=admin.address)]
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)


def test_roles__arbiter_renounces__cannot_resolve(escrow, make_order, arbiter):
    order_id = make_order(quantity=10, stage="disputed")
    escrow.renounceRole(escrow.ARBITER_ROLE(), arbiter, sender=arbiter)
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)


def test_roles__renounce_for_another__reverts(escrow, admin, arbiter):
    with ape.reverts("access_control: can only renounce roles for itself"):
        escrow.renounceRole(escrow.ARBITER_ROLE(), arbiter, sender=admin)


@pytest.mark.parametrize("caller_name", ["arbiter", "buyer", "supplier", "stranger"])
def test_roles__non_admin_cannot_grant(escrow, request, stranger, caller_name):
    with ape.reverts(MISSING_ROLE):
        escrow.grantRole(escrow.ARBITER_ROLE(), stranger, sender=request.getfixturevalue(caller_name))
    assert not escrow.hasRole(escrow.ARBITER_ROLE(), stranger)


def test_roles__admin_hands_over__old_admin_powerless(escrow, admin, stranger):
    escrow.grantRole(DEFAULT_ADMIN_ROLE, stranger, sender=admin)
    escrow.renounceRole(DEFAULT_ADMIN_ROLE, admin, sender=admin)
    with ape.reverts(MISSING_ROLE):
        escrow.pause(sender=admin)
    with ape.reverts(MISSING_ROLE):
        escrow.set_arbitration_timeout(DAY, sender=admin)
    escrow.pause(sender=stranger)
    escrow.set_arbitration_timeout(DAY, sender=stranger)
    assert escrow.paused() is True


def test_roles__arbiter_role_gives_no_admin_power(escrow, arbiter):
    with ape.reverts(MISSING_ROLE):
        escrow.pause(sender=arbiter)
    with ape.reverts(MISSING_ROLE):
        escrow.set_arbitration_timeout(DAY, sender=arbiter)


def test_roles__admin_without_arbiter_role__cannot_resolve(escrow, make_order, admin):
    order_id = make_order(quantity=10, stage="disputed")
    with ape.reverts(MISSING_ROLE):
        escrow.resolve(order_id, 1, 5_000, sender=admin)
