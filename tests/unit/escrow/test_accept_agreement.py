"""accept_agreement: the supplier, once, certified, before valid_until; every payee rule."""

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import AGREEMENT, DAY, PART_ID, SPEC_V2, URI_V2, ZERO, h
from _escrow_support import addr, lower_payees, own_events, payees_tuples, pin_at, pin_next_block
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

# Addresses that are no party of any agreement here: payees need not be accounts.
OUTSIDERS = [f"0x{i:040x}" for i in range(0x1001, 0x1011)]


@pytest.fixture
def proposed(make_agreement):
    """A PROPOSED ETH agreement (default terms, the `inspector` account as inspector)."""
    return make_agreement(accept=False)


def accepted_log(tx, escrow):
    logs = own_events(tx, escrow)
    assert [log.event_name for log in logs] == ["AgreementAccepted"]
    return logs[0]


# ---------------------------------------------------------------- success


def test_accept_agreement__no_payees__active_and_logged(escrow, proposed, supplier):
    tx = escrow.accept_agreement(proposed, [], sender=supplier)

    log = accepted_log(tx, escrow)
    assert log.agreement_id == proposed
    assert payees_tuples(log.payees) == []
    assert escrow.get_agreement(proposed).status == AGREEMENT["ACTIVE"]
    assert escrow.payees_of(proposed) == []


def test_accept_agreement__each_money__payees_stored_in_order_no_money_moves(
    escrow, make_agreement, money, supplier, sub1, sub2, buyer
):
    agreement_id = make_agreement(money=money, accept=False)
    payees = [(sub2, 1_234), (sub1, 500)]
    before = [money.balance(a) for a in (escrow, sub1, sub2)]

    tx = escrow.accept_agreement(agreement_id, [(addr(a), bps) for a, bps in payees], sender=supplier)

    log = accepted_log(tx, escrow)
    assert log.agreement_id == agreement_id
    assert payees_tuples(log.payees) == lower_payees(payees)
    assert payees_tuples(escrow.payees_of(agreement_id)) == lower_payees(payees)
    agreement = escrow.get_agreement(agreement_id)
    assert (agreement.status, agreement.buyer, agreement.units_called_off) == (AGREEMENT["ACTIVE"], buyer.address, 0)
    assert [money.balance(a) for a in (escrow, sub1, sub2)] == before


def test_accept_agreement__eight_payees_summing_to_10000__accepted(escrow, proposed, supplier):
    payees = [(OUTSIDERS[i], 1_250) for i in range(8)]
    escrow.accept_agreement(proposed, payees, sender=supplier)
    assert payees_tuples(escrow.payees_of(proposed)) == lower_payees(payees)


def test_accept_agreement__one_payee_at_10000__accepted(escrow, proposed, supplier, sub1):
    escrow.accept_agreement(proposed, [(sub1.address, 10_000)], sender=supplier)
    assert payees_tuples(escrow.payees_of(proposed)) == [(sub1.address.lower(), 10_000)]


def test_accept_agreement__nine_payees__rejected_by_abi(escrow, proposed, supplier):
    payees = [(OUTSIDERS[i], 100) for i in range(9)]
    # Vyper's calldata decoder refuses a DynArray longer than its bound, without a reason.
    with pytest.raises(ape.exceptions.ContractLogicError):
        escrow.accept_agreement(proposed, payees, sender=supplier)
    assert escrow.get_agreement(proposed).status == AGREEMENT["PROPOSED"]


@pytest.mark.parametrize("payee_name", ["arbiter", "oem", "admin", "certifier", "stranger"])
def test_accept_agreement__non_party_accounts_as_payees__allowed(escrow, proposed, supplier, request, payee_name):
    # Only the agreement's parties, the escrow and the token are refused; an arbiter that is a
    # payee is refused later, at `resolve` ("escrow: arbiter is a party").
    payee = request.getfixturevalue(payee_name)
    escrow.accept_agreement(proposed, [(payee.address, 100)], sender=supplier)
    assert payees_tuples(escrow.payees_of(proposed)) == [(payee.address.lower(), 100)]


def test_accept_agreement__no_inspector__any_non_party_payee_allowed(escrow, make_agreement, supplier, inspector):
    agreement_id = make_agreement(inspector=None, accept=False)
    escrow.accept_agreement(agreement_id, [(inspector.address, 100)], sender=supplier)
    assert payees_tuples(escrow.payees_of(agreement_id)) == [(inspector.address.lower(), 100)]


def test_accept_agreement__while_paused__allowed(escrow, proposed, supplier, admin):
    escrow.pause(sender=admin)
    escrow.accept_agreement(proposed, [], sender=supplier)
    assert escrow.get_agreement(proposed).status == AGREEMENT["ACTIVE"]


# ---------------------------------------------------------------- valid_until, to the second


