"""Turns measurements into docs/gas.md, docs/gas.json and docs/gas.png (escrow v2).

No chain access: everything here works on the numbers ``bench.scenarios`` and ``bench.variants``
collected (or on a ``gas.json`` written earlier), so the tables can be re-rendered and tested
without Anvil. ``bench/v1_gas.json`` holds v1's last measurements, frozen, for the before/after.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

INTERFACE = "v2"
EIP170_LIMIT = 24_576
WHY_THRESHOLD = 1.5  # no call above 1.5x its floor (issue 10)
V1_FILE = Path(__file__).with_name("v1_gas.json")

# Issue 10's scenarios, in the order the bench prints them.
SCENARIOS = ("repeat3", "receive3", "receive1", "first3")
TARGETS = {"repeat3": 270_000, "receive3": 195_000, "receive1": 155_000, "first3": 560_000}
SCENARIO_TEXT = {
    "repeat3": "second call-off under an agreement: `create_order` + `ship` (one lot) + `confirm_delivery` paying the supplier and 3 subcontractors",
    "receive3": "`create_order` + `receive_goods` paying the supplier and 3 subcontractors",
    "receive1": "`create_order` + `receive_goods` paying the supplier alone",
    "first3": "`propose_agreement` + `accept_agreement` (3 subcontractors) + `create_order` + `ship` + `confirm_delivery`",
}
# The best public alternative measured for issue 10 on the same Anvil: six transactions, paying the
# supplier and three subcontractors. It was measured for that payout only.
PEER_GAS = 293_545
PEER_NAME = "Kleros MultipleArbitrableTransaction + OpenZeppelin PaymentSplitter"
PEER_FOR = {"repeat3": PEER_GAS, "receive3": PEER_GAS, "first3": PEER_GAS}
# What the same purchase cost as one v1 order (v1 had no agreements: every order was a first one):
# create_order + accept_order (k subcontractors) + mark_shipped + confirm_delivery, from v1_gas.json.
V1_STEPS = {
    3: ("create_order.eth", "accept_order.3", "mark_shipped", "confirm_delivery.eth.4"),
    0: ("create_order.eth", "accept_order.0", "mark_shipped", "confirm_delivery.eth.1"),
}
V1_FOR = {"repeat3": 3, "receive3": 3, "receive1": 0, "first3": 3}
NAIVE_REPEAT3 = 635_917  # issue 10: SPEC v2 with plain structs, repeat3

# Table order; a key missing from a run is skipped.
ROWS = [
    "register_part.short",
    "register_part.256",
    "revise_part.short",
    "revise_part.256",
    "grant_access",
    "certify",
    "share_key",
    "revoke_certification",
    "revoke_access",
    "transfer_part",
    "recover_part",
    "propose_agreement.eth",
    "propose_agreement.erc20",
    "accept_agreement.0",
    "accept_agreement.1",
    "accept_agreement.3",
    "accept_agreement.4",
    "accept_agreement.8",
    "close_agreement",
    "create_order.eth",
    "create_order.eth.grantee",
    "create_order.erc20",
    "decline_order",
    "ship",
    "ship.late",
    "ship.next_lot",
    "receive_goods.eth.1",
    "receive_goods.eth.4",
    "receive_goods.eth.9",
    "receive_goods.inspector.4",
    "receive_goods.erc20.4",
    "confirm_delivery.eth.1",
    "confirm_delivery.eth.4",
    "confirm_delivery.eth.9",
    "confirm_delivery.ethnew.9",
    "confirm_delivery.erc20.1",
    "confirm_delivery.erc20.4",
    "confirm_delivery.erc20.9",
    "confirm_delivery.erc20new.1",
    "confirm_delivery.erc20new.4",
    "confirm_delivery.erc20new.9",
    "confirm_delivery.late.4",
    "confirm_delivery.assigned.4",
    "confirm_delivery.next_lot",
    "confirm_delivery_signed.eth.4",
    "release",
    "dispute",
    "resolve",
    "resolve_expired",
    "refund_expired",
    "assign_payout",
    "claim.eth",
    "claim.erc20",
    "grantRole",
    "pause",
    "unpause",
    "set_arbitration_timeout",
]

# v2 row -> the v1 row measured in the same case (same payees, same money), for the before/after.
V1_ROW = {
    "register_part.short": "register_part.short",
    "register_part.256": "register_part.256",
    "revise_part.short": "revise_part.short",
    "revise_part.256": "revise_part.256",
    "grant_access": "grant_access",
    "certify": "certify",
    "create_order.eth": "create_order.eth",
    "create_order.erc20": "create_order.erc20",
    "accept_agreement.0": "accept_order.0",
    "accept_agreement.1": "accept_order.1",
    "accept_agreement.3": "accept_order.3",
    "accept_agreement.4": "accept_order.4",
    "accept_agreement.8": "accept_order.8",
    "ship": "mark_shipped",
    "confirm_delivery.eth.1": "confirm_delivery.eth.1",
    "confirm_delivery.eth.4": "confirm_delivery.eth.4",
    "confirm_delivery.eth.9": "confirm_delivery.eth.9",
    "confirm_delivery.ethnew.9": "confirm_delivery.ethnew.9",
    "confirm_delivery.erc20.1": "confirm_delivery.erc20.1",
    "confirm_delivery.erc20.4": "confirm_delivery.erc20.4",
    "confirm_delivery.erc20.9": "confirm_delivery.erc20.9",
    "confirm_delivery.erc20new.1": "confirm_delivery.erc20new.1",
    "confirm_delivery.erc20new.4": "confirm_delivery.erc20new.4",
    "confirm_delivery.erc20new.9": "confirm_delivery.erc20new.9",
    "confirm_delivery_signed.eth.4": "confirm_delivery_signed.eth.4",
    "release": "release",
    "dispute": "dispute",
    "resolve": "resolve",
    "resolve_expired": "resolve_expired",
    "refund_expired": "refund_expired",
    "decline_order": "cancel_order",
    "claim.eth": "claim.eth",
    "claim.erc20": "claim.erc20",
}
V1_ROW_NOTE = {
    "accept_agreement.0": "v1 accepted every order; v2 once per agreement",
    "accept_agreement.1": "once per agreement",
    "accept_agreement.3": "once per agreement",
    "accept_agreement.4": "once per agreement",
    "accept_agreement.8": "once per agreement",
    "create_order.eth": "v2 stores one word per order, not five",
    "create_order.erc20": "one word per order",
    "ship": "v1 `mark_shipped`; v2 creates a lot (two words with its shipment hash)",
    "decline_order": "v1 `cancel_order` by the buyer; v2 `decline_order` by the supplier (cold buyer)",
    "revise_part.short": "v2: the owner must still hold MANUFACTURER_ROLE (one more read)",
    "revise_part.256": "v2: the owner's role is read",
    "grant_access": "v2: the owner's role is read",
    "confirm_delivery.eth.1": "v2 reads the order word, three agreement words and the lot word; v1 its order's words",
    "confirm_delivery.erc20.1": "also the token word",
    "confirm_delivery_signed.eth.4": "the receipt names the shipment: one more word (its hash)",
}

# Where a call's gas goes beyond its floor, read from opcode traces (cold SLOADs, SSTOREs, calls
# per depth) of the sources in NOTES_SOURCES: per row, the extra items and their gas; the report
# adds that the rest of the gap is execution (dispatch, ABI decoding, checks, loops), which the
# floor leaves out. Re-check them against a trace when the sources change.
NOTES_SOURCES = "4264ba565acee34d1df6002efb770ed141512f879138d2272795abbe62f35f7f"
_PAUSED = (2_100, "snekmate's `paused` flag is a word of its own (the floor packs it with the counter)")
_THREE = (2_100, "the payout reads three agreement words (parties, pricing, supply) where what it needs fits in two")
_TOKEN_WORD = (2_100, "reads the token word even for ETH (no payee may be the token)")


def _mock(transfers: int) -> tuple[int, str]:
    return (2_100 * (2 + transfers), "MockERC20's `mode` and blocklist reads")


NOTES: dict[str, list[tuple[int, str]]] = {
    "register_part.short": [(22_100, "Vyper keeps a `String[256]`'s length in a word of its own: one more new word than the floor")],
    "revise_part.short": [(22_100, "the same URI length word as `register_part`")],
    "propose_agreement.eth": [_PAUSED, (2_200, "writes the zero token word of an ETH agreement (cold, zero to zero)")],
    "propose_agreement.erc20": [_PAUSED, (22_100, "the token has a word of its own: six new words where 1 238 bits fit in five")],
    "accept_agreement.0": [_TOKEN_WORD],
    "accept_agreement.1": [_TOKEN_WORD],
    "accept_agreement.3": [_TOKEN_WORD],
    "accept_agreement.4": [_TOKEN_WORD, (22_100, "one word per payee: the floor packs 174-bit payees, four in three words")],
    "accept_agreement.8": [_TOKEN_WORD, (44_200, "one word per payee: the floor packs eight payees in six words")],
    "create_order.eth": [_PAUSED],
    "create_order.eth.grantee": [_PAUSED, (2_100, "the registry's `check_call_off` reads the part word before the buyer's grant")],
    "create_order.erc20": [_PAUSED, (6_300, "MockERC20's `mode` and blocklist reads")],
    "receive_goods.eth.1": [_THREE],
    "receive_goods.eth.4": [_THREE],
    "receive_goods.eth.9": [_THREE],
    "receive_goods.inspector.4": [(2_100, "four agreement words where what it needs fits in three")],
    "receive_goods.erc20.4": [(2_100, "four agreement words where what it needs fits in three"), _mock(4)],
    "confirm_delivery.eth.1": [_THREE],
    "confirm_delivery.eth.4": [_THREE],
    "confirm_delivery.eth.9": [_THREE],
    "confirm_delivery.ethnew.9": [_THREE],
    "confirm_delivery.erc20.1": [(2_100, "four agreement words where what it needs fits in three"), _mock(1)],
    "confirm_delivery.erc20.4": [(2_100, "four agreement words where what it needs fits in three"), _mock(4)],
    "confirm_delivery.erc20.9": [(2_100, "four agreement words where what it needs fits in three"), _mock(9)],
    "confirm_delivery.erc20new.1": [(2_100, "four agreement words where what it needs fits in three"), _mock(1)],
    "confirm_delivery.erc20new.4": [(2_100, "four agreement words where what it needs fits in three"), _mock(4)],
    "confirm_delivery.erc20new.9": [(2_100, "four agreement words where what it needs fits in three"), _mock(9)],
    "confirm_delivery.late.4": [_THREE],
    "confirm_delivery.assigned.4": [(2_100, "reads the supplier's word although the payout is assigned")],
    "confirm_delivery.next_lot": [_THREE],
    "confirm_delivery_signed.eth.4": [
        (2_100, "four agreement words where what it needs fits in three"),
        (5_200, "asks buyer and inspector for code (two cold EXTCODESIZE) before ecrecover, as snekmate's "
                "signature checker must for a contract wallet; the floor lets ecrecover go first"),
    ],
    "release": [_THREE],
    "refund_expired": [(2_100, "three agreement words where what it needs fits in two")],
    "resolve": [(2_100, "four agreement words where what it needs fits in three")],
    "resolve_expired": [_THREE],
    "assign_payout": [(2_100, "three agreement words where supplier, inspector and payee count fit in two")],
    "claim.erc20": [(6_300, "MockERC20's `mode` and blocklist reads")],
    "grantRole": [(2_100, "snekmate reads the role's admin role, a word of its own")],
    "pause": [(17_100, "snekmate's `paused` is a word of its own, created on pause (22 100) where the floor "
                       "updates a flag packed with the counter (5 000)")],
}
# Rows above WHY_THRESHOLD, accepted with a reason.
WHY: dict[str, str] = {
    "pause": (
        "**above 1.5×, accepted**: snekmate's `pausable` keeps `paused` in a word of its own, so pausing "
        "creates it (22 100) where the floor updates a flag packed with the counter (5 000). Admin-only "
        "and rare; packing the flag into `_counters` would also save 2 100 on every `propose_agreement` "
        "and `create_order` (see the note on `create_order`)."
    ),
}


def note(key: str, gap: int) -> str:
    """The note of a row whose gas is ``gap`` above its floor: the traced extras, then the rest."""
    extras = NOTES.get(key, [])
    known = sum(g for g, _ in extras)
    parts = [f"{text} ({_fmt(g)})" for g, text in extras]
    rest = gap - known
    parts.append(f"{'the rest, ' if extras else ''}{_fmt(rest)}: execution")
    return "; ".join(parts)


MOCK_TOKEN_NOTE = (
    "ERC-20 rows use MockERC20 (mode 0), which reads its `mode` word and a blocklist word for "
    "sender and receiver on every transfer: about 2 100 gas per receiver plus 4 200 per call that a "
    "minimal token would not spend. The floor prices a minimal token."
)


def sources_digest(paths: Iterable[Path]) -> str:
    """sha256 over the given source files (sorted by name), to tie numbers to the code they measured."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.as_posix()):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_v1(path: Path = V1_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


