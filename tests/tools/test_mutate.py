"""The pure parts of the mutation engine (tools/mutate.py, tools/mutation_map.py,
tools/mutation_compile.py): mutant generation, the static call graph and test selection, test
ordering, bytecode dedupe, score and report -- on small Vyper snippets and on the real contracts.

Pure Python: no chain, no compiler. The module is loaded from its file so that the test does not
depend on the project root being on sys.path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("fc_tools_mutate", ROOT / "tools" / "mutate.py")
mutate = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mutate  # dataclasses look their module up by name
_spec.loader.exec_module(mutate)

SNIPPET = '''# pragma version ~=0.4.3
"""
@notice a < b and c - d, x == y # not code
"""

LIMIT: constant(uint256) = 10_000


@external
def f(a: uint256, data: Bytes[65]) -> uint256:
    """
    @dev if a >= 1 or a != 2: self.x = 3
    """
    access_control._check_role(ADMIN, msg.sender)
    assert a < LIMIT and a != 0, "f: a >= limit - 1"  # dev: a <= 7
    total: uint256 = a + 1
    total -= 2
    self.count = total
    self._push(a)
    log Done(value=-1)
    return total << 2
'''


def by_id(mutants):
    return {m.id: m for m in mutants}


def test_code_mask__comments_docstrings_and_strings__blanked_offsets_kept():
    source = 'x = "a < b"  # c == d\n"""\nd >= e\n"""\ny = b\'k\' + 1\n'
    mask = mutate.code_mask(source)
    assert len(mask) == len(source)
    assert [i for i, c in enumerate(mask) if c == "\n"] == [i for i, c in enumerate(source) if c == "\n"]
    assert mask.split("\n")[0].rstrip() == "x ="
    assert mask.split("\n")[2].strip() == ""
    assert mask.split("\n")[4].replace(" ", "") == "y=b+1"


def test_generate__small_snippet__expected_mutants():
    mutants = by_id(mutate.generate(SNIPPET, "contracts/F.vy"))
    expected = {
        "F.vy:6:const": "LIMIT: constant(uint256) = 10_001",
        "F.vy:14:role": "    pass",
        "F.vy:15:assert": "    pass",
        "F.vy:15:cmp": '    assert a <= LIMIT and a != 0, "f: a >= limit - 1"  # dev: a <= 7',
        "F.vy:15:bool": '    assert a < LIMIT or a != 0, "f: a >= limit - 1"  # dev: a <= 7',
        "F.vy:15:cmp.2": '    assert a < LIMIT and a == 0, "f: a >= limit - 1"  # dev: a <= 7',
        "F.vy:15:const": '    assert a < LIMIT and a != 1, "f: a >= limit - 1"  # dev: a <= 7',
        "F.vy:16:arith": "    total: uint256 = a - 1",
        "F.vy:16:const": "    total: uint256 = a + 2",
        "F.vy:17:write": "    pass",
        "F.vy:17:arith": "    total += 2",
        "F.vy:17:const": "    total -= 3",
        "F.vy:18:write": "    pass",
        "F.vy:19:call": "    pass",
        "F.vy:20:log": "    pass",
        "F.vy:20:const": "    log Done(value=-2)",
        "F.vy:21:const": "    return total << 3",
    }
    assert sorted(mutants) == sorted(expected)
    for mid, line in expected.items():
        assert mutants[mid].mutated == line, mid
        assert mutants[mid].line == int(mid.split(":")[1])


def test_generate__never_touches_comments_docstrings_or_strings():
    source = SNIPPET
    mask = mutate.code_mask(source)
    for m in mutate.generate(source, "contracts/F.vy"):
        changed = source[m.start : m.end]
        if m.operator in ("assert", "role", "write", "call", "log"):
            assert mask[m.start] != " "  # a statement starts in code
            continue
        assert mask[m.start : m.end] == changed, m.id  # the replaced text is code, all of it
    # and the mutated sources keep every comment, docstring and string intact
    for m in mutate.generate(source, "contracts/F.vy"):
        if m.operator in ("cmp", "bool", "arith", "const"):
            out = m.apply(source)
            assert '"f: a >= limit - 1"' in out and "# dev: a <= 7" in out
            assert "@notice a < b and c - d, x == y # not code" in out
            assert "@dev if a >= 1 or a != 2: self.x = 3" in out


def test_generate__multi_line_assert__dropped_with_line_count_kept():
    source = (
        "@external\n"
        "def g(a: address):\n"
        "    assert a == self.owner or (\n"
        "        a == self.other and a != empty(address)\n"
        '    ), "g: no"\n'
        "    self.n += 1\n"
    )
    mutants = by_id(mutate.generate(source, "G.vy"))
    dropped = mutants["G.vy:3:assert"].apply(source)
    assert dropped.count("\n") == source.count("\n")
    assert dropped.split("\n")[2:6] == ["    pass", "", "", "    self.n += 1"]
    assert "G.vy:4:cmp" in mutants and "G.vy:4:bool" in mutants and "G.vy:4:cmp.2" in mutants
    assert mutants["G.vy:6:write"].apply(source).split("\n")[5] == "    pass"
    assert mutants["G.vy:6:arith"].apply(source).split("\n")[5] == "    self.n -= 1"


@pytest.mark.parametrize(
    "line",
    [
        "    x: Bytes[65] = empty(Bytes[65])",  # sizes inside brackets
        "    y: uint256 = a << b >> c",  # shifts are not comparisons
        "    z: int256 = -a",  # unary minus
        "    w: uint256 = self.m[1]",  # index
        "    v: uint256 = 0x1626BA7E",  # hex literal
    ],
)
def test_generate__non_mutable_tokens__left_alone(line):
    source = f"@internal\ndef h(a: uint256, b: uint256, c: uint256) -> uint256:\n{line}\n    return 0\n"
    mutants = [m for m in mutate.generate(source, "H.vy") if m.line == 3]
    assert mutants == []


def test_generate__declarations_are_not_writes_but_reassignments_are():
    source = "@internal\ndef k():\n    a: uint256 = 1\n    a = 2\n    b, c = self.pair()\n    d: bool = a == 2\n"
    ops = {(m.line, m.operator) for m in mutate.generate(source, "K.vy")}
    assert (3, "write") not in ops
    assert (4, "write") in ops
    assert (5, "write") in ops
    assert (6, "write") not in ops and (6, "cmp") in ops


def test_generate__ids_stable_and_unique_on_real_contracts():
    first = mutate.all_mutants()
    second = mutate.all_mutants()
    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first)
    assert {m.contract for m in first} == set(mutate.CONTRACTS)
    assert set(mutate.OPERATORS) == {m.operator for m in first}


def test_generate__real_contracts__every_mutant_changes_code_only():
    for contract, rel in mutate.CONTRACTS.items():
        source = (ROOT / rel).read_text()
        mask_lines = mutate.code_mask(source).split("\n")
        for m in mutate.generate(source, rel, contract):
            out = m.apply(source)
            assert out != source, m.id
            assert out.count("\n") == source.count("\n"), m.id
            assert mask_lines[m.line - 1].strip(), f"{m.id} starts on a comment or docstring line"
            # lines outside the mutated statement are untouched
            old, new = source.split("\n"), out.split("\n")
            changed = [i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b]
            assert changed and changed[0] == m.line, m.id
            assert not any(old[i - 1].lstrip().startswith("#") for i in changed), m.id


def test_load_equivalents__comments_and_reasons(tmp_path):
    path = tmp_path / "eq.txt"
    path.write_text("# header\n\nOrderEscrow.vy:1:cmp  same result: # both sides equal\nX.vy:2:const\n")
    assert mutate.load_equivalents(path) == {
        "OrderEscrow.vy:1:cmp": "same result: # both sides equal",
        "X.vy:2:const": "(no reason given)",
    }


def test_load_equivalents__checked_in_list__names_generated_mutants_with_reasons():
    listed = mutate.load_equivalents()
    known = {m.id for m in mutate.all_mutants()}
    assert set(listed) <= known, set(listed) - known
    assert all(reason != "(no reason given)" for reason in listed.values())


def test_score__equivalents_invalid_and_errors_left_out():
    R = mutate.Result
    results = [
        R("a", "killed", 1), R("b", "survived", 1), R("c", "survived", 1), R("d", "invalid", 1),
        R("e", "timeout", 1), R("f", "error", 1),
    ]
    summary = mutate.score(results, {"c": "same value"})
    assert summary["detected"] == 2
    assert summary["denominator"] == 3
    assert summary["score"] == round(2 / 3, 4)
    assert summary["survivors"] == 1 and summary["equivalent"] == 1


def test_select__sample_is_seeded_and_filters_compose():
    args = mutate.parse_args(["--sample", "10", "--seed", "3", "--contract", "PartRegistry"])
    first = [m.id for m in mutate.select(args)]
    again = [m.id for m in mutate.select(args)]
    other = [m.id for m in mutate.select(mutate.parse_args(["--sample", "10", "--seed", "4", "--contract", "PartRegistry"]))]
    assert first == again and len(first) == 10 and first != other
    assert all(i.startswith("PartRegistry.vy:") for i in first)
    only = mutate.select(mutate.parse_args(["--operator", "role"]))
    assert only and {m.operator for m in only} == {"role"}
    with pytest.raises(SystemExit):
        mutate.select(mutate.parse_args(["--ids", "Nope.vy:1:cmp"]))


def test_reports__written_then_rerendered_with_new_equivalents(tmp_path):
    mutants = {m.id: m for m in mutate.generate(SNIPPET, "contracts/F.vy")}
    R = mutate.Result
    results = [R("F.vy:15:cmp", "killed", 3.0, "FAILED t::x"), R("F.vy:6:const", "survived", 9.0), R("F.vy:20:log", "invalid", 1.0)]
    meta = {
        "date": "today", "commit": "abc", "command": "`x`", "profile": "mutate", "jobs": 2, "cpus": 2,
        "selection": "3 of 17", "selected": 3, "wall_seconds": 12.0, "load": "2.0 mean",
        "codegen": {"F": "fast"}, "map": "built in this run (5 s, 9 tests)",
        "timing": {"compile_cpu": 120.0, "test": 60.0, "map": 30.0, "worker_start": 20.0, "worker_starts": 2},
        "left_out": {"tests/x.py::test_gas": "asserts the escrow's absolute gas (fast codegen)"},
    }
    md, js = tmp_path / "m.md", tmp_path / "m.json"
    first = mutate.write_reports(results, mutants, {}, meta, md, js)
    assert (first["detected"], first["denominator"], first["survivors"]) == (1, 2, 1)
    text = md.read_text()
    assert "### `F.vy:6:const`" in text
    assert "wall time: **0.2 min** on 2 cores; load average during the run 2.0 mean" in text
    assert "compile 2.0 CPU-min" in text and "tests 1.0 worker-min" in text
    assert "F: fast" in text and "`tests/x.py::test_gas` -- asserts the escrow's absolute gas" in text
    assert "+LIMIT: constant(uint256) = 10_001" in md.read_text()

    again = mutate.rerender(md, js, {"F.vy:6:const": "limit never reached"})

    assert (again["detected"], again["denominator"], again["survivors"], again["equivalent"]) == (1, 1, 0, 1)
    text = md.read_text()
    assert "## Survivors (0)" in text and "limit never reached" in text


# ---------------------------------------------------------------- engine: map, selection, dedupe

mutation_map = mutate.mutation_map
mutation_compile = mutate.mutation_compile

GRAPH = '''# pragma version ~=0.4.3
LIMIT: constant(uint256) = 10
DOUBLE: constant(uint256) = LIMIT * 2
FEE: public(constant(uint256)) = 3
owner: public(address)

struct Pair:
    a: uint256


@deploy
def __init__():
    self.owner = msg.sender


@external
def top(a: uint256) -> uint256:
    return self._mid(a)


@external
def other(
    a: uint256,
) -> uint256:
    assert a < DOUBLE, "other: big"
    return a


@external
def ask(r: address) -> bool:
    return staticcall registry.is_ok(r)


@internal
def _mid(a: uint256) -> uint256:
    return self._leaf(a) + 1


@internal
def _leaf(a: uint256) -> uint256:
    return a * FEE
'''


def graph_module():
    return mutation_map.parse_module(mutate.code_mask(GRAPH))


def line_of(text: str) -> int:
    return next(k for k, line in enumerate(GRAPH.split("\n"), 1) if text in line)


def test_parse_module__functions_span_their_decorators_and_multi_line_signatures():
    module = graph_module()
    assert set(module.functions) == {"__init__", "top", "other", "ask", "_mid", "_leaf"}
    other = module.functions["other"]
    assert other.first == line_of("def other") - 1  # the @external line
    assert other.last == line_of("return a")
    assert module.function_at(line_of('assert a < DOUBLE')).name == "other"
    assert module.functions["_mid"].calls == {"_leaf"}
    assert module.functions["ask"].ext_calls == {("registry", "is_ok")}
    assert {n for n, f in module.functions.items() if f.entry} == {"__init__", "top", "other", "ask"}
    assert module.declaration_at(line_of("DOUBLE: constant")) == "DOUBLE"


def test_affected_entries__helpers_reach_their_externals_and_constants_their_users():
    module = graph_module()
    assert mutation_map.affected_entries(module, line_of("return a * FEE")) == {"top"}  # _leaf <- _mid <- top
    assert mutation_map.affected_entries(module, line_of("return self._leaf(a) + 1")) == {"top"}
    assert mutation_map.affected_entries(module, line_of("self.owner = msg.sender")) == {"__init__"}
    # LIMIT is used only through DOUBLE, which `other` names
    assert mutation_map.affected_entries(module, line_of("LIMIT: constant")) == {"other"}
    # a public constant: its users and its getter
    assert mutation_map.affected_entries(module, line_of("FEE: public")) == {"top", "FEE"}
    # storage and structs: unknown, every test of the contract
    assert mutation_map.affected_entries(module, line_of("owner: public")) is None
    assert mutation_map.affected_entries(module, line_of("struct Pair")) is None


def test_cross_entries__callee_method_selects_the_callers_externals():
    module = graph_module()
    assert mutation_map.cross_entries(module, "registry", {"is_ok"}) == {"ask"}
    assert mutation_map.cross_entries(module, "registry", {"other_method"}) == set()


def test_wanted_pairs__registry_mutant_selects_escrow_entries_that_call_it():
    modules = {c: mutation_map.parse_module(mutate.code_mask((ROOT / p).read_text())) for c, p in mutate.CONTRACTS.items()}
    registry = [m for m in mutate.all_mutants(["PartRegistry"])]
    # a mutant inside is_certified reaches the registry's getter and the escrow functions that ask it
    source = (ROOT / mutate.CONTRACTS["PartRegistry"]).read_text().split("\n")
    inside = [m for m in registry if modules["PartRegistry"].function_at(m.line) is not None
              and modules["PartRegistry"].function_at(m.line).name == "is_certified"]
    assert inside, "is_certified has mutants"
    wanted = mutate.wanted_pairs(modules, inside[0])
    assert ("PartRegistry", "is_certified") in wanted
    assert any(c == "OrderEscrow" for c, _ in wanted), wanted
    assert source  # the file was read
    # every generated mutant maps to something: a function, a constant or (None) the whole contract
    for m in mutate.all_mutants():
        pairs = mutate.wanted_pairs(modules, m)
        assert pairs is None or pairs, m.id


def test_select_tests__pairs_or_whole_contract():
    calls = {
        "t::a": [["OrderEscrow", "ship"], ["PartRegistry", "__init__"]],
        "t::b": [["OrderEscrow", "claim"]],
        "t::c": [["PartRegistry", "certify"]],
    }
    assert mutation_map.select_tests(calls, {("OrderEscrow", "ship")}, "OrderEscrow") == ["t::a"]
    assert mutation_map.select_tests(calls, {("PartRegistry", "certify"), ("OrderEscrow", "claim")}, "PartRegistry") == ["t::b", "t::c"]
    assert mutation_map.select_tests(calls, None, "PartRegistry") == ["t::a", "t::c"]
    assert mutation_map.select_tests(calls, set(), "OrderEscrow") == []


def test_order_tests__killers_first_then_fastest():
    nodes = ["a", "b", "c", "d"]
    durations = {"a": 3.0, "b": 0.5, "c": 1.0, "d": 0.1}
    assert mutation_map.order_tests(nodes, durations, []) == ["d", "b", "c", "a"]
    # killers keep their order, unknown killers (not selected) are ignored, no repeats
    assert mutation_map.order_tests(nodes, durations, ["c", "zz", "a", "c"]) == ["c", "a", "d", "b"]


def test_order_tests__readers_then_named_then_refusals_last_within_a_group():
    nodes = ["m::test_ship__late__penalty", "m::test_ship__unknown_order__reverts", "m::TestRefused::test_ship__x",
             "m::test_mask_48__odd__exact", "m::test_other__thing__ok"]
    durations = {n: 1.0 for n in nodes}
    durations["m::test_ship__unknown_order__reverts"] = 0.01  # fastest, but a refusal
    durations["m::TestRefused::test_ship__x"] = 0.02
    demote = mutation_map.is_refusal_test
    focused = mutation_map.focused_tests(nodes, {"ship"})
    readers = mutation_map.focused_tests(nodes, {"_MASK_48"})
    assert readers == ["m::test_mask_48__odd__exact"]
    out = mutation_map.order_tests(nodes, durations, [], focused, targeted=readers, demote=demote)
    assert out == [
        "m::test_mask_48__odd__exact",
        "m::test_ship__late__penalty",
        "m::test_ship__unknown_order__reverts",
        "m::TestRefused::test_ship__x",
        "m::test_other__thing__ok",
    ]
    # Without demotion (a guard's mutant) the refusals go first, fastest first.
    out = mutation_map.order_tests(nodes, durations, [], focused, targeted=readers)
    assert out[1:3] == ["m::test_ship__unknown_order__reverts", "m::TestRefused::test_ship__x"]


@pytest.mark.parametrize(
    "node, refusal",
    [
        ("t.py::test_ship__unknown_order__reverts", True),
        ("t.py::test_grant__stranger__reverts_missing_role[x]", True),
        ("t.py::TestRefused::test_release__lot_in_review__control", True),
        ("t.py::test_denied__reverts_with_reason_and_changes_nothing[a-b]", True),
        ("t.py::test_ship__late_lot__penalty_per_started_day_capped", False),
        ("t.py::test_revert_reason_helper", False),  # no outcome segment
        ("t.py::test_unknown__thing__zeros", False),
    ],
)
def test_is_refusal_test(node, refusal):
    assert mutation_map.is_refusal_test(node) is refusal


def test_tests_for__guard_mutants_keep_refusals_first():
    guard = mutate.Mutant("x", "OrderEscrow", "c.vy", 1, "assert", 0, 0, "", "    assert a, 'b'", "")
    body = mutate.Mutant("y", "OrderEscrow", "c.vy", 1, "const", 0, 0, "", "    paid: uint256 = 0", "")
    raise_line = mutate.Mutant("z", "OrderEscrow", "c.vy", 1, "cmp", 0, 0, "", "    assert x <= y, 'r'", "")
    assert mutate.is_guard(guard) and mutate.is_guard(raise_line)
    assert not mutate.is_guard(body)


def test_tests_for_reason__refusals_named_for_the_checks_reason():
    nodes = ["a.py::test_ship__unknown_order__reverts[0]", "a.py::TestRefused::test_release__unknown_order__reverts",
             "a.py::test_ship__late__penalty", "b.py::test_claim__nothing_owed__reverts"]
    statement = '    assert order != 0, "escrow: unknown order"'
    assert mutation_map.tests_for_reason(nodes, statement) == nodes[:2]
    assert mutation_map.tests_for_reason(nodes, "    paid: uint256 = 0") == []


def test_called_in_check__helpers_whose_result_an_assert_checks():
    source = """
