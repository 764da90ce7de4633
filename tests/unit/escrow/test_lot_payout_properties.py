"""Properties of lot payouts: whatever the price, quantity, shares, lots, lateness and rulings, the money
paid out of an order is its amount exactly, to the wei, split as SPEC v2 says.

Each example is one order driven on chain (agreement, call-off, up to four lots, a refund of the rest):
several transactions, so the example counts are the profile's (`ci`: 25). Bodies run in
`chain.isolate()`; only session fixtures are used.
"""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from conftest import BPS, DAY, LOT, Money, h, make_terms
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import REASON, late_penalty

PAYEE_POOL = ["sub1", "sub2", "stranger", "oem", "certifier"]  # never buyer, supplier, inspector, arbiter, admin
KINDS = ["confirm", "release", "receive", "resolve", "resolve_expired"]
MONEY = ["eth", "erc20", "usdt", "six_decimals"]
SHIP_IN = 7 * DAY
REVIEW = 3 * DAY
ARBITRATION = 30 * DAY


@st.composite
def shares(draw, max_payees=len(PAYEE_POOL)):
    """Distinct payees from the pool with shares > 0 summing to at most 10 000."""
    count = draw(st.integers(0, max_payees))
    budget = draw(st.integers(count, BPS)) if count else 0
    names = draw(st.permutations(PAYEE_POOL))[:count]
    result, left = [], budget
    for i, name in enumerate(names):
        share = draw(st.integers(1, left - (count - i - 1)))
        result.append((name, share))
        left -= share
    return result


unit_prices = st.one_of(st.integers(1, 1_000), st.integers(1, 10**18), st.integers(1, 2**128 - 1))
penalty_per_day = st.one_of(st.sampled_from([0, 1, 100, 2_500, 10_000, 65_535]), st.integers(0, 65_535))


@st.composite
def plans(draw):
    money = draw(st.sampled_from(MONEY))
    unit_price = draw(unit_prices)
    if money == "eth":
        unit_price = min(unit_price, 10**18)  # the buyer's 10 000 test ETH must cover 1 000 units
    quantity = draw(st.integers(1, 1_000))
    lots = draw(
        st.lists(
            st.tuples(
                st.integers(1, 1_000),  # units (capped by what is still open)
                st.integers(-SHIP_IN + 60, 20 * DAY),  # seconds after ship_by (capped by the window)
                st.sampled_from(KINDS),
                st.integers(0, BPS),  # the arbiter's ruling, for "resolve"
            ),
            max_size=4,
        )
    )
    return {
        "money": money,
        "unit_price": unit_price,
        "quantity": quantity,
        "payees": draw(shares()),
        "per_day": draw(penalty_per_day),
        "cap": draw(st.integers(0, BPS)),
        "grace": draw(st.sampled_from([0, 1, DAY, 5 * DAY, 20 * DAY])),
        "lots": sorted(lots, key=lambda lot: lot[1]),
        "fill": draw(st.booleans()),  # the last lot takes every open unit
        "assigned": draw(st.booleans()),
    }


def open_order(escrow, chain, money, buyer, supplier, inspector, payees, *, unit_price, quantity, grace, per_day, cap):
    now = chain.pending_timestamp
    terms = make_terms(
        supplier, token=money.address, unit_price=unit_price, max_quantity=quantity, valid_until=now + 365 * DAY,
        review_period=REVIEW, inspector=inspector, grace_period=grace, penalty_bps_per_day=per_day, penalty_cap_bps=cap,
    )
    agreement_id = escrow.propose_agreement(terms, sender=buyer).return_value
    escrow.accept_agreement(agreement_id, [(account.address, bps) for account, bps in payees], sender=supplier)
    amount = quantity * unit_price
    kwargs = money.fund(buyer, escrow, amount)
    ship_by = chain.pending_timestamp + SHIP_IN
    order_id = escrow.create_order(agreement_id, quantity, ship_by, h("PO-prop"), sender=buyer, **kwargs).return_value
    return order_id, ship_by, amount


