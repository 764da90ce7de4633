"""Mutation testing of the Vyper sources: would the test suite notice a small bug?

``make mutate`` (``python -m tools.mutate``) plants one small bug at a time in
``contracts/PartRegistry.vy`` or ``contracts/OrderEscrow.vy`` -- a flipped comparison, a dropped
``assert``, ``+`` for ``-``, a constant off by one, a missing role check, a skipped state write,
``and`` for ``or`` -- compiles it in a throw-away copy of the project, and runs the tests that
cover that contract with ``-x``. A mutant the tests fail on is *killed*; one they pass is a
*survivor*: either a gap in the tests or a change that makes no observable difference
(*equivalent*). Survivors judged equivalent are listed, one line each with the reason, in
``tools/mutation_equivalent.txt``; the score leaves them out but the report still shows them.

    score = killed / (mutants - invalid - equivalent)

A mutant that does not compile is *invalid* and not counted. The tests that already fail on the
untouched project (a baseline run finds them) are left out of every mutant run, and so are the slow
deployment-tooling tests (``--all-tests`` puts them back). The real ``contracts/`` is never
written to: each mutant gets its own project directory (Ape compiles into ``<project>/.build``),
seeded with the compiled cache of the untouched project so that only the mutated file recompiles.

Mutant ids are ``<file>:<line>:<operator>`` (``.2``, ``.3`` for a second, third mutant of the same
operator on one line), stable as long as the source lines do not move.

Examples::

    make mutate ARGS="--list"                       # every mutant, nothing run
    make mutate ARGS="--sample 40 --seed 7"         # a random subset
    make mutate ARGS="--contract PartRegistry"      # one contract
    make mutate ARGS="--ids OrderEscrow.vy:806:cmp" # re-check one survivor
    make mutate                                     # everything -> docs/mutation.md, docs/mutation.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import difflib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]

CONTRACTS = {
    "PartRegistry": "contracts/PartRegistry.vy",
    "OrderEscrow": "contracts/OrderEscrow.vy",
    "DataAnchor": "contracts/DataAnchor.vy",
}
# The tests that exercise each contract, broadest first: with -x the first failure ends the run.
SUITES = {
    "PartRegistry": ["tests/integration", "tests/unit/registry"],
    "OrderEscrow": ["tests/integration", "tests/unit/escrow", "tests/adversarial"],
    "DataAnchor": ["tests/unit/anchor", "tests/vault"],
}
STATEFUL = "tests/stateful"
# Slow and about deployment tooling rather than contract logic (a standalone Anvil node, `ape run`
# scripts): left out of mutant runs unless --all-tests; tests/unit/*/test_deploy.py cover the
# constructors.
SLOW_TESTS = ["tests/integration/test_deploy_script.py", "tests/integration/test_rehearsal.py"]
# The project is copied once at start (so that tests edited during a long run do not change under
# it), without what is big, generated or per-machine; tests import scripts, tools and the console
# extras from the project root, so everything else comes along.
SKIP_TOP = {".git", ".venv", "node_modules", ".build", ".hypothesis", ".cache", ".pytest_cache", "bench_out"}
SKIP_ANY = ("__pycache__", "*.egg-info", ".hypothesis", ".pytest_cache")
EQUIVALENT_FILE = ROOT / "tools" / "mutation_equivalent.txt"
DEFAULT_MD = ROOT / "docs" / "mutation.md"
DEFAULT_JSON = ROOT / "docs" / "mutation.json"

OPERATORS = {
    "cmp": "flip a comparison: < <=, > >=, == !=",
    "arith": "swap + and - (also += and -=)",
    "bool": "swap and / or",
    "const": "integer literal + 1",
    "assert": "drop an assert statement",
    "role": "drop a role or ownership check",
    "write": "skip an assignment (state write, augmented or local re-assignment)",
    "call": "drop a call statement (internal helper, module call)",
    "log": "drop an event",
}

# ---------------------------------------------------------------- lexing


def code_mask(source: str) -> str:
    """`source` with every character of a comment, docstring or string literal replaced by a
    space (newlines kept), so that offsets and line numbers are unchanged and a pattern searched
    in the mask can only match real code."""
    out = list(source)
    n = len(source)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    i = 0
    while i < n:
        c = source[i]
        if c == "#":
            end = source.find("\n", i)
            end = n if end == -1 else end
            blank(i, end)
            i = end
        elif source.startswith('"""', i) or source.startswith("'''", i):
            end = source.find(source[i : i + 3], i + 3)
            end = n if end == -1 else end + 3
            blank(i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and source[j] not in (c, "\n"):
                j += 2 if source[j] == "\\" else 1
            end = min(j + 1, n)
            blank(i, end)
            i = end
        else:
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- mutants


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str
    contract: str  # key of CONTRACTS
    path: str  # relative to the project root
    line: int  # 1-based, first line of the mutated statement
    operator: str
    start: int  # character offsets of the replaced text in the source
    end: int
    replacement: str
    original: str  # the source lines touched, for the report
    mutated: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.replacement + source[self.end :]

    def summary(self) -> str:
        before = " ".join(self.original.split())
        after = " ".join(self.mutated.split()) or "(removed)"
        return f"{before}  ->  {after}"

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(), self.mutated.splitlines(), lineterm="", n=0,
            fromfile=f"{self.path}:{self.line}", tofile="mutant",
        )
        return "\n".join(list(lines)[2:])


