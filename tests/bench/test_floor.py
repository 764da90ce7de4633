"""The gas-floor arithmetic (bench/floor.py) and report helpers (bench/report.py) on hand-computed cases.

Pure Python: no chain. Every expected number below is worked out by hand from the prices in
docs/gas-floor.md, so a change of model shows up here before it shows up in docs/gas.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is a top-level folder of the project, not an installed package, and pytest puts tests/
# on sys.path, where this very folder would pass for a namespace package named `bench`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if getattr(sys.modules.get("bench"), "__file__", "") is None:
    del sys.modules["bench"]

from bench import floor as F  # noqa: E402
from bench import report  # noqa: E402
from bench.floor import Floor, Receiver  # noqa: E402

SELECTOR = bytes.fromhex("a1b2c3d4")


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


# ---------------------------------------------------------------- primitives


def test_calldata_gas__zero_and_nonzero_bytes__priced_4_and_16():
    assert F.calldata_gas(b"\x00\x01\x00\xff") == 2 * 4 + 2 * 16
    assert F.calldata_gas(b"") == 0


def test_log_gas__paid_event__2131():
    # Paid(order_id, payee, token indexed; amount): signature + 3 topics, one data word.
    assert F.log_gas(4, 32) == 375 + 4 * 375 + 32 * 8 == 2_131


def test_log_gas__five_topics__raises():
    with pytest.raises(ValueError):
        F.log_gas(5, 0)


@pytest.mark.parametrize("bits, expected", [(0, 0), (1, 1), (256, 1), (257, 2), (1_156, 5), (8 * 174, 6)])
def test_words__bits__rounded_up_to_whole_words(bits, expected):
    assert F.words(bits) == expected


def test_keccak_gas__66_bytes__three_words():
    assert F.keccak_gas(66) == 30 + 3 * 6 == 48
    assert F.keccak_gas(128) == 30 + 4 * 6 == 54


def test_abi_dynamic_bytes__offset_length_and_padded_data():
    assert F.abi_dynamic_bytes(29) == 32 + 32 + 32
    assert F.abi_dynamic_bytes(256) == 32 + 32 + 256
    assert F.abi_dynamic_bytes(0) == 64


# ---------------------------------------------------------------- building blocks


def test_eth_push__existing_cold_account__9300():
    # 9 000 value - 2 300 stipend returned (the callee runs no code) + 2 600 cold access.
    assert Floor().eth_push(Receiver()).total == 9_300


def test_eth_push__warm_account__6800():
    assert Floor().eth_push(Receiver(warm=True)).total == 6_800


def test_eth_push__empty_account__adds_25000():
    assert Floor().eth_push(Receiver(new=True)).total == 34_300


def test_erc20_transfer__first_to_new_holder__cold_token_and_created_balance():
    fl = Floor().erc20_transfer(Receiver(new=True), token_cold=True, sender_first=True)
    assert fl.total == 2_600 + 5_000 + 22_100 + 1_756


def test_erc20_transfer__later_to_existing_holder__warm_token_and_dirty_sender_slot():
    fl = Floor().erc20_transfer(Receiver(), token_cold=False, sender_first=False)
    assert fl.total == 100 + 100 + 5_000 + 1_756


def test_clear__small_call__refund_capped_at_a_fifth():
    fl = Floor().add("work", 10_000).clear("slot")
    assert fl.gross == 15_000
    assert fl.refund == 3_000  # min(4 800, 15 000 // 5)
    assert fl.total == 12_000


def test_clear__large_call__full_refund():
    fl = Floor().add("work", 100_000).clear("slot")
    assert fl.refund == 4_800
    assert fl.total == 100_200


def test_lines__refund_listed_negative():
    fl = Floor().clear("credit")
    assert fl.lines() == [("clear credit", 5_000), ("refund: clear credit", -4_800)]


def test_add__negative_count__raises():
    with pytest.raises(ValueError):
        Floor().add("x", 1, -1)


# ---------------------------------------------------------------- whole calls


def test_claim__eth_to_the_caller__hand_computed():
    calldata = SELECTOR + bytes(32)  # claim(address(0))
    # 21 000 + 4*16 + 32*4 = 21 192; clear 5 000; push to the warm sender 6 800; Claimed 1 756.
    gross = 21_192 + 5_000 + 6_800 + 1_756
    assert F.claim(calldata).gross == gross == 34_748
    assert F.claim(calldata).total == gross - 4_800 == 29_948


def test_confirm_delivery__eth_one_payee__hand_computed():
    calldata = SELECTOR + word(1) + b"\x11" * 32  # order 1, a receipt hash with no zero byte
    # tx 21 000 + 31*4 + 37*16; the order: 584 bits -> 3 words, one updated (5 000), two read
    # (4 200); DeliveryConfirmed 1 756; one cold push 9 300 and its Paid 2 131.
    expected = 21_000 + 124 + 592 + 5_000 + 4_200 + 1_756 + 9_300 + 2_131
    assert F.confirm_delivery(calldata, [Receiver()]).total == expected == 44_103


def test_confirm_delivery__nine_payees__reads_six_payee_words():
    calldata = SELECTOR + word(1) + b"\x11" * 32
    one = F.confirm_delivery(calldata, [Receiver()]).total
    nine = F.confirm_delivery(calldata, [Receiver()] * 9).total
    # 8 * 174 bits of payees -> 6 words; eight more pushes and Paid events.
    assert nine - one == 6 * 2_100 + 8 * (9_300 + 2_131)


def test_confirm_delivery__erc20_new_holders__one_cold_token_access():
    calldata = SELECTOR + word(1) + b"\x11" * 32
    base = 21_000 + 716 + 5_000 + 4_200 + 1_756 + 2_100  # + one payee word
    first = 2_600 + 5_000 + 22_100 + 1_756 + 2_131
    second = 100 + 100 + 22_100 + 1_756 + 2_131
    assert F.confirm_delivery(calldata, [Receiver(new=True)] * 2, erc20=True).total == base + first + second


def test_create_order__eth__five_new_words():
    calldata = SELECTOR + bytes(320)
    fl = F.create_order(calldata)
    assert F.ORDER_AT_CREATE_BITS == 1_156
    # tx, counter 5 000, registry 2 600 + 3 reads, 5 words, OrderCreated 375 + 4*375 + 160*8.
    assert fl.total == 21_000 + 4 * 16 + 320 * 4 + 5_000 + 2_600 + 3 * 2_100 + 5 * 22_100 + 3_155


def test_create_order__erc20__pull_and_two_warm_balance_checks():
    calldata = SELECTOR + bytes(320)
    extra = 2_600 + 3 * 5_000 + 1_756 + 2 * 100
    assert F.create_order(calldata, erc20=True).total - F.create_order(calldata).total == extra


@pytest.mark.parametrize("subs, payee_words", [(0, 0), (1, 1), (3, 3), (4, 3), (8, 6)])
def test_accept_order__payees__packed_174_bits_each(subs, payee_words):
    calldata = SELECTOR
    fl = F.accept_order(calldata, subs)
    fixed = 21_000 + 64 + 5_000 + 2_100 + 2_600 + 2 * 2_100
    log = 375 + 2 * 375 + 8 * (64 + 64 * subs)
    assert fl.total == fixed + payee_words * 22_100 + log


def test_register_part__short_uri__two_version_words():
    calldata = SELECTOR
    fl = F.register_part(calldata, 29)
    # role read; part word; hash + 9-bit length + 232 bits of URI = 497 bits -> 2 words;
    # PartRegistered: 3 topics, version + hash + offset + length + one data word = 160 bytes.
    assert fl.total == 21_064 + 2_100 + 22_100 + 2 * 22_100 + 375 + 3 * 375 + 160 * 8


def test_register_part__256_char_uri__ten_version_words():
    fl = F.register_part(SELECTOR, 256)
    assert ("create version (spec hash, uri) x10", 221_000) in fl.lines()


def test_mark_shipped__one_word_written_nothing_else_read():
    assert F.mark_shipped(SELECTOR).total == 21_064 + 5_000 + 1_381


def test_confirm_delivery_signed__adds_hashing_and_ecrecover():
    calldata = SELECTOR + word(1)
    plain = F.confirm_delivery(calldata, [Receiver()]).total
    signed = F.confirm_delivery_signed(calldata, [Receiver()]).total
    assert signed - plain == 54 + 48 + 3_000


def test_resolve__expired__timeout_read_instead_of_role():
    calldata = SELECTOR + word(1)
    a = F.resolve(calldata, [Receiver()], Receiver())
    b = F.resolve(calldata, [Receiver()], Receiver(), expired=True)
    assert a.total == b.total  # one cold read each; disputed_at still fits the three order words
    assert ("read role membership", 2_100) in a.lines()
    assert ("read arbitration timeout (global word)", 2_100) in b.lines()


# ---------------------------------------------------------------- report helpers


def test_linear_fit__exact_line__slope_intercept_no_residual():
    fit = report.linear_fit([(k, 50_000 + 14_000 * k) for k in range(9)])
    assert fit["slope"] == pytest.approx(14_000)
    assert fit["intercept"] == pytest.approx(50_000)
    assert fit["max_residual"] == pytest.approx(0, abs=1e-6)


def test_linear_fit__one_point__raises():
    with pytest.raises(ValueError):
        report.linear_fit([(0, 1)])


def _data(gas: int, floor: int) -> dict:
    call = {"call": "mark_shipped", "case": "by the supplier", "gas": gas, "floor": floor, "ratio": gas / floor, "floor_items": []}
    first = {
        "orders_before": 1,
        "parts_before": 1,
        "transactions": 1,
        "seconds": 1.0,
        "calls": {"mark_shipped": call},
        "sweep": {"eth": [[0, 100, 90], [1, 200, 180]]},
        "lifecycle": ["mark_shipped"],
    }
    meta = {"generated": "today", "evm_version": "cancun", "vyper": "0.4.3", "sources_sha256": "ab" * 32,
            "fill": {"orders": 0, "parts": 0, "seconds": 0}}
    return report.build(first, None, meta=meta, timing={"bench_seconds": 1.0}, baseline=None)


def test_render__above_threshold_without_reason__flagged():
    text = report.render(_data(gas=2_000, floor=1_000))
    assert "not yet explained" in text
    assert "**above** 1.3×" in text


def test_render__within_threshold__no_flag_and_baseline_is_this_run():
    data = _data(gas=1_100, floor=1_000)
    text = report.render(data)
    assert "not yet explained" not in text
    assert "No call is above 1.5× its floor." in text
    assert data["baseline"]["gas"] == {"mark_shipped": 1_100}
    assert "| `mark_shipped` | by the supplier | 1 100 | 1 000 | 1.10 | 1 100 | 0 |" in text


def test_render__floor_above_gas__flagged_as_model_error():
    text = report.render(_data(gas=900, floor=1_000))
    assert "the floor model is wrong here" in text
    assert "fix bench/floor.py" in text


def test_render__sources_changed__notes_flagged_for_recheck():
    text = report.render(_data(gas=1_100, floor=1_000))
    assert "re-check them against a trace" in text
