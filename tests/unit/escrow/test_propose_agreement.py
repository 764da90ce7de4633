"""propose_agreement: who may propose, every bound to the unit, the registry and token checks."""

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import (
    AGREEMENT,
    DAY,
    MAX_QUANTITY,
    PART_ID,
    SPEC_V2,
    UNIT_PRICE,
    URI_V2,
    ZERO,
    h,
    make_terms,
)
from _escrow_support import MAX_TIME, PAUSED, own_events, pin_next_block
from _escrow_support import session_state_first  # noqa: F401  (fixtures)


@pytest.fixture
def propose(escrow, part, buyer, supplier, inspector, chain):
    """propose_agreement with the suite's default terms; keyword arguments override any field."""

    def _propose(sender=None, **overrides):
        overrides.setdefault("valid_until", chain.pending_timestamp + 365 * DAY)
        overrides.setdefault("inspector", inspector)
        terms = make_terms(overrides.pop("supplier", supplier), **overrides)
        return escrow.propose_agreement(terms, sender=sender or buyer)

    return _propose


def terms_as_tuple(terms) -> tuple:
    return (
        terms.supplier,
        terms.part_id,
        terms.version,
        terms.token,
        terms.unit_price,
        terms.max_quantity,
        terms.valid_until,
        terms.review_period,
        terms.inspector,
        terms.grace_period,
        terms.penalty_bps_per_day,
        terms.penalty_cap_bps,
    )


# ---------------------------------------------------------------- success


def test_propose_agreement__each_money__stores_terms_and_logs(escrow, propose, money, buyer, supplier, inspector, chain):
    valid_until = chain.pending_timestamp + 30 * DAY
    escrow_before = money.balance(escrow)

    tx = propose(token=money.address, valid_until=valid_until)

    assert tx.return_value == 1
    assert own_events(tx, escrow) == [
        escrow.AgreementProposed(
            agreement_id=1,
            buyer=buyer.address,
            supplier=supplier.address,
            part_id=PART_ID,
            version=1,
            token=money.address,
            unit_price=UNIT_PRICE,
            max_quantity=MAX_QUANTITY,
            valid_until=valid_until,
        )
    ]
    agreement = escrow.get_agreement(1)
    assert terms_as_tuple(agreement.terms) == make_terms(
        supplier, token=money.address, valid_until=valid_until, inspector=inspector
    )
    assert agreement.buyer == buyer.address
    assert agreement.status == AGREEMENT["PROPOSED"]
    assert agreement.units_called_off == 0
    assert escrow.payees_of(1) == []
    assert escrow.agreement_count() == 1
    assert escrow.order_count() == 0
    assert money.balance(escrow) == escrow_before  # an agreement holds no money


def test_propose_agreement__second__gets_next_id(escrow, propose):
    propose()
    tx = propose(unit_price=7)
    assert tx.return_value == 2
    assert own_events(tx, escrow)[0].agreement_id == 2
    assert escrow.agreement_count() == 2
    assert escrow.get_agreement(2).terms.unit_price == 7
    assert escrow.get_agreement(1).terms.unit_price == UNIT_PRICE


def test_propose_agreement__no_inspector__stored_as_zero(escrow, propose):
    propose(inspector=ZERO)
    assert escrow.get_agreement(1).terms.inspector == ZERO


def test_propose_agreement__inspector_is_buyer__allowed(escrow, propose, buyer):
    # SPEC forbids only inspector == supplier: a buyer's own gate scanner key may be the buyer.
    propose(inspector=buyer)
    assert escrow.get_agreement(1).terms.inspector == buyer.address


def test_propose_agreement__part_owner_as_buyer__allowed(escrow, propose, oem, supplier):
    # The owner always has access to its own part.
    tx = propose(sender=oem)
    assert own_events(tx, escrow)[0].buyer == oem.address
    assert escrow.get_agreement(1).buyer == oem.address


def test_propose_agreement__supplier_with_access_not_certified__allowed(escrow, propose, registry, oem, sub1, part):
    # Certification is checked at acceptance and at every call-off, not at the proposal.
    registry.grant_access(part, sub1, sender=oem)
    assert not registry.is_certified(part, 1, sub1)
    propose(supplier=sub1)
    assert escrow.get_agreement(1).terms.supplier == sub1.address


def test_propose_agreement__later_version__allowed(escrow, propose, registry, oem, part):
    registry.revise_part(part, SPEC_V2, URI_V2, sender=oem)
    propose(version=2)
    assert escrow.get_agreement(1).terms.version == 2


