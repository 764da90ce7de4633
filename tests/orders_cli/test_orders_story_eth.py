"""The v2 demo story from the shell with `ape run orders …` alone, paid in ETH, on a standalone Anvil:
propose → accept with payees → create → ship two lots, one late → sign-receipt + relay → release →
assign → receive → refund → claim; `owed`, `deadlines` and `export` checked to the wei against the
chain; and every class of user mistake ends in one `Error:` line, with nothing sent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from _orders_cli_support import (
    ADMIN,
    ARBITER,
    BANK,
    BUYER,
    DAY,
    GATE,
    SUB1,
    SUB2,
    SUPPLIER,
    escrow_at,
    jsonl,
    number_after,
    on_node,
    set_up_part,
    shell,  # noqa: F401 - module-scoped fixture
)

NODE_CHAIN_ID = 31_711
ETH = 10**18


def eth(text: str) -> int:
    return int(Decimal(text) * ETH)


@pytest.fixture(scope="module")
def agreement(shell, accounts) -> int:
    """PN-4711 published and certified, then an agreement proposed by the buyer and accepted with two payees."""
    set_up_part(shell)
    proposed = shell.orders(
        "propose", "PN-4711", "--supplier", SUPPLIER, "--price", "0.0125", "--max-quantity", 2_000,
        "--valid-until", "+365d", "--review", "3d", "--grace", "5d", "--penalty-per-day", "1%",
        "--penalty-cap", "10%", "--inspector", GATE, "--account", BUYER, "--yes",
    )  # fmt: skip
    agreement_id = number_after("Proposed agreement #", proposed.stdout)
    assert "0.0125 ETH per unit; at most 2,000 units (25.00 ETH in all)" in proposed.stdout
    assert "5 d grace after ship-by; 1.00 % a started day, at most 10.00 % of a late lot" in proposed.stdout
    accepted = shell.orders(
        "accept", agreement_id, "--payee", f"{SUB1}:15%", "--payee", f"{SUB2}:8%", "--account", SUPPLIER, "--yes"
    )
    assert "you keep  77.00 % of every lot, less any late penalty" in accepted.stdout
    assert "per unit  subcontractor 1 0.001875 ETH, subcontractor 2 0.001 ETH, you 0.009625 ETH" in accepted.stdout
    return agreement_id


def paid_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.strip().startswith("paid ")]


def test_story__whole_v2_demo_from_the_commands_alone__to_the_wei(shell, agreement, accounts, tmp_path):
    t = accounts
    created = shell.orders(
        "create", agreement, "--quantity", 1_000, "--ship-by", "+7d", "--po", "PO-2026-0042", "--account", BUYER, "--yes"
    )
    order = number_after("Created order #", created.stdout)
    assert "locks     12.50 ETH from you" in created.stdout
    assert f"Created order #{order} under agreement #{agreement}: 1,000 units, 12.50 ETH locked" in created.stdout

    docs = tmp_path / "packing-list-1.pdf"
    docs.write_bytes(b"600 brackets, pallets 1-6")
    first = shell.orders("ship", order, "--quantity", 600, "--docs", docs, "--account", SUPPLIER, "--yes")
    assert f"Shipped lot 1 of order #{order}: 600 units, 7.50 ETH, penalty 0.00 %" in first.stdout
    assert "on time" in first.stdout

    shell.later(8 * DAY + DAY // 2)  # 1.5 days after ship-by: a lot shipped now is 2 started days late
    docs2 = tmp_path / "packing-list-2.pdf"
    docs2.write_bytes(b"300 brackets, pallets 7-9")
    second = shell.orders("ship", order, "--quantity", 300, "--docs", docs2, "--account", SUPPLIER, "--yes")
    assert "late, penalty 2.00 % (0.075 ETH back to the buyer when paid)" in second.stdout
    assert f"0.075 ETH -> {t[3].address} (buyer): incl. late penalty 0.075 ETH" in second.stdout
    assert f"Shipped lot 2 of order #{order}: 300 units, 3.75 ETH, penalty 2.00 %" in second.stdout

    # Mid-story: the ledger agrees with the chain to the wei.
    with on_node(shell):
        escrow_balance = escrow_at(shell).balance
    assert escrow_balance == eth("12.5")
    owed_buyer = shell.orders("owed", BUYER, "--confirmations", 0).stdout
    assert "locked as buyer      12.50 ETH" in owed_buyer
    owed_supplier = shell.orders("owed", SUPPLIER, "--confirmations", 0).stdout
    # lots in review: 5.775 (lot 1) + 2.8125 (lot 2, penalty 0.075 deducted); 100 units unshipped: 0.9625
    assert "receivable           9.55 ETH  (lots in review 8.5875 ETH, unshipped units 0.9625 ETH)" in owed_supplier
    clocks = shell.orders("deadlines", "--party", SUPPLIER, "--confirmations", 0).stdout
    assert "3 clock(s)" in clocks
    assert f"review          order #{order} lot 1" in clocks and "ran out: anyone: release pays the supplier side" in clocks
    assert f"review          order #{order} lot 2" in clocks and f"shipping_window order #{order}" in clocks

    # The gate scanner (Anvil key #7, the inspector) signs; a courier relays and pays the gas.
    grn = tmp_path / "grn-2.pdf"
    grn.write_bytes(b"goods received: 300 brackets")
    receipt_file = tmp_path / "receipt-lot2.json"
    signed = shell.orders("sign-receipt", order, 2, "--receipt", grn, "--deadline", "+2d", "--out", receipt_file, "--account", GATE)
    assert f"as {t[7].address}" in signed.stderr
    data = json.loads(receipt_file.read_text())
    assert data["signer"] == t[7].address and data["lot"] == 2
    relayed = shell.orders("relay", receipt_file, "--account", BANK, "--yes")
    assert f"signed by    {t[7].address} (inspector)" in relayed.stdout
    assert paid_lines(relayed.stdout) == [
        f"paid     0.5625 ETH -> {t[5].address} (subcontractor 1, 15.00 %)",
        f"paid     0.30 ETH -> {t[6].address} (subcontractor 2, 8.00 %)",
        f"paid     2.8125 ETH -> {t[4].address} (supplier)",
        f"paid     0.075 ETH -> {t[3].address} (buyer)",
    ]

    released = shell.orders("release", order, 1, "--account", ADMIN, "--yes")
    assert paid_lines(released.stdout) == [
        f"paid     1.125 ETH -> {t[5].address} (subcontractor 1, 15.00 %)",
        f"paid     0.60 ETH -> {t[6].address} (subcontractor 2, 8.00 %)",
        f"paid     5.775 ETH -> {t[4].address} (supplier)",
    ]

    # The supplier sells the rest of the order to its bank; the buyer then receives 50 units directly.
    assigned = shell.orders("assign", order, BANK, "--account", SUPPLIER, "--yes")
    assert f"Assigned the payout of order #{order} to {t[9].address}" in assigned.stdout
    received = shell.orders("receive", order, "--quantity", 50, "--account", BUYER, "--yes")
    assert paid_lines(received.stdout) == [
        f"paid     0.09375 ETH -> {t[5].address} (subcontractor 1, 15.00 %)",
        f"paid     0.05 ETH -> {t[6].address} (subcontractor 2, 8.00 %)",
        f"paid     0.48125 ETH -> {t[9].address} (assignee)",
    ]

    shell.later(4 * DAY)  # past ship-by + 5 days of grace: the last 50 units go back to the buyer
    refunded = shell.orders("refund", order, "--account", ADMIN, "--yes")
    assert f"Refunded 50 unit(s) of order #{order}: 0.625 ETH" in refunded.stdout
    assert shell.orders("claim", "--account", SUB1).stdout.startswith(f"Nothing to claim: {t[5].address}")

    shown = shell.orders("show", order).stdout
    assert shown.startswith(f"Order #{order} (PO PO-2026-0042) under agreement #{agreement} (ACTIVE): settled")
    assert "lot 2      300 units, 3.75 ETH, COMPLETED, penalty 2.00 %" in shown
    assert "lot 3      50 units, 0.625 ETH, COMPLETED, received" in shown
    assert f"payout     {t[9].address} (assignee)" in shown

    # Export: every payment, to the wei, equals the chain's Paid events; nothing is left in escrow.
    rows = jsonl(shell.orders("export", "--format", "jsonl", "--confirmations", 0).stdout)
    paid = {}
    for row in rows:
        if row["kind"] == "paid" and row["order_id"] == order:
            paid[row["payee"]] = paid.get(row["payee"], 0) + int(row["amount"])
    with on_node(shell):
        escrow = escrow_at(shell)
        chain_paid = {}
        for log in escrow.Paid.range(shell.deployment.block_number, escrow.chain_manager.blocks.height + 1):
            if int(log.order_id) == order:
                chain_paid[str(log.payee)] = chain_paid.get(str(log.payee), 0) + int(log.amount)
        assert escrow.balance == 0
    assert paid == chain_paid == {
        t[5].address: eth("1.78125"),
        t[6].address: eth("0.95"),
        t[4].address: eth("8.5875"),
        t[9].address: eth("0.48125"),
        t[3].address: eth("0.7"),  # the 0.075 penalty and the 0.625 refund
    }
    assert sum(paid.values()) == eth("12.5")
    assert {(r["kind"], r["lot"], int(r["amount"])) for r in rows if r["kind"] in ("penalty", "refund")} == {
        ("penalty", 2, eth("0.075")),
        ("refund", None, eth("0.625")),
    }
    assert all(r["po_ref"] == "PO-2026-0042" for r in rows if r["order_id"] == order)
    assert "nothing locked" in shell.orders("owed", BUYER, "--confirmations", 0).stdout
    assert "0 clock(s)" in shell.orders("deadlines", "--confirmations", 0).stdout
    listed = shell.orders("list", BANK, "--confirmations", 0).stdout
    assert f"#{order}" in listed and "PO-2026-0042" in listed and "settled  [assignee]" in listed

    watched = shell.orders("watch", "--party", SUPPLIER, "--once", "--from-block", 0, "--confirmations", 0).stdout
    assert f"[order_created] order #{order} (PO PO-2026-0042) created under agreement #{agreement}: 1,000 units" in watched
    assert watched.count("[lot_shipped]") == 2 and "300 units, 2.00 % late penalty" in watched


# ---------------------------------------------------------------- one-line mistakes, nothing sent


@pytest.fixture
def open_order(shell, agreement) -> int:
    created = shell.orders(
        "create", agreement, "--quantity", 10, "--ship-by", "+7d", "--po", "PO-MISTAKES", "--account", BUYER, "--yes"
    )
    return number_after("Created order #", created.stdout)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--ship-by", "next-week"), "--ship-by: 'next-week' is not a date; write ISO 8601 (2026-07-01, 2026-07-01T14:00Z) or a time from now (+14d, +12h)"),
        (("--ship-by", "2020-02-30"), "--ship-by: '2020-02-30' is not a date"),
        (("--ship-by", "2020-01-01"), "--ship-by: 2020-01-01 23:59:59 UTC is not after the chain's time"),
        (("--ship-by", "+7d", "--quantity", "ten"), "--quantity: 'ten' is not a whole number of units above 0"),
        (("--ship-by", "+7d", "--quantity", 5_000), "--quantity 5,000: only"),
    ],
)
def test_create__bad_date_or_quantity__one_line(shell, agreement, accounts, args, fragment):
    nonce = shell.nonce(accounts[3])
    options = dict(zip(args[::2], args[1::2]))
    options.setdefault("--quantity", 10)
    flat = [item for pair in options.items() for item in pair]

    line = shell.error("orders", "create", agreement, *flat, "--po", "PO-X", "--account", BUYER, "--yes")

    assert fragment in line
    assert shell.nonce(accounts[3]) == nonce


def test_propose__price_with_more_decimals_than_the_token__one_line(shell, agreement):
    line = shell.error(
        "orders", "propose", "PN-4711", "--supplier", SUPPLIER, "--price", "0.0000000000000000001",
        "--max-quantity", 10, "--valid-until", "+30d", "--account", BUYER, "--yes",
    )  # fmt: skip

    assert line == "Error: --price: 0.0000000000000000001 has more than 18 decimals (ETH has 18 decimals)"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("ship", 99, "--quantity", 1), "order 99 does not exist on escrow"),
        (("create", 42, "--quantity", 1, "--ship-by", "+1d", "--po", "X"), "agreement 42 does not exist on escrow"),
        (("show", "seven"), "ORDER: 'seven' is not a number (1, 2, 3 …)"),
    ],
)
def test_unknown_ids__one_line(shell, agreement, args, fragment):
    account = [] if args[0] == "show" else ["--account", BUYER, "--yes"]

    assert fragment in shell.error("orders", *args, *account)


def test_confirm__lot_that_does_not_exist__one_line(shell, open_order):
    line = shell.error("orders", "confirm", open_order, 9, "--account", BUYER, "--yes")

    assert line == f"Error: order {open_order} has no lot 9 (nothing was shipped yet)"


def test_ship__wrong_account__the_revert_reason_and_the_fix_in_one_line(shell, open_order, accounts):
    nonce = shell.nonce(accounts[3])

    line = shell.error("orders", "ship", open_order, "--quantity", 1, "--account", BUYER, "--yes")

    assert line == (
        "Error: the escrow would refuse this: escrow: not supplier "
        f"(the supplier is {accounts[4].address}; use --account with it)"
    )
    assert shell.nonce(accounts[3]) == nonce


def test_refund__window_still_open__reason_and_when_it_closes(shell, open_order):
    line = shell.error("orders", "refund", open_order, "--account", ADMIN, "--yes")

    assert line.startswith("Error: the escrow would refuse this: escrow: shipping window open (the supplier may ship until ")


def test_resolve__not_an_arbiter__reason_in_one_line(shell, open_order, tmp_path):
    shell.orders("ship", open_order, "--quantity", 2, "--account", SUPPLIER, "--yes")
    shell.orders("dispute", open_order, 1, "--account", GATE, "--yes")

    line = shell.error("orders", "resolve", open_order, 1, "--supplier-share", "60%", "--account", BUYER, "--yes")
    resolved = shell.orders("resolve", open_order, 1, "--supplier-share", "60%", "--account", ARBITER, "--yes")

    assert "access_control: account is missing role (only an arbiter may rule" in line
    # 60 % of the lot's 0.025 ETH to the supplier side: 15 % and 8 % of it to the subcontractors.
    assert "paid     0.00225 ETH" in resolved.stdout and "paid     0.0012 ETH" in resolved.stdout
    assert "paid     0.01155 ETH" in resolved.stdout and "paid     0.01 ETH" in resolved.stdout


def test_create__no_yes_and_no_terminal__preview_then_nothing_sent(shell, agreement, accounts):
    nonce = shell.nonce(accounts[3])

    result = shell.run("orders", "create", agreement, "--quantity", 3, "--ship-by", "+7d", "--po", "PO-NOTTY", "--account", BUYER)

    assert result.exit_code == 1
    assert "Call off 3 units under agreement" in result.stdout  # the preview was shown
    assert result.stderr.strip() == "Error: nothing sent: there is no terminal to confirm on; check the preview and pass --yes"
    assert shell.nonce(accounts[3]) == nonce


def test_create__on_a_terminal__asks__no_sends_nothing__yes_sends(shell, agreement, accounts, monkeypatch):
    import scripts._common as common

    monkeypatch.setattr(common, "has_terminal", lambda: True)
    nonce = shell.nonce(accounts[3])
    args = ("orders", "create", agreement, "--quantity", 2, "--ship-by", "+7d", "--po", "PO-TTY", "--account", BUYER)

    declined = shell.run(*args, input="n\n")
    nonce_after_no = shell.nonce(accounts[3])
    confirmed = shell.run(*args, input="y\n")

    assert declined.exit_code == 1 and "Send this transaction? [y/N]: n" in declined.stdout
    assert declined.stderr.strip() == "Error: nothing sent (not confirmed)"
    assert nonce_after_no == nonce
    assert confirmed.exit_code == 0 and "Created order #" in confirmed.stdout
    assert shell.nonce(accounts[3]) == nonce + 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("accept", 1, "--payee", "0x1234"), "--payee '0x1234': write ADDRESS:PERCENT"),
        (("accept", 1, "--payee", f"{SUB1}:150%"), "payees: shares add up to 150 %, above 100 %"),
        (("create", 1, "--ship-by", "+1d", "--po", "X"), "Missing option '--quantity'. (see `ape run orders create --help`)"),
        (("ship", 1, "--frobnicate"), "No such option: --frobnicate"),
        (("resolve", 1, 1), "give --supplier-share PERCENT (as the arbiter) or --expired"),
        (("relay", "/nonexistent/receipt.json"), "RECEIPT_FILE: no such file /nonexistent/receipt.json"),
    ],
)
def test_malformed_arguments__one_line(shell, agreement, args, fragment):
    assert fragment in shell.error("orders", *args, "--account", SUPPLIER, "--yes")


def test_sign_receipt__deadline_already_past__refused_in_one_line(shell, open_order):
    shell.orders("ship", open_order, "--quantity", 1, "--account", SUPPLIER, "--yes")

    line = shell.error("orders", "sign-receipt", open_order, 1, "--deadline", "2020-01-01", "--account", GATE)

    assert "--deadline: 2020-01-01 23:59:59 UTC is already past (chain time" in line
    assert "nobody could relay it" in line


def test_relay__receipt_altered_after_signing__refused_before_any_gas(shell, open_order, accounts, tmp_path):
    shell.orders("ship", open_order, "--quantity", 1, "--account", SUPPLIER, "--yes")
    out = tmp_path / "r.json"
    shell.orders("sign-receipt", open_order, 1, "--receipt-hash", "0x" + "11" * 32, "--out", out, "--account", GATE)
    data = json.loads(out.read_text())
    data["receipt_hash"] = "0x" + "22" * 32
    out.write_text(json.dumps(data))
    nonce = shell.nonce(accounts[9])

    line = shell.error("orders", "relay", out, "--account", BANK, "--yes")

    expected = ", ".join(sorted([accounts[3].address, accounts[7].address]))
    assert line.startswith("Error: receipt is signed by 0x") and line.endswith(f"expected one of: {expected}")
    assert shell.nonce(accounts[9]) == nonce


def test_sign_receipt__keystore_account_without_terminal__one_line_then_signs_with_the_env_passphrase(shell, open_order, accounts, tmp_path):
    """A real `ape run` process, stdin not a terminal, the gate scanner's key in an Ape keystore."""
    import os
    import subprocess

    from eth_account import Account

    shell.orders("ship", open_order, "--quantity", 1, "--account", SUPPLIER, "--yes")
    data = tmp_path / "ape-data"
    (data / "accounts").mkdir(parents=True)
    gate_key = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"  # Anvil key #7
    (data / "accounts" / "gate.json").write_text(json.dumps(Account.encrypt(gate_key, "s3cret")))
    out = tmp_path / "receipt.json"
    command = ["ape", "run", "orders", "sign-receipt", str(open_order), "1", "--out", str(out), "--account", "gate", "--network", shell.node.url]
    env = {**os.environ, "APE_DATA_FOLDER": str(data)}
    env.pop("APE_ACCOUNTS_gate_PASSPHRASE", None)

    refused = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    signed = subprocess.run(
        command, env={**env, "APE_ACCOUNTS_gate_PASSPHRASE": "s3cret"}, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )

    said = [line for line in refused.stderr.splitlines() if line.strip() and not line.startswith("INFO:")]
    assert refused.returncode == 1
    assert said == ["Error: account 'gate' is a keystore and there is no terminal to ask its passphrase: set APE_ACCOUNTS_gate_PASSPHRASE"]
    assert "GetPassWarning" not in refused.stderr + refused.stdout
    assert signed.returncode == 0, signed.stderr
    assert "GetPassWarning" not in signed.stderr and "Danger" not in signed.stderr
    assert json.loads(out.read_text())["signer"] == accounts[7].address


