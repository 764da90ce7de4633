"""Tokens seen in the wild, against escrow v2: no return value (USDT), blocklists, `false` instead of
a revert, fee-on-transfer, 6 decimals, a contract that is no ERC-20, an EOA as token, a token that
burns all gas once the money is in, and a token answering with 64 bytes (``max_outsize`` pinned)."""

import ape
import pytest

from _adv_support import (
    Party,
    bomb_bytecode,
    calldata,
    deploy_raw,
    events_of,
    lot_payout,
    open_deal,
    payments,
    pushes,
    session_state_first,  # noqa: F401  (autouse)
)
from conftest import LOT, Money, h, make_terms


@pytest.fixture
def blockable(request, erc20, usdt, false_token):
    """Three ways a blocklisted transfer fails: revert (ERC-20), revert without data (USDT), `false`."""
    return Money(request.param, {"erc20": erc20, "usdt": usdt, "return_false": false_token}[request.param])


@pytest.mark.parametrize("blocked", ["sub1", "supplier"])
@pytest.mark.parametrize("blockable", ["erc20", "usdt", "return_false"], indirect=True)
def test_payout__payee_blocklisted_after_acceptance__credit_then_claim_to(
    blockable, blocked, escrow, chain, admin, buyer, supplier, sub1, sub2, stranger
):
    token = blockable.token
    who = {"sub1": sub1, "supplier": supplier}[blocked]
    deal = open_deal(
        escrow, chain, admin, money=blockable, buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 3_000), (sub2, 1_000)], quantity=9, unit_price=10**12 + 9, stage="shipped",
    )
    value = 9 * (10**12 + 9)
    token.set_blocked(who, True, sender=admin)
    expected = lot_payout(value, value, deal.payees, 0, supplier, buyer)
    owed = dict(expected)[who.address]
    before = {a.address: token.balanceOf(a) for a in (supplier, sub1, sub2, stranger)}

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    assert pushes(tx) == [
        ("PaymentDeferred" if a == who.address else "Paid", a, v) for a, v in expected
    ]
    for account, amount in expected:
        if account != who.address:
            assert token.balanceOf(account) == before[account] + amount
    assert token.balanceOf(who) == before[who.address]
    assert escrow.credit_of(who, token) == owed
    assert token.balanceOf(escrow) == owed
    assert escrow.get_lot(deal.order_id, 1).status == LOT["COMPLETED"]
    with ape.reverts("escrow: claim transfer failed"):
        escrow.claim(token, sender=who)
    assert escrow.credit_of(who, token) == owed

    claim = escrow.claim_to(token, stranger, sender=who)

    assert events_of(claim, "Claimed") == [escrow.Claimed(account=who.address, token=token.address, amount=owed)]
    assert token.balanceOf(stranger) == before[stranger.address] + owed
    assert escrow.credit_of(who, token) == 0
    assert token.balanceOf(escrow) == 0


def test_create_order__fee_on_transfer_token__reverts_and_nothing_called_off(
    escrow, make_agreement, buyer, fee_token, chain
):
    money = Money("fee", fee_token)
    agreement_id = make_agreement(money=money)  # a fee token answers balanceOf: the proposal passes
    amount = 10 * 10**15
    money.fund(buyer, escrow, amount)
    with ape.reverts("escrow: fee-on-transfer token"):
        escrow.create_order(agreement_id, 10, chain.pending_timestamp + 86_400, h("PO"), sender=buyer)
    assert escrow.order_count() == 0
    assert escrow.get_agreement(agreement_id).units_called_off == 0
    assert fee_token.balanceOf(escrow) == 0
    assert fee_token.balanceOf(buyer) == amount


@pytest.mark.parametrize("kind", ["usdt", "return_false"])
def test_create_order__token_refuses_transfer_from__reverts(kind, escrow, make_agreement, buyer, usdt, false_token, chain):
    """No allowance: USDT reverts without a reason, the other one answers `false`; both are caught."""
    token = {"usdt": usdt, "return_false": false_token}[kind]
    agreement_id = make_agreement(money=Money(kind, token))
    token.mint(buyer, 10**18, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + 86_400, h("PO"), sender=buyer)
    assert token.balanceOf(buyer) == 10**18
    assert escrow.order_count() == 0


def test_create_order__eth_value_with_token_agreement__reverts(escrow, make_agreement, buyer, erc20, chain):
    agreement_id = make_agreement(money=Money("erc20", erc20))
    Money("erc20", erc20).fund(buyer, escrow, 10**15)
    with ape.reverts("escrow: unexpected value"):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + 86_400, h("PO"), sender=buyer, value=1)


def test_propose_agreement__token_is_not_a_contract__reverts(escrow, part, buyer, supplier, stranger, chain):
    terms = make_terms(supplier, token=stranger, valid_until=chain.pending_timestamp + 86_400)
    with ape.reverts("escrow: token is not a contract"):
        escrow.propose_agreement(terms, sender=buyer)
    assert escrow.agreement_count() == 0


@pytest.mark.parametrize("kind", ["no_fallback", "accepting_fallback", "short_answer"])
def test_propose_agreement__contract_that_is_not_an_erc20__reverts_with_reason(
    kind, project, escrow, registry, part, admin, buyer, supplier, chain
):
    """No `balanceOf` at all (reverts), a fallback that answers nothing, a contract answering 31
    bytes: each is refused at the proposal with a reason, not at the first call-off without one."""
    if kind == "no_fallback":
        token = registry
    elif kind == "accepting_fallback":
        token = project.MockWallet1271.deploy(admin, sender=admin)
    else:
        token = deploy_raw(bomb_bytecode(31, revert=False), admin)
    terms = make_terms(supplier, token=token, valid_until=chain.pending_timestamp + 86_400)
    with ape.reverts("escrow: token is not an erc20"):
        escrow.propose_agreement(terms, sender=buyer)
    assert escrow.agreement_count() == 0