def v1_purchase(v1: dict[str, Any], subcontractors: int) -> int:
    """Gas of one whole v1 order (create, accept, ship, confirm) with 0 or 3 subcontractors."""
    return sum(v1["calls"][key]["gas"] for key in V1_STEPS[subcontractors])


def verdict(name: str, gas: int) -> str:
    return "PASS" if gas <= TARGETS[name] else "FAIL"


def pct(new: int, old: int) -> str:
    change = 100 * (new - old) / old
    return f"{'+' if change >= 0 else '−'}{abs(change):.1f} %"


def scenario_line(name: str, gas: int, v1: dict[str, Any]) -> str:
    """The line `make bench` prints for a scenario: `scenario <name>: <gas>` first, then the rest."""
    v1_gas = v1_purchase(v1, V1_FOR[name])
    peer = PEER_FOR.get(name)
    peer_text = f"best peer {peer} ({pct(gas, peer)})" if peer else "best peer n/a (measured with 3 subcontractors)"
    return (
        f"scenario {name}: {gas}  target <= {TARGETS[name]} {verdict(name, gas)}  "
        f"v1 {v1_gas} ({pct(gas, v1_gas)})  {peer_text}"
    )


def linear_fit(points: list[tuple[float, float]]) -> dict[str, float]:
    """Least-squares line through (x, y): slope, intercept and the largest |residual|."""
    n = len(points)
    if n < 2:
        raise ValueError("need at least two points")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        raise ValueError("all x equal")
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    intercept = my - slope * mx
    residual = max(abs(y - (intercept + slope * x)) for x, y in points)
    return {"slope": slope, "intercept": intercept, "max_residual": residual}


