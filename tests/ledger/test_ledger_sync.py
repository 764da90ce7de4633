"""Syncing: from the deployment block, incremental, resumable, shared by two writers; reorgs
(Anvil snapshot/revert) with confirmation depth 0 and N; the registry's events; one file per
deployment."""

from __future__ import annotations

import pytest
from _ledger_support import deployment_block, make_sync, session_state_first  # noqa: F401
from conftest import h

from factorychain.ledger import Ledger, LedgerError, ledger_path


def snapshot_of(ledger: Ledger):
    return ledger.export_rows(), ledger.deadlines(0), [ledger.order(i) for i in range(1, 6)], ledger.event_count()


def test_sync__starts_at_the_deployment_block_and_indexes_the_registry_too(make_sync, make_order, registry, part):
    make_order(stage="shipped")
    sync = make_sync()
    report = sync.sync()
    assert report.first_block == deployment_block(registry) and report.last_block == report.head
    names = [e.name for e in sync.ledger.events(contract="registry")]
    assert {"PartRegistered", "AccessGranted", "Certified", "RoleGranted"} <= set(names)
    (registered,) = sync.ledger.events(name="PartRegistered")
    assert registered.args["part_id"] == "0x" + part.hex() and registered.args["version"] == 1
    assert sync.sync().events == 0  # nothing new


def test_sync__in_small_resumable_steps__equals_one_pass(make_sync, make_order, escrow, supplier, chain):
    for quantity in (10, 20, 30):
        make_order(quantity=quantity, stage="received")
    make_order(quantity=40, stage="disputed")
    one_pass = make_sync(name="one")
    one_pass.sync()
    steps = make_sync(name="steps", chunk_blocks=3)
    rounds = 0
    while steps.sync(max_chunks=1).first_block is not None:
        rounds += 1
        steps.ledger.close()
        steps = make_sync(name="steps", chunk_blocks=3)  # a new process picks up from the file
    assert rounds > 5
    assert snapshot_of(steps.ledger) == snapshot_of(one_pass.ledger)


def test_sync__two_writers_on_one_file__no_event_twice(make_sync, make_order):
    make_order(stage="received")
    a, b = make_sync(name="shared"), make_sync(name="shared")
    cursor = a.ledger.cursor
    b.sync()
    events = list(a.codec.decode(log) for log in a._logs(a.ledger.start_block, a.head()))
    head = a.header(a.head())
    assert not a.ledger.append(events, through=(int(head["number"], 16), head["hash"], None), expect_cursor=cursor)
    assert a.sync().events == 0
    assert a.ledger.event_count() == b.ledger.event_count() > 0


def test_reorg__depth_0__row_of_the_dropped_fork_rolled_back(make_sync, make_order, chain):
    sync = make_sync(confirmations=0)
    sync.sync()
    fork_point = chain.snapshot()
    order = make_order(quantity=111)
    sync.sync()
    assert sync.ledger.order(order)["quantity"] == 111
    chain.restore(fork_point)
    assert make_order(quantity=222) == order  # the same ids on the other fork
    report = sync.sync()
    assert report.reorg_ancestor is not None and report.dropped > 0
    assert sync.ledger.order(order)["quantity"] == 222
    assert snapshot_of(sync.ledger) == snapshot_of(_fresh(make_sync))


def test_reorg__depth_n__a_shallow_reorg_never_reaches_the_ledger(make_sync, make_order, chain):
    sync = make_sync(confirmations=3)
    sync.sync()
    fork_point = chain.snapshot()
    order = make_order(quantity=111)  # three blocks: propose, accept, create
    sync.sync()
    assert sync.ledger.order(order) is None  # not deep enough yet
    chain.restore(fork_point)
    make_order(quantity=222)
    chain.mine(3)
    report = sync.sync()
    assert report.reorg_ancestor is None and report.dropped == 0  # nothing wrong was ever written
    assert sync.ledger.order(order)["quantity"] == 222


def test_reorg__deeper_than_the_depth__detected_and_rolled_back(make_sync, make_order, chain):
    sync = make_sync(confirmations=1)
    sync.sync()
    fork_point = chain.snapshot()
    order = make_order(quantity=111)
    chain.mine(2)
    sync.sync()
    assert sync.ledger.order(order)["quantity"] == 111
    chain.restore(fork_point)
    make_order(quantity=222)
    chain.mine(2)
    report = sync.sync()
    assert report.reorg_ancestor is not None and report.reorg_ancestor < sync.ledger.cursor[0]
    assert sync.ledger.order(order)["quantity"] == 222


def test_reorg__chain_now_shorter_than_the_cursor__rolled_back(make_sync, make_order, chain):
    fork_point = chain.snapshot()
    order = make_order(quantity=111, stage="received")
    sync = make_sync()
    sync.sync()
    chain.restore(fork_point)
    report = sync.sync()
    assert report.dropped > 0 and sync.ledger.order(order) is None
    assert sync.ledger.export_rows() == []


def _fresh(make_sync):
    fresh = make_sync(name="fresh")
    fresh.sync()
    return fresh.ledger


def test_ledger_file__belongs_to_one_deployment(make_sync, tmp_path, chain, escrow, registry, stranger):
    path = ledger_path(chain.chain_id, escrow.address, tmp_path)
    assert path.name == f"{chain.chain_id}-{escrow.address.lower()}.sqlite"
    Ledger.open(path, chain_id=chain.chain_id, escrow=escrow.address, registry=registry.address, start_block=1).close()
    with pytest.raises(LedgerError, match="belongs to another deployment"):
        Ledger.open(path, chain_id=chain.chain_id, escrow=stranger.address, registry=registry.address, start_block=1)
    with pytest.raises(LedgerError, match="chain_id"):
        Ledger.open(path, chain_id=1, escrow=escrow.address, registry=registry.address, start_block=1)


def test_po_ref__text_when_printable_else_hex(make_sync, make_order):
    text_order = make_order(po_ref=b"PO 2025/0042".ljust(32, b"\0"))
    hashed_order = make_order(po_ref=h("PO-1"))
    sync = make_sync()
    sync.sync()
    assert sync.ledger.order(text_order)["po_ref_text"] == "PO 2025/0042"
    assert sync.ledger.order(hashed_order)["po_ref_text"] == "0x" + h("PO-1").hex()