@internal
def _open_units(order: uint256) -> uint256:
    return 1

def ship(q: uint256):
    assert q <= self._other(q), "x: a"  # self._open_units( in a comment does not count
    assert (
        q
        <= self._open_units(q)
    ), "x: b"
    y: uint256 = self._settle(q)
"""
    assert mutation_map.called_in_check(source, "_open_units")
    assert mutation_map.called_in_check(source, "_other")
    assert not mutation_map.called_in_check(source, "_settle")


def test_dedupe__identical_same_and_new():
    seen: dict[str, str] = {}
    assert mutate.dedupe("m1", "k0", "k0", seen) == ("identical", "")
    assert mutate.dedupe("m2", "k1", "k0", seen) == ("run", "")
    assert mutate.dedupe("m3", "k2", "k0", seen) == ("run", "")
    assert mutate.dedupe("m4", "k1", "k0", seen) == ("same", "m2")
    assert seen == {"k1": "m2", "k2": "m3"}


def test_code_key__ignores_the_metadata_trailer_only():
    body = bytes.fromhex("6080604052") + b"\x11" * 40
    trailer_a = bytes.fromhex("a165767970657283000403") + b"\x00\x0b"
    trailer_b = bytes.fromhex("a165767970657283000404") + b"\x00\x0b"
    assert mutation_compile.strip_metadata(body + trailer_a) == body
    assert mutation_compile.code_key("0x" + (body + trailer_a).hex()) == mutation_compile.code_key((body + trailer_b).hex())
    assert mutation_compile.code_key((body + trailer_a).hex()) != mutation_compile.code_key((body[:-1] + b"\x12" + trailer_a).hex())


def test_fast_source__blanks_codegen_pragmas_keeps_lines():
    source = (ROOT / mutate.CONTRACTS["OrderEscrow"]).read_text()
    fast = mutation_compile.fast_source(source)
    assert fast.count("\n") == source.count("\n")
    assert "# pragma experimental-codegen" in source and "pragma experimental-codegen" not in fast
    assert "pragma optimize" not in fast and "# pragma nonreentrancy on" in fast
    assert mutate.codegen_for("OrderEscrow", "auto") == "fast" and mutate.codegen_for("PartRegistry", "auto") == "shipped"
    assert mutate.codegen_for("PartRegistry", "fast") == "fast"


def test_score__identical_bytecode_left_out_like_equivalents():
    R = mutate.Result
    summary = mutate.score([R("a", "killed", 1), R("b", "identical", 0), R("c", "survived", 1)], {})
    assert (summary["detected"], summary["denominator"], summary["survivors"]) == (1, 2, 1)


class _FakeSession:
    def __init__(self) -> None:
        self.teardowns = 0
        self._setupstate = self

    def teardown_exact(self, _next) -> None:
        self.teardowns += 1


class _FakeItem:
    """A test whose failure `fails(state)` decides; running it records what it leaves behind."""

    def __init__(self, nodeid: str, fails, leaves: str = "") -> None:
        self.nodeid, self.fails, self.leaves = nodeid, fails, leaves
        self.ihook = self

    def pytest_runtest_protocol(self, item, nextitem) -> None:
        _WORLD["runs"].append(self.nodeid)
        if self.fails(_WORLD):
            _WORLD["outcome"].failed.setdefault(self.nodeid, "call: AssertionError")
        if self.leaves:
            _WORLD[self.leaves] = True


_WORLD: dict = {}


def test_worker_run_items__a_kill_must_repeat_alone():
    from tools import mutation_worker

    outcome = mutation_worker._Outcome()
    _WORLD.clear()
    _WORLD.update(outcome=outcome, runs=[])

    def rewind() -> None:
        _WORLD.pop("drift", None)
        _WORLD["runs"].append("rewind")

    items = [
        _FakeItem("t::a", lambda w: False, leaves="drift"),  # leaves the clock drifted
        _FakeItem("t::b", lambda w: w.get("drift", False)),  # fails only after a: not the mutant's doing
        _FakeItem("t::c", lambda w: True),  # fails alone too: a kill
        _FakeItem("t::d", lambda w: False),
    ]
    session = _FakeSession()
    ran = mutation_worker._run_items(session, items, True, outcome, rewind=rewind)
    assert _WORLD["runs"] == ["t::a", "t::b", "rewind", "t::b", "t::c", "rewind", "t::c"]
    assert list(outcome.unconfirmed) == ["t::b"]
    assert list(outcome.failed) == ["t::c"] and outcome.failed["t::c"].endswith("(again when run alone)")
    assert ran == 3 and session.teardowns >= 2


def test_worker_run_items__first_test_failing_is_a_kill_without_a_rerun():
    from tools import mutation_worker

    outcome = mutation_worker._Outcome()
    _WORLD.clear()
    _WORLD.update(outcome=outcome, runs=[])
    items = [_FakeItem("t::a", lambda w: True), _FakeItem("t::b", lambda w: False)]
    mutation_worker._run_items(_FakeSession(), items, True, outcome, rewind=lambda: _WORLD["runs"].append("rewind"))
    assert _WORLD["runs"] == ["t::a"]
    assert outcome.failed == {"t::a": "call: AssertionError"} and not outcome.unconfirmed