def _fmt(n: float | int | None) -> str:
    if n is None:
        return "–"
    return f"{int(round(n)):,}".replace(",", " ")


def _delta(n: int | None) -> str:
    if n is None:
        return "–"
    if n == 0:
        return "0"
    return ("+" if n > 0 else "−") + _fmt(abs(n))


def _measurement(m: Any) -> dict[str, Any]:
    return {
        "call": m.call,
        "case": m.case,
        "gas": m.gas,
        "floor": m.floor.total,
        "ratio": round(m.ratio, 3),
        "floor_items": m.floor.lines(),
    }


def pass_to_dict(p: Any) -> dict[str, Any]:
    """The JSON form of a ``bench.scenarios.Pass``."""
    return {
        "agreements_before": p.agreements_before,
        "orders_before": p.orders_before,
        "lots_before": p.lots_before,
        "parts_before": p.parts_before,
        "transactions": p.transactions,
        "seconds": round(p.seconds, 2),
        "calls": {key: _measurement(m) for key, m in p.calls.items()},
        "sweep": {money: [list(point) for point in points] for money, points in p.sweep.items()},
    }


def scenarios_to_dict(run: Any) -> dict[str, Any]:
    """The JSON form of a ``bench.scenarios.ScenarioRun``."""
    return {
        "sizes": dict(run.sizes),
        "scenarios": {
            name: {"gas": s.gas, "floor": s.floor, "steps": [_measurement(m) for m in s.steps]}
            for name, s in run.scenarios.items()
        },
    }


