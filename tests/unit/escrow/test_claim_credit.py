"""claim / claim_to: a push that fails becomes a credit; nobody else waits for it, its payee takes it later.

Failing receivers: a contract that reverts on ETH or burns all gas (MockReceiver modes 1 and 2), an
address on a token's blocklist (MockERC20 / MockUSDT `set_blocked`), a token that returns false
(MockERC20 mode 3). A relayer that starves a push gets "escrow: out of gas", never a credit.
"""

import ape
import pytest

from conftest import DAY, PART_ID, UNIT_PRICE, ZERO, Money, h, make_terms
from _escrow_support import own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import (
    ASN,
    GRN,
    REASON,
    Balances,
    as_contract,
    eth_call_reason,
    lowest_passing_gas,
    receipt_digest,
    refusing,  # noqa: F401  (fixture)
    sign_digest,
)

QUANTITY = 977
VALUE = QUANTITY * UNIT_PRICE


@pytest.fixture
def blocked(money, refusing, sub1):
    """A subcontractor that cannot receive this money right now, and a way to heal it.

    ETH: a contract whose receive reverts. Tokens: sub1 on the token's blocklist.
    """
    if money.token is None:
        return refusing, lambda: refusing.set_mode(0, sender=sub1)
    money.token.set_blocked(sub1, True, sender=sub1)
    return sub1, lambda: money.token.set_blocked(sub1, False, sender=sub1)


def claim_as(escrow, payee, token, sender, recipient=None):
    """`claim(token)` (or `claim_to`) sent by `payee`: an account, or a MockReceiver through `call`."""
    args = ("claim", token) if recipient is None else ("claim_to", token, recipient)
    if hasattr(payee, "set_mode"):
        return as_contract(payee, escrow, *args, sender=sender)
    return getattr(escrow, args[0])(*args[1:], sender=payee)


# ---------------------------------------------------------------- deferred, the others paid, then claimed


