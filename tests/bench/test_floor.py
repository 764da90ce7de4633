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
BASE = 21_000 + 4 * 16  # the transaction and a selector of four non-zero bytes
PAID = 375 + 4 * 375 + 32 * 8  # Paid: signature + 3 topics, one data word = 2 131
PUSH = 9_000 - 2_300 + 2_600  # ETH to an existing, cold account without code = 9 300


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


# ---------------------------------------------------------------- primitives


def test_calldata_gas__zero_and_nonzero_bytes__priced_4_and_16():
    assert F.calldata_gas(b"\x00\x01\x00\xff") == 2 * 4 + 2 * 16
    assert F.calldata_gas(b"") == 0


def test_log_gas__paid_event__2131():
    assert F.log_gas(4, 32) == PAID == 2_131


def test_log_gas__five_topics__raises():
    with pytest.raises(ValueError):
        F.log_gas(5, 0)


@pytest.mark.parametrize("bits, expected", [(0, 0), (1, 1), (256, 1), (257, 2), (1_079, 5), (1_308, 6), (8 * 174, 6)])
def test_words__bits__rounded_up_to_whole_words(bits, expected):
    assert F.words(bits) == expected


def test_words__negative__raises():
    with pytest.raises(ValueError):
        F.words(-1)


def test_keccak_gas__66_and_192_bytes():
    assert F.keccak_gas(66) == 30 + 3 * 6 == 48
    assert F.keccak_gas(192) == 30 + 6 * 6 == 66


def test_abi_dynamic_bytes__offset_length_and_padded_data():
    assert F.abi_dynamic_bytes(29) == 32 + 32 + 32
    assert F.abi_dynamic_bytes(165) == 32 + 32 + 6 * 32
    assert F.abi_dynamic_bytes(0) == 64


# ---------------------------------------------------------------- what v2 stores


def test_order__one_word_of_251_bits():
    # agreement id 48 + quantity 64 + ship_by 40 + units shipped 64 + lot count 32 + 3 flags.
    assert F.ORDER_BITS == 251
    assert F.words(F.ORDER_BITS) == 1


def test_lot__two_words_with_a_shipment_hash_one_without():
    # quantity 64 + penalty 14 + shipped_at 40 + arbitration deadline 40 + status 3 + received 1 = 162.
    assert F.LOT_WORD_BITS == 162
    assert F.words(F.SHIPPED_LOT_BITS) == 2
    assert F.RECEIVED_LOT_BITS == 108
    assert F.words(F.RECEIVED_LOT_BITS) == 1


def test_agreement_at_propose__five_words_for_eth_and_erc20():
    # 3 addresses, part id, version 32, price 128, cap 64, valid_until 40, two periods of 23 bits,
    # penalty/day 16, penalty cap 14, status 2.
    assert F.AGREEMENT_AT_PROPOSE_BITS == 480 + 256 + 32 + 128 + 64 + 40 + 46 + 16 + 14 + 2 == 1_078
    assert F.words(F.AGREEMENT_AT_PROPOSE_BITS + F.token_bits(False)) == 5
    assert F.words(F.AGREEMENT_AT_PROPOSE_BITS + F.token_bits(True)) == 5


def test_token_bits__a_flag_for_eth_the_address_for_erc20():
    assert F.token_bits(False) == 1
    assert F.token_bits(True) == 160


def test_periods__ninety_days_fit_23_bits():
    assert 90 * 86_400 < 2**F.PERIOD_BITS


# ---------------------------------------------------------------- building blocks


def test_eth_push__existing_cold_account__9300():
    assert Floor().eth_push(Receiver()).total == PUSH == 9_300


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


def test_record__written_words_updated_rest_read():
    fl = Floor().record("agreement", 907, 1)  # 4 words
    assert fl.lines() == [("update agreement", 5_000), ("read agreement x3", 6_300)]


def test_record__more_written_than_bits_need__all_written():
    assert Floor().record("x", 10, 2).total == 10_000


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


# ---------------------------------------------------------------- agreements


