"""The ledger against the chain, to the wei, after a scripted v2 story.

One story in ETH (two subcontractors, late terms, an inspector), one in a 6-decimal token and
one with a subcontractor that refuses payment (credits and a claim):

    o1  100 units, 60 shipped 1.5 days late (2 started days: 200 bps), 40 open
    o2   50 units, shipped on time, disputed by the buyer
    o3   30 units, payout assigned to the stranger, then received (paid at once)
    o4   20 units, payout assigned to the stranger, shipped on time
    o5   10 units, declined by the supplier
    o6   10 units, never shipped; refunded after ship_by + grace
    o7/o8 (6-decimal token) received
    o9/o10 (ETH, another agreement) received; the refusing subcontractor's share deferred, o9's claimed

Checks: for every token, the escrow's balance equals the sum over buyers of `locked` plus every
credit (SPEC rule 1 holds with equality here); every credit equals `credit_of`; the export's
paid/deferred rows are exactly the chain's Paid/PaymentDeferred events; then each settlement the
ledger predicted (`in_review`, `unshipped`, `in_dispute`) is carried out and the Paid events per
payee equal the prediction to the wei.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict

import pytest
from _ledger_support import make_sync, session_state_first  # noqa: F401
from conftest import DAY, GRACE, ZERO, Money, h

from factorychain.ledger import EXPORT_FIELDS

SUB1_BPS, SUB2_BPS = 3_000, 1_500


def paid_by_payee(receipts, escrow, token=ZERO) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for receipt in receipts:
        for log in receipt.events:
            if log.contract_address == escrow.address and log.event_name == "Paid" and log.token == token:
                totals[log.payee] += log.amount
    return dict(totals)


def chain_transfers(receipts, escrow) -> Counter:
    found = Counter()
    for receipt in receipts:
        for log in receipt.events:
            if log.contract_address == escrow.address and log.event_name in ("Paid", "PaymentDeferred"):
                kind = "paid" if log.event_name == "Paid" else "deferred"
                found[(kind, str(receipt.txn_hash), log.payee, log.token, int(log.amount), int(log.order_id))] += 1
    return found


@pytest.fixture
def story(project, escrow, make_agreement, buyer, supplier, sub1, sub2, stranger, inspector, usdc6, chain, admin):
    receipts = []

    def tx(receipt):
        receipts.append(receipt)
        return receipt

    t0 = chain.pending_timestamp
    agreement = make_agreement(payees=[(sub1, SUB1_BPS), (sub2, SUB2_BPS)])

    def order(quantity, ship_in, po):
        return tx(escrow.create_order(agreement, quantity, t0 + ship_in, po, sender=buyer, value=quantity * 10**15)).return_value

    o1 = order(100, 2 * DAY, b"PO-4711".ljust(32, b"\0"))
    o2 = order(50, 30 * DAY, h("PO-2"))
    o3 = order(30, 30 * DAY, b"PO-3".ljust(32, b"\0"))
    o4 = order(20, 30 * DAY, b"PO-4".ljust(32, b"\0"))
    o5 = order(10, 30 * DAY, b"PO-5".ljust(32, b"\0"))
    o6 = order(10, 1 * DAY, b"PO-6".ljust(32, b"\0"))
    tx(escrow.ship(o2, 50, h("ASN-2"), sender=supplier))
    tx(escrow.dispute(o2, 1, h("dented"), sender=buyer))
    tx(escrow.assign_payout(o3, stranger, sender=supplier))
    tx(escrow.receive_goods(o3, 30, h("GR-3"), sender=inspector))
    tx(escrow.assign_payout(o4, stranger, sender=supplier))
    tx(escrow.decline_order(o5, sender=supplier))

    # A 6-decimal token agreement: the same parties, paid in another token.
    six = Money("six_decimals", usdc6)
    token_agreement = make_agreement(money=six, payees=[(sub1, 1_000)], unit_price=1_250_000)
    token_orders = []
    for po in (b"PO-7", b"PO-8"):
        six.fund(buyer, escrow, 8 * 1_250_000)
        oid = tx(escrow.create_order(token_agreement, 8, t0 + 30 * DAY, po.ljust(32, b"\0"), sender=buyer)).return_value
        tx(escrow.receive_goods(oid, 8, h("GR"), sender=buyer))
        token_orders.append(oid)

    # An ETH agreement whose subcontractor refuses payment: credits, one claimed.
    refuser = project.MockReceiver.deploy(1, sender=admin)
    refusing = make_agreement(payees=[(refuser, 2_000)])
    for po in (b"PO-9", b"PO-10"):
        oid = tx(escrow.create_order(refusing, 5, t0 + 30 * DAY, po.ljust(32, b"\0"), sender=buyer, value=5 * 10**15)).return_value
        tx(escrow.receive_goods(oid, 5, h("GR"), sender=buyer))
        if po == b"PO-9":
            refuser.set_mode(0, sender=admin)
            tx(refuser.call(escrow.address, escrow.claim.encode_input(ZERO), sender=admin))
            refuser.set_mode(1, sender=admin)

    chain.pending_timestamp = t0 + 3 * DAY + DAY // 2  # o1 is 1.5 days late: 2 started days
    tx(escrow.ship(o1, 60, h("ASN-1"), sender=supplier))
    tx(escrow.ship(o4, 20, h("ASN-4"), sender=supplier))
    chain.pending_timestamp = t0 + 1 * DAY + GRACE + 1  # o6's window closed one second ago
    tx(escrow.refund_expired(o6, sender=stranger))
    chain.mine()
    return {
        "t0": t0, "orders": (o1, o2, o3, o4, o5, o6), "token_orders": token_orders, "receipts": receipts,
        "refuser": refuser, "agreement": agreement, "token_agreement": token_agreement,
    }  # fmt: skip


def test_owed_and_export__agree_with_the_chain_to_the_wei(
    story, make_sync, escrow, buyer, supplier, sub1, sub2, stranger, inspector, arbiter, usdc6, chain
):
    o1, o2, o3, o4, o5, o6 = story["orders"]
    refuser = story["refuser"]
    sync = make_sync()
    sync.sync()
    ledger = sync.ledger
    assert ledger.unmatched == 0
    parties = [buyer, supplier, sub1, sub2, stranger, inspector, refuser]

    # SPEC rule 1, with equality: what the escrow holds is what buyers have locked plus credits.
    for token, balance in ((ZERO, chain.provider.get_balance(escrow.address)), (usdc6.address, usdc6.balanceOf(escrow))):
        locked = sum(ledger.owed(p).get(token).locked for p in parties if token in ledger.owed(p))
        credits = sum(v for (_, t), v in ledger.credits().items() if t == token)
        assert locked + credits == balance, token
    for party in parties:
        for token in (ZERO, usdc6.address):
            owed = ledger.owed(party).get(token)
            assert (owed.credit if owed else 0) == escrow.credit_of(party, token)
    assert ledger.credits() == {(refuser.address, ZERO): escrow.credit_of(refuser, ZERO)} != {(refuser.address, ZERO): 0}

    # The export's transfers are exactly the chain's Paid / PaymentDeferred events.
    rows = ledger.export_rows()
    exported = Counter(
        (r["kind"], r["tx_hash"], r["payee"], r["token"], r["amount"], r["order_id"])
        for r in rows if r["kind"] in ("paid", "deferred")
    )  # fmt: skip
    assert exported == chain_transfers(story["receipts"], escrow)
    assert all(r["purpose"] != "unmatched" for r in rows)
    (refund,) = [r for r in rows if r["kind"] == "refund"]
    assert (refund["order_id"], refund["payee"], refund["amount"], refund["po_ref"]) == (o6, buyer.address, 10 * 10**15, "PO-6")
    assert [r for r in rows if r["kind"] == "paid" and r["purpose"] == "refund"][0]["amount"] == refund["amount"]
    (decline,) = [r for r in rows if r["purpose"] == "decline"]
    assert (decline["order_id"], decline["payee"], decline["amount"]) == (o5, buyer.address, 10 * 10**15)
    (claim,) = [r for r in rows if r["kind"] == "claim"]
    assert (claim["payee"], claim["token"], claim["amount"]) == (refuser.address, ZERO, 5 * 10**15 * 2_000 // 10_000)
    o3_rows = {r["purpose"]: r for r in rows if r["order_id"] == o3 and r["kind"] == "paid"}
    assert o3_rows["remainder"]["payee"] == stranger.address  # the assignee
    assert o3_rows["remainder"]["po_ref"] == "PO-3" and o3_rows["remainder"]["agreement_id"] == story["agreement"]
    assert {r["block_time"] for r in rows} <= {chain.blocks[r["block_number"]].timestamp for r in rows}

    # Deadlines are the escrow's own clocks.
    for item in ledger.deadlines():
        clocks = escrow.deadlines(item.order_id, item.lot)
        index = {"ship_by": 0, "shipping_window": 1, "review": 2, "arbitration": 3}[item.kind]
        assert item.due_at == clocks[index], item
    kinds = {(d.kind, d.order_id, d.lot) for d in ledger.deadlines()}
    assert kinds == {("shipping_window", o1, 0), ("review", o1, 1), ("arbitration", o2, 1), ("review", o4, 1)}
    assert [d.kind for d in ledger.deadlines(party=stranger)] == ["review"]  # o4: the stranger holds its payout

    # Orders of a party, with roles.
    roles = {o["order_id"]: o["roles"] for o in ledger.orders_of(stranger)}
    assert roles == {o3: ["assignee"], o4: ["assignee"]}
    assert {o["order_id"] for o in ledger.orders_of(sub1)} == {o1, o2, o3, o4, o5, o6, *story["token_orders"]}
    assert ledger.orders_of(inspector)[0]["roles"] == ["inspector"]

    # Lots in review, then released: Paid per payee == in_review, to the wei.
    before = {p.address: ledger.owed(p).get(ZERO) for p in parties}
    chain.pending_timestamp = max(escrow.deadlines(o1, 1)[2], escrow.deadlines(o4, 1)[2]) + 1
    released = [escrow.release(o1, 1, sender=stranger), escrow.release(o4, 1, sender=stranger)]
    paid = paid_by_payee(released, escrow)
    for party in (supplier, sub1, sub2, stranger):
        assert paid.get(party.address, 0) == before[party.address].in_review, party
    penalty = 60 * 10**15 * 200 // 10_000
    assert paid[buyer.address] == penalty
    sync.sync()
    assert [(r["order_id"], r["lot"], r["amount"]) for r in ledger.export_rows() if r["kind"] == "penalty"] == [(o1, 1, penalty)]

    # The unshipped units of o1, received in one lot before its window closes: Paid == unshipped.
    received = escrow.receive_goods(o1, 40, h("GR-1b"), sender=buyer)
    paid = paid_by_payee([received], escrow)
    for party in (supplier, sub1, sub2):
        assert paid.get(party.address, 0) == before[party.address].unshipped, party

    # The dispute, awarded in full to the supplier side: Paid == in_dispute.
    resolved = escrow.resolve(o2, 1, 10_000, sender=arbiter)
    paid = paid_by_payee([resolved], escrow)
    for party in (supplier, sub1, sub2):
        assert paid.get(party.address, 0) == before[party.address].in_dispute, party

    sync.sync()
    assert ledger.unmatched == 0
    balance = chain.provider.get_balance(escrow.address)
    assert sum(ledger.owed(p).get(ZERO).locked if ZERO in ledger.owed(p) else 0 for p in parties) == 0
    assert balance == escrow.credit_of(refuser, ZERO) == ledger.owed(refuser)[ZERO].credit  # only o10's credit is left
    assert ledger.due(chain.pending_timestamp) == []


def test_export__csv_and_jsonl_carry_the_same_rows(story, make_sync):
    sync = make_sync()
    sync.sync()
    rows = sync.ledger.export_rows()
    as_csv, as_jsonl = io.StringIO(), io.StringIO()
    assert sync.ledger.write_export(as_csv, "csv") == len(rows) == sync.ledger.write_export(as_jsonl, "jsonl")
    parsed = list(csv.DictReader(io.StringIO(as_csv.getvalue())))
    assert tuple(parsed[0].keys()) == EXPORT_FIELDS
    lines = [json.loads(line) for line in as_jsonl.getvalue().splitlines()]
    assert [int(r["amount"]) for r in parsed] == [int(r["amount"]) for r in lines] == [r["amount"] for r in rows]
    assert [r["tx_hash"] for r in parsed] == [r["tx_hash"] for r in lines]
    assert all(isinstance(r["amount"], str) for r in lines)  # exact in any JSON reader
    mine = sync.ledger.export_rows(party=story["refuser"])
    assert {r["kind"] for r in mine} == {"deferred", "claim"}


def test_ledger__survives_a_reopen_and_a_full_rebuild(story, make_sync):
    first = make_sync()
    first.sync()
    snapshot = (first.ledger.export_rows(), first.ledger.deadlines(), first.ledger.owed(story["refuser"]))
    first.ledger.close()
    again = make_sync()  # same file
    assert again.sync().events == 0
    assert (again.ledger.export_rows(), again.ledger.deadlines(), again.ledger.owed(story["refuser"])) == snapshot
    with again.ledger._write():
        again.ledger._rebuild()
    assert (again.ledger.export_rows(), again.ledger.deadlines(), again.ledger.owed(story["refuser"])) == snapshot