def test_propose_agreement__largest_values__stored_exactly(escrow, propose, erc20, supplier, inspector):
    propose(
        token=erc20,
        unit_price=2**128 - 1,
        max_quantity=2**64 - 1,
        valid_until=MAX_TIME,
        review_period=90 * DAY,
        grace_period=90 * DAY,
        penalty_bps_per_day=2**16 - 1,
        penalty_cap_bps=10_000,
    )
    assert terms_as_tuple(escrow.get_agreement(1).terms) == make_terms(
        supplier,
        token=erc20,
        unit_price=2**128 - 1,
        max_quantity=2**64 - 1,
        valid_until=MAX_TIME,
        review_period=90 * DAY,
        inspector=inspector,
        grace_period=90 * DAY,
        penalty_bps_per_day=2**16 - 1,
        penalty_cap_bps=10_000,
    )


def test_propose_agreement__smallest_values__stored_exactly(escrow, propose, supplier, chain):
    t = pin_next_block(chain)
    propose(
        unit_price=1,
        max_quantity=1,
        valid_until=t + 1,
        review_period=1,
        grace_period=0,
        penalty_bps_per_day=0,
        penalty_cap_bps=0,
        inspector=ZERO,
    )
    assert terms_as_tuple(escrow.get_agreement(1).terms) == make_terms(
        supplier,
        unit_price=1,
        max_quantity=1,
        valid_until=t + 1,
        review_period=1,
        grace_period=0,
        penalty_bps_per_day=0,
        penalty_cap_bps=0,
    )


def test_propose_agreement__fee_and_false_tokens__accepted_at_proposal(escrow, propose, fee_token, false_token):
    # Both answer balanceOf; a fee-on-transfer token is refused at funding (see test_create_order).
    propose(token=fee_token)
    propose(token=false_token)
    assert escrow.get_agreement(1).terms.token == fee_token.address
    assert escrow.get_agreement(2).terms.token == false_token.address


# ---------------------------------------------------------------- valid_until, to the second


def test_propose_agreement__valid_until_next_second__allowed(escrow, propose, chain):
    t = pin_next_block(chain)
    propose(valid_until=t + 1)
    assert escrow.get_agreement(1).terms.valid_until == t + 1


def test_propose_agreement__valid_until_now__reverts(propose, chain):
    t = pin_next_block(chain)
    with ape.reverts("escrow: valid-until in the past"):
        propose(valid_until=t)


def test_propose_agreement__valid_until_past__reverts(propose, chain):
    t = pin_next_block(chain)
    with ape.reverts("escrow: valid-until in the past"):
        propose(valid_until=t - DAY)


def test_propose_agreement__valid_until_2_pow_40__reverts(propose):
    with ape.reverts("escrow: valid-until too far"):
        propose(valid_until=2**40)


# ---------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("unit_price", 0, "escrow: zero price"),
        ("unit_price", 2**128, "escrow: price too large"),
        ("unit_price", 2**256 - 1, "escrow: price too large"),
        ("max_quantity", 0, "escrow: zero quantity"),
        ("max_quantity", 2**64, "escrow: quantity too large"),
        ("max_quantity", 2**256 - 1, "escrow: quantity too large"),
        ("review_period", 0, "escrow: bad review period"),
        ("review_period", 90 * DAY + 1, "escrow: bad review period"),
        ("review_period", 2**256 - 1, "escrow: bad review period"),
        ("grace_period", 90 * DAY + 1, "escrow: bad grace period"),
        ("grace_period", 2**256 - 1, "escrow: bad grace period"),
        ("penalty_cap_bps", 10_001, "escrow: bad penalty cap"),
        ("penalty_cap_bps", 2**16 - 1, "escrow: bad penalty cap"),
        ("valid_until", 2**256 - 1, "escrow: valid-until too far"),
    ],
)
def test_propose_agreement__out_of_bounds__reverts(escrow, propose, field, value, reason):
    with ape.reverts(reason):
        propose(**{field: value})
    assert escrow.agreement_count() == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("review_period", 1),
        ("review_period", 90 * DAY),
        ("grace_period", 0),
        ("grace_period", 90 * DAY),
        ("penalty_cap_bps", 10_000),
        ("penalty_cap_bps", 0),
        ("penalty_bps_per_day", 0),
    ],
)
def test_propose_agreement__on_the_bound__allowed(escrow, propose, field, value):
    propose(**{field: value})
    assert getattr(escrow.get_agreement(1).terms, field) == value


# ---------------------------------------------------------------- parties


def test_propose_agreement__zero_supplier__reverts(propose):
    with ape.reverts("escrow: zero supplier"):
        propose(supplier=ZERO)


def test_propose_agreement__supplier_is_caller__reverts(propose, supplier):
    with ape.reverts("escrow: buyer is supplier"):
        propose(sender=supplier, supplier=supplier)