def test_decline_and_close__supplier_turns_down_a_call_off__a_party_closes_a_proposal(shell, agreement, open_order, accounts):
    t = accounts
    declined = shell.orders("decline", open_order, "--account", SUPPLIER, "--yes")
    again = shell.error("orders", "decline", open_order, "--account", SUPPLIER, "--yes")
    proposal = number_after("Proposed agreement #", shell.orders(
        "propose", "PN-4711", "--supplier", SUPPLIER, "--price", "1", "--max-quantity", 5, "--valid-until", "+10d",
        "--account", BUYER, "--yes",
    ).stdout)  # fmt: skip
    stranger = shell.error("orders", "close", proposal, "--account", BANK, "--yes")
    closed = shell.orders("close", proposal, "--account", SUPPLIER, "--yes")
    too_late = shell.error("orders", "accept", proposal, "--account", SUPPLIER, "--yes")

    assert f"returns  0.125 ETH to the buyer {t[3].address}" in declined.stdout
    assert f"paid     0.125 ETH -> {t[3].address} (buyer)" in declined.stdout
    assert "escrow: order declined" in again
    assert stranger == f"Error: the escrow would refuse this: escrow: not a party (only the buyer {t[3].address} or the supplier {t[4].address} may close it)"
    assert f"Closed agreement #{proposal}" in closed.stdout
    assert too_late == f"Error: agreement {proposal} is CLOSED, not PROPOSED: only a proposal can be accepted"