def test_propose_agreement__eth__five_new_words_and_the_registry():
    calldata = SELECTOR + bytes(12 * 32)
    # counter 5 000; registry 2 600 + part word + the supplier's grant; 5 words; AgreementProposed:
    # 4 topics and 6 data words = 375 + 1 500 + 1 536.
    expected = 21_000 + 64 + 384 * 4 + 5_000 + 2_600 + 2 * 2_100 + 5 * 22_100 + 3_411
    assert F.propose_agreement(calldata).total == expected


def test_propose_agreement__buyer_not_owner__one_more_grant():
    calldata = SELECTOR
    assert F.propose_agreement(calldata, grants=2).total - F.propose_agreement(calldata).total == 2_100


def test_propose_agreement__erc20__balance_of_on_the_token():
    calldata = SELECTOR
    assert F.propose_agreement(calldata, erc20=True).total - F.propose_agreement(calldata).total == 2_600 + 2_100


@pytest.mark.parametrize("subs, payee_words", [(0, 0), (1, 1), (3, 3), (4, 3), (8, 6)])
def test_accept_agreement__payees__packed_174_bits_each(subs, payee_words):
    fl = F.accept_agreement(SELECTOR, subs)
    # 815 bits of the agreement -> 4 words, one written (status and payee count); registry 2 600 +
    # certification + the supplier's access word; AgreementAccepted: 2 topics, offset + length + 64/payee.
    fixed = BASE + 5_000 + 3 * 2_100 + 2_600 + 2 * 2_100
    log = 375 + 2 * 375 + 8 * (64 + 64 * subs)
    assert fl.total == fixed + payee_words * 22_100 + log


def test_close_agreement__by_buyer_one_word__by_supplier_two():
    assert F.close_agreement(SELECTOR).total == BASE + 5_000 + 1_500
    assert F.close_agreement(SELECTOR, by_supplier=True).total == BASE + 5_000 + 2_100 + 1_500


# ---------------------------------------------------------------- call-off orders


def test_create_order__eth__one_new_word():
    calldata = SELECTOR + bytes(128)
    # counter 5 000; agreement 907 bits -> 4 words, one written (units called off); registry 2 600
    # + 3 words; the order word; OrderCreated 375 + 4*375 + 160*8 = 3 155.
    expected = 21_000 + 64 + 128 * 4 + 5_000 + 5_000 + 3 * 2_100 + 2_600 + 3 * 2_100 + 22_100 + 3_155
    assert F.create_order(calldata).total == expected == 72_031


def test_create_order__erc20__token_word_pull_and_two_warm_balance_checks():
    extra = 2_100 + 2_600 + 3 * 5_000 + 1_756 + 2 * 100  # 1 066 bits -> 5 agreement words
    assert F.create_order(SELECTOR, erc20=True).total - F.create_order(SELECTOR).total == extra


def test_decline_order__three_agreement_words_and_the_refund():
    # order 5 000; agreement 513 bits -> 3 words, one written (units back under the cap); OrderDeclined
    # 375 + 750; the refund to the buyer (cold) and its Paid.
    assert F.decline_order(SELECTOR).total == BASE + 5_000 + 5_000 + 2 * 2_100 + 1_125 + PUSH + PAID


def test_refund_expired__two_agreement_words_and_the_refund():
    # order 5 000; agreement 312 bits -> 2 words read; OrderRefunded 375 + 750 + 512.
    assert F.refund_expired(SELECTOR).total == BASE + 5_000 + 2 * 2_100 + 1_637 + PUSH + PAID


def test_assign_payout__payees_read_assignee_created():
    # order 5 000; agreement 324 bits -> 2 words; 3 payee words; assignee 22 100; PayoutAssigned 4 topics.
    assert F.assign_payout(SELECTOR, 3).total == BASE + 5_000 + 2 * 2_100 + 3 * 2_100 + 22_100 + 1_875


# ---------------------------------------------------------------- lots