def test_payout__six_decimal_token_odd_amounts__parts_add_up(escrow, chain, admin, usdc6, buyer, supplier, sub1, sub2):
    price = 1_000_003  # one dollar and three micro-dollars a unit
    deal = open_deal(
        escrow, chain, admin, money=Money("six", usdc6), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 3_333), (sub2, 1)], quantity=3, unit_price=price, stage="shipped", lot_quantity=1,
    )

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    s1, s2 = price * 3_333 // 10_000, price * 1 // 10_000
    assert (s1, s2) == (333_300, 100)
    assert payments(tx) == [(sub1.address, s1), (sub2.address, s2), (supplier.address, price - s1 - s2)]
    assert usdc6.balanceOf(escrow) == 2 * price


@pytest.mark.parametrize("path", ["confirm", "decline", "resolve", "refund_expired"])
def test_payout__token_burning_all_gas_after_funding__every_push_deferred(
    path, project, escrow, chain, admin, buyer, supplier, sub1, sub2, arbiter, stranger
):
    token = project.MockERC20.deploy("Burner", "BRN", 18, 0, sender=admin)
    price = 10**15 + 1
    stage = {"confirm": "shipped", "resolve": "disputed"}.get(path, "created")
    deal = open_deal(
        escrow, chain, admin, money=Money("burn", token), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_000), (sub2, 1_000)], quantity=10, unit_price=price, stage=stage,
    )
    value = 10 * price
    token.set_mode(4, sender=admin)

    if path == "confirm":
        tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)
        owed = lot_payout(value, value, deal.payees, 0, supplier, buyer)
    elif path == "decline":
        tx = escrow.decline_order(deal.order_id, sender=supplier)
        owed = [(buyer.address, value)]
    elif path == "refund_expired":
        chain.pending_timestamp = escrow.deadlines(deal.order_id, 0)[1] + 1
        tx = escrow.refund_expired(deal.order_id, sender=stranger)
        owed = [(buyer.address, value)]
    else:
        tx = escrow.resolve(deal.order_id, 1, 5_000, sender=arbiter)
        owed = lot_payout(value, value // 2, deal.payees, 0, supplier, buyer)

    assert payments(tx) == []
    assert payments(tx, "PaymentDeferred") == owed
    # Each push burns at most its 100 000 gas: the settlement stays cheap enough to finish.
    assert tx.gas_used < len(owed) * (escrow.TOKEN_PUSH_GAS() + 30_000) + 80_000
    for account, amount in owed:
        assert escrow.credit_of(account, token) == amount
    # While the token still burns, a claim fails whole and keeps the credit. Asked as a plain
    # eth_call with a bounded gas limit: never a gas-burning call inside ape.reverts.
    first = owed[0][0]
    with pytest.raises(Exception, match="escrow: claim transfer failed"):
        chain.provider.web3.eth.call(
            {"from": first, "to": escrow.address, "data": calldata(escrow, "claim", token.address), "gas": 400_000}
        )

    token.set_mode(0, sender=admin)
    for account, amount in owed:
        claim = escrow.claim(token, sender=account)
        assert claim.return_value == amount
        assert token.balanceOf(account) == amount
        assert escrow.credit_of(account, token) == 0
    assert token.balanceOf(escrow) == 0


# ---------------------------------------------------------------- max_outsize pinned


@pytest.mark.parametrize("second", [0, 1, 2**256 - 1])
def test_token_answering_64_bytes_first_word_true__pull_and_push_succeed(
    second, project, escrow, chain, admin, buyer, supplier, sub1
):
    """The escrow reads at most 32 bytes of a token's answer: a 64-byte answer whose first word is
    true is a success, whatever the second word. Had the escrow asked for 64 bytes, the answer
    would be 64 long and refused (or, for a pull, the call-off would revert)."""
    token = project.MockAdvWideToken.deploy(1, second, sender=admin)
    deal = open_deal(
        escrow, chain, admin, money=Money("wide", token), buyer=Party(buyer), supplier=Party(supplier),
        payees=[(sub1, 2_500)], quantity=4, unit_price=1_000, stage="shipped",
    )
    assert token.balanceOf(escrow) == 4_000

    tx = escrow.confirm_delivery(deal.order_id, 1, h("GRN"), sender=buyer)

    assert pushes(tx) == [("Paid", sub1.address, 1_000), ("Paid", supplier.address, 3_000)]
    assert (token.balanceOf(sub1), token.balanceOf(supplier), token.balanceOf(escrow)) == (1_000, 3_000, 0)


def test_token_answering_64_bytes_first_word_false__pull_refused(project, escrow, make_agreement, chain, admin, buyer):
    """Only the first word counts: (false, true) is a failure, even though a `true` follows."""
    token = project.MockAdvWideToken.deploy(0, 1, sender=admin)
    agreement_id = make_agreement(money=Money("wide", token))
    token.mint(buyer, 10**18, sender=admin)
    token.approve(escrow, 10**18, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        escrow.create_order(agreement_id, 1, chain.pending_timestamp + 86_400, h("PO"), sender=buyer)
    assert token.balanceOf(escrow) == 0