def test_accept_agreement__at_valid_until__accepted(escrow, make_agreement, supplier, chain):
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(accept=False, valid_until=valid_until)
    pin_at(chain, valid_until)
    escrow.accept_agreement(agreement_id, [], sender=supplier)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["ACTIVE"]


def test_accept_agreement__one_second_after_valid_until__reverts(escrow, make_agreement, supplier, chain):
    valid_until = chain.pending_timestamp + DAY
    agreement_id = make_agreement(accept=False, valid_until=valid_until)
    pin_at(chain, valid_until + 1)
    with ape.reverts("escrow: agreement expired"):
        escrow.accept_agreement(agreement_id, [], sender=supplier)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["PROPOSED"]


# ---------------------------------------------------------------- wrong caller, wrong state


@pytest.mark.parametrize("caller_name", ["buyer", "stranger", "inspector", "arbiter", "sub1", "oem", "admin"])
def test_accept_agreement__not_supplier__reverts(escrow, proposed, request, caller_name):
    with ape.reverts("escrow: not supplier"):
        escrow.accept_agreement(proposed, [], sender=request.getfixturevalue(caller_name))
    assert escrow.get_agreement(proposed).status == AGREEMENT["PROPOSED"]


@pytest.mark.parametrize("agreement_id", [0, 2, 2**256 - 1])
def test_accept_agreement__unknown_id__reverts(escrow, proposed, supplier, agreement_id):
    with ape.reverts("escrow: unknown agreement"):
        escrow.accept_agreement(agreement_id, [], sender=supplier)


def test_accept_agreement__already_active__reverts(escrow, proposed, supplier, sub1):
    escrow.accept_agreement(proposed, [(sub1.address, 100)], sender=supplier)
    with ape.reverts("escrow: agreement not proposed"):
        escrow.accept_agreement(proposed, [], sender=supplier)
    # The declared payees are fixed: a second acceptance cannot rewrite them.
    assert payees_tuples(escrow.payees_of(proposed)) == [(sub1.address.lower(), 100)]


@pytest.mark.parametrize("closer_name", ["buyer", "supplier"])
def test_accept_agreement__closed__reverts(escrow, proposed, supplier, request, closer_name):
    escrow.close_agreement(proposed, sender=request.getfixturevalue(closer_name))
    with ape.reverts("escrow: agreement not proposed"):
        escrow.accept_agreement(proposed, [], sender=supplier)
    assert escrow.get_agreement(proposed).status == AGREEMENT["CLOSED"]


# ---------------------------------------------------------------- certification


def test_accept_agreement__certification_revoked__reverts(escrow, proposed, registry, certifier, supplier):
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_agreement(proposed, [], sender=supplier)


def test_accept_agreement__certification_expires__both_sides_of_the_second(
    escrow, make_agreement, registry, certifier, supplier, chain
):
    until = chain.pending_timestamp + 2 * DAY
    registry.certify(PART_ID, 1, supplier, until, h("short audit"), sender=certifier)
    first, second = make_agreement(accept=False), make_agreement(accept=False)

    pin_at(chain, until)
    escrow.accept_agreement(first, [], sender=supplier)
    pin_at(chain, until + 1)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_agreement(second, [], sender=supplier)
    assert escrow.get_agreement(first).status == AGREEMENT["ACTIVE"]
    assert escrow.get_agreement(second).status == AGREEMENT["PROPOSED"]


def test_accept_agreement__supplier_access_revoked__reverts(escrow, proposed, registry, oem, supplier):
    registry.revoke_access(PART_ID, supplier, sender=oem)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_agreement(proposed, [], sender=supplier)


def test_accept_agreement__access_regranted_after_revocation__stays_void(escrow, proposed, registry, oem, supplier):
    registry.revoke_access(PART_ID, supplier, sender=oem)
    registry.grant_access(PART_ID, supplier, sender=oem)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_agreement(proposed, [], sender=supplier)


def test_accept_agreement__certified_for_other_version_only__reverts(escrow, make_agreement, registry, oem, supplier):
    registry.revise_part(PART_ID, SPEC_V2, URI_V2, sender=oem)
    agreement_id = make_agreement(accept=False, version=2)
    with ape.reverts("escrow: supplier not certified"):
        escrow.accept_agreement(agreement_id, [], sender=supplier)


def test_accept_agreement__certified_for_that_version__accepted(
    escrow, make_agreement, registry, oem, certifier, supplier, chain
):
    registry.revise_part(PART_ID, SPEC_V2, URI_V2, sender=oem)
    registry.certify(PART_ID, 2, supplier, chain.pending_timestamp + 30 * DAY, h("audit v2"), sender=certifier)
    agreement_id = make_agreement(accept=False, version=2)
    escrow.accept_agreement(agreement_id, [], sender=supplier)
    assert escrow.get_agreement(agreement_id).status == AGREEMENT["ACTIVE"]