_CMP_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_CMP_RE = re.compile(r"<<=|>>=|<<|>>|->|<=|>=|==|!=|<|>")
_BOOL_RE = re.compile(r"\b(and|or)\b")
_INT_RE = re.compile(r"\b\d[\d_]*\b")
# A binary + or - (the one before it is an operand), or an augmented += / -=.
_ARITH_RE = re.compile(r"(?<=[\w\)\]\s])([+-])(=?)(?![+\-=>])")
_ROLE_RE = re.compile(r"^(access_control\._check_role|self\._check_owner)\(")
_CALL_RE = re.compile(r"^(extcall\s+)?[A-Za-z_][\w\.]*\(.*\)$", re.S)
_AUG_RE = re.compile(r"(\+|-|\*|//|%|\||&|\^|<<|>>)$")


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for k, ch in enumerate(source):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def _statement_end(mask_lines: list[str], first: int) -> int:
    """Index of the last line of the statement starting on line `first` (0-based)."""
    depth = 0
    k = first
    while True:
        text = mask_lines[k]
        for ch in text:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
        if (depth > 0 or text.rstrip().endswith("\\")) and k + 1 < len(mask_lines):
            k += 1
            continue
        return k


def _assignment_target(statement: str) -> tuple[str, str] | None:
    """(target, operator) of an assignment statement (masked, one line), or None."""
    depth = 0
    for k, ch in enumerate(statement):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            before = statement[k - 1] if k else ""
            after = statement[k + 1] if k + 1 < len(statement) else ""
            if after == "=" or before in "=!<>" and not statement[:k].endswith(("<<", ">>")):
                return None  # a comparison, not an assignment
            head = statement[:k].rstrip()
            aug = _AUG_RE.search(head)
            if aug:
                return head[: aug.start()].strip(), aug.group(0) + "="
            return head, "="
    return None


