"""factorychain.payouts: SPEC v2's split of a lot, penalty included, as plain Python (no chain)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factorychain import InvalidInputError, late_penalty_bps, lot_payout

DAY = 86_400
ETH = 10**18


def test_lot_payout__on_time_lot_two_subcontractors():
    payout = lot_payout(125 * ETH // 20, [1_500, 800])  # 500 units at 0.0125 ETH
    assert payout.subcontractors == (ETH * 15 // 16, ETH // 2)
    assert (payout.penalty, payout.buyer) == (0, 0)
    assert payout.holder == payout.value - sum(payout.subcontractors)
    assert payout.total == payout.value


def test_lot_payout__penalty_comes_out_of_the_supplier_remainder_only():
    payout = lot_payout(5 * ETH, [1_500, 800], penalty_bps=200)
    assert payout.subcontractors == (ETH * 3 // 4, ETH * 2 // 5)  # untouched by the penalty
    assert (payout.penalty, payout.holder, payout.buyer) == (ETH // 10, ETH * 15 // 4, ETH // 10)


def test_lot_payout__penalty_never_above_the_remainder():
    payout = lot_payout(1_000, [9_500], penalty_bps=1_000)
    assert (payout.subcontractors, payout.penalty, payout.holder, payout.buyer) == ((950,), 50, 0, 50)


def test_lot_payout__resolution_and_timeout():
    ruled = lot_payout(10_001, [3_333], supplier_bps=7_000)
    assert ruled.supplier_side == 7_000 and ruled.subcontractors == (2_333,)
    assert (ruled.holder, ruled.buyer) == (4_667, 3_001)
    expired = lot_payout(10_001, [], supplier_bps=5_000, penalty_bps=100)
    assert (expired.holder, expired.buyer) == (5_000 - 100, 5_001 + 100)


def test_lot_payout__transfers_in_push_order_without_zeros():
    payout = lot_payout(100, [1, 1_500], penalty_bps=0)
    assert payout.transfers(["0x" + "11" * 20, "0x" + "22" * 20], "0x" + "33" * 20, "0x" + "44" * 20) == [
        ("0x2222222222222222222222222222222222222222", 15),
        ("0x3333333333333333333333333333333333333333", 85),
    ]


@pytest.mark.parametrize(
    "args, kwargs",
    [((-1, []), {}), ((1, [0]), {}), ((1, [6_000, 4_001]), {}), ((1, []), {"supplier_bps": 10_001}), ((1, []), {"penalty_bps": 10_001})],
)
def test_lot_payout__bad_input(args, kwargs):
    with pytest.raises(InvalidInputError):
        lot_payout(*args, **kwargs)


@pytest.mark.parametrize(
    "late, bps",
    [(0, 0), (-DAY, 0), (1, 100), (DAY, 100), (DAY + 1, 200), (2 * DAY, 200), (10 * DAY, 1_000), (10 * DAY + 1, 1_000)],
)
def test_late_penalty_bps__per_started_day_to_the_second(late, bps):
    ship_by = 1_700_000_000
    assert late_penalty_bps(ship_by, ship_by + late, 100, 1_000) == bps


@given(
    value=st.integers(0, 2**192),
    shares=st.lists(st.integers(1, 2_000), max_size=8).filter(lambda s: sum(s) <= 10_000),
    penalty=st.integers(0, 10_000),
    side=st.integers(0, 10_000),
)
def test_lot_payout__adds_up_to_the_value_exactly(value, shares, penalty, side):
    payout = lot_payout(value, shares, penalty_bps=penalty, supplier_bps=side)
    assert payout.total == value
    assert payout.subcontractors == tuple(payout.supplier_side * s // 10_000 for s in shares)
    assert payout.penalty <= value * penalty // 10_000
    assert min(payout.holder, payout.buyer, payout.penalty) >= 0