# ---------------------------------------------------------------- payee rules


def test_accept_agreement__zero_payee__reverts(escrow, proposed, supplier, sub1):
    with ape.reverts("escrow: zero payee"):
        escrow.accept_agreement(proposed, [(sub1.address, 100), (ZERO, 100)], sender=supplier)


@pytest.mark.parametrize("duplicate_at", [1, 7])
def test_accept_agreement__duplicate_payee__reverts(escrow, proposed, supplier, duplicate_at):
    payees = [(OUTSIDERS[i], 100) for i in range(8)]
    payees[duplicate_at] = (OUTSIDERS[0], 100)
    with ape.reverts("escrow: duplicate payee"):
        escrow.accept_agreement(proposed, payees, sender=supplier)


def test_accept_agreement__duplicate_not_adjacent__reverts(escrow, proposed, supplier, sub1, sub2):
    payees = [(sub1.address, 100), (sub2.address, 100), (sub1.address, 100)]
    with ape.reverts("escrow: duplicate payee"):
        escrow.accept_agreement(proposed, payees, sender=supplier)


@pytest.mark.parametrize(
    "shares", [[10_001], [5_000, 5_001], [2**16 - 1], [1_250] * 7 + [1_251], [2**16 - 1] * 8]
)
def test_accept_agreement__shares_above_100_percent__reverts(escrow, proposed, supplier, shares):
    payees = [(OUTSIDERS[i], bps) for i, bps in enumerate(shares)]
    with ape.reverts("escrow: shares exceed 100%"):
        escrow.accept_agreement(proposed, payees, sender=supplier)


def test_accept_agreement__zero_share__reverts(escrow, proposed, supplier, sub1, sub2):
    with ape.reverts("escrow: zero share"):
        escrow.accept_agreement(proposed, [(sub1.address, 100), (sub2.address, 0)], sender=supplier)


@pytest.mark.parametrize("party", ["supplier", "buyer", "inspector", "escrow"])
def test_accept_agreement__party_as_payee__reverts(escrow, proposed, supplier, sub1, request, party):
    account = request.getfixturevalue(party)
    with ape.reverts("escrow: payee is a party"):
        escrow.accept_agreement(proposed, [(sub1.address, 100), (addr(account), 100)], sender=supplier)
    assert escrow.get_agreement(proposed).status == AGREEMENT["PROPOSED"]


@pytest.mark.parametrize("token_name", ["erc20", "usdt", "usdc6"])
def test_accept_agreement__token_as_payee__reverts(escrow, make_agreement, supplier, request, token_name):
    from conftest import Money

    token = request.getfixturevalue(token_name)
    agreement_id = make_agreement(money=Money(token_name, token), accept=False)
    with ape.reverts("escrow: payee is a party"):
        escrow.accept_agreement(agreement_id, [(token.address, 100)], sender=supplier)


def test_accept_agreement__other_token_as_payee_of_eth_agreement__allowed(escrow, proposed, supplier, erc20):
    # Only the agreement's own token is a party: a token contract is otherwise just an address.
    escrow.accept_agreement(proposed, [(erc20.address, 100)], sender=supplier)
    assert payees_tuples(escrow.payees_of(proposed)) == [(erc20.address.lower(), 100)]


def test_accept_agreement__failed_acceptance__leaves_no_payees(escrow, proposed, supplier, sub1):
    with ape.reverts("escrow: shares exceed 100%"):
        escrow.accept_agreement(proposed, [(sub1.address, 10_001)], sender=supplier)
    assert escrow.payees_of(proposed) == []
    escrow.accept_agreement(proposed, [], sender=supplier)
    assert escrow.payees_of(proposed) == []


# ---------------------------------------------------------------- property


@given(
    shares=st.lists(st.integers(1, 6_000), min_size=0, max_size=8),
    order=st.permutations(list(range(8))),
)
def test_accept_agreement__any_distinct_payees__accepted_iff_sum_within_100_percent(
    escrow, part, buyer, supplier, inspector, chain, shares, order
):
    from conftest import make_terms

    with chain.isolate():
        now = pin_next_block(chain)
        agreement_id = escrow.propose_agreement(
            make_terms(supplier, valid_until=now + DAY, inspector=inspector), sender=buyer
        ).return_value
        payees = [(OUTSIDERS[order[i]], bps) for i, bps in enumerate(shares)]
        if sum(shares) <= 10_000:
            escrow.accept_agreement(agreement_id, payees, sender=supplier)
            assert payees_tuples(escrow.payees_of(agreement_id)) == lower_payees(payees)
            assert escrow.get_agreement(agreement_id).status == AGREEMENT["ACTIVE"]
        else:
            with ape.reverts("escrow: shares exceed 100%"):
                escrow.accept_agreement(agreement_id, payees, sender=supplier)
            assert escrow.payees_of(agreement_id) == []