def test_ship__on_time__order_written_three_agreement_words_two_lot_words():
    # order 5 000; agreement 599 bits -> 3 words; registry 2 600 + 2 words; lot 2 words;
    # LotShipped 375 + 3*375 + 128*8 = 2 524.
    expected = BASE + 5_000 + 3 * 2_100 + 2_600 + 2 * 2_100 + 2 * 22_100 + 2_524
    assert F.ship(SELECTOR).total == expected == 85_888


def test_ship__late__penalty_terms_fit_the_same_words():
    assert F.ship(SELECTOR, late=True).total == F.ship(SELECTOR).total


def test_ship__no_shipment_hash__one_lot_word():
    assert F.ship(SELECTOR).total - F.ship(SELECTOR, shipment_hash=False).total == 22_100


def test_receive_goods__four_receivers__hand_computed():
    # order 5 000; agreement 476 bits -> 2 words; one lot word; GoodsReceived 375 + 1 500 + 1 024;
    # 3 payee words; four pushes and Paid events.
    expected = BASE + 5_000 + 2 * 2_100 + 22_100 + 2_899 + 3 * 2_100 + 4 * (PUSH + PAID)
    assert F.receive_goods(SELECTOR, [Receiver()] * 4).total == expected


def test_receive_goods__by_inspector__one_more_agreement_word():
    four = [Receiver()] * 4
    assert F.receive_goods(SELECTOR, four, by_inspector=True).total - F.receive_goods(SELECTOR, four).total == 2_100


def test_confirm_delivery__eth_one_payee__hand_computed():
    calldata = SELECTOR + word(1) + word(1) + b"\x11" * 32  # order 1, lot 1, a receipt hash with no zero byte
    # tx 21 000 + 62*4 + 38*16; order read 2 100; agreement 453 bits -> 2 words read; lot 5 000;
    # DeliveryConfirmed 375 + 4*375 + 256 = 2 131; one cold push 9 300 and its Paid.
    expected = 21_000 + 248 + 608 + 2_100 + 4_200 + 5_000 + 2_131 + PUSH + PAID
    assert F.confirm_delivery(calldata, [Receiver()]).total == expected == 46_718


def test_confirm_delivery__nine_payees__reads_six_payee_words():
    one = F.confirm_delivery(SELECTOR, [Receiver()]).total
    nine = F.confirm_delivery(SELECTOR, [Receiver()] * 9).total
    assert nine - one == 6 * 2_100 + 8 * (PUSH + PAID)


def test_confirm_delivery__penalty_to_the_warm_buyer__one_more_push_no_more_payee_words():
    four = F.confirm_delivery(SELECTOR, [Receiver()] * 4).total
    late = F.confirm_delivery(SELECTOR, [Receiver()] * 4 + [Receiver(warm=True)], subcontractors=3).total
    assert late - four == 6_800 + PAID


def test_confirm_delivery__assigned__assignee_read_supplier_not_needed():
    four = [Receiver()] * 4
    # 453 - 160 bits still need 2 agreement words; the assignee word is one more read.
    assert F.confirm_delivery(SELECTOR, four, assigned=True).total - F.confirm_delivery(SELECTOR, four).total == 2_100


def test_confirm_delivery__erc20_new_holders__one_cold_token_access():
    base = BASE + 2_100 + 3 * 2_100 + 5_000 + 2_131 + 2_100  # 612 bits -> 3 agreement words; one payee word
    first = 2_600 + 5_000 + 22_100 + 1_756 + PAID
    second = 100 + 100 + 22_100 + 1_756 + PAID
    assert F.confirm_delivery(SELECTOR, [Receiver(new=True)] * 2, erc20=True).total == base + first + second


def test_confirm_delivery_signed__inspector_hash_word_hashing_and_ecrecover():
    plain = F.confirm_delivery(SELECTOR, [Receiver()]).total
    signed = F.confirm_delivery_signed(SELECTOR, [Receiver()]).total
    # 613 bits -> a third agreement word; the lot's shipment hash word; struct hash over six words,
    # the digest over 66 bytes; ecrecover.
    assert signed - plain == 2_100 + 2_100 + 66 + 48 + 3_000


