"""Tokens seen in the wild: no return value (USDT), blocklists, `false` instead of a revert,
fee-on-transfer, 6 decimals, and a token that burns all gas once the money is in."""

import ape
import pytest

from _adv_support import calldata, events_of, payments
from conftest import STATUS, ZERO, Money, h


@pytest.fixture
def blockable(request, erc20, usdt, false_token):
    """Three ways a blocklisted transfer fails: revert (ERC-20), revert without data (USDT), `false`."""
    return Money(request.param, {"erc20": erc20, "usdt": usdt, "return_false": false_token}[request.param])


@pytest.mark.parametrize("blockable", ["erc20", "usdt", "return_false"], indirect=True)
def test_payout__subcontractor_blocklisted_after_acceptance__credit_then_claim_to(
    blockable, escrow, make_order, admin, buyer, supplier, sub1, sub2, stranger
):
    token = blockable.token
    amount = 10**12 + 9
    order_id = make_order(money=blockable, amount=amount, payees=[(sub1, 3_000), (sub2, 1_000)], stage="shipped")
    token.set_blocked(sub1, True, sender=admin)
    s1, s2 = amount * 3_000 // 10_000, amount * 1_000 // 10_000
    before = {a.address: token.balanceOf(a) for a in (supplier, sub1, sub2, stranger)}

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    assert payments(tx, "PaymentDeferred") == [(sub1.address, s1)]
    assert payments(tx) == [(sub2.address, s2), (supplier.address, amount - s1 - s2)]
    assert token.balanceOf(sub2) == before[sub2.address] + s2
    assert token.balanceOf(supplier) == before[supplier.address] + amount - s1 - s2
    assert token.balanceOf(sub1) == before[sub1.address]
    assert escrow.credit_of(sub1, token) == s1
    assert token.balanceOf(escrow) == s1
    assert escrow.status(order_id) == STATUS["COMPLETED"]
    with ape.reverts("escrow: claim transfer failed"):
        escrow.claim(token, sender=sub1)
    assert escrow.credit_of(sub1, token) == s1

    claim = escrow.claim_to(token, stranger, sender=sub1)

    assert events_of(claim, "Claimed") == [escrow.Claimed(account=sub1.address, token=token.address, amount=s1)]
    assert token.balanceOf(stranger) == before[stranger.address] + s1
    assert escrow.credit_of(sub1, token) == 0
    assert token.balanceOf(escrow) == 0


def test_create_order__fee_on_transfer_token__reverts(escrow, make_order, fee_token):
    with ape.reverts("escrow: fee-on-transfer token"):
        make_order(money=Money("fee", fee_token), amount=10**18)
    assert escrow.order_count() == 0
    assert fee_token.balanceOf(escrow) == 0


@pytest.mark.parametrize("kind", ["usdt", "return_false"])
def test_create_order__token_refuses_transfer_from__reverts(kind, escrow, part, buyer, supplier, usdt, false_token, chain):
    """No allowance: USDT reverts without a reason, the other one answers `false`; both are caught."""
    token = {"usdt": usdt, "return_false": false_token}[kind]
    token.mint(buyer, 10**18, sender=buyer)
    with ape.reverts("escrow: token transfer failed"):
        escrow.create_order(
            supplier, part, 1, 1, token, 10**18, chain.pending_timestamp + 86_400, 3_600, ZERO, h("PO"), sender=buyer
        )
    assert token.balanceOf(buyer) == 10**18


def test_create_order__token_is_not_a_contract__reverts(escrow, part, buyer, supplier, stranger, chain):
    with ape.reverts("escrow: token is not a contract"):
        escrow.create_order(
            supplier, part, 1, 1, stranger, 10**18, chain.pending_timestamp + 86_400, 3_600, ZERO, h("PO"), sender=buyer
        )


def test_payout__six_decimal_token_odd_amount__parts_add_up(escrow, make_order, usdc6, buyer, supplier, sub1, sub2, stranger):
    amount = 1_000_003  # one dollar and three micro-dollars
    money = Money("six", usdc6)
    order_id = make_order(money=money, amount=amount, payees=[(sub1, 3_333), (sub2, 1)], stage="shipped")

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    s1, s2 = amount * 3_333 // 10_000, amount * 1 // 10_000
    assert (s1, s2) == (333_300, 100)
    assert payments(tx) == [(sub1.address, s1), (sub2.address, s2), (supplier.address, amount - s1 - s2)]
    assert usdc6.balanceOf(escrow) == 0


@pytest.mark.parametrize("path", ["confirm", "cancel", "resolve"])
def test_payout__token_burning_all_gas_after_funding__every_payee_deferred(
    path, project, escrow, make_order, admin, buyer, supplier, sub1, sub2, arbiter, chain
):
    token = project.MockERC20.deploy("Burner", "BRN", 18, 0, sender=admin)
    amount = 10**18 + 1
    stage = "created" if path == "cancel" else ("disputed" if path == "resolve" else "shipped")
    order_id = make_order(money=Money("burn", token), amount=amount, payees=[(sub1, 2_000), (sub2, 1_000)], stage=stage)
    token.set_mode(4, sender=admin)

    if path == "confirm":
        tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
        owed = {sub1: amount // 5, sub2: amount // 10, supplier: amount - amount // 5 - amount // 10}
    elif path == "cancel":
        tx = escrow.cancel_order(order_id, sender=buyer)
        owed = {buyer: amount}
    else:
        tx = escrow.resolve(order_id, 5_000, sender=arbiter)
        side = amount // 2
        owed = {sub1: side // 5, sub2: side // 10, supplier: side - side // 5 - side // 10}
        owed[buyer] = amount - side

    assert payments(tx) == []
    assert payments(tx, "PaymentDeferred") == [(a.address, v) for a, v in owed.items()]
    # Each push burns at most its 100 000 gas: the payout stays cheap enough to finish.
    assert tx.gas_used < len(owed) * (escrow.TOKEN_PUSH_GAS() + 30_000) + 60_000
    for account, value in owed.items():
        assert escrow.credit_of(account, token) == value
    # While the token still burns, a claim fails whole and keeps the credit. Asked as a plain
    # eth_call with a bounded gas limit: a traced 30M-gas burn would cost gigabytes of trace.
    first = next(iter(owed))
    with pytest.raises(Exception, match="escrow: claim transfer failed"):
        chain.provider.web3.eth.call(
            {"from": first.address, "to": escrow.address, "data": calldata(escrow, "claim", token.address), "gas": 400_000}
        )

    token.set_mode(0, sender=admin)
    for account, value in owed.items():
        claim = escrow.claim(token, sender=account)
        assert claim.return_value == value
        assert token.balanceOf(account) == value
        assert escrow.credit_of(account, token) == 0
    assert token.balanceOf(escrow) == 0