def test_claim__subcontractor_cannot_receive__deferred_others_paid_then_claimed(
    escrow, make_order, money, blocked, buyer, supplier, sub2, stranger
):
    payee, heal = blocked
    payees = [(payee, 3_000), (sub2, 1_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="shipped")
    balances = Balances.of(money, [buyer, supplier, payee, sub2, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    s1, s2 = VALUE * 3_000 // 10_000, VALUE * 1_000 // 10_000
    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, lot=1, confirmer=buyer, receipt_hash=GRN),
        escrow.PaymentDeferred(order_id=order_id, payee=payee, token=money.address, amount=s1),
        escrow.Paid(order_id=order_id, payee=sub2, token=money.address, amount=s2),
        escrow.Paid(order_id=order_id, payee=supplier, token=money.address, amount=VALUE - s1 - s2),
    ]
    balances.expect(tx, {sub2: s2, supplier: VALUE - s1 - s2, escrow: -(VALUE - s1)})
    assert escrow.credit_of(payee, money.address) == s1
    assert money.balance(escrow) == s1

    heal()
    balances = Balances.of(money, [payee, escrow])
    tx = claim_as(escrow, payee, money.address, stranger)

    assert own_events(tx, escrow) == [escrow.Claimed(account=payee, token=money.address, amount=s1)]
    balances.expect(tx, {payee: s1, escrow: -s1})
    assert escrow.credit_of(payee, money.address) == 0
    assert money.balance(escrow) == 0


def test_claim__returns_the_amount(escrow, make_order, erc20, sub1, buyer):
    erc20.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("erc20", erc20), quantity=QUANTITY, payees=[(sub1, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    erc20.set_blocked(sub1, False, sender=sub1)
    assert escrow.claim.call(erc20, sender=sub1) == VALUE
    tx = escrow.claim(erc20, sender=sub1)
    assert tx.return_value == VALUE
    assert erc20.balanceOf(sub1) == VALUE


def test_claim__gas_burning_eth_payee__deferred_others_paid(escrow, make_order, project, admin, buyer, supplier, sub2, eth):
    burner = project.MockReceiver.deploy(2, sender=admin)
    payees = [(burner, 2_500), (sub2, 500)]
    order_id = make_order(quantity=QUANTITY, payees=payees, stage="shipped")
    balances = Balances.of(eth, [supplier, sub2, burner, escrow])
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    s1, s2 = VALUE * 2_500 // 10_000, VALUE * 500 // 10_000
    assert own_events(tx, escrow)[1:] == [
        escrow.PaymentDeferred(order_id=order_id, payee=burner, token=ZERO, amount=s1),
        escrow.Paid(order_id=order_id, payee=sub2, token=ZERO, amount=s2),
        escrow.Paid(order_id=order_id, payee=supplier, token=ZERO, amount=VALUE - s1 - s2),
    ]
    balances.expect(tx, {sub2: s2, supplier: VALUE - s1 - s2, escrow: -(VALUE - s1)})
    assert escrow.credit_of(burner, ZERO) == s1


def test_claim__token_returning_false__deferred_not_lost(escrow, make_order, false_token, sub1, buyer, supplier):
    false_token.set_blocked(sub1, True, sender=sub1)
    order_id = make_order(money=Money("false", false_token), quantity=QUANTITY, payees=[(sub1, 6_000)], stage="shipped")
    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    share = VALUE * 6_000 // 10_000
    assert own_events(tx, escrow)[1:] == [
        escrow.PaymentDeferred(order_id=order_id, payee=sub1, token=false_token, amount=share),
        escrow.Paid(order_id=order_id, payee=supplier, token=false_token, amount=VALUE - share),
    ]
    with ape.reverts("escrow: claim transfer failed"):
        escrow.claim(false_token, sender=sub1)
    assert escrow.credit_of(sub1, false_token) == share
    false_token.set_blocked(sub1, False, sender=sub1)
    escrow.claim(false_token, sender=sub1)
    assert false_token.balanceOf(sub1) == share
    assert escrow.credit_of(sub1, false_token) == 0


def test_claim__refusing_assignee__remainder_deferred_subcontractors_paid(
    escrow, make_order, money, refusing, buyer, supplier, sub1, stranger, chain
):
    """The payout holder's remainder is a push like any other: its failure blocks nobody."""
    if money.token is not None:
        money.token.set_blocked(stranger, True, sender=stranger)
        assignee = stranger
    else:
        assignee = refusing
    payees = [(sub1, 1_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees)
    escrow.assign_payout(order_id, assignee, sender=supplier)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1  # 100 bps
    escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
    balances = Balances.of(money, [buyer, supplier, sub1, assignee, escrow])

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    share, penalty = VALUE * 1_000 // 10_000, VALUE * 100 // 10_000
    rest = VALUE - share - penalty
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=sub1, token=money.address, amount=share),
        escrow.PaymentDeferred(order_id=order_id, payee=assignee, token=money.address, amount=rest),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=penalty),
    ]
    balances.expect(tx, {sub1: share, buyer: penalty, escrow: -(share + penalty)})
    assert escrow.credit_of(assignee, money.address) == rest
    assert escrow.credit_of(supplier, money.address) == 0


@pytest.fixture
def contract_buyer_order(escrow, registry, oem, supplier, refusing, chain, stranger):
    """An ETH order whose buyer is `refusing` (healed while it buys, refusing afterwards)."""

    def _make(quantity=10, **terms):
        registry.grant_access(PART_ID, refusing, sender=oem)
        refusing.set_mode(0, sender=stranger)
        as_contract(
            refusing, escrow, "propose_agreement",
            make_terms(supplier, valid_until=chain.pending_timestamp + 365 * DAY, **terms), sender=stranger,
        )
        agreement_id = escrow.agreement_count()
        escrow.accept_agreement(agreement_id, [], sender=supplier)
        as_contract(
            refusing, escrow, "create_order", agreement_id, quantity, chain.pending_timestamp + 7 * DAY, h("PO-C"),
            sender=stranger, value=quantity * UNIT_PRICE,
        )
        refusing.set_mode(1, sender=stranger)
        return escrow.order_count()

    return _make


def test_claim__refund_to_refusing_buyer__deferred_then_claimed_to_an_eoa(escrow, contract_buyer_order, refusing, stranger, admin, chain, eth):
    order_id = contract_buyer_order(quantity=10)
    chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
    tx = escrow.refund_expired(order_id, sender=stranger)
    amount = 10 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.OrderRefunded(order_id=order_id, quantity=10, amount=amount),
        escrow.PaymentDeferred(order_id=order_id, payee=refusing, token=ZERO, amount=amount),
    ]
    assert escrow.credit_of(refusing, ZERO) == amount

    balances = Balances.of(eth, [admin, refusing, escrow])
    tx = claim_as(escrow, refusing, ZERO, stranger, recipient=admin)
    assert own_events(tx, escrow) == [escrow.Claimed(account=refusing, token=ZERO, amount=amount)]
    balances.expect(tx, {admin: amount, escrow: -amount})
    assert escrow.credit_of(refusing, ZERO) == 0


def test_claim__penalty_to_refusing_buyer__deferred_supplier_paid(escrow, contract_buyer_order, refusing, supplier, stranger, chain, eth):
    order_id = contract_buyer_order(quantity=10)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1  # 100 bps
    escrow.ship(order_id, 10, ASN, sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    balances = Balances.of(eth, [supplier, escrow])
    tx = escrow.release(order_id, 1, sender=stranger)
    value = 10 * UNIT_PRICE
    penalty = value // 100
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=supplier, token=ZERO, amount=value - penalty),
        escrow.PaymentDeferred(order_id=order_id, payee=refusing, token=ZERO, amount=penalty),
    ]
    balances.expect(tx, {supplier: value - penalty, escrow: -(value - penalty)})
    assert escrow.credit_of(refusing, ZERO) == penalty


