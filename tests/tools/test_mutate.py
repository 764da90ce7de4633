"""The mutant generator of tools/mutate.py, on small Vyper snippets and on the real contracts.

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


def test_failing_tests__junit_classes_and_collection_errors(tmp_path):
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_a.py").write_text("")
    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.unit.test_a" name="test_ok"/>'
        '<testcase classname="tests.unit.test_a" name="test_bad[eth]"><failure/></testcase>'
        '<testcase classname="tests.unit.test_a.TestMachine" name="runTest"><error/></testcase>'
        '<testcase classname="" name="tests.unit.test_b"><error/></testcase>'
        "</testsuite></testsuites>"
    )
    assert mutate._failing_tests(junit, tmp_path) == [
        "tests/unit/test_a.py::test_bad[eth]",
        "tests/unit/test_a.py::TestMachine::runTest",
        "tests/unit/test_b.py",
    ]


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
        "date": "today", "commit": "abc", "command": "`x`", "profile": "dev", "jobs": 2, "timeout": 60,
        "selection": "3 of 17", "suites": {"F": ["tests/unit"]}, "deselected": {}, "wall_seconds": 12.0,
    }
    md, js = tmp_path / "m.md", tmp_path / "m.json"
    first = mutate.write_reports(results, mutants, {}, meta, md, js)
    assert (first["detected"], first["denominator"], first["survivors"]) == (1, 2, 1)
    assert "### `F.vy:6:const`" in md.read_text()
    assert "+LIMIT: constant(uint256) = 10_001" in md.read_text()

    again = mutate.rerender(md, js, {"F.vy:6:const": "limit never reached"})

    assert (again["detected"], again["denominator"], again["survivors"], again["equivalent"]) == (1, 1, 0, 1)
    text = md.read_text()
    assert "## Survivors (0)" in text and "limit never reached" in text