def generate(source: str, path: str, contract: str | None = None) -> list[Mutant]:
    """Every mutant of `source`, in source order. Comments, docstrings and strings are never touched."""
    name = Path(path).name
    contract = contract or Path(path).stem
    mask = code_mask(source)
    starts = _line_starts(source)
    mask_lines = mask.split("\n")
    src_lines = source.split("\n")
    found: list[tuple[int, str, int, int, str]] = []  # (line index, operator, start, end, replacement)

    def token(line_no: int, op: str, col_start: int, col_end: int, replacement: str) -> None:
        found.append((line_no, op, starts[line_no] + col_start, starts[line_no] + col_end, replacement))

    k = 0
    while k < len(mask_lines):
        text = mask_lines[k]
        stripped = text.strip()
        if not stripped or stripped.startswith("@"):
            k += 1
            continue
        last = _statement_end(mask_lines, k)
        indent = len(text) - len(text.lstrip())
        statement = " ".join(mask_lines[j].strip() for j in range(k, last + 1))
        in_function = indent > 0

        # Whole-statement operators: replace the statement by `pass`, keeping the line count.
        drop_op = None
        if in_function:
            target = _assignment_target(statement)
            if stripped.startswith("assert "):
                drop_op = "assert"
            elif _ROLE_RE.match(statement):
                drop_op = "role"
            elif stripped.startswith("log "):
                drop_op = "log"
            elif target is not None and ":" not in target[0] and not stripped.startswith(("return", "for ", "if ", "elif ")):
                drop_op = "write"
            elif _CALL_RE.match(statement) and not stripped.startswith(("return", "raise")):
                drop_op = "call"
        if drop_op:
            end_offset = starts[last] + len(src_lines[last])
            replacement = " " * indent + "pass" + "\n" * (last - k)
            found.append((k, drop_op, starts[k] + indent, end_offset, replacement[indent:]))

        # Token operators, line by line through the statement.
        for j in range(k, last + 1):
            line = mask_lines[j]
            if line.strip().startswith("@"):
                continue
            for m in _CMP_RE.finditer(line):
                if m.group(0) in _CMP_SWAP:
                    token(j, "cmp", m.start(), m.end(), _CMP_SWAP[m.group(0)])
            for m in _ARITH_RE.finditer(line):
                # unary minus / plus: the previous non-blank character must end an operand
                prev = line[: m.start()].rstrip()
                if not prev or not re.search(r"[\w\)\]]$", prev):
                    continue
                swapped = ("-" if m.group(1) == "+" else "+") + m.group(2)
                token(j, "arith", m.start(), m.end(), swapped)
            for m in _BOOL_RE.finditer(line):
                token(j, "bool", m.start(), m.end(), "or" if m.group(1) == "and" else "and")
            depth = 0
            brackets = []
            for ch in line:
                depth += ch == "["
                depth -= ch == "]"
                brackets.append(depth)
            for m in _INT_RE.finditer(line):
                if brackets[m.start()] > 0:
                    continue  # sizes of types (Bytes[65], DynArray[..., 8]) and indices
                value = int(m.group(0).replace("_", ""))
                new = value + 1
                text_new = f"{new:_}" if "_" in m.group(0) else str(new)
                token(j, "const", m.start(), m.end(), text_new)
        k = last + 1

    mutants: list[Mutant] = []
    seen: dict[tuple[int, str], int] = {}
    for line_no, op, start, end, replacement in sorted(found, key=lambda f: (f[0], f[2], f[1])):
        count = seen[(line_no, op)] = seen.get((line_no, op), 0) + 1
        mid = f"{name}:{line_no + 1}:{op}" + (f".{count}" if count > 1 else "")
        first = line_no
        last_line = source.count("\n", 0, end)
        original = "\n".join(src_lines[first : last_line + 1])
        mutated_source = source[:start] + replacement + source[end:]
        mutated_lines = mutated_source.split("\n")[first : last_line + 1]
        mutated = "\n".join(l for l in mutated_lines if l.strip())
        mutants.append(Mutant(mid, contract, path, line_no + 1, op, start, end, replacement, original, mutated))
    return mutants


def all_mutants(contracts: Iterable[str] = CONTRACTS) -> list[Mutant]:
    out: list[Mutant] = []
    for contract in contracts:
        rel = CONTRACTS[contract]
        out.extend(generate((ROOT / rel).read_text(), rel, contract))
    return out


def load_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """{mutant id: reason} from the checked-in list; '#' starts a comment."""
    result: dict[str, str] = {}
    if not path.exists():
        return result
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        mid, _, reason = line.partition(" ")
        result[mid] = reason.strip() or "(no reason given)"
    return result


# ---------------------------------------------------------------- running


@dataclasses.dataclass
class Result:
    id: str
    status: str  # killed | survived | invalid | timeout | error
    seconds: float
    detail: str = ""