def test_propose_agreement__inspector_is_supplier__reverts(propose, supplier):
    with ape.reverts("escrow: inspector is supplier"):
        propose(inspector=supplier)


@pytest.mark.parametrize("caller_name", ["stranger", "inspector", "arbiter", "admin", "certifier", "sub1"])
def test_propose_agreement__caller_without_access__reverts(escrow, propose, request, caller_name):
    caller = request.getfixturevalue(caller_name)
    with ape.reverts("escrow: buyer has no access"):
        propose(sender=caller)
    assert escrow.agreement_count() == 0


def test_propose_agreement__buyer_access_revoked__reverts(propose, registry, oem, buyer, part):
    registry.revoke_access(part, buyer, sender=oem)
    with ape.reverts("escrow: buyer has no access"):
        propose()


@pytest.mark.parametrize("supplier_name", ["stranger", "sub1", "inspector"])
def test_propose_agreement__supplier_without_access__reverts(propose, request, supplier_name):
    with ape.reverts("escrow: supplier has no access"):
        propose(supplier=request.getfixturevalue(supplier_name), inspector=ZERO)


def test_propose_agreement__supplier_access_revoked__reverts(propose, registry, oem, supplier, part):
    registry.revoke_access(part, supplier, sender=oem)
    with ape.reverts("escrow: supplier has no access"):
        propose()


# ---------------------------------------------------------------- part and version


def test_propose_agreement__unknown_part__reverts(propose):
    with ape.reverts("escrow: unknown version"):
        propose(part_id=h("no such part"))


@pytest.mark.parametrize("version", [0, 2, 2**32 + 1, 2**256 - 1])
def test_propose_agreement__unknown_version__reverts(propose, version):
    with ape.reverts("escrow: unknown version"):
        propose(version=version)


# ---------------------------------------------------------------- token


@pytest.mark.parametrize("token_name", ["stranger", "buyer"])
def test_propose_agreement__token_is_eoa__reverts(propose, request, token_name):
    with ape.reverts("escrow: token is not a contract"):
        propose(token=request.getfixturevalue(token_name))


def test_propose_agreement__token_is_precompile_address__reverts(propose):
    with ape.reverts("escrow: token is not a contract"):
        propose(token="0x0000000000000000000000000000000000000001")


def test_propose_agreement__token_is_registry__reverts(propose, registry):
    with ape.reverts("escrow: token is not an erc20"):
        propose(token=registry)


def test_propose_agreement__token_is_escrow__reverts(propose, escrow):
    # The escrow has no balanceOf either.
    with ape.reverts("escrow: token is not an erc20"):
        propose(token=escrow)


# ---------------------------------------------------------------- pause


def test_propose_agreement__paused__reverts(escrow, propose, admin):
    escrow.pause(sender=admin)
    with ape.reverts(PAUSED):
        propose()
    assert escrow.agreement_count() == 0


def test_propose_agreement__unpaused_again__allowed(escrow, propose, admin):
    escrow.pause(sender=admin)
    escrow.unpause(sender=admin)
    assert propose().return_value == 1


# ---------------------------------------------------------------- property: packing round trip


@given(
    unit_price=st.integers(1, 2**128 - 1),
    max_quantity=st.integers(1, 2**64 - 1),
    valid_offset=st.integers(1, 2**39),
    review_period=st.integers(1, 90 * DAY),
    grace_period=st.integers(0, 90 * DAY),
    per_day=st.integers(0, 2**16 - 1),
    cap=st.integers(0, 10_000),
    with_inspector=st.booleans(),
)
def test_propose_agreement__any_terms_in_bounds__read_back_exactly(
    escrow, part, buyer, supplier, inspector, erc20, chain,
    unit_price, max_quantity, valid_offset, review_period, grace_period, per_day, cap, with_inspector,
):
    with chain.isolate():
        now = pin_next_block(chain)
        valid_until = min(now + valid_offset, MAX_TIME)
        terms = make_terms(
            supplier,
            token=erc20,
            unit_price=unit_price,
            max_quantity=max_quantity,
            valid_until=valid_until,
            review_period=review_period,
            inspector=inspector if with_inspector else ZERO,
            grace_period=grace_period,
            penalty_bps_per_day=per_day,
            penalty_cap_bps=cap,
        )
        agreement_id = escrow.propose_agreement(terms, sender=buyer).return_value
        agreement = escrow.get_agreement(agreement_id)
        assert terms_as_tuple(agreement.terms) == terms
        assert (agreement.buyer, agreement.status, agreement.units_called_off) == (
            buyer.address,
            AGREEMENT["PROPOSED"],
            0,
        )