def test_release__one_payee__hand_computed():
    # order read; agreement 316 bits -> 2 words; lot 5 000; LotReleased 375 + 3*375; push and Paid.
    assert F.release(SELECTOR, [Receiver()]).total == BASE + 2_100 + 4_200 + 5_000 + 1_500 + PUSH + PAID


def test_dispute__one_agreement_word_and_the_timeout():
    # order read; agreement 183 bits -> 1 word; lot 5 000; arbitration timeout; LotDisputed 1 756.
    assert F.dispute(SELECTOR).total == BASE + 2_100 + 2_100 + 5_000 + 2_100 + 1_756


def test_resolve__role_and_inspector_word_more_than_resolve_expired():
    a = F.resolve(SELECTOR, [Receiver()] * 2, Receiver())
    b = F.resolve(SELECTOR, [Receiver()] * 2, Receiver(), expired=True)
    assert a.total - b.total == 2_100 + 2_100
    assert ("read role membership", 2_100) in a.lines()
    assert ("read agreement x3", 6_300) in a.lines()
    assert ("read agreement x2", 4_200) in b.lines()


# ---------------------------------------------------------------- money and admin


def test_claim__eth_to_the_caller__hand_computed():
    calldata = SELECTOR + bytes(32)  # claim(address(0))
    # 21 000 + 4*16 + 32*4 = 21 192; clear 5 000; push to the warm sender 6 800; Claimed 1 756.
    gross = 21_192 + 5_000 + 6_800 + 1_756
    assert F.claim(calldata).gross == gross == 34_748
    assert F.claim(calldata).total == gross - 4_800 == 29_948


def test_pause__update_packed_flag__unpause__clear_own_word_with_refund():
    assert F.pause(SELECTOR).total == BASE + 2_100 + 5_000 + 1_006
    unpause = F.pause(SELECTOR, unpause=True)
    assert unpause.gross == BASE + 2_100 + 5_000 + 1_006
    assert unpause.total == unpause.gross - 4_800


def test_set_arbitration_timeout__role_and_global_word():
    assert F.set_arbitration_timeout(SELECTOR).total == BASE + 2_100 + 5_000 + 375 + 375 + 512


def test_grant_role__membership_created():
    assert F.grant_role(SELECTOR).total == BASE + 2_100 + 22_100 + 1_875


# ---------------------------------------------------------------- registry


def test_register_part__short_uri__two_version_words():
    fl = F.register_part(SELECTOR, 29)
    # role read; part word; hash + 9-bit length + 232 bits of URI = 497 bits -> 2 words;
    # PartRegistered: 3 topics, version + hash + offset + length + one data word = 160 bytes.
    assert fl.total == BASE + 2_100 + 22_100 + 2 * 22_100 + 375 + 3 * 375 + 160 * 8


def test_register_part__256_char_uri__ten_version_words():
    fl = F.register_part(SELECTOR, 256)
    assert ("create version (spec hash, uri) x10", 221_000) in fl.lines()


def test_revise_part__v2_reads_the_owner_role():
    fl = F.revise_part(SELECTOR, 29)
    assert ("read role membership", 2_100) in fl.lines()
    assert fl.total == BASE + 5_000 + 2_100 + 2 * 22_100 + 375 + 2 * 375 + 160 * 8


def test_grant_and_revoke_access__revoke_updates_the_word_it_cannot_clear():
    assert F.grant_access(SELECTOR).total == BASE + 2 * 2_100 + 22_100 + 1_500
    assert F.revoke_access(SELECTOR).total == BASE + 2 * 2_100 + 5_000 + 1_500


def test_certify_and_revoke_certification():
    assert F.certify(SELECTOR).total == BASE + 3 * 2_100 + 22_100 + 375 + 3 * 375 + 96 * 8
    revoke = F.revoke_certification(SELECTOR)
    assert revoke.gross == BASE + 2_100 + 5_000 + 1_756
    assert revoke.total == revoke.gross - 4_800  # gross / 5 = 5 984: the cap does not bind