class Runner:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.snapshot = workdir / "snapshot"
        bin_dir = Path(sys.executable).parent
        self.ape = str(bin_dir / "ape")
        self.env = dict(os.environ)
        self.env["PATH"] = os.pathsep.join([str(bin_dir), str(ROOT / "node_modules" / ".bin"), self.env.get("PATH", "")])
        self.env["HYPOTHESIS_PROFILE"] = args.profile
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.deselect: dict[str, list[str]] = {}
        self._counter = 0
        self._lock = threading.Lock()
        self._active: set[subprocess.Popen[str]] = set()
        self.stopping = False

    def log(self, message: str) -> None:
        with self._lock:
            print(message, flush=True)

    def suites(self, contract: str) -> list[str]:
        paths = list(SUITES[contract])
        if self.args.stateful:
            paths.append(STATEFUL)
        return [p for p in paths if (self.snapshot / p).exists()]

    def prepare(self) -> None:
        """Copies the project once and compiles it: every mutant starts from this cache."""
        self.snapshot.mkdir(parents=True)
        for src in sorted(ROOT.iterdir()):
            if src.name in SKIP_TOP:
                continue
            if src.is_dir():
                shutil.copytree(src, self.snapshot / src.name, symlinks=True, ignore=shutil.ignore_patterns(*SKIP_ANY))
            else:
                shutil.copy2(src, self.snapshot / src.name)
        if (ROOT / ".build").is_dir():
            shutil.copytree(ROOT / ".build", self.snapshot / ".build")
        proc = self._run([self.ape, "compile"], self.snapshot, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"mutate: the unmutated project does not compile:\n{proc.stdout[-2000:]}")

    def baseline(self, contracts: Iterable[str]) -> None:
        """Runs each suite once on the untouched copy, in parallel; tests that already fail are
        left out of the mutant runs (and named in the report) instead of 'killing' every mutant."""
        contracts = list(contracts)
        with ThreadPoolExecutor(max_workers=max(1, min(self.args.jobs, len(contracts)))) as pool:
            for contract, failing in zip(contracts, pool.map(self._baseline_one, contracts)):
                self.deselect[contract] = failing

    def _baseline_one(self, contract: str) -> list[str]:
        junit = self.workdir / f"baseline-{contract}.xml"
        started = time.time()
        proc = self._run(
            [self.ape, "test", *self.suites(contract), "-q", "-p", "no:randomly", f"--junitxml={junit}", *self._extra()],
            self.snapshot, timeout=self.args.timeout * 3,
        )
        failing = _failing_tests(junit, self.snapshot) if junit.exists() else []
        state = "green" if proc.returncode == 0 else f"{len(failing)} failing test(s) left out: {' '.join(failing)}"
        self.log(f"baseline {contract}: {state} ({time.time() - started:.0f}s)")
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failing):
            raise SystemExit(f"mutate: baseline run of {contract} broke:\n{proc.stdout[-3000:]}")
        return failing

    def _extra(self) -> list[str]:
        extra = ["-m", self.args.markers] if self.args.markers else []
        if not self.args.all_tests:
            extra += [f"--ignore={path}" for path in SLOW_TESTS if (self.snapshot / path).exists()]
        return extra

    def _run(self, cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        """Runs `cmd` in its own process group, so that a timeout or an interrupt also ends the
        Anvil node that `ape test` started."""
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        with self._lock:
            self._active.add(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except BaseException:
            self._kill(proc)
            raise
        finally:
            with self._lock:
                self._active.discard(proc)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, None)

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def stop(self) -> None:
        """Ends every run in flight (on Ctrl-C)."""
        with self._lock:
            active = list(self._active)
        for proc in active:
            self._kill(proc)

    def run(self, mutant: Mutant) -> Result:
        try:
            return self._run_mutant(mutant)
        except Exception as err:  # an infrastructure failure must not end the whole run
            return Result(mutant.id, "error", 0.0, f"{type(err).__name__}: {err}")

    def _run_mutant(self, mutant: Mutant) -> Result:
        started = time.time()
        if self.stopping:
            return Result(mutant.id, "error", 0.0, "not run: interrupted")
        with self._lock:
            self._counter += 1
            slot = self._counter
        project = self.workdir / f"m{slot:04d}"
        try:
            shutil.copytree(self.snapshot, project, symlinks=True)
            target = project / mutant.path
            target.write_text(mutant.apply(target.read_text()))
            try:
                proc = self._run([self.ape, "compile"], project, timeout=self.args.timeout)
            except subprocess.TimeoutExpired:
                return Result(mutant.id, "error", time.time() - started, "compile timed out")
            if proc.returncode != 0 or "ERROR" in proc.stdout:
                return Result(mutant.id, "invalid", time.time() - started, _last_error(proc.stdout))
            cmd = [self.ape, "test", *self.suites(mutant.contract), "-x", "-q", "-p", "no:randomly", *self._extra()]
            for node in self.deselect.get(mutant.contract, []):
                cmd += ["--deselect", node] if "::" in node else [f"--ignore={node}"]
            try:
                proc = self._run(cmd, project, timeout=self.args.timeout)
            except subprocess.TimeoutExpired:
                return Result(mutant.id, "timeout", time.time() - started, f"suite ran over {self.args.timeout}s")
            if proc.returncode == 0:
                return Result(mutant.id, "survived", time.time() - started)
            if proc.returncode == 1:
                return Result(mutant.id, "killed", time.time() - started, _first_failure(proc.stdout))
            return Result(mutant.id, "error", time.time() - started, f"exit {proc.returncode}: {proc.stdout[-400:]}")
        finally:
            if not self.args.keep:
                shutil.rmtree(project, ignore_errors=True)


def _failing_tests(junit: Path, project: Path) -> list[str]:
    """Node ids of the failed or errored tests in a JUnit report; a module that failed to
    collect is returned as its bare path (to be --ignore'd)."""
    failing = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            continue
        parts = [p for p in case.get("classname", "").split(".") if p]
        name = case.get("name", "")
        if not parts:  # collection error: the name is the dotted module path
            failing.append(name.replace(".", "/") + ".py")
            continue
        # The module is the longest prefix that is a file; the rest are classes.
        for cut in range(len(parts), 0, -1):
            module = "/".join(parts[:cut]) + ".py"
            if (project / module).exists():
                failing.append("::".join([module, *parts[cut:], name]))
                break
    return failing


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line[:300]
    return ""


def _last_error(output: str) -> str:
    lines = [l for l in output.splitlines() if l.strip()]
    for line in lines:
        if "Error" in line or "ERROR" in line:
            return line.strip()[:300]
    return (lines[-1] if lines else "")[:300]


# ---------------------------------------------------------------- report


def score(results: list[Result], equivalents: dict[str, str]) -> dict[str, object]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    equivalent = [r for r in results if r.id in equivalents and r.status == "survived"]
    survivors = [r for r in results if r.status == "survived" and r.id not in equivalents]
    detected = counts.get("killed", 0) + counts.get("timeout", 0)
    denominator = len(results) - counts.get("invalid", 0) - counts.get("error", 0) - len(equivalent)
    return {
        "total": len(results),
        "counts": counts,
        "equivalent": len(equivalent),
        "survivors": len(survivors),
        "detected": detected,
        "denominator": denominator,
        "score": round(detected / denominator, 4) if denominator else None,
    }


def write_reports(
    results: list[Result], mutants: dict[str, Mutant], equivalents: dict[str, str], meta: dict[str, object],
    md_path: Path, json_path: Path,
) -> dict[str, object]:
    summary = score(results, equivalents)
    by_id = {r.id: r for r in results}
    ordered = [by_id[m] for m in mutants if m in by_id]
    data = {
        "meta": meta,
        "summary": summary,
        "mutants": [
            {
                "id": r.id, "status": r.status, "operator": mutants[r.id].operator, "line": mutants[r.id].line,
                "file": mutants[r.id].path, "seconds": round(r.seconds, 1), "detail": r.detail,
                "equivalent": equivalents.get(r.id), "original": mutants[r.id].original, "mutated": mutants[r.id].mutated,
            }
            for r in ordered
        ],
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    md_path.write_text(render_markdown(ordered, mutants, equivalents, summary, meta))
    return summary


def render_markdown(
    results: list[Result], mutants: dict[str, Mutant], equivalents: dict[str, str], summary: dict, meta: dict
) -> str:
    counts = summary["counts"]
    pct = "n/a" if summary["score"] is None else f"{100 * summary['score']:.1f}%"
    out = [
        "# Mutation testing",
        "",
        "Generated by `make mutate` (`python -m tools.mutate`): each mutant is one small bug planted in a",
        "copy of a contract; the tests that cover the contract run against it with `-x`. See",
        "`tools/mutate.py` for the operators and `tools/mutation_equivalent.txt` for survivors judged",
        "equivalent (no observable difference).",
        "",
        f"- run: {meta['date']}, commit `{meta['commit']}`, {meta['command']}",
        f"- tests: {', '.join(f'{k}: `' + ' '.join(v) + '`' for k, v in meta['suites'].items())},"
        f" `HYPOTHESIS_PROFILE={meta['profile']}`, {meta['jobs']} workers, {meta['timeout']} s per mutant",
        f"- selection: {meta['selection']}" + (
            f"; **the run stopped after {len(results)} of {meta['selected']}** (interrupted): a partial result"
            if meta.get("selected") and len(results) < int(meta["selected"]) else ""
        ),
        f"- wall time: {meta['wall_seconds'] / 60:.1f} min",
        "",
        f"**Score: {summary['detected']} / {summary['denominator']} = {pct}** "
        "(killed, timeouts included, over mutants minus invalid, errored and listed-equivalent ones)",
        "",
        "| status | count |",
        "|---|---|",
    ]
    for status in ("killed", "timeout", "survived", "invalid", "error"):
        out.append(f"| {status} | {counts.get(status, 0)} |")
    out.append(f"| survived, listed equivalent | {summary['equivalent']} |")
    out += ["", "| operator | mutants | killed | survived | invalid |", "|---|---|---|---|---|"]
    for op in OPERATORS:
        rows = [r for r in results if mutants[r.id].operator == op]
        if rows:
            c = lambda s: sum(1 for r in rows if r.status == s)  # noqa: E731
            out.append(f"| {op} | {len(rows)} | {c('killed') + c('timeout')} | {c('survived')} | {c('invalid')} |")
    if meta.get("deselected"):
        out += ["", "Tests already failing on the unmutated project (left out of every mutant run):", ""]
        out += [f"- `{node}`" for nodes in meta["deselected"].values() for node in nodes]

    survivors = [r for r in results if r.status == "survived" and r.id not in equivalents]
    out += ["", f"## Survivors ({len(survivors)})", ""]
    if not survivors:
        out.append("None.")
    for r in survivors:
        m = mutants[r.id]
        out += [f"### `{r.id}`", "", "```diff", m.diff(), "```", ""]
    eq = [r for r in results if r.id in equivalents]
    out += ["", f"## Listed as equivalent ({len(eq)})", ""]
    for r in eq:
        m = mutants[r.id]
        flag = "" if r.status == "survived" else f" -- **{r.status}: remove it from the list**"
        out.append(f"- `{r.id}` `{m.summary()}` -- {equivalents[r.id]}{flag}")
    other = [r for r in results if r.status in ("timeout", "error", "invalid")]
    if other:
        out += ["", "## Timeouts, errors and invalid mutants", ""]
        for r in other:
            out.append(f"- `{r.id}` {r.status}: `{mutants[r.id].summary()}` {r.detail}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- command line


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "contracts"], cwd=ROOT, capture_output=True, text=True).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except OSError:
        return "unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__.split("\n\n")[0])
    p.add_argument("--contract", action="append", choices=sorted(CONTRACTS), help="only this contract (repeatable)")
    p.add_argument("--operator", action="append", choices=sorted(OPERATORS), help="only this operator (repeatable)")
    p.add_argument("--ids", nargs="+", metavar="ID", help="only these mutant ids")
    p.add_argument("--sample", type=int, metavar="N", help="a random subset of N mutants")
    p.add_argument("--seed", type=int, default=1, help="seed of --sample (default 1)")
    p.add_argument("--list", action="store_true", help="print the mutants and stop")
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--timeout", type=int, default=900, help="seconds per mutant's test run (default 900)")
    p.add_argument("--stateful", action="store_true", help="also run tests/stateful against escrow mutants")
    p.add_argument("--profile", default="dev", help="HYPOTHESIS_PROFILE for the runs (default dev)")
    p.add_argument("--markers", default="not rehearsal", help='pytest -m expression (default "not rehearsal")')
    p.add_argument("--no-baseline", action="store_true", help="skip the run on the unmutated copy")
    p.add_argument("--all-tests", action="store_true", help=f"also run the slow {', '.join(SLOW_TESTS)}")
    p.add_argument("--keep", action="store_true", help="keep the mutant project directories")
    p.add_argument("--md", type=Path, default=DEFAULT_MD, help="markdown report (default docs/mutation.md)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="JSON report (default docs/mutation.json)")
    p.add_argument(
        "--report-only", action="store_true",
        help="run nothing: re-render the reports from the JSON with the current equivalents list",
    )
    return p.parse_args(argv)


def select(args: argparse.Namespace) -> list[Mutant]:
    mutants = all_mutants(args.contract or list(CONTRACTS))
    if args.operator:
        mutants = [m for m in mutants if m.operator in args.operator]
    if args.ids:
        known = {m.id for m in mutants}
        unknown = [i for i in args.ids if i not in known]
        if unknown:
            raise SystemExit(f"mutate: unknown mutant id(s): {' '.join(unknown)} (see --list)")
        mutants = [m for m in mutants if m.id in set(args.ids)]
    if args.sample is not None and args.sample < len(mutants):
        chosen = set(id(m) for m in random.Random(args.seed).sample(mutants, args.sample))
        mutants = [m for m in mutants if id(m) in chosen]
    return mutants


def rerender(md_path: Path, json_path: Path, equivalents: dict[str, str]) -> dict[str, object]:
    """Rebuilds both reports from a finished run's JSON (after survivors were marked equivalent)."""
    data = json.loads(json_path.read_text())
    mutants: dict[str, Mutant] = {}
    results: list[Result] = []
    for row in data["mutants"]:
        contract = Path(row["file"]).stem
        mutants[row["id"]] = Mutant(
            row["id"], contract, row["file"], row["line"], row["operator"], 0, 0, "", row["original"], row["mutated"]
        )
        results.append(Result(row["id"], row["status"], row["seconds"], row["detail"]))
    return write_reports(results, mutants, equivalents, data["meta"], md_path, json_path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    equivalents = load_equivalents()
    if args.report_only:
        summary = rerender(args.md, args.json, equivalents)
        print(f"mutate: score {summary['detected']}/{summary['denominator']}; report {args.md}")
        return 0
    mutants = select(args)
    if args.list:
        for m in mutants:
            mark = "  [equivalent]" if m.id in equivalents else ""
            print(f"{m.id:<34} {m.summary()}{mark}")
        print(f"{len(mutants)} mutant(s)")
        return 0
    stale = sorted(set(equivalents) - {m.id for m in all_mutants()})
    if stale:
        print(f"mutate: warning: listed equivalents no longer generated (lines moved?): {' '.join(stale)}", flush=True)
    if not mutants:
        print("mutate: no mutant selected")
        return 1

    contracts = sorted({m.contract for m in mutants})
    workdir = Path(tempfile.mkdtemp(prefix="fc-mutate-"))
    runner = Runner(args, workdir)
    started = time.time()
    results: list[Result] = []
    selection = f"{len(mutants)} of {len(all_mutants(args.contract or list(CONTRACTS)))} mutants"
    if args.sample is not None:
        selection += f" (--sample {args.sample} --seed {args.seed})"
    meta: dict[str, object] = {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        "command": "`python -m tools.mutate " + " ".join(sys.argv[1:] if argv is None else argv) + "`",
        "profile": args.profile,
        "jobs": args.jobs,
        "timeout": args.timeout,
        "selection": selection,
        "selected": len(mutants),
        "suites": {},
        "deselected": {},
        "wall_seconds": 0.0,
    }
    by_id = {m.id: m for m in mutants}
    try:
        print(f"mutate: {len(mutants)} mutant(s), {args.jobs} worker(s), work dir {workdir}", flush=True)
        runner.prepare()
        meta["suites"] = {c: runner.suites(c) for c in contracts}
        if not args.no_baseline:
            runner.baseline(contracts)
            meta["deselected"] = {c: v for c, v in runner.deselect.items() if v}
        pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
        try:
            futures = {pool.submit(runner.run, m): m for m in mutants}
            for done, future in enumerate(as_completed(futures), 1):
                result = future.result()
                results.append(result)
                tag = " (listed equivalent)" if result.id in equivalents else ""
                runner.log(f"[{done}/{len(mutants)}] {result.id:<34} {result.status:<8} {result.seconds:5.0f}s{tag}")
                meta["wall_seconds"] = time.time() - started
                write_reports(results, by_id, equivalents, meta, args.md, args.json)
        finally:
            runner.stopping = True
            pool.shutdown(wait=False, cancel_futures=True)
    except KeyboardInterrupt:
        runner.stopping = True
        runner.stop()
        print("mutate: interrupted; writing what was done", flush=True)
    finally:
        meta["wall_seconds"] = time.time() - started
        if results:
            summary = write_reports(results, by_id, equivalents, meta, args.md, args.json)
            pct = "n/a" if summary["score"] is None else f"{100 * summary['score']:.1f}%"
            print(f"mutate: score {summary['detected']}/{summary['denominator']} = {pct}; "
                  f"{summary['survivors']} survivor(s); report {args.md}", flush=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
