"""The ledger moves between threads: Silverback runs the keeper bot's handlers on a thread pool.

A full-suite run caught the bot failing every block round with sqlite3's "SQLite objects created
in a thread can only be used in that same thread" when a handler landed on another thread than the
start-up round that opened the ledger; the bot then settled nothing.
"""

from __future__ import annotations

import threading

from factorychain.ledger import Ledger

ESCROW = "0x" + "e7" * 20
REGISTRY = "0x" + "5f" * 20


def test_ledger__opened_in_one_thread__read_in_another(tmp_path):
    ledger = Ledger.open(tmp_path / "ledger.sqlite", chain_id=31337, escrow=ESCROW, registry=REGISTRY, start_block=7)
    seen: list[object] = []
    failures: list[BaseException] = []

    def other_thread() -> None:
        try:
            seen.append(ledger.cursor)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(timeout=30)
    assert not failures, failures
    assert seen == [ledger.cursor]
    ledger.close()