def test_transfer_part__previous_owner_lapse_created_unless_it_holds_a_grant():
    assert F.transfer_part(SELECTOR).total == BASE + 5_000 + 2 * 2_100 + 22_100 + 1_875
    assert F.transfer_part(SELECTOR, previous_had_grant=True).total == BASE + 5_000 + 3 * 2_100 + 1_875


def test_recover_part__three_role_reads():
    assert F.recover_part(SELECTOR).total == BASE + 3 * 2_100 + 5_000 + 22_100 + 1_875


def test_share_key__sdk_envelope__only_reads_and_the_event():
    # KeyShared: 3 topics; version + offset + length + 6 words of envelope = 288 bytes.
    assert F.share_key(SELECTOR, 165).total == BASE + 3 * 2_100 + 375 + 3 * 375 + 288 * 8


# ---------------------------------------------------------------- report helpers


def test_linear_fit__exact_line__slope_intercept_no_residual():
    fit = report.linear_fit([(k, 50_000 + 14_000 * k) for k in range(9)])
    assert fit["slope"] == pytest.approx(14_000)
    assert fit["intercept"] == pytest.approx(50_000)
    assert fit["max_residual"] == pytest.approx(0, abs=1e-6)


def test_linear_fit__one_point__raises():
    with pytest.raises(ValueError):
        report.linear_fit([(0, 1)])


def test_v1_purchase__frozen_v1_figures():
    v1 = report.load_v1()
    assert report.v1_purchase(v1, 3) == v1["lifecycle"]["gas"] == 407_921
    assert report.v1_purchase(v1, 0) == 156_411 + 48_403 + 37_873 + 50_594


@pytest.mark.parametrize("name, gas, expected", [
    ("repeat3", 270_000, "PASS"), ("repeat3", 270_001, "FAIL"), ("receive3", 195_000, "PASS"),
    ("receive1", 155_001, "FAIL"), ("first3", 559_999, "PASS"),
])
def test_verdict__target_inclusive(name, gas, expected):
    assert report.verdict(name, gas) == expected


def test_scenario_line__starts_with_name_and_gas_then_target_v1_and_peer():
    line = report.scenario_line("repeat3", 262_895, report.load_v1())
    assert line.startswith("scenario repeat3: 262895 ")
    assert "target <= 270000 PASS" in line
    assert "v1 407921 (−35.6 %)" in line
    assert "best peer 293545 (−10.4 %)" in line


def test_scenario_line__receive1__no_peer_figure():
    line = report.scenario_line("receive1", 151_229, report.load_v1())
    assert "v1 293281" in line
    assert "best peer n/a" in line


def test_note__traced_extras_then_the_rest_as_execution():
    text = report.note("create_order.eth", 5_991)
    assert "(2 100)" in text
    assert text.endswith("the rest, 3 891: execution")
    assert report.note("ship", 3_657) == "3 657: execution"


def _variant(key: str, deployed: int, repeat3: int, shipped: bool = False) -> dict:
    return {"key": key, "label": key, "shipped": shipped, "deployed": deployed, "compiler_runtime": deployed - 300,
            "scenarios": {"repeat3": repeat3, "receive3": repeat3 - 70_000, "receive1": repeat3 - 110_000,
                          "first3": repeat3 + 276_000}}


def test_variant_conclusion__only_shipped_fits__choice_forced_and_gas_delta_named():
    rows = [_variant("legacy", 28_000, 255_000), _variant("venom", 26_500, 250_000),
            _variant("venom codesize", 22_400, 262_900, shipped=True)]
    text = report.variant_conclusion(rows)
    assert "Fit EIP-170: venom codesize (22 400 bytes)." in text
    assert "The cheapest in gas is venom (26 500 bytes, does not fit)" in text
    assert "repeat3 +12 900" in text
    assert "only one that can be deployed" in text


def test_variant_conclusion__shipped_cheapest():
    rows = [_variant("legacy", 28_000, 270_000), _variant("venom codesize", 22_400, 262_900, shipped=True)]
    assert "also the cheapest" in report.variant_conclusion(rows)


