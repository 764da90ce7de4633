"""Mutation testing of the Vyper sources: would the test suite notice a small bug?

``make mutate`` (``python -m tools.mutate``) plants one small bug at a time in
``contracts/PartRegistry.vy``, ``contracts/OrderEscrow.vy`` or ``contracts/DataAnchor.vy`` -- a
flipped comparison, a dropped ``assert``, ``+`` for ``-``, a constant off by one, a missing role
check, a skipped state write, ``and`` for ``or`` -- and runs the tests that can reach it until
the first failure. A mutant the tests fail on is *killed*; one they pass is a *survivor*: either
a gap in the tests or a change that makes no observable difference (*equivalent*). Survivors
judged equivalent are listed, one line each with the reason, in ``tools/mutation_equivalent.txt``;
the score leaves them out but the report still shows them.

    score = killed / (mutants - invalid - byte-identical - equivalent)

The engine (every mutant of the three contracts in well under an hour on two cores):

1. **Compile once, in a pool** (tools/mutation_compile.py): each mutated source is compiled
   in-process by Vyper from a string -- the real ``contracts/`` is only read, never written (its
   digest is checked before and after the run). A mutant that does not compile is *invalid*; one
   whose bytecode (metadata trailer aside) equals the unmutated contract's is *identical* (left
   out of the score, provably equivalent); one equal to an earlier mutant's reuses its result.
   OrderEscrow's mutants use legacy ``-O none`` codegen (3.3 s instead of 7.6 s; see the report's
   "How mutants are compiled"); ``--codegen shipped`` compiles them as shipped.
2. **Long-lived test workers** (tools/mutation_worker.py): ``--jobs`` ``ape test`` sessions, each
   with its own Anvil, collect the suites once and then take jobs over a socket. For a mutant the
   fixtures deploy its bytecode (the contract type's deployment bytecode is swapped in memory),
   the chosen tests run in order until the first failure, and every fixture is torn down before
   the next mutant.
3. **A test map** (tools/mutation_map.py), built by one run of every test on the unmutated
   contracts (cached in ``.build/mutation_map.json`` while tests, contracts and settings are
   unchanged): which tests fail already (left out), how long each takes and which external
   functions each calls. A mutant runs only the tests that call an external that reaches its line
   through the static ``self._helper()`` call graph (constants: every function naming them;
   registry functions: also the escrow functions that call them); tests that killed a mutant of
   the same function come first, then the fastest.
4. Hypothesis runs under the ``mutate`` profile: ``dev`` sizes, derandomized, no database.
   A mutant whose tests run over ``--timeout`` (default 3x their baseline + 60 s) counts as a
   *timeout* (detected); its worker is restarted.

Mutant ids are ``<file>:<line>:<operator>`` (``.2``, ``.3`` for a second, third mutant of the same
operator on one line), stable as long as the source lines do not move.

Examples::

    make mutate ARGS="--list"                       # every mutant, nothing run
    make mutate ARGS="--sample 40 --seed 7"         # a random subset
    make mutate ARGS="--contract PartRegistry"      # one contract
    make mutate ARGS="--ids OrderEscrow.vy:806:cmp --full --codegen shipped"  # re-check a survivor
    make mutate                                     # everything -> docs/mutation.md, docs/mutation.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import difflib
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests load this file by path
    sys.path.insert(0, str(ROOT))

from tools import mutation_compile, mutation_map  # noqa: E402

CONTRACTS = {
    "PartRegistry": "contracts/PartRegistry.vy",
    "OrderEscrow": "contracts/OrderEscrow.vy",
    "DataAnchor": "contracts/DataAnchor.vy",
}
# The tests that exercise each contract in-process. Tests that drive the project through a
# subprocess (CLI commands, `ape run` scripts, standalone nodes) are not listed: the subprocess
# compiles and deploys its own, unmutated contracts, so they cannot see a mutant, and they are slow.
SUITES = {
    "PartRegistry": ["tests/integration/test_lifecycle.py", "tests/integration/test_sdk_onchain.py", "tests/unit/registry"],
    "OrderEscrow": [
        "tests/integration/test_lifecycle.py", "tests/integration/test_sdk_onchain.py", "tests/unit/escrow",
        "tests/adversarial",
    ],
    "DataAnchor": ["tests/unit/anchor", "tests/vault", "tests/integration/test_vault_onchain.py"],
}
STATEFUL = "tests/stateful"
# Slow and about deployment tooling rather than contract logic (a standalone Anvil node, `ape run`
# scripts): left out of mutant runs unless --all-tests; tests/unit/*/test_deploy.py cover the
# constructors.
SLOW_TESTS = ["tests/integration/test_deploy_script.py", "tests/integration/test_rehearsal.py"]
# Tests whose outcome depends on the test run before them (isolation guards): the engine runs tests
# in its own order, so they are left out of mutant runs.
ORDER_DEPENDENT = ["tests/unit/anchor/test_anchor_isolation_guard.py", "tests/integration/test_isolation_guard.py"]
# Under the fast codegen (legacy -O none) these assert the escrow's *absolute* gas, which is the
# codegen's, not the source's: left out of mutant runs so that a gas figure never counts as a kill.
GAS_TESTS_FILES = ["tests/adversarial/test_tokens.py"]
GAS_TESTS = [
    "tests/adversarial/test_tokens.py::test_payout__token_burning_all_gas_after_funding__every_push_deferred",
]
# Contracts whose mutants get the fast codegen under --codegen auto (see tools/mutation_compile.py).
FAST_BY_DEFAULT = {"OrderEscrow"}
# Compile order: the quick ones first, so the test workers have work while the escrow compiles.
CONTRACT_ORDER = ["DataAnchor", "PartRegistry", "OrderEscrow"]
# Cross-contract calls: {callee: {caller: [receiver names in the caller's source]}}; a mutant in a
# callee's external also selects the caller's externals that reach `staticcall <receiver>.<fn>(`.
CROSS_CALLS = {"PartRegistry": {"OrderEscrow": ["registry"]}}
# The project is copied once at start (so that tests edited during a long run do not change under
# it), without what is big, generated or per-machine; tests import scripts, tools and the console
# extras from the project root, so everything else comes along.
SKIP_TOP = {".git", ".venv", "node_modules", ".build", ".hypothesis", ".cache", ".pytest_cache", "bench_out"}
SKIP_ANY = ("__pycache__", "*.egg-info", ".hypothesis", ".pytest_cache")
EQUIVALENT_FILE = ROOT / "tools" / "mutation_equivalent.txt"
DEFAULT_MD = ROOT / "docs" / "mutation.md"
DEFAULT_JSON = ROOT / "docs" / "mutation.json"
PARTIAL_MD = ROOT / ".build" / "mutation_partial.md"
PARTIAL_JSON = ROOT / ".build" / "mutation_partial.json"

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
    status: str  # killed | survived | timeout | invalid | error | identical
    seconds: float  # test seconds in the worker (0 when nothing ran)
    detail: str = ""
    killer: str = ""  # node id of the test that failed first
    ran: int = 0  # tests run
    compile_seconds: float = 0.0  # CPU seconds of the compile
    same_as: str = ""  # an earlier mutant with the same bytecode (its result is reused)
    selected: int = 0  # tests the map chose; ran < selected for a survivor: the budget ran out


def codegen_for(contract: str, choice: str) -> str:
    """`choice` is fast | shipped | auto; auto compiles OrderEscrow fast (7.6 s -> 3.3 s a mutant)
    and the two small contracts as shipped (they cost about a second either way)."""
    if choice != "auto":
        return choice
    return "fast" if contract in FAST_BY_DEFAULT else "shipped"


def entry_key(modules: dict[str, "mutation_map.Module"], mutant: Mutant) -> str:
    """The function (or module-level name) a mutant sits in: tests that killed one mutant of it
    are tried first on the next."""
    module = modules[mutant.contract]
    func = module.function_at(mutant.line)
    if func is not None:
        return f"{mutant.contract}.{func.name}"
    return f"{mutant.contract}:{module.declaration_at(mutant.line) or mutant.line}"


def is_guard(mutant: Mutant) -> bool:
    """A mutant of a check that refuses a call (an ``assert``/``raise`` line): refusal tests see it."""
    return mutant.operator in ("assert", "role") or mutant.original.lstrip().startswith(("assert", "raise"))


def wanted_pairs(modules: dict[str, "mutation_map.Module"], mutant: Mutant) -> set[tuple[str, str]] | None:
    """The (contract, entry point) pairs whose tests can see `mutant`; None: every test of its contract."""
    entries = mutation_map.affected_entries(modules[mutant.contract], mutant.line)
    if entries is None:
        return None
    wanted = {(mutant.contract, e) for e in entries}
    for caller, receivers in CROSS_CALLS.get(mutant.contract, {}).items():
        if caller in modules:
            for receiver in receivers:
                wanted |= {(caller, e) for e in mutation_map.cross_entries(modules[caller], receiver, entries)}
    return wanted


def dedupe(mutant_id: str, key: str, original_key: str, seen: dict[str, str]) -> tuple[str, str]:
    """What to do with a compiled mutant whose bytecode key is `key`: ("identical", "") if it equals
    the unmutated contract's, ("same", first id) if an earlier mutant had it (its result is reused),
    ("run", "") otherwise (and it is remembered in `seen`)."""
    if key == original_key:
        return "identical", ""
    first = seen.setdefault(key, mutant_id)
    return ("same", first) if first != mutant_id else ("run", "")


class Engine:
    """Compiles mutants in a process pool and runs them in long-lived `ape test` workers."""

    def __init__(self, args: argparse.Namespace, workdir: Path, mutants: list[Mutant]) -> None:
        self.args = args
        self.workdir = workdir
        self.mutants = mutants
        self.snapshot = workdir / "snapshot"
        bin_dir = Path(sys.executable).parent
        self.ape = str(bin_dir / "ape")
        self.env = dict(os.environ)
        self.env["PATH"] = os.pathsep.join([str(bin_dir), str(ROOT / "node_modules" / ".bin"), self.env.get("PATH", "")])
        self.env["HYPOTHESIS_PROFILE"] = args.profile
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.env["PYTHONPATH"] = os.pathsep.join([str(self.snapshot), self.env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.contracts = sorted({m.contract for m in mutants})
        self.codegen = {c: codegen_for(c, args.codegen) for c in CONTRACTS}
        if any(v == "fast" for v in self.codegen.values()):
            self.env["MUTATE_NO_SIZE_LIMIT"] = "1"
        self.modules = {c: mutation_map.parse_module(code_mask((ROOT / p).read_text())) for c, p in CONTRACTS.items()}
        self.sources = {c: (ROOT / p).read_text() for c, p in CONTRACTS.items()}
        self.authkey = os.urandom(16)
        self.listener: Listener | None = None
        self.lock = threading.RLock()
        self.start_lock = threading.Lock()
        self.procs: set[subprocess.Popen] = set()
        self.stopping = False
        self.originals: dict[str, dict] = {}  # contract -> compile result of the unmutated source
        self.map: dict[str, dict] = {}  # node id -> {outcome, seconds, calls}
        self.map_source = ""
        self.baseline_failing: list[str] = []
        self.killers: dict[str, list[str]] = {}
        self.contract_killers: dict[str, list[str]] = {}
        self.stats = {"map_seconds": 0.0, "worker_starts": 0, "worker_start_seconds": 0.0, "test_seconds": 0.0}
        self.worker_count = 0
        self.started = time.time()
        self.bytecodes: dict[str, dict] = {}  # mutant id -> compile result (kept for the sweep)
        self.compiled: dict[str, dict] = {}
        self.control_result = ""
        self.dups: dict[str, list] = {}  # representative id -> [(duplicate mutant, compile result)]

    def log(self, message: str) -> None:
        with self.lock:
            print(message, flush=True)

    # ------------------------------------------------------------ set-up

    def test_paths(self) -> list[str]:
        paths: list[str] = []
        # A callee's mutants also run the callers' tests (the escrow calls the registry).
        contracts = list(self.contracts) + [c for callee in self.contracts for c in CROSS_CALLS.get(callee, {})]
        for contract in dict.fromkeys(contracts):
            extra = ([STATEFUL] if self.args.stateful else []) + (["tests/integration"] if self.args.all_tests else [])
            for p in SUITES[contract] + extra:
                if p not in paths and (self.snapshot / p).exists():
                    paths.append(p)
        return paths

    def ignored(self) -> list[str]:
        out = ([] if self.args.all_tests else list(SLOW_TESTS)) + ORDER_DEPENDENT
        return [p for p in out if (self.snapshot / p).exists()]

    def deselected(self) -> list[str]:
        """Tests left out of mutant runs under fast codegen: they assert the escrow's absolute gas."""
        fast = any(self.codegen[c] == "fast" for c in self.contracts)
        return list(GAS_TESTS) if fast else []

    def prepare(self) -> None:
        """Copies the project once (edits made during a long run do not reach it) and compiles the
        untouched contracts with the codegen their mutants get."""
        self.snapshot.mkdir(parents=True)
        for src in sorted(ROOT.iterdir()):
            if src.name in SKIP_TOP:
                continue
            if src.is_dir():
                shutil.copytree(src, self.snapshot / src.name, symlinks=True, ignore=shutil.ignore_patterns(*SKIP_ANY))
            else:
                shutil.copy2(src, self.snapshot / src.name)
        if (ROOT / ".build").is_dir():
            shutil.copytree(ROOT / ".build", self.snapshot / ".build", ignore=shutil.ignore_patterns("bench_variants"))
        address = str(self.workdir / "mutate.sock")
        self.listener = Listener(address, family="AF_UNIX", authkey=self.authkey)
        self.env["MUTATE_SOCKET"] = address
        self.env["MUTATE_AUTHKEY"] = self.authkey.hex()

    # ------------------------------------------------------------ workers

    def start_worker(self) -> tuple[subprocess.Popen, Connection, list[str]]:
        with self.start_lock:
            self.worker_count += 1
            n = self.worker_count
            started = time.time()
            cmd = [
                self.ape, "test", *self.test_paths(), "-p", "tools.mutation_worker", "-q", "-p", "no:randomly",
                "-p", "no:cacheprovider", *(["-m", self.args.markers] if self.args.markers else []),
                *[f"--ignore={p}" for p in self.ignored()], *[f"--deselect={n}" for n in self.deselected()],
            ]
            env = dict(self.env, MUTATE_WORKER=str(n), MUTATE_CONTRACTS=",".join(CONTRACTS))
            log = open(self.workdir / f"worker{n}.log", "w")
            proc = subprocess.Popen(cmd, cwd=self.snapshot, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            with self.lock:
                self.procs.add(proc)
            assert self.listener is not None
            # accept() blocks: a worker that dies before it connects must not hang the run.
            result: dict[str, object] = {}

            def accept() -> None:
                try:
                    result["conn"] = self.listener.accept()
                except Exception as err:  # noqa: BLE001
                    result["error"] = err

            t = threading.Thread(target=accept, daemon=True)
            t.start()
            while t.is_alive():
                t.join(1.0)
                if proc.poll() is not None and t.is_alive():
                    tail = (self.workdir / f"worker{n}.log").read_text()[-3000:]
                    raise RuntimeError(f"test worker {n} exited ({proc.returncode}) before connecting:\n{tail}")
            if "conn" not in result:
                raise RuntimeError(f"test worker {n}: {result.get('error')}")
            conn = result["conn"]
            hello = conn.recv()
            self.stats["worker_starts"] += 1
            self.stats["worker_start_seconds"] += time.time() - started
            self.log(f"worker {n}: {len(hello['tests'])} tests collected, ready in {time.time() - started:.0f}s")
            return proc, conn, hello["tests"]

    def kill(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        self.procs.discard(proc)

    def stop(self) -> None:
        """Ends every worker (and its Anvil) and every compile process."""
        self.stopping = True
        procs = list(self.procs)  # no lock: this runs from a signal handler too
        for proc in procs:
            self.kill(proc)
        pool = getattr(self, "pool", None)
        for child in list(getattr(pool, "_processes", None) or {}):
            try:
                os.kill(child, signal.SIGKILL)
            except (ProcessLookupError, TypeError):
                pass

    # ------------------------------------------------------------ the map

    def map_files(self) -> tuple[str, dict[str, str]]:
        """(shared hash, {test module: hash}). The shared hash covers what every test depends on
        (tests/conftest.py, the suites' ``_support`` modules, the contracts and mocks, the map
        format and settings); a test module's own hash only its entries. Other files (edited by
        others during a run) do not count."""
        shared = hashlib.sha256()
        support: set[Path] = {ROOT / "tests" / "conftest.py"}
        modules: dict[str, str] = {}
        every = dict.fromkeys(p for c in CONTRACTS for p in SUITES[c] + ORDER_DEPENDENT + GAS_TESTS_FILES)
        for rel in [p for p in every if (ROOT / p).exists()]:
            path = ROOT / rel
            candidates = sorted(path.rglob("*.py")) if path.is_dir() else [path, *sorted(path.parent.glob("_*.py"))]
            for file in candidates:
                if file.name.startswith("test_"):
                    modules[str(file.relative_to(ROOT))] = hashlib.sha256(file.read_bytes()).hexdigest()[:16]
                else:
                    support.add(file)
        support |= set((ROOT / "contracts").rglob("*.vy")) | set((ROOT / "contracts").rglob("*.vyi"))
        for path in sorted(p for p in support if p.exists()):
            shared.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
        shared.update(mutation_map.MAP_FORMAT.encode())
        shared.update(json.dumps([self.codegen, self.args.profile, self.args.markers]).encode())
        return shared.hexdigest()[:16], modules

    def build_map(self, workers: list[tuple[subprocess.Popen, Connection, list[str]]]) -> None:
        """Runs every collected test once on the unmutated contracts (compiled as the mutants are):
        which tests fail already (left out), how long each takes, what each calls. The cached map
        (.build/mutation_map.json) is reused for every test module that did not change, when
        nothing shared changed; only new or edited modules are run."""
        tests = workers[0][2]
        shared, hashes = self.map_files()
        cache = ROOT / ".build" / "mutation_map.json"
        kept: dict[str, dict] = {}
        data: dict = {}
        if cache.exists():
            data = json.loads(cache.read_text())
        if data.get("shared") != shared:
            data = {}
        if not self.args.rebuild_map and data:
            old = data.get("modules", {})
            fresh = {m for m, h in hashes.items() if old.get(m) == h and m not in (self.args.remap or [])}
            collected = set(tests)
            kept = {n: v for n, v in data["tests"].items() if n in collected and n.split("::")[0] in fresh}
        todo = [n for n in tests if n not in kept]
        if not todo:
            self.map = {n: kept[n] for n in tests}
            self.map_source = f"cached ({len(self.map)} tests, built in {data.get('seconds', 0):.0f} s)"
            self.stats["map_seconds"] = 0.0
            self.log(f"map: {self.map_source}")
            return
        if kept:
            self.log(f"map: {len(kept)} tests from the cache, {len(todo)} new or changed to run")
        all_tests, tests = tests, todo
        started = time.time()
        override = {c: self.originals[c]["bytecode"] for c in self.originals}
        # Whole modules to one worker (module fixtures are set up once), in chunks that the workers
        # pull as they finish (durations are unknown before the first map).
        modules: dict[str, list[str]] = {}
        for node in tests:
            modules.setdefault(node.split("::")[0], []).append(node)
        chunks: "queue.Queue[list[str]]" = queue.Queue()
        chunk: list[str] = []
        for nodes in modules.values():
            chunk.extend(nodes)
            if len(chunk) >= 120:
                chunks.put(chunk)
                chunk = []
        if chunk:
            chunks.put(chunk)
        merged: dict[str, dict] = {}

        def run(worker) -> None:
            _, conn, _ = worker
            while True:
                try:
                    share = chunks.get_nowait()
                except queue.Empty:
                    return
                conn.send({"kind": "map", "tests": share, "override": override})
                reply = conn.recv()
                with self.lock:
                    merged.update(reply["tests"])
                    self.log(f"map: {len(merged)}/{len(tests)} tests")

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        merged.update(kept)
        self.map = {n: merged[n] for n in all_tests if n in merged}
        seconds = time.time() - started
        self.stats["map_seconds"] = seconds
        self.map_source = (
            f"built in this run ({seconds:.0f} s, {len(self.map)} tests)" if not kept else
            f"{len(kept)} tests from the cache, {len(todo)} new or changed run in {seconds:.0f} s"
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        # Keep the cached entries of modules this run did not collect (another contract's suites).
        run_modules = {n.split("::")[0] for n in all_tests}
        stored = {n: v for n, v in data.get("tests", {}).items() if n.split("::")[0] not in run_modules}
        stored.update(self.map)
        modules = {m: h for m, h in data.get("modules", {}).items() if m not in run_modules}
        modules.update({m: h for m, h in hashes.items() if m in run_modules})
        cache.write_text(json.dumps({"shared": shared, "modules": modules, "seconds": seconds, "tests": stored}))
        self.log(f"map: {self.map_source}")

    # ------------------------------------------------------------ selection

    def tests_for(self, mutant: Mutant) -> list[str]:
        passing = {n: v for n, v in self.map.items() if v["outcome"] == "passed"}
        calls = {n: v["calls"] for n, v in passing.items()}
        wanted = None if self.args.full else wanted_pairs(self.modules, mutant)
        nodes = mutation_map.select_tests(calls, wanted, mutant.contract)
        if not nodes and wanted is not None:
            nodes = mutation_map.select_tests(calls, None, mutant.contract)
        durations = {n: v["seconds"] for n, v in passing.items()}
        entries = {e for _, e in wanted} if wanted else set()
        with self.lock:
            killers = list(self.killers.get(entry_key(self.modules, mutant), []))
            general = list(self.contract_killers.get(mutant.contract, [])[:40])
        direct = mutation_map.select_tests(calls, {(c, e) for c, e in wanted if c == mutant.contract}, mutant.contract) if wanted else []
        # A public constant's getter: the tests that read it check its value.
        getters = {(mutant.contract, e) for e in entries if e.isupper()}
        targeted = mutation_map.select_tests(calls, getters, mutant.contract) if getters else []
        # Tests named for the mutated constant (test_mask_48__..., test_eth_push_reserve__...) come
        # with the readers; the tests named for the functions the mutant reaches come after.
        declared = self.modules[mutant.contract].declaration_at(mutant.line)
        if declared:
            targeted += mutation_map.focused_tests(nodes, {declared})
        focused = mutation_map.focused_tests(nodes, entries)
        # A mutant past the guards is seen by tests whose calls succeed; a guard's by the refusals
        # (those named for its reason first); a constant's, or a helper's that a check calls, by
        # either, so they keep plain speed order.
        guard = is_guard(mutant)
        if guard:
            targeted += mutation_map.tests_for_reason(nodes, mutant.original)
        func = self.modules[mutant.contract].function_at(mutant.line)
        checked = func is not None and mutation_map.called_in_check(self.sources[mutant.contract], func.name)
        demote = None if guard or declared or checked else mutation_map.is_refusal_test
        return mutation_map.order_tests(nodes, durations, killers, focused, general, direct, targeted, demote)

    def remember_killer(self, mutant: Mutant, node: str) -> None:
        with self.lock:
            for table, key in ((self.killers, entry_key(self.modules, mutant)), (self.contract_killers, mutant.contract)):
                lst = table.setdefault(key, [])
                if node in lst:
                    lst.remove(node)
                lst.insert(0, node)

    # ------------------------------------------------------------ running

    def run_all(self, on_result) -> None:
        """Compiles (pool) and tests (workers) every mutant; `on_result(Result)` as each ends."""
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=max(1, self.args.compile_jobs), initializer=mutation_compile.init_worker)
        self.pool = pool
        try:
            originals = {
                c: pool.submit(mutation_compile.compile_source, CONTRACTS[c], (ROOT / CONTRACTS[c]).read_text(), self.codegen[c])
                for c in self.contracts
            }
            # Small contracts first: their compiles are quick, so the workers have work early.
            order = sorted(self.mutants, key=lambda m: (CONTRACT_ORDER.index(m.contract), m.line))
            futures = {
                m.id: pool.submit(mutation_compile.compile_source, m.path, m.apply((ROOT / m.path).read_text()), self.codegen[m.contract])
                for m in order
            }
            for c, f in originals.items():
                res = f.result()
                if not res["ok"]:
                    raise SystemExit(f"mutate: the unmutated {c} does not compile: {res['error']}")
                self.originals[c] = res
            n_workers = max(1, self.args.jobs)
            workers = []
            starters = [threading.Thread(target=lambda: workers.append(self.start_worker())) for _ in range(n_workers)]
            for t in starters:
                t.start()
            for t in starters:
                t.join()
            if len(workers) < n_workers:
                raise SystemExit("mutate: a test worker did not start (see the log above)")
            self.build_map(workers)
            self.baseline_failing = [n for n, v in self.map.items() if v["outcome"] != "passed"]
            if self.baseline_failing:
                self.log(f"left out (fail on the unmutated contracts): {' '.join(self.baseline_failing)}")

            ready: "queue.Queue[Mutant | None]" = queue.Queue()
            by_id = {m.id: m for m in self.mutants}
            seen_keys: dict[str, str] = {}  # code key -> first mutant id
            waiting: dict[str, list[tuple[Mutant, dict]]] = {}  # representative id -> duplicates
            done_results: dict[str, Result] = {}
            compiled: dict[str, dict] = {}

            def finish(result: Result) -> None:
                with self.lock:
                    done_results[result.id] = result
                    dups = waiting.pop(result.id, []) + [(d, r) for d, r in self.dups.get(result.id, [])]
                    self.dups[result.id] = dups
                on_result(result)
                for dup, res in dups:
                    on_result(dataclasses.replace(
                        result, id=dup.id, seconds=0.0, compile_seconds=res["seconds"], same_as=result.id,
                        detail=f"same bytecode as {result.id}" + (f"; {result.detail}" if result.detail else ""),
                    ))

            def feeder() -> None:
                original_keys = {c: r["key"] for c, r in self.originals.items()}
                for m in order:
                    if self.stopping:
                        break
                    try:
                        res = futures[m.id].result()
                    except Exception as err:  # noqa: BLE001
                        finish(Result(m.id, "error", 0.0, f"compile: {type(err).__name__}: {err}"[:300]))
                        continue
                    if not res["ok"]:
                        finish(Result(m.id, "invalid", 0.0, res["error"], compile_seconds=res["seconds"]))
                        continue
                    with self.lock:
                        action, first = dedupe(m.id, res["key"], original_keys[m.contract], seen_keys)
                        earlier = None
                        if action == "same":
                            if first in done_results:
                                earlier = done_results[first]
                            else:
                                waiting.setdefault(first, []).append((m, res))
                                continue
                    if action == "identical":
                        finish(Result(m.id, "identical", 0.0, "bytecode identical to the unmutated contract's", compile_seconds=res["seconds"]))
                        continue
                    if earlier is not None:
                        with self.lock:
                            self.dups.setdefault(first, []).append((m, res))
                        on_result(dataclasses.replace(
                            earlier, id=m.id, seconds=0.0, compile_seconds=res["seconds"], same_as=first,
                            detail=f"same bytecode as {first}" + (f"; {earlier.detail}" if earlier.detail else ""),
                        ))
                        continue
                    compiled[m.id] = res
                    ready.put(m)
                for _ in workers:
                    ready.put(None)

            feed = threading.Thread(target=feeder, daemon=True)
            feed.start()
            self.compiled = compiled
            self.finish = finish
            budget = self.args.budget if self.args.budget > 0 else None
            self._phase(workers, ready, budget)
            feed.join()
            # Phase 2: survivors whose budget ran out get every selected test while time remains.
            deadline = self.started + 60 * self.args.deadline
            partial = [r for r in done_results.values() if r.status == "survived" and r.ran < r.selected]
            if partial and not self.stopping:
                self.log(f"sweep: {len(partial)} survivor(s) ran out of budget; re-running them with every selected test "
                         f"until {time.strftime('%H:%M', time.localtime(deadline))}")
                sweep: "queue.Queue[Mutant | None]" = queue.Queue()
                # Unlisted survivors first (the score depends on them), then the ones listed equivalent
                # (a kill there shows the listing wrong); fewest tests first within each.
                listed = load_equivalents()
                for r in sorted(partial, key=lambda r: (r.id in listed, r.selected)):
                    sweep.put(by_id[r.id])
                    compiled[r.id] = self.bytecodes[r.id]
                for _ in workers:
                    sweep.put(None)
                self._phase(workers, sweep, None, deadline)
            self.control(workers[0], list(done_results.values()))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in getattr(self, "workers_alive", []):
                try:
                    worker[1].send({"kind": "stop"})
                except Exception:  # noqa: BLE001
                    pass
            for worker in getattr(self, "workers_alive", []):
                try:
                    worker[0].wait(timeout=30)
                except Exception:  # noqa: BLE001
                    pass
                self.kill(worker[0])

    def control(self, worker, results: list[Result]) -> None:
        """Re-runs the killing test of up to --control killed mutants on the *unmutated* contracts in
        the same worker: each must pass, or kills may come from the engine rather than the mutant."""
        killed = [r for r in results if r.status == "killed" and r.killer in self.map]
        if not killed or self.args.control <= 0 or self.stopping:
            return
        chosen = random.Random(0).sample(killed, min(self.args.control, len(killed)))
        override = {c: r["bytecode"] for c, r in self.originals.items()}
        _, conn, _ = worker
        failed = []
        for r in chosen:
            conn.send({"kind": "mutant", "id": f"control:{r.id}", "tests": [r.killer], "override": override})
            if not conn.poll(300):
                failed.append(f"{r.killer} (timed out)")
                break
            reply = conn.recv()
            if reply["status"] != "survived":
                failed.append(f"{r.killer}: {reply['detail']}")
        self.control_result = (
            f"{len(chosen)} killing tests re-run on the unmutated contracts after the mutants, in the same worker: "
            + ("all passed" if not failed else f"**{len(failed)} failed**: " + "; ".join(failed))
        )
        self.log(f"control: {self.control_result}")

    def _phase(self, workers: list, jobs, budget: float | None, deadline: float | None = None) -> None:
        """Each worker serves jobs from `jobs` until a None; `workers` is updated with restarts."""
        threads = []
        for k, w in enumerate(workers):
            def serve(k=k, w=w) -> None:
                workers[k] = self._serve(w, jobs, budget, deadline)
            threads.append(threading.Thread(target=serve, daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)
        self.workers_alive = workers

    def _serve(self, worker, ready, budget: float | None, deadline: float | None):
        """Sends mutants to one worker until a None; returns the worker (a new one after a restart)."""
        proc, conn, tests_collected = worker
        while not self.stopping:
            m = ready.get()
            if m is None:
                break
            res = self.compiled.pop(m.id)
            self.bytecodes[m.id] = res
            if deadline is not None and time.time() > deadline:
                continue  # out of time: the budgeted result stands
            tests = self.tests_for(m)
            expected = sum(self.map[n]["seconds"] for n in tests)
            job_budget = budget
            if deadline is not None:
                job_budget = max(30.0, deadline - time.time())
            limit = expected if job_budget is None else min(expected, job_budget)
            timeout = self.args.timeout or max(120.0, 3 * limit + 90)
            override = {c: r["bytecode"] for c, r in self.originals.items()}
            override[m.contract] = res["bytecode"]
            started = time.time()
            try:
                conn.send({"kind": "mutant", "id": m.id, "tests": tests, "override": override, "budget": job_budget})
                if not conn.poll(timeout):
                    raise TimeoutError
                reply = conn.recv()
            except TimeoutError:
                self.kill(proc)
                self.finish(Result(m.id, "timeout", time.time() - started, f"tests ran over {timeout:.0f}s",
                                   compile_seconds=res["seconds"], selected=len(tests)))
                if self.stopping:
                    break
                proc, conn, tests_collected = self.start_worker()
                continue
            except (EOFError, OSError) as err:
                self.kill(proc)
                self.finish(Result(m.id, "error", time.time() - started, f"worker died: {type(err).__name__}",
                                   compile_seconds=res["seconds"], selected=len(tests)))
                if self.stopping:
                    break
                proc, conn, tests_collected = self.start_worker()
                continue
            with self.lock:
                self.stats["test_seconds"] += reply["seconds"]
            if reply["status"] == "killed":
                self.remember_killer(m, reply["killer"])
                detail = f"{reply['killer']} ({reply['detail']})"[:300]
            elif reply["ran"] < len(tests):
                detail = f"budget of {job_budget:.0f}s ran out after {reply['ran']} of {len(tests)} selected tests"
                if reply["detail"]:
                    detail = f"{detail}; {reply['detail']}"[:300]
            else:
                detail = reply["detail"]
            self.finish(Result(
                m.id, reply["status"], reply["seconds"], detail, killer=reply["killer"], ran=reply["ran"],
                compile_seconds=res["seconds"], selected=len(tests),
            ))
        return proc, conn, tests_collected


def contracts_digest() -> str:
    """sha256 over the real contracts/ tree: compared before and after a run (it must never be written)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "contracts").rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- report

STATUSES = ("killed", "timeout", "survived", "identical", "invalid", "error")


def score(results: list[Result], equivalents: dict[str, str]) -> dict[str, object]:
    """killed (timeouts included) over mutants that are neither invalid, errored, byte-identical
    to the original, nor listed equivalent."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    equivalent = [r for r in results if r.id in equivalents and r.status == "survived"]
    survivors = [r for r in results if r.status == "survived" and r.id not in equivalents]
    detected = counts.get("killed", 0) + counts.get("timeout", 0)
    denominator = (
        len(results) - counts.get("invalid", 0) - counts.get("error", 0) - counts.get("identical", 0) - len(equivalent)
    )
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
                "file": mutants[r.id].path, "seconds": round(r.seconds, 2), "compile_seconds": round(r.compile_seconds, 2),
                "tests_run": r.ran, "killer": r.killer, "same_as": r.same_as, "detail": r.detail,
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
    timing = meta.get("timing", {})
    partial = meta.get("selected") and len(results) < int(meta["selected"])
    out = [
        "# Mutation testing",
        "",
        "Generated by `make mutate` (`python -m tools.mutate`): each mutant is one small bug planted in a",
        "copy of a contract's source; the tests that can reach the mutated line run against it until the",
        "first failure. See `tools/mutate.py` for the operators and the engine, and",
        "`tools/mutation_equivalent.txt` for survivors judged equivalent (no observable difference).",
        "",
        f"- run: {meta['date']}, commit `{meta['commit']}`, {meta['command']}",
        f"- tests: {', '.join(f'`{p}`' for p in meta.get('test_paths', []))} (subprocess-driven tests cannot see a"
        " mutant and are not run)",
        f"- selection: {meta['selection']}" + (
            f"; **the run stopped after {len(results)} of {meta['selected']}** (interrupted): a partial result"
            if partial else ""
        ),
        f"- wall time: **{meta['wall_seconds'] / 60:.1f} min** on {meta.get('cpus', '?')} cores"
        + (f"; load average during the run {meta['load']}" if meta.get("load") else ""),
    ]
    if timing:
        out.append(
            f"- where the time went: compile {timing.get('compile_cpu', 0) / 60:.1f} CPU-min"
            f" ({meta.get('compile_jobs', 1)} compile process(es)), tests {timing.get('test', 0) / 60:.1f} worker-min"
            f" ({meta.get('jobs', 2)} workers), test map {timing.get('map', 0) / 60:.1f} min,"
            f" worker start-up {timing.get('worker_start', 0) / 60:.1f} worker-min ({timing.get('worker_starts', 0)} starts)"
        )
    if meta.get("codegen"):
        out.append("- codegen of the mutants: " + ", ".join(f"{c}: {g}" for c, g in meta["codegen"].items())
                   + " (see \"How mutants are compiled\" below)")
    if meta.get("map"):
        out.append(f"- test map: {meta['map']}; Hypothesis profile `{meta.get('profile')}` (derandomized)")
    if meta.get("control"):
        out.append(f"- control: {meta['control']}")
    if meta.get("full_run"):
        fr = meta["full_run"]
        out.append(
            f"- the full run itself scored {fr['detected']} / {fr['denominator']} = {100 * fr['score']:.1f}% with"
            f" {fr['survivors']} survivor(s); the score below includes the re-checks listed at the end"
            " (survivors re-run after killing tests were added, suspect kills re-run with each kill confirmed"
            " alone; the commit named there is the contracts' -- the tests are the working tree's of that time)"
        )
    out += [
        "",
        f"**Score: {summary['detected']} / {summary['denominator']} = {pct}** "
        "(killed, timeouts included, over mutants minus invalid, errored, byte-identical and listed-equivalent ones)",
        "",
        "| status | count |",
        "|---|---|",
    ]
    for status in STATUSES:
        out.append(f"| {status} | {counts.get(status, 0)} |")
    out.append(f"| survived, listed equivalent | {summary['equivalent']} |")
    dup = sum(1 for r in results if r.same_as)
    if dup:
        out.append(f"| (of these, same bytecode as an earlier mutant: result reused) | {dup} |")
    out += ["", "| contract | mutants | killed | survived | equivalent | identical | invalid |", "|---|---|---|---|---|---|---|"]
    for contract in CONTRACTS:
        rows = [r for r in results if mutants[r.id].contract == contract]
        if rows:
            c = lambda s: sum(1 for r in rows if r.status == s)  # noqa: E731
            eq = sum(1 for r in rows if r.status == "survived" and r.id in equivalents)
            out.append(f"| {contract} | {len(rows)} | {c('killed') + c('timeout')} | {c('survived') - eq} | {eq} | {c('identical')} | {c('invalid')} |")
    out += ["", "| operator | mutants | killed | survived | invalid |", "|---|---|---|---|---|"]
    for op in OPERATORS:
        rows = [r for r in results if mutants[r.id].operator == op]
        if rows:
            c = lambda s: sum(1 for r in rows if r.status == s)  # noqa: E731
            out.append(f"| {op} | {len(rows)} | {c('killed') + c('timeout')} | {c('survived')} | {c('invalid')} |")
    if meta.get("left_out"):
        out += ["", "Tests left out of every mutant run:", ""]
        out += [f"- `{node}` -- {why}" for node, why in meta["left_out"].items()]
    out += ["", "## How mutants are compiled", "", *CODEGEN_NOTE]
    survivors = [r for r in results if r.status == "survived" and r.id not in equivalents]
    out += ["", f"## Survivors ({len(survivors)})", ""]
    if not survivors:
        out.append("None.")
    for r in survivors:
        m = mutants[r.id]
        out += [f"### `{r.id}`", "", f"{r.ran} test(s) ran." + (f" {r.detail}" if r.detail else ""), "", "```diff", m.diff(), "```", ""]
    eq = [r for r in results if r.id in equivalents]
    out += ["", f"## Listed as equivalent ({len(eq)})", ""]
    for r in eq:
        m = mutants[r.id]
        flag = "" if r.status == "survived" else f" -- **{r.status}: remove it from the list**"
        out.append(f"- `{r.id}` `{m.summary()}` -- {equivalents[r.id]}{flag}")
    if meta.get("rechecks"):
        out += ["", "## Re-checks", "", *[f"- {line}" for line in meta["rechecks"]]]
    other = [r for r in results if r.status in ("timeout", "error", "invalid", "identical")]
    if other:
        out += ["", "## Timeouts, errors, invalid and byte-identical mutants", ""]
        for r in other:
            out.append(f"- `{r.id}` {r.status}: `{mutants[r.id].summary()}` {r.detail}")
    return "\n".join(out) + "\n"


CODEGEN_NOTE = [
    "Mutation testing asks whether the tests notice a bug in the *source*; what a contract does",
    "(return values, reverts and their reasons, events, storage) is fixed by the source, while the",
    "codegen only changes gas and size. OrderEscrow ships with Venom + `optimize codesize`, which",
    "takes 7.6 s per compile; its mutants are compiled with legacy codegen at `-O none` (3.3 s), the",
    "fastest Vyper 0.4.3 offers (`tools/mutation_compile.py`, codegen `fast`). The runtime is then",
    "about 35 KB, over EIP-170, so the mutant workers start Anvil with `--disable-code-size-limit`.",
    "The unmutated escrow compiled the same way is the baseline: the test map is built on it, and a",
    "test that fails there is left out (listed above); the tests that assert the escrow's absolute",
    "gas are left out too, so a gas figure cannot count as a kill. PartRegistry and DataAnchor are",
    "compiled exactly as shipped (legacy `-O gas`, about a second each). `--codegen shipped` compiles",
    "every mutant as shipped (used to re-check survivors).",
]


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
    p.add_argument("--jobs", type=int, default=2, help="test workers (default 2)")
    p.add_argument("--compile-jobs", type=int, default=2, help="compile processes (default 2: compiling is the longer half)")
    p.add_argument("--timeout", type=float, default=0, help="seconds per mutant's tests (default: 3x their baseline + 60, at least 120)")
    p.add_argument("--codegen", choices=("auto", "fast", "shipped"), default="auto",
                   help="auto (default): OrderEscrow legacy -O none, the others as shipped")
    p.add_argument("--budget", type=float, default=40,
                   help="seconds of tests per mutant in the first pass (default 40; 0: no limit)")
    p.add_argument("--deadline", type=float, default=55,
                   help="minutes from the start after which no survivor is swept with its whole selection (default 55)")
    p.add_argument("--control", type=int, default=12,
                   help="killing tests re-run on the unmutated contracts at the end, as a check of the engine (default 12)")
    p.add_argument("--full", action="store_true", help="ignore the test map: every test that touches the contract (re-checks)")
    p.add_argument("--rebuild-map", action="store_true", help="rebuild the test map even if the cached one is current")
    p.add_argument("--remap", nargs="+", metavar="MODULE", help="map these test modules again (others come from the cache)")
    p.add_argument("--stateful", action="store_true", help="also run tests/stateful")
    p.add_argument("--profile", default="mutate", help="HYPOTHESIS_PROFILE for the runs (default mutate: dev sizes, derandomized)")
    p.add_argument("--markers", default="not rehearsal", help='pytest -m expression (default "not rehearsal")')
    p.add_argument("--all-tests", action="store_true",
                   help="also every test under tests/integration (subprocess-driven ones included) except " + ", ".join(SLOW_TESTS))
    p.add_argument("--keep", action="store_true", help="keep the work directory (worker logs)")
    p.add_argument("--md", type=Path, help="markdown report (default: docs/mutation.md for a full run, .build/mutation_partial.md otherwise)")
    p.add_argument("--json", type=Path, help="JSON report (default: docs/mutation.json for a full run, .build/mutation_partial.json otherwise)")
    p.add_argument("--merge-from", type=Path, metavar="JSON",
                   help="run nothing: merge a partial run's JSON (re-checks) into docs/mutation.json/.md")
    p.add_argument("--recheck", action="store_true",
                   help="also merge these results into docs/mutation.json/.md as re-checks (the full run's figures are kept)")
    p.add_argument(
        "--report-only", action="store_true",
        help="run nothing: re-render the reports from the JSON with the current equivalents list",
    )
    args = p.parse_args(argv)
    full = not (args.ids or args.sample is not None or args.contract or args.operator)
    args.md = args.md or (DEFAULT_MD if full or args.report_only else PARTIAL_MD)
    args.json = args.json or (DEFAULT_JSON if full or args.report_only else PARTIAL_JSON)
    if args.jobs < 1 or args.compile_jobs < 1:
        p.error("--jobs and --compile-jobs must be at least 1")
    return args


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
        results.append(Result(
            row["id"], row["status"], row["seconds"], row["detail"], row.get("killer", ""), row.get("tests_run", 0),
            row.get("compile_seconds", 0.0), row.get("same_as", ""),
        ))
    return write_reports(results, mutants, equivalents, data["meta"], md_path, json_path)


def merge_rechecks(results: list[Result], meta: dict, equivalents: dict[str, str],
                   md_path: Path = DEFAULT_MD, json_path: Path = DEFAULT_JSON) -> dict[str, object]:
    """Puts re-check results (``--ids ... --recheck``) into the full run's report: each row is
    replaced, a line per mutant is added under "Re-checks", and the full run's own summary is
    kept in ``meta.full_run`` (the first time)."""
    data = json.loads(json_path.read_text())
    rows = {row["id"]: row for row in data["mutants"]}
    full_meta = data["meta"]
    if "full_run" not in full_meta:
        full_meta["full_run"] = data["summary"]
    notes = full_meta.setdefault("rechecks", [])
    how = f"codegen {', '.join(f'{c} {g}' for c, g in meta['codegen'].items())}" + (", every test of the contract" if meta.get("full") else "")
    for r in results:
        old = rows.get(r.id)
        if old is None:
            continue
        became = f"{r.status}" + (f" by `{r.killer}`" if r.killer else f" ({r.ran} tests)")
        notes.append(f"{meta['date']}, commit `{meta['commit']}`: `{r.id}` {old['status']} -> {became} ({how})")
        old.update({
            "status": r.status, "seconds": round(r.seconds, 2), "tests_run": r.ran, "killer": r.killer,
            "detail": r.detail, "same_as": r.same_as,
        })
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    return rerender(md_path, json_path, equivalents)


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    equivalents = load_equivalents()
    if args.merge_from:
        part = json.loads(args.merge_from.read_text())
        rows = [
            Result(r["id"], r["status"], r["seconds"], r["detail"], r.get("killer", ""), r.get("tests_run", 0),
                   r.get("compile_seconds", 0.0), r.get("same_as", ""))
            for r in part["mutants"]
        ]
        summary = merge_rechecks(rows, part["meta"], equivalents)
        print(f"mutate: merged {len(rows)} re-check(s); score {summary['detected']}/{summary['denominator']}; report {DEFAULT_MD}")
        return 0
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

    digest = contracts_digest()
    workdir = Path(tempfile.mkdtemp(prefix="fc-mutate-"))
    engine = Engine(args, workdir, mutants)
    started = time.time()
    results: list[Result] = []
    selection = f"{len(mutants)} of {len(all_mutants(args.contract or list(CONTRACTS)))} mutants"
    if args.sample is not None:
        selection += f" (--sample {args.sample} --seed {args.seed})"
    meta: dict[str, object] = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "command": "`python -m tools.mutate " + " ".join(sys.argv[1:] if argv is None else argv) + "`",
        "profile": args.profile,
        "jobs": args.jobs,
        "compile_jobs": args.compile_jobs,
        "cpus": os.cpu_count(),
        "selection": selection,
        "selected": len(mutants),
        "codegen": {c: engine.codegen[c] for c in engine.contracts},
        "full": args.full,
        "wall_seconds": 0.0,
    }
    by_id = {m.id: m for m in mutants}
    loads: list[float] = []
    sampling = threading.Event()

    def sample_load() -> None:
        while not sampling.wait(30):
            try:
                loads.append(os.getloadavg()[0])
            except OSError:
                pass

    threading.Thread(target=sample_load, daemon=True).start()

    def update_meta() -> None:
        meta["wall_seconds"] = time.time() - started
        if loads:
            meta["load"] = f"{sum(loads) / len(loads):.1f} mean (1-min figures every 30 s, max {max(loads):.1f})"
        meta["timing"] = {
            "compile_cpu": sum(r.compile_seconds for r in results),
            "test": engine.stats["test_seconds"],
            "map": engine.stats["map_seconds"],
            "worker_start": engine.stats["worker_start_seconds"],
            "worker_starts": engine.stats["worker_starts"],
        }
        meta["map"] = engine.map_source
        meta["test_paths"] = engine.test_paths() if engine.snapshot.exists() else []
        if engine.control_result:
            meta["control"] = engine.control_result
        left = {n: "fails on the unmutated contracts" for n in engine.baseline_failing}
        left.update({n: "asserts the escrow's absolute gas (fast codegen)" for n in engine.deselected()})
        left.update({n: "depends on the test run before it (isolation guard)" for n in ORDER_DEPENDENT})
        meta["left_out"] = left

    def on_result(result: Result) -> None:
        with engine.lock:
            results[:] = [r for r in results if r.id != result.id]  # the sweep replaces a budgeted result
            results.append(result)
            done = len(results)
        tag = " (listed equivalent)" if result.id in equivalents and result.status == "survived" else ""
        extra = f" same as {result.same_as}" if result.same_as else (f" {result.ran} test(s)" if result.ran else "")
        engine.log(f"[{done}/{len(mutants)}] {result.id:<34} {result.status:<9} {result.seconds:5.1f}s{extra}{tag}")
        if done % 10 == 0 or done == len(mutants):
            with engine.lock:
                update_meta()
                write_reports(list(results), by_id, equivalents, meta, args.md, args.json)

    def on_signal(signum, frame) -> None:
        # Threads may be blocked on a worker: end the workers first, then unwind the main thread.
        if not engine.stopping:
            engine.stop()
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print(f"mutate: {len(mutants)} mutant(s), {args.jobs} test worker(s), {args.compile_jobs} compile process(es), "
              f"codegen {meta['codegen']}, work dir {workdir}, load {_load()}", flush=True)
        engine.prepare()
        engine.run_all(on_result)
    except KeyboardInterrupt:
        print("mutate: interrupted; writing what was done", flush=True)
    finally:
        sampling.set()
        engine.stop()
        if contracts_digest() != digest:
            print("mutate: ERROR: contracts/ changed during the run (not by this tool: it never writes there)", flush=True)
        update_meta()
        if engine.listener is not None:
            engine.listener.close()  # before the work dir goes: it unlinks its socket
        if results:
            summary = write_reports(results, by_id, equivalents, meta, args.md, args.json)
            pct = "n/a" if summary["score"] is None else f"{100 * summary['score']:.1f}%"
            print(f"mutate: score {summary['detected']}/{summary['denominator']} = {pct}; "
                  f"{summary['survivors']} survivor(s); wall {meta['wall_seconds'] / 60:.1f} min; report {args.md}", flush=True)
            if args.recheck and DEFAULT_JSON.exists():
                merged = merge_rechecks(results, meta, equivalents)
                print(f"mutate: merged into {DEFAULT_MD}: score now {merged['detected']}/{merged['denominator']}", flush=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"mutate: work dir kept: {workdir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