def build(
    first: dict[str, Any],
    second: dict[str, Any] | None,
    *,
    scenarios: dict[str, Any],
    variants: dict[str, Any] | None,
    meta: dict[str, Any],
    timing: dict[str, Any],
    baseline: dict[str, Any] | None,
) -> dict[str, Any]:
    """Everything docs/gas.json holds. ``first``/``second`` are ``pass_to_dict`` results (the
    second pass runs after the fill, or is None); ``scenarios`` is ``scenarios_to_dict``;
    ``variants`` the compiler-variant table (or None: not measured); ``baseline`` the v2 "before"
    to compare with (None: this run becomes the baseline)."""
    if baseline is None:
        baseline = {
            "generated": meta["generated"],
            "sources_sha256": meta["sources_sha256"],
            "gas": {key: c["gas"] for key, c in first["calls"].items()}
            | {f"scenario.{name}": s["gas"] for name, s in scenarios["scenarios"].items()},
        }
    fits = {}
    for money, points in first["sweep"].items():
        fits[money] = {
            "gas": linear_fit([(k, gas) for k, gas, _ in points]),
            "floor": linear_fit([(k, fl) for k, _, fl in points]),
            "points": points,
        }
    return {
        "meta": meta,
        "scenarios": scenarios,
        "variants": variants,
        "first": first,
        "second": second,
        "payout_fit": fits,
        "timing": timing,
        "baseline": baseline,
    }


def above_threshold(calls: dict[str, Any]) -> list[str]:
    return [k for k in ROWS if k in calls and calls[k]["gas"] / calls[k]["floor"] > WHY_THRESHOLD]


def growth(first: dict[str, Any], second: dict[str, Any]) -> dict[str, int]:
    """Per row: how much more gas the second pass spent than the first, beyond the calldata
    difference (which is all the floor's difference is)."""
    out = {}
    for key, a in first["calls"].items():
        b = second["calls"].get(key)
        if b is not None:
            out[key] = (b["gas"] - a["gas"]) - (b["floor"] - a["floor"])
    return out