def _measurement(call: str, gas: int, floor: int) -> dict:
    return {"call": call, "case": "c", "gas": gas, "floor": floor, "ratio": gas / floor, "floor_items": []}


def _data(gas: int, floor: int, second_gas: int | None = None) -> dict:
    def one_pass(g: int) -> dict:
        return {"agreements_before": 1, "orders_before": 1, "lots_before": 1, "parts_before": 1, "transactions": 1,
                "seconds": 1.0, "calls": {"ship": _measurement("ship", g, floor)},
                "sweep": {"eth": [[0, 100, 90], [1, 200, 180]]}}
    scen = {"sizes": {"OrderEscrow": 22_425},
            "scenarios": {n: {"gas": 100_000, "floor": 90_000, "steps": [_measurement("ship", 100_000, 90_000)]}
                          for n in report.SCENARIOS}}
    meta = {"interface": "v2", "generated": "today", "evm_version": "cancun", "vyper": "0.4.3",
            "sources_sha256": "ab" * 32, "notes_sha256": "cd" * 32,
            "fill": {"agreements": 1_000, "orders": 1_000, "lots": 1_000, "seconds": 1.0}}
    return report.build(one_pass(gas), None if second_gas is None else one_pass(second_gas), scenarios=scen,
                        variants=None, meta=meta, timing={"bench_seconds": 1.0}, baseline=None)


def test_render__above_threshold_without_reason__flagged():
    text = report.render(_data(gas=2_000, floor=1_000), report.load_v1())
    assert "not yet explained" in text
    assert "Rows above 1.5× their floor: `ship`." in text


def test_render__within_threshold__no_flag_and_baseline_is_this_run():
    data = _data(gas=1_100, floor=1_000)
    text = report.render(data, report.load_v1())
    assert "not yet explained" not in text
    assert "No call is above 1.5× its floor." in text
    assert data["baseline"]["gas"]["ship"] == 1_100
    assert data["baseline"]["gas"]["scenario.repeat3"] == 100_000
    assert "| `ship` | c | 1 100 | 1 000 | 1.10 | 1 100 | 0 |" in text
    assert "| `repeat3` |" in text and "**PASS**" in text


def test_render__floor_above_gas__flagged_as_model_error():
    text = report.render(_data(gas=900, floor=1_000), report.load_v1())
    assert "the floor model is wrong here" in text
    assert "fix bench/floor.py" in text


def test_render__sources_changed__notes_flagged_for_recheck():
    text = report.render(_data(gas=1_100, floor=1_000), report.load_v1())
    assert "re-check them against a trace" in text


def test_render__v1_breakeven_sentence():
    text = report.render(_data(gas=1_100, floor=1_000), report.load_v1())
    # first3 = repeat3 = 100 000 in the fixture: cheaper than one v1 order already.
    assert "v2 costs less than v1 from the 1st call-off on (100 000 + 0 × 100 000 = 100 000 ≤ 1 × 407 921" in text


def test_growth__beyond_calldata_only():
    data = _data(gas=1_100, floor=1_000, second_gas=1_112)
    data["second"]["calls"]["ship"]["floor"] = 1_012  # twelve more calldata gas: no growth
    assert report.growth(data["first"], data["second"]) == {"ship": 0}
    text = report.render(data, report.load_v1())
    assert "Largest growth not explained by calldata: 0 gas." in text


def test_growth__storage_growth__reported():
    data = _data(gas=1_100, floor=1_000, second_gas=3_200)
    assert report.growth(data["first"], data["second"]) == {"ship": 2_100}
    assert "some cost grows with the data stored" in report.render(data, report.load_v1())


# ---------------------------------------------------------------- bench inputs


def test_dense__time_arguments_without_zero_bytes_within_the_hour():
    from bench.scenarios import dense

    assert dense(0x6B0A12FF) == 0x6B0A12FF
    assert dense(0x6B0A0000) == 0x6B0A0101
    for t in (0x6B00FFFF, 0x7D000000 - 5):
        d = dense(t)
        assert 0 not in d.to_bytes(4, "big") or d == t
        assert t <= d < t + 3_600