def test_resolve_expired__arbitration_deadline_passed__anyone_splits_50_50(shell, open_order, accounts):
    """Last in the module: it moves the node's clock 31 days on."""
    t = accounts
    shell.orders("ship", open_order, "--quantity", 4, "--account", SUPPLIER, "--yes")
    disputed = shell.orders("dispute", open_order, 1, "--reason-hash", "0x" + "ee" * 32, "--account", BUYER, "--yes")
    early = shell.error("orders", "resolve", open_order, 1, "--expired", "--account", BANK, "--yes")
    shell.later(31 * DAY)
    resolved = shell.orders("resolve", open_order, 1, "--expired", "--account", BANK, "--yes")

    assert "arbiter  rules by " in disputed.stdout and "(in 30 d)" in disputed.stdout
    assert early.startswith("Error: the escrow would refuse this: escrow: arbitration running (the arbiter may rule until ")
    # 4 units = 0.05 ETH; supplier side 50 %: 15 % and 8 % of 0.025 to the subcontractors, 0.025 back to the buyer
    assert paid_lines(resolved.stdout) == [
        f"paid     0.00375 ETH -> {t[5].address} (subcontractor 1, 15.00 %)",
        f"paid     0.002 ETH -> {t[6].address} (subcontractor 2, 8.00 %)",
        f"paid     0.01925 ETH -> {t[4].address} (supplier)",
        f"paid     0.025 ETH -> {t[3].address} (buyer)",
    ]