def render(data: dict[str, Any], v1: dict[str, Any]) -> str:
    """docs/gas.md."""
    meta, first, second = data["meta"], data["first"], data["second"]
    calls = first["calls"]
    out: list[str] = []
    w = out.append
    w("# Gas: escrow v2 against its targets, its floor and v1")
    w("")
    w(
        f"Generated by `make bench` (`ape run bench`) on {meta['generated']}: fresh contracts on Anvil "
        f"({meta['evm_version']}), Vyper {meta['vyper']}, contract sources `{meta['sources_sha256'][:12]}`. "
        "Re-run it after any contract change; the floor model is in [gas-floor.md](gas-floor.md), the "
        "raw numbers (with every floor itemised) in [gas.json](gas.json)."
    )
    w("")

    # ---------------------------------------------------------------- scenarios
    scen = data["scenarios"]["scenarios"]
    w("## Issue 10's scenarios")
    w("")
    w(
        "ETH, 1 000 units at 0.0125 ETH, late terms 5 days' grace and 1 %/day capped at 10 %, inspector "
        "set, on a fresh registry and escrow; the OEM that owns the part buys, the lot ships on time, the "
        "payees are existing accounts. *v1*: the same purchase as one v1 order (`create_order` + "
        "`accept_order` + `mark_shipped` + `confirm_delivery`, v1 had no agreements), from the last v1 "
        f"bench ([v1_gas.json](../bench/v1_gas.json)). *best peer*: {PEER_NAME}, six transactions, "
        f"{_fmt(PEER_GAS)} gas for the same payout to the supplier and 3 subcontractors (issue 10; measured "
        "for that payout only)."
    )
    w("")
    w("| scenario | what | gas | floor | ratio | target | | v1 | vs v1 | best peer | vs peer |")
    w("|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|")
    for name in SCENARIOS:
        s = scen[name]
        v1_gas = v1_purchase(v1, V1_FOR[name])
        peer = PEER_FOR.get(name)
        w(
            f"| `{name}` | {SCENARIO_TEXT[name]} | **{_fmt(s['gas'])}** | {_fmt(s['floor'])} | "
            f"{s['gas'] / s['floor']:.2f} | ≤ {_fmt(TARGETS[name])} | **{verdict(name, s['gas'])}** | "
            f"{_fmt(v1_gas)} | {pct(s['gas'], v1_gas)} | {_fmt(peer) if peer else 'n/a'} | "
            f"{pct(s['gas'], peer) if peer else '–'} |"
        )
    w("")
    w(
        f"For scale: issue 10 measured a naive implementation of SPEC v2 (plain structs) at "
        f"{_fmt(NAIVE_REPEAT3)} gas for `repeat3`; this one spends "
        f"{_fmt(scen['repeat3']['gas'])} ({pct(scen['repeat3']['gas'], NAIVE_REPEAT3)})."
    )
    w("")
    w("Step by step:")
    w("")
    w("| scenario | step | gas | floor | ratio |")
    w("|---|---|--:|--:|--:|")
    for name in SCENARIOS:
        for st in scen[name]["steps"]:
            w(f"| `{name}` | `{st['call']}` | {_fmt(st['gas'])} | {_fmt(st['floor'])} | {st['gas'] / st['floor']:.2f} |")
    w("")

    # ---------------------------------------------------------------- sizes and variants
    w("## Code size and the compiler setting")
    w("")
    w(
        "Runtime code as deployed (immutables included), against EIP-170's limit, which Ethereum, its L2s "
        "and Anvil enforce:"
    )
    w("")
    w("| contract | runtime bytes | limit | headroom |")
    w("|---|--:|--:|--:|")
    for name, size in data["scenarios"]["sizes"].items():
        w(f"| `{name}` | {_fmt(size)} | {_fmt(EIP170_LIMIT)} | {_fmt(EIP170_LIMIT - size)} |")
    w("")
    var = data.get("variants")
    if not var:
        w("The compiler variants were not measured in this run (`--no-variants`).")
    else:
        same = var["sources_sha256"] == meta["sources_sha256"]
        w(
            "OrderEscrow compiled four ways with `vyper` itself (the source's two pragmas taken out and "
            "passed as flags), each deployed on an Anvil started with `--disable-code-size-limit` so that "
            "the variants that do not fit can still be run through the same four scenarios. "
            f"Measured {var['measured']}"
            + ("." if same else f" on sources `{var['sources_sha256'][:12]}` (**not these sources**: re-run `make bench`).")
        )
        w("")
        w("| variant | compiler runtime bytes | deployed bytes | fits EIP-170 | repeat3 | receive3 | receive1 | first3 |")
        w("|---|--:|--:|---|--:|--:|--:|--:|")
        for row in var["rows"]:
            sc = row["scenarios"]
            w(
                f"| {row['label']} | {_fmt(row['compiler_runtime'])} | {_fmt(row['deployed'])} | "
                f"{'yes' if row['deployed'] <= EIP170_LIMIT else '**no** (+' + _fmt(row['deployed'] - EIP170_LIMIT) + ')'} | "
                + " | ".join(_fmt(sc.get(n)) for n in SCENARIOS)
                + " |"
            )
        w("")
        if var.get("conclusion"):
            w(var["conclusion"])
            w("")
        shipped = next((r for r in var["rows"] if r.get("shipped")), None)
        if shipped and same:
            agree = all(shipped["scenarios"].get(n) == scen[n]["gas"] for n in SCENARIOS)
            w(
                "The shipped row, compiled by `vyper` and run on the bench's own Anvil, "
                + ("reproduces the scenario figures above to the gas." if agree
                   else "**differs from the scenario figures above**: the two builds are not the same code.")
            )
            w("")

    # ---------------------------------------------------------------- v1 -> v2
    w("## v1 → v2")
    w("")
    life = v1["lifecycle"]
    w(
        f"One purchase with 3 subcontractors cost {_fmt(life['gas'])} gas in v1, every time. In v2 the first "
        f"call-off under a new agreement costs {_fmt(scen['first3']['gas'])} "
        f"({pct(scen['first3']['gas'], life['gas'])}: the agreement is stored once) and every later one "
        f"{_fmt(scen['repeat3']['gas'])} ({pct(scen['repeat3']['gas'], life['gas'])}), or "
        f"{_fmt(scen['receive3']['gas'])} when the goods are received without a shipping notice "
        f"({pct(scen['receive3']['gas'], life['gas'])}). {_breakeven(scen, life['gas'])}"
    )
    w("")
    w("Call by call, where v1 had the same call in the same case (v1 sources "
      f"`{v1['sources_sha256'][:12]}`, {v1['generated']}):")
    w("")
    w("| v2 call | case | v2 gas | v1 gas | Δ | note |")
    w("|---|---|--:|--:|--:|---|")
    for key in ROWS:
        if key not in calls or key not in V1_ROW:
            continue
        c, old = calls[key], v1["calls"][V1_ROW[key]]
        w(
            f"| `{c['call']}` | {c['case']} | {_fmt(c['gas'])} | {_fmt(old['gas'])} | "
            f"{_delta(c['gas'] - old['gas'])} ({pct(c['gas'], old['gas'])}) | {V1_ROW_NOTE.get(key, '')} |"
        )
    w("")

    # ---------------------------------------------------------------- calls
    before = data["baseline"]["gas"]
    same_code = data["baseline"]["sources_sha256"] == meta["sources_sha256"]
    w("## Every call against its floor")
    w("")
    w(
        "*gas used*: `tx.gas_used` of the call (after refunds). *floor*: the least any implementation of the "
        "published interface must spend in the same case (same input bytes, same payees). *before*: the v2 "
        f"baseline recorded on {data['baseline']['generated']} "
        + ("(this code)" if same_code else f"(sources `{data['baseline']['sources_sha256'][:12]}`)")
        + "; *Δ*: this run minus the baseline."
    )
    w("")
    w("| call | case | gas used | floor | ratio | before | Δ | note |")
    w("|---|---|--:|--:|--:|--:|--:|---|")
    below: list[str] = []
    for key in ROWS:
        if key not in calls:
            continue
        c = calls[key]
        ratio = c["gas"] / c["floor"]
        text = note(key, c["gas"] - c["floor"])
        if ratio > WHY_THRESHOLD:
            text = WHY.get(key, "**above 1.5× its floor: not yet explained**")
        if ratio < 1:
            text = "**floor above the measurement: the floor model is wrong here**"
            below.append(key)
        prior = before.get(key)
        w(
            f"| `{c['call']}` | {c['case']} | {_fmt(c['gas'])} | {_fmt(c['floor'])} | {ratio:.2f} | "
            f"{_fmt(prior)} | {_delta(None if prior is None else c['gas'] - prior)} | {text} |"
        )
    w("")
    rows = [k for k in ROWS if k in calls]
    worst = max(rows, key=lambda k: calls[k]["gas"] / calls[k]["floor"])
    above = above_threshold(calls)
    w(
        f"Highest ratio: `{worst}` at {calls[worst]['gas'] / calls[worst]['floor']:.2f}. "
        + (
            f"Rows above {WHY_THRESHOLD}× their floor: {', '.join(f'`{k}`' for k in above)}."
            if above
            else f"No call is above {WHY_THRESHOLD}× its floor."
        )
    )
    if below:
        w("")
        w(f"**The floor exceeds the measured gas for {', '.join(f'`{k}`' for k in below)}: fix bench/floor.py.**")
    if meta.get("notes_sha256") != NOTES_SOURCES:
        w("")
        w(
            f"The notes were written for sources `{NOTES_SOURCES[:12] or '–'}`; the contracts changed since, so "
            "re-check them against a trace (bench/report.py, `NOTES`)."
        )
    w("")
    w(
        "*execution* in the notes is what the trace does not put on a storage word, a call, a log or the "
        "transaction: dispatch, ABI decoding, checks, loops, memory, the reentrancy lock. The other items "
        "were read from opcode traces (cold SLOADs, SSTOREs and calls per depth)."
    )
    w("")
    w(MOCK_TOKEN_NOTE)
    w("")

    # ---------------------------------------------------------------- scale
    w("## Scale: cost does not grow with agreements, orders and lots")
    w("")
    if second is None:
        w("Not measured in this run (`--fill 0`).")
    else:
        fill = meta["fill"]
        w(
            f"The same calls, measured twice on one deployment: first with {first['agreements_before']} agreements, "
            f"{first['orders_before']} orders and {first['lots_before']} lot(s) on the deep order already stored, then "
            f"again after {fill['agreements']} more agreements (proposed and accepted), {fill['orders']} more orders "
            f"under one agreement and {fill['lots']} more lots of one order were added "
            f"({second['agreements_before']} agreements, {second['orders_before']} orders, {second['lots_before']} lots "
            f"on the deep order before the second pass; the fill took {fill['seconds']:.1f} s over JSON-RPC). "
            "`ship` / `confirm_delivery` \"next lot\" are the deep order's next lot. Δ floor is the calldata "
            "difference alone: an id above 255 has two non-zero bytes."
        )
        w("")
        w("| call | case | gas, first pass | gas, second pass | Δ gas | Δ floor | growth |")
        w("|---|---|--:|--:|--:|--:|--:|")
        grown = growth(first, second)
        for key in ROWS:
            if key not in calls or key not in second["calls"]:
                continue
            a, b = calls[key], second["calls"][key]
            w(
                f"| `{a['call']}` | {a['case']} | {_fmt(a['gas'])} | {_fmt(b['gas'])} | "
                f"{_delta(b['gas'] - a['gas'])} | {_delta(b['floor'] - a['floor'])} | {_delta(grown[key])} |"
            )
        w("")
        worst_growth = max(grown.values())
        w(
            f"Largest growth not explained by calldata: {_fmt(worst_growth)} gas. "
            + (
                "Nothing is looked up by scanning: every agreement, order, lot, part, grant and certification "
                "is one mapping key away, so the thousandth costs what the first did."
                if worst_growth <= 0
                else "Look at the rows above: some cost grows with the data stored."
            )
        )
    w("")
    w("### Payout cost per subcontractor")
    w("")
    w(
        "`confirm_delivery` with 0 to 8 subcontractors (1 to 9 transfers, existing payees), least-squares "
        "line through the nine measurements:"
    )
    w("")
    w("| money | gas, supplier only (fit) | gas per extra subcontractor | floor per extra subcontractor | largest residual | v1 per extra subcontractor |")
    w("|---|--:|--:|--:|--:|--:|")
    for money, fit in data["payout_fit"].items():
        label = "ETH" if money == "eth" else "ERC-20"
        v1_points = v1.get("sweep", {}).get(money)
        v1_slope = linear_fit([(k, g) for k, g, _ in v1_points])["slope"] if v1_points else None
        w(
            f"| {label} | {_fmt(fit['gas']['intercept'])} | {_fmt(fit['gas']['slope'])} | "
            f"{_fmt(fit['floor']['slope'])} | {_fmt(fit['gas']['max_residual'])} | {_fmt(v1_slope)} |"
        )
    w("")
    header = "| subcontractors | " + " | ".join(str(k) for k, _, _ in next(iter(data["payout_fit"].values()))["points"]) + " |"
    w(header)
    w("|---|" + "--:|" * (header.count("|") - 2))
    for money, fit in data["payout_fit"].items():
        label = "ETH" if money == "eth" else "ERC-20"
        w(f"| {label} gas | " + " | ".join(_fmt(g) for _, g, _ in fit["points"]) + " |")
        w(f"| {label} floor | " + " | ".join(_fmt(f) for _, _, f in fit["points"]) + " |")
    w("")

    # ---------------------------------------------------------------- timing
    t = data["timing"]
    w("## Timing")
    w("")
    w("| what | result | measured |")
    w("|---|---|---|")
    w(
        f"| the bench's own work: scenarios, {'both passes and the fill' if second else 'one pass'}"
        f"{', compiler variants' if var else ''} (`make bench` adds Ape start-up and any compile) | "
        f"{t['bench_seconds']:.1f} s | {meta['generated']} |"
    )
    w(f"| first pass of the call suite ({len(calls)} rows, {first['transactions']} transactions) | {first['seconds']:.1f} s | {meta['generated']} |")
    if second is not None:
        fill = meta["fill"]
        w(
            f"| fill: {fill['agreements']} agreements + {fill['orders']} orders + {fill['lots']} lots over JSON-RPC | "
            f"{fill['seconds']:.1f} s | {meta['generated']} |"
        )
    if var:
        w(f"| compiler variants: {len(var['rows'])} compiles (cached by source digest) and their scenarios | {var['seconds']:.1f} s | {var['measured']} |")
    suite = t.get("suite")
    if suite:
        status = "" if suite["exit_code"] == 0 else f"**exit code {suite['exit_code']}**: "
        w(
            f"| test suite: `HYPOTHESIS_PROFILE=ci ape test tests -q` | {suite['seconds']:.0f} s wall "
            f"({status}{suite['summary']}) | {suite['measured']} |"
        )
    else:
        w("| test suite | not measured yet on v2: `make bench ARGS=--suite-timing` | – |")
    hyp = t.get("hypothesis")
    if hyp:
        w(
            f"| hypothesis on Anvil: `@given` create + read + decline inside `chain.isolate()` | "
            f"{hyp['per_second']:.1f} examples/s ({hyp['examples']} in {hyp['seconds']:.1f} s) | {hyp['measured']} |"
        )
    else:
        w("| hypothesis examples per second | not measured yet on v2: `make bench ARGS=\"--hypothesis 50\"` | – |")
    w("")
    w(
        "The suite and hypothesis rows are only re-measured when asked for (they take minutes); otherwise "
        "the last v2 measurement is carried over from gas.json with its date."
    )
    w("")
    return "\n".join(out)