def test_claim__resolution_share_to_refusing_buyer__deferred(escrow, contract_buyer_order, refusing, supplier, arbiter, stranger):
    order_id = contract_buyer_order(quantity=10)
    escrow.ship(order_id, 10, ASN, sender=supplier)
    refusing.set_mode(0, sender=stranger)
    as_contract(refusing, escrow, "dispute", order_id, 1, REASON, sender=stranger)
    refusing.set_mode(1, sender=stranger)
    tx = escrow.resolve(order_id, 1, 4_000, sender=arbiter)
    value = 10 * UNIT_PRICE
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=supplier, token=ZERO, amount=value * 4 // 10),
        escrow.PaymentDeferred(order_id=order_id, payee=refusing, token=ZERO, amount=value * 6 // 10),
    ]


def test_claim__credits_add_up_across_lots_and_orders(escrow, make_order, refusing, buyer, supplier, stranger):
    first = make_order(quantity=10, payees=[(refusing, 1_000)], stage="shipped", lot_quantity=4)
    escrow.ship(first, 6, h("ASN-2"), sender=supplier)
    second = make_order(quantity=3, agreement_id=escrow.get_order(first).agreement_id, stage="received")
    escrow.confirm_delivery(first, 1, GRN, sender=buyer)
    escrow.confirm_delivery(first, 2, GRN, sender=buyer)
    expected = sum(q * UNIT_PRICE * 1_000 // 10_000 for q in (4, 6, 3))
    assert escrow.credit_of(refusing, ZERO) == expected
    assert escrow.get_order(second).units_shipped == 3
    refusing.set_mode(0, sender=stranger)
    tx = claim_as(escrow, refusing, ZERO, stranger)
    assert own_events(tx, escrow) == [escrow.Claimed(account=refusing, token=ZERO, amount=expected)]
    assert escrow.balance == 0


# ---------------------------------------------------------------- claim_to


def test_claim_to__other_recipient__moves_credit_there(escrow, make_order, money, blocked, sub2, buyer, stranger):
    payee, _heal = blocked  # still blocked: the credit goes elsewhere
    order_id = make_order(money=money, quantity=QUANTITY, payees=[(payee, 5_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    share = VALUE * 5_000 // 10_000
    balances = Balances.of(money, [payee, sub2, escrow])

    tx = claim_as(escrow, payee, money.address, stranger, recipient=sub2)

    assert own_events(tx, escrow) == [escrow.Claimed(account=payee, token=money.address, amount=share)]
    balances.expect(tx, {sub2: share, escrow: -share})
    assert escrow.credit_of(payee, money.address) == 0


def test_claim_to__returns_the_amount(escrow, make_order, refusing, buyer, stranger):
    order_id = make_order(quantity=QUANTITY, payees=[(refusing, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    data = escrow.claim_to.encode_input(ZERO, stranger)
    returned = refusing.call.call(escrow, data, sender=stranger)
    assert int.from_bytes(bytes(returned), "big") == VALUE


def test_claim_to__zero_recipient__reverts(escrow, make_order, refusing, buyer, stranger):
    order_id = make_order(quantity=QUANTITY, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    with ape.reverts("escrow: zero recipient"):
        claim_as(escrow, refusing, ZERO, stranger, recipient=ZERO)
    assert escrow.credit_of(refusing, ZERO) == VALUE // 10


def test_claim_to__zero_recipient_with_no_credit__zero_recipient_first(escrow, stranger):
    with ape.reverts("escrow: zero recipient"):
        escrow.claim_to(ZERO, ZERO, sender=stranger)


def test_claim_to__refusing_recipient__reverts_and_keeps_credit(escrow, make_order, refusing, project, admin, buyer, stranger):
    order_id = make_order(quantity=QUANTITY, payees=[(refusing, 10_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    other = project.MockReceiver.deploy(1, sender=admin)
    with ape.reverts("escrow: claim transfer failed"):
        claim_as(escrow, refusing, ZERO, stranger, recipient=other)
    assert escrow.credit_of(refusing, ZERO) == VALUE
    assert escrow.balance == VALUE


# ---------------------------------------------------------------- nothing to claim


def test_claim__nothing_owed__reverts(escrow, stranger, erc20):
    for token in (ZERO, erc20.address):
        with ape.reverts("escrow: nothing to claim"):
            escrow.claim(token, sender=stranger)
        with ape.reverts("escrow: nothing to claim"):
            escrow.claim_to(token, stranger, sender=stranger)


def test_claim__credit_in_another_token__reverts(escrow, make_order, refusing, erc20, buyer, stranger):
    order_id = make_order(quantity=QUANTITY, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    with ape.reverts("escrow: nothing to claim"):
        claim_as(escrow, refusing, erc20.address, stranger)


def test_claim__someone_elses_credit__reverts(escrow, make_order, refusing, buyer, stranger):
    order_id = make_order(quantity=QUANTITY, payees=[(refusing, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    with ape.reverts("escrow: nothing to claim"):
        escrow.claim(ZERO, sender=stranger)
    with ape.reverts("escrow: nothing to claim"):
        escrow.claim_to(ZERO, stranger, sender=stranger)
    assert escrow.credit_of(refusing, ZERO) == VALUE // 10


def test_claim__twice__second_reverts(escrow, make_order, money, blocked, buyer, stranger):
    payee, heal = blocked
    order_id = make_order(money=money, quantity=QUANTITY, payees=[(payee, 1_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    heal()
    claim_as(escrow, payee, money.address, stranger)
    with ape.reverts("escrow: nothing to claim"):
        claim_as(escrow, payee, money.address, stranger)
    assert money.balance(escrow) == 0


def test_claim__still_blocked__reverts_and_keeps_credit(escrow, make_order, money, blocked, buyer, stranger):
    payee, _heal = blocked
    order_id = make_order(money=money, quantity=QUANTITY, payees=[(payee, 5_000)], stage="shipped")
    escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
    with ape.reverts("escrow: claim transfer failed"):
        claim_as(escrow, payee, money.address, stranger)
    assert escrow.credit_of(payee, money.address) == VALUE // 2
    assert money.balance(escrow) == VALUE // 2


# ---------------------------------------------------------------- a relayer cannot starve a push into a credit


STARVE_CASES = ["release", "confirm_delivery_signed", "resolve_expired", "refund_expired"]


@pytest.fixture
def starvable(escrow, make_order, buyer, supplier, sub1, sub2, chain):
    """A call anyone may relay that pushes to several parties: (method, args, [(payee, amount)] in push order)."""

    def _make(money, case):
        payees = [(sub1, 2_000), (sub2, 1_000)]
        order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=100)
        if case == "refund_expired":
            chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
            return "refund_expired", (order_id,), [(buyer, VALUE)]
        chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1  # a penalty: the buyer is pushed too
        escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
        side = VALUE
        if case == "release":
            chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
            method, args = "release", (order_id, 1)
        elif case == "resolve_expired":
            escrow.dispute(order_id, 1, REASON, sender=buyer)
            chain.pending_timestamp = escrow.deadlines(order_id, 1)[3] + 1
            method, args = "resolve_expired", (order_id, 1)
            side = VALUE // 2
        else:
            deadline = chain.pending_timestamp + DAY
            digest = receipt_digest(
                chain_id=chain.chain_id, verifying_contract=escrow, order_id=order_id, lot=1, shipment_hash=ASN,
                receipt_hash=GRN, deadline=deadline,
            )
            method, args = "confirm_delivery_signed", (order_id, 1, GRN, deadline, sign_digest(buyer, digest))
        s1, s2 = side * 2_000 // 10_000, side * 1_000 // 10_000
        penalty = min(side - s1 - s2, VALUE // 100)
        return method, args, [(sub1, s1), (sub2, s2), (supplier, side - s1 - s2 - penalty), (buyer, VALUE - side + penalty)]

    return _make


@pytest.mark.parametrize("case", STARVE_CASES)
def test_push__relayer_gas_just_short__out_of_gas_not_a_credit(escrow, money, starvable, stranger, chain, case):
    method, args, pushes = starvable(money, case)
    data = getattr(escrow, method).encode_input(*args)
    chain.mine(timestamp=chain.pending_timestamp)  # eth_call runs on the head block: move it past the clock
    needed = lowest_passing_gas(chain, stranger, escrow, data, 3_000_000)

    # One gas less: the last push lacks its reserve, and the call reverts with the reason.
    assert "escrow: out of gas" in eth_call_reason(chain, stranger, escrow, data, needed - 1)
    # Lower still, across every push: never a success (a success below `needed` would be a starved
    # push booked as a credit); the reserve check is what answers, push after push.
    reasons = [eth_call_reason(chain, stranger, escrow, data, needed - k * 1_500) for k in range(1, 41)]
    assert all(reason is not None for reason in reasons)
    assert sum("escrow: out of gas" in reason for reason in reasons) >= 10, reasons

    # With exactly the gas it needs, every push is a payment, none a credit.
    tx = getattr(escrow, method)(*args, sender=stranger, gas=needed)
    assert [(log.event_name, log.payee, log.amount) for log in own_events(tx, escrow)[1:]] == [
        ("Paid", account.address, amount) for account, amount in pushes if amount
    ]
    assert all(escrow.credit_of(account, money.address) == 0 for account, _ in pushes)