def payments(tx, escrow, order_id):
    """The Paid logs of the order in `tx`; a PaymentDeferred (or another order's log) fails the property."""
    logs = [log for log in own_events(tx, escrow) if log.event_name in ("Paid", "PaymentDeferred")]
    assert all(log.event_name == "Paid" and log.order_id == order_id for log in logs), logs
    return logs


def by_payee(logs) -> Counter:
    total: Counter = Counter()
    for log in logs:
        total[log.payee] += log.amount
    return total


@given(plan=plans())
def test_lots_penalties_and_refund__add_up_to_the_amount_to_the_wei(
    escrow, chain, erc20, usdt, usdc6, buyer, supplier, inspector, arbiter, admin, sub1, sub2, stranger, oem, certifier, plan
):
    accounts = {"sub1": sub1, "sub2": sub2, "stranger": stranger, "oem": oem, "certifier": certifier}
    token = {"eth": None, "erc20": erc20, "usdt": usdt, "six_decimals": usdc6}[plan["money"]]
    money = Money(plan["money"], token)
    payees = [(accounts[name], bps) for name, bps in plan["payees"]]
    unit_price, quantity, grace = plan["unit_price"], plan["quantity"], plan["grace"]

    with chain.isolate():
        escrow_start = money.balance(escrow)
        order_id, ship_by, amount = open_order(
            escrow, chain, money, buyer, supplier, inspector, payees, unit_price=unit_price, quantity=quantity,
            grace=grace, per_day=plan["per_day"], cap=plan["cap"],
        )
        holder = supplier
        if plan["assigned"]:
            escrow.assign_payout(order_id, admin, sender=supplier)
            holder = admin

        # Phase 1: lots leave the factory (or arrive) in time order inside the shipping window.
        created, settled, left = [], [], quantity
        for i, (units, offset, kind, bps) in enumerate(plan["lots"]):
            if left == 0:
                break
            units = left if plan["fill"] and i == len(plan["lots"]) - 1 else min(units, left)
            t = max(chain.pending_timestamp, ship_by + min(offset, grace))
            if t > ship_by + grace:
                break  # an earlier lot's dispute took the window's last second
            chain.pending_timestamp = t
            value = units * unit_price
            if kind == "receive":
                tx = escrow.receive_goods(order_id, units, h(f"GR-{i}"), sender=buyer)
                settled.append((tx, value, value, 0))
                assert escrow.get_lot(order_id, tx.return_value).penalty_bps == 0
            else:
                tx = escrow.ship(order_id, units, h(f"ASN-{i}"), sender=supplier)
                penalty_bps = late_penalty(tx.timestamp, ship_by, plan["per_day"], plan["cap"])
                assert escrow.get_lot(order_id, tx.return_value).penalty_bps == penalty_bps
                if kind in ("resolve", "resolve_expired"):
                    escrow.dispute(order_id, tx.return_value, REASON, sender=inspector)
                created.append((tx.return_value, kind, bps, value, penalty_bps))
            left -= units

        # Phase 2: every clock has run out; refund the rest, settle every lot.
        chain.pending_timestamp = max(chain.pending_timestamp + ARBITRATION + REVIEW, ship_by + grace + 1) + 1
        refund_txs = []
        if left:
            refund_txs.append(escrow.refund_expired(order_id, sender=stranger))
            assert own_events(refund_txs[0], escrow)[0] == escrow.OrderRefunded(
                order_id=order_id, quantity=left, amount=left * unit_price
            )
        for lot, kind, bps, value, penalty_bps in created:
            if kind == "confirm":
                tx, side = escrow.confirm_delivery(order_id, lot, h("GRN"), sender=buyer), value
            elif kind == "release":
                tx, side = escrow.release(order_id, lot, sender=stranger), value
            elif kind == "resolve":
                tx, side = escrow.resolve(order_id, lot, bps, sender=arbiter), value * bps // BPS
            else:
                tx, side = escrow.resolve_expired(order_id, lot, sender=stranger), value * 5_000 // BPS
            settled.append((tx, value, side, penalty_bps))
            assert escrow.get_lot(order_id, lot).status in (LOT["COMPLETED"], LOT["RESOLVED"])

        # Each settlement is SPEC's split, push by push.
        totals: Counter = Counter()
        for tx, value, side, penalty_bps in settled:
            logs = payments(tx, escrow, order_id)
            assert logs == expected_paid_events(escrow, order_id, money.address, payees, holder, buyer, value, side, penalty_bps)
            got = by_payee(logs)
            for account, share in payees:  # each subcontractor: S * s // 10 000, lateness or not
                assert got[account.address] == side * share // BPS
            remainder = side - sum(side * share // BPS for _, share in payees)
            penalty = got[buyer.address] - (value - side)
            assert 0 <= penalty <= min(value * plan["cap"] // BPS, remainder)
            assert got[holder.address] == remainder - penalty
            assert sum(got.values()) == value
            totals.update(got)
        for tx in refund_txs:
            logs = payments(tx, escrow, order_id)
            assert [(log.payee, log.amount) for log in logs] == [(buyer.address, left * unit_price)]
            totals.update(by_payee(logs))

        assert sum(totals.values()) == amount
        assert money.balance(escrow) == escrow_start
        order = escrow.get_order(order_id)
        assert order.units_shipped + order.units_refunded == quantity


@given(
    unit_price=unit_prices,
    quantity=st.integers(1, 1_000),
    payees=shares(),
    bps=st.one_of(st.sampled_from([0, 1, 4_999, 5_000, 5_001, 9_999, BPS]), st.integers(0, BPS)),
    per_day=penalty_per_day,
    cap=st.integers(0, BPS),
    late=st.one_of(st.just(0), st.integers(1, 20 * DAY)),
)
def test_resolve__any_bps__parts_sum_to_the_lot_value(
    escrow, chain, erc20, buyer, supplier, inspector, arbiter, sub1, sub2, stranger, oem, certifier,
    unit_price, quantity, payees, bps, per_day, cap, late,
):
    accounts = {"sub1": sub1, "sub2": sub2, "stranger": stranger, "oem": oem, "certifier": certifier}
    payees = [(accounts[name], share) for name, share in payees]
    money = Money("erc20", erc20)
    with chain.isolate():
        order_id, ship_by, amount = open_order(
            escrow, chain, money, buyer, supplier, inspector, payees, unit_price=unit_price, quantity=quantity,
            grace=20 * DAY, per_day=per_day, cap=cap,
        )
        chain.pending_timestamp = ship_by + late
        escrow.ship(order_id, quantity, h("ASN"), sender=supplier)
        escrow.dispute(order_id, 1, REASON, sender=buyer)
        penalty_bps = late_penalty(ship_by + late, ship_by, per_day, cap)
        assert escrow.get_lot(order_id, 1).penalty_bps == penalty_bps

        parties = [buyer, supplier, escrow, *(account for account, _ in payees)]
        before = {account.address: erc20.balanceOf(account) for account in parties}
        tx = escrow.resolve(order_id, 1, bps, sender=arbiter)

        side = amount * bps // BPS
        logs = payments(tx, escrow, order_id)
        assert logs == expected_paid_events(escrow, order_id, erc20, payees, supplier, buyer, amount, side, penalty_bps)
        assert sum(log.amount for log in logs) == amount
        moved = {address: erc20.balanceOf(address) - balance for address, balance in before.items()}
        assert moved[escrow.address] == -amount
        assert sum(moved.values()) == 0
        for account, share in payees:
            assert moved[account.address] == side * share // BPS
        remainder = side - sum(side * share // BPS for _, share in payees)
        penalty = moved[buyer.address] - (amount - side)
        assert penalty == min(remainder, amount * penalty_bps // BPS) <= amount * cap // BPS
        assert moved[supplier.address] == remainder - penalty