def variant_conclusion(rows: list[dict[str, Any]]) -> str:
    """One paragraph on the variant table: which settings fit, and what the shipped one costs in gas
    against the cheapest variant, fitting or not."""
    fitting = [r for r in rows if r["deployed"] <= EIP170_LIMIT]
    shipped = next((r for r in rows if r.get("shipped")), None)
    if shipped is None:
        return ""
    parts = [
        "Fit EIP-170: " + (", ".join(f"{r['label']} ({_fmt(r['deployed'])} bytes)" for r in fitting) or "none") + "."
    ]
    cheapest = min(rows, key=lambda r: r["scenarios"]["repeat3"])
    if cheapest is not shipped:
        deltas = ", ".join(
            f"{n} {_delta(shipped['scenarios'][n] - cheapest['scenarios'][n])}" for n in SCENARIOS
        )
        parts.append(
            f"The cheapest in gas is {cheapest['label']} ({_fmt(cheapest['deployed'])} bytes, "
            f"{'fits' if cheapest['deployed'] <= EIP170_LIMIT else 'does not fit'}); the shipped setting costs "
            f"{deltas} against it."
        )
    else:
        parts.append("The shipped setting is also the cheapest in gas.")
    others = [r for r in rows if r is not shipped]
    if others:
        parts.append(
            "`repeat3` of each other setting against the shipped one: "
            + ", ".join(f"{r['label']} {_delta(r['scenarios']['repeat3'] - shipped['scenarios']['repeat3'])}" for r in others)
            + "."
        )
    if len(fitting) == 1 and fitting[0] is shipped:
        parts.append(
            "The shipped setting is the only one that can be deployed at all, so the choice is forced by size; "
            "its gas price is the difference above."
        )
    return " ".join(parts)


