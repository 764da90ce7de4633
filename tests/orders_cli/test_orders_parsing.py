"""The pure parts under `ape run orders`: dates, PO references, exact USDT-safe approvals, revert
reasons, and a keystore account that must never prompt (or warn) without a terminal."""

from __future__ import annotations

import io
import json
import sys
import warnings

import click
import pytest
from eth_abi import encode
from eth_account import Account

from factorychain.tokens import Token, approval_steps, ensure_allowance
from factorychain.keeper import revert_reason
from scripts._common import format_span, format_when, parse_duration, parse_when, unlock_signer
from scripts._escrow_views import po_ref, po_text

NOW = 1_780_000_000  # 2026-05-28 20:26:40 UTC
GATE_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"  # Anvil key #7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+14d", NOW + 14 * 86_400),
        ("+ 12h", NOW + 12 * 3_600),
        ("+90m", NOW + 5_400),
        ("+3600", NOW + 3_600),
        ("2026-07-01", 1_782_950_399),  # the end of that day, UTC: deadlines are inclusive
        ("2026-07-01T14:00", 1_782_914_400),  # no offset: UTC
        ("2026-07-01T14:00Z", 1_782_914_400),
        ("2026-07-01T16:00+02:00", 1_782_914_400),
        ("1782914400", 1_782_914_400),
    ],
)
def test_parse_when__iso_8601_relative_or_unix__unix_time(text, expected):
    assert parse_when(text, "--ship-by", NOW) == expected


@pytest.mark.parametrize("text", ["next week", "+14 days", "2026-13-01", "01/07/2026", "+-3d", ""])
def test_parse_when__not_a_date__one_line_naming_both_forms(text):
    with pytest.raises(click.ClickException) as raised:
        parse_when(text, "--ship-by", NOW)

    assert raised.value.message == (
        f"--ship-by: {text!r} is not a date; write ISO 8601 (2026-07-01, 2026-07-01T14:00Z) or a time from now (+14d, +12h)"
    )


def test_parse_duration__is_the_sdks__same_message():
    assert parse_duration("5d", "--grace") == 432_000
    with pytest.raises(click.ClickException, match=r"--grace: 'soon' is not a duration \(seconds, or a number followed by s, m, h or d\)"):
        parse_duration("soon", "--grace")


def test_format_when__relative_part__two_largest_units():
    assert format_when(NOW + 3 * 86_400 + 4 * 3_600 + 59, NOW) == "2026-06-01 00:27:39 UTC (in 3 d 4 h)"
    assert format_when(NOW - 90, NOW) == "2026-05-28 20:25:10 UTC (1 min 30 s ago)"
    assert format_span(0) == "0 s"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("PO-2026-0042", b"PO-2026-0042".ljust(32, b"\0")),
        ("Bestellung Nr. 4711 – Halter", "Bestellung Nr. 4711 – Halter".encode().ljust(32, b"\0")),
        ("0x" + "ab" * 32, bytes.fromhex("ab" * 32)),
    ],
)
def test_po_ref__text_padded_or_bytes32_as_is__and_read_back(text, stored):
    assert po_ref(text) == stored
    assert po_text(stored) == (text if not text.startswith("0x") else "0x" + "ab" * 32)


def test_po_ref__longer_than_32_bytes__its_keccak():
    from eth_utils import keccak

    long = "PO-2026-0042 / line 7 / call-off 3 of 12 / plant Graz"
    assert po_ref(long) == keccak(long.encode())
    assert po_text(po_ref(long)).startswith("0x")


@pytest.mark.parametrize(
    ("current", "needed", "steps"),
    [(0, 850, [850]), (1, 850, [0, 850]), (850, 850, []), (10**30, 850, []), (849, 850, [0, 850])],
)
def test_approval_steps__exact_and_usdt_safe(current, needed, steps):
    assert approval_steps(current, needed) == steps


class _UsdtLike:
    """approve() refuses to change a non-zero allowance to another non-zero one, as mainnet USDT does."""

    def __init__(self, allowance: int) -> None:
        self.value = allowance
        self.calls: list[int] = []

    def allowance(self, owner, spender) -> int:
        return self.value

    def approve(self, spender, amount, sender) -> str:
        if self.value and amount:
            raise AssertionError("USDT: approve from non-zero to non-zero")
        self.calls.append(amount)
        self.value = amount
        return f"tx-{len(self.calls)}"


def test_ensure_allowance__usdt_style_left_over__reset_to_zero_then_exact():
    contract = _UsdtLike(allowance=5)
    token = Token("0x" + "11" * 20, "USDT", 6, contract)
    seen = []

    receipts = ensure_allowance(token, "0x" + "22" * 20, "0x" + "33" * 20, 1_000_000, on_step=lambda a, r: seen.append((a, r)))

    assert contract.calls == [0, 1_000_000] and receipts == ["tx-1", "tx-2"] and seen == [(0, "tx-1"), (1_000_000, "tx-2")]


def test_ensure_allowance__eth__nothing_to_approve():
    assert ensure_allowance(Token("0x" + "00" * 20, "ETH", 18), "0x" + "22" * 20, "0x" + "33" * 20, 10**18) == []


class _Reverted(Exception):
    def __init__(self, message: str, data: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


def test_revert_reason__web3_call_error__decoded_from_revert_data__keeps_the_contract_prefix():
    # What `simulate` hands it: web3's ContractLogicError (message and data), not Ape's, whose
    # message keeps only the text after the reason's last colon.
    data = "0x08c379a0" + encode(["string"], ["escrow: not supplier"]).hex()

    assert revert_reason(_Reverted("execution reverted: escrow: not supplier", data)) == "escrow: not supplier"
    assert revert_reason(_Reverted("execution reverted: registry: unknown part", None)) == "registry: unknown part"


@pytest.fixture
def keystore_account(tmp_path):
    from ape_accounts.accounts import KeyfileAccount

    path = tmp_path / "gate.json"
    path.write_text(json.dumps(Account.encrypt(GATE_KEY, "s3cret")))
    return KeyfileAccount(keyfile_path=path)


def test_unlock_signer__keystore_without_terminal__one_line_and_no_getpass_warning(keystore_account, monkeypatch):
    monkeypatch.delenv("APE_ACCOUNTS_gate_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(click.ClickException) as raised:
            unlock_signer(keystore_account)

    assert raised.value.message == (
        "account 'gate' is a keystore and there is no terminal to ask its passphrase: set APE_ACCOUNTS_gate_PASSPHRASE"
    )
    assert not caught, [str(w.message) for w in caught]
    assert keystore_account.locked


def test_unlock_signer__passphrase_from_environment__unlocked_once_for_the_command(keystore_account, monkeypatch):
    monkeypatch.setenv("APE_ACCOUNTS_gate_PASSPHRASE", "s3cret")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    unlock_signer(keystore_account)

    assert not keystore_account.locked


def test_unlock_signer__wrong_passphrase_in_environment__one_line(keystore_account, monkeypatch):
    monkeypatch.setenv("APE_ACCOUNTS_gate_PASSPHRASE", "wrong")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    with pytest.raises(click.ClickException) as raised:
        unlock_signer(keystore_account)

    assert raised.value.message.startswith("account 'gate': wrong passphrase (from APE_ACCOUNTS_gate_PASSPHRASE)")
    assert "\n" not in raised.value.message
