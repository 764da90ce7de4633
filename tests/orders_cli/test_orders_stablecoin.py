"""The same commands paying in a 6-decimal stablecoin: exact approvals made by `create` (a left-over
allowance reset to 0 first, as USDT-style tokens require), a subcontractor on the token's blocklist
whose share becomes a credit it claims to another address, and `watch` telling each party what it
must know — printed, and POSTed as JSON to a local webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from _orders_cli_support import (
    BANK,
    BUYER,
    DAY,
    OEM,
    SUB1,
    SUPPLIER,
    escrow_at,
    jsonl,
    number_after,
    on_node,
    set_up_part,
    shell,  # noqa: F401 - module-scoped fixture
)
from factorychain.keys import public_key_from_private

NODE_CHAIN_ID = 31_712
SIX = 10**6


@pytest.fixture(scope="module")
def token(shell, accounts):
    """SIX (6 decimals) on the node; the buyer holds 10,000 and left 1 SIX approved to the escrow earlier."""
    set_up_part(shell, valid_for="15d")
    with on_node(shell):
        from ape import project

        six = project.MockERC20.deploy("Six Decimals", "SIX", 6, 0, sender=accounts[0])
        six.mint(accounts[3], 10_000 * SIX, sender=accounts[0])
        six.approve(shell.deployment.escrow, 1 * SIX, sender=accounts[3])
    return six.address


@pytest.fixture
def webhook():
    """A local http.server collecting the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"content_type": self.headers["Content-Type"], **json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/factorychain", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_stablecoin__exact_approvals__blocked_payee_credit__claimed_elsewhere(shell, token, accounts, webhook, tmp_path):
    t = accounts
    too_fine = shell.error(
        "orders", "propose", "PN-4711", "--supplier", SUPPLIER, "--token", token, "--price", "4.1234567",
        "--max-quantity", 1_000, "--valid-until", "+365d", "--account", BUYER, "--yes",
    )  # fmt: skip
    assert too_fine == "Error: --price: 4.1234567 has more than 6 decimals (SIX has 6 decimals)"

    proposed = shell.orders(
        "propose", "PN-4711", "--supplier", SUPPLIER, "--token", token, "--price", "4.25", "--max-quantity", 1_000,
        "--valid-until", "+365d", "--review", "2d", "--grace", "3d", "--account", BUYER, "--yes",
    )  # fmt: skip
    assert "4.25 SIX per unit; at most 1,000 units (4,250.00 SIX in all)" in proposed.stdout
    agreement = number_after("Proposed agreement #", proposed.stdout)
    shell.orders("accept", agreement, "--payee", f"{SUB1}:10%", "--account", SUPPLIER, "--yes")

    created = shell.orders(
        "create", agreement, "--quantity", 200, "--ship-by", "+5d", "--po", "PO-SIX-1", "--account", BUYER, "--yes"
    )
    assert "approve(0.00 SIX) then approve(850.00 SIX) for the escrow (the left-over allowance is reset to 0 first)" in created.stdout
    assert created.stdout.count("Approved ") == 2 and "Approved 850.00 SIX for the escrow" in created.stdout
    order = number_after("Created order #", created.stdout)
    with on_node(shell):
        from ape import Contract

        from factorychain.tokens import ERC20_ABI

        six = Contract(token, abi=ERC20_ABI)
        assert six.allowance(t[3], shell.deployment.escrow) == 0  # exactly what was needed, all pulled
        assert six.balanceOf(shell.deployment.escrow) == 850 * SIX
        from ape import project

        project.MockERC20.at(token).set_blocked(t[5], True, sender=t[0])  # the subcontractor is blocklisted

    shell.orders("ship", order, "--quantity", 150, "--account", SUPPLIER, "--yes")
    confirmed = shell.orders("confirm", order, 1, "--account", BUYER, "--yes")
    assert f"deferred 63.75 SIX -> {t[5].address} (subcontractor 1, 10.00 %)" in confirmed.stdout
    assert f"paid     573.75 SIX -> {t[4].address} (supplier)" in confirmed.stdout
    shell.orders("ship", order, "--quantity", 50, "--account", SUPPLIER, "--yes")

    # A revision of the design and its key shared with the supplier, for the supplier's notices.
    revision = tmp_path / "bracket-revB.step"
    revision.write_bytes(b"ISO-10303-21; engine-mount bracket rev B")
    key_v2 = tmp_path / "v2.key"
    shell.ok("parts", "publish", "PN-4711", revision, "--store", tmp_path / "store", "--key-file", key_v2, "--account", OEM)
    supplier_pubkey = "0x" + public_key_from_private(t[4].private_key).hex()
    shell.ok("parts", "share-key", "PN-4711", 2, "--partner-pubkey", supplier_pubkey, "--key-file", key_v2, "--account", OEM)

    shell.later(2 * DAY - 12 * 3_600)  # lot 2's review ends within 24 h; the certification within 14 days

    owed = shell.orders("owed", SUB1, "--confirmations", 0).stdout
    assert "credit to claim      63.75 SIX  (`ape run orders claim`)" in owed
    # lot 2 in review pays it 21.25 (10 % of 212.50); nothing unshipped is left
    assert "receivable           21.25 SIX  (lots in review 21.25 SIX, unshipped units 0.00 SIX)" in owed

    url, received = webhook
    watched = shell.orders("watch", "--party", SUB1, "--webhook", url, "--once", "--from-block", 0, "--confirmations", 0)
    assert "[payment_deferred] a payment of order #1 could not be pushed to you and became a credit" in watched.stdout
    kinds = [notice["kind"] for notice in received]
    assert kinds == ["order_created", "lot_shipped", "payment_deferred", "lot_shipped", "review_ending"], kinds
    deferred = received[2]
    assert deferred["content_type"] == "application/json"
    assert deferred["party"] == t[5].address and deferred["amount"] == "63750000" and deferred["token"] == token
    assert deferred["order_id"] == order and deferred["tx_hash"].startswith("0x")

    supplier_view = shell.orders("watch", "--party", SUPPLIER, "--once", "--from-block", 0, "--confirmations", 0).stdout
    for kind in ("design_revised", "key_shared", "order_created", "lot_shipped", "review_ending", "certification_expiring"):
        assert f"[{kind}]" in supplier_view, (kind, supplier_view)
    assert "has a new version 2" in supplier_view and "the key of part 0x" in supplier_view
    assert "your certification for part 0x" in supplier_view
    buyer_view = shell.orders("watch", "--party", BUYER, "--once", "--from-block", 0, "--confirmations", 0).stdout
    assert "the supplier 0x" in buyer_view and "certification for part" in buyer_view and "[key_shared]" not in buyer_view

    unreachable = shell.ok("orders", "watch", "--party", SUB1, "--webhook", "http://127.0.0.1:9/none", "--once", "--from-block", 0, "--confirmations", 0)
    assert "[payment_deferred]" in unreachable.stdout
    assert "Warning: webhook http://127.0.0.1:9/none:" in unreachable.stderr and "the notice was printed only" in unreachable.stderr

    claimed = shell.orders("claim", "--to", BANK, "--account", SUB1, "--yes")
    assert f"SIX  63.75 SIX -> {t[9].address}" in claimed.stdout and "Claimed 63.75 SIX" in claimed.stdout
    with on_node(shell):
        assert six.balanceOf(t[9]) == 63_750_000
        assert escrow_at(shell).credit_of(t[5], token) == 0
        escrow_balance = six.balanceOf(shell.deployment.escrow)
    assert escrow_balance == 212_500_000  # lot 2, still in review

    rows = jsonl(shell.orders("export", "--format", "jsonl", "--party", SUB1, "--confirmations", 0).stdout)
    assert [(r["kind"], r["amount"]) for r in rows] == [("deferred", "63750000"), ("claim", "63750000")]
    csv_file = tmp_path / "erp.csv"
    exported = shell.orders("export", "--out", csv_file, "--confirmations", 0)
    assert "Exported 3 row(s)" in exported.stderr  # the deferred share, the supplier's remainder, the claim
    header = csv_file.read_text().splitlines()[0]
    assert header.startswith("kind,purpose,po_ref,po_ref_hex,agreement_id,order_id,lot,payee,token,amount")