def _breakeven(scen: dict[str, Any], v1_gas: int) -> str:
    """The sentence saying from which call-off on an agreement has paid for itself against v1."""
    first, repeat = scen["first3"]["gas"], scen["repeat3"]["gas"]
    for n in range(1, 100):
        if first + (n - 1) * repeat <= n * v1_gas:
            return (
                f"Agreement included, v2 costs less than v1 from the {n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'} "
                f"call-off on ({_fmt(first)} + {n - 1} × {_fmt(repeat)} = {_fmt(first + (n - 1) * repeat)} "
                f"≤ {n} × {_fmt(v1_gas)} = {_fmt(n * v1_gas)})."
            )
    return "Agreement included, v2 costs more than v1 for the first hundred call-offs."


def plot(data: dict[str, Any], path: Path) -> None:
    """docs/gas.png: gas used and floor per call, horizontal bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calls = data["first"]["calls"]
    keys = [k for k in ROWS if k in calls][::-1]
    labels = [f"{calls[k]['call']} ({calls[k]['case']})" if calls[k]["case"] else calls[k]["call"] for k in keys]
    gas = [calls[k]["gas"] for k in keys]
    floor = [calls[k]["floor"] for k in keys]
    y = range(len(keys))
    fig, ax = plt.subplots(figsize=(11, 0.3 * len(keys) + 1.5))
    ax.barh([i + 0.2 for i in y], gas, height=0.4, label="gas used", color="#c0504d")
    ax.barh([i - 0.2 for i in y], floor, height=0.4, label="floor", color="#4f81bd")
    for i, (g, f) in enumerate(zip(gas, floor)):
        ax.text(g, i + 0.2, f" {g / f:.2f}×", va="center", fontsize=7)
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("gas")
    ax.set_title("FactoryChain v2: gas used vs floor per call")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Re-render docs/gas.md and docs/gas.png from a gas.json written earlier, without Anvil:
    ``python -m bench.report [path/to/gas.json]``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    json_path = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "docs" / "gas.json"
    data = json.loads(json_path.read_text())
    json_path.with_name("gas.md").write_text(render(data, load_v1()))
    plot(data, json_path.with_name("gas.png"))
    print(f"wrote {json_path.with_name('gas.md')} and gas.png from {json_path}")


if __name__ == "__main__":
    main()
