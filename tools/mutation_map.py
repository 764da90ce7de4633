"""Which tests can see a mutant: a static call graph of the Vyper sources plus the calls each test made.

The test workers record, for every test, which external functions of which contract it called
(``(contract, function)`` pairs; ``__init__`` for a deployment) — see tools/mutation_worker.py.
This module finds the external functions that reach a mutated line:

- the function that encloses the line; every external (or ``__init__``) whose transitive
  ``self._helper(...)`` calls reach it;
- a line outside any function (a constant): every function that names the constant, the getter
  if it is ``public``, and through them their externals;
- across contracts: a PartRegistry external that OrderEscrow calls (``staticcall registry.x(...)``)
  also selects the escrow externals that reach that call.

A mutant whose line maps to nothing known (a struct, an event, an interface) selects every test
that touched its contract. Pure Python, no chain: unit-tested in tests/tools/test_mutate.py.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Iterable, Mapping

# Bumped whenever the worker records calls differently (the cached map is then rebuilt).
MAP_FORMAT = "calls-v3: provider send/call/estimate + encode_input + deploy; chain rewound per job"

_DEF_RE = re.compile(r"^def\s+(\w+)\s*\(")
_SELF_CALL_RE = re.compile(r"\bself\.(\w+)\s*\(")
_EXT_CALL_RE = re.compile(r"\b(?:staticcall|extcall)\s+(?:self\.)?(\w+)\.(\w+)\s*\(")
_NAME_RE = re.compile(r"\b[A-Za-z_]\w*\b")
_DECL_RE = re.compile(r"^(\w+)\s*:\s*(.*)$")


@dataclasses.dataclass
class Function:
    name: str
    first: int  # 1-based line of the first decorator (or the def)
    last: int  # 1-based last line of the body
    decorators: list[str]
    calls: set[str]  # internal helpers called with self._x(...)
    ext_calls: set[tuple[str, str]]  # (receiver, method) of staticcall/extcall
    names: set[str]  # every identifier in the function (for constants)

    @property
    def entry(self) -> bool:
        """An entry point: external, or the constructor."""
        return any(d in ("external", "deploy") for d in self.decorators) or self.name in ("__init__", "__default__")


@dataclasses.dataclass
class Module:
    functions: dict[str, Function]
    declarations: dict[str, tuple[int, int, str]]  # module-level name -> (first line, last line, text)

    def function_at(self, line: int) -> Function | None:
        for f in self.functions.values():
            if f.first <= line <= f.last:
                return f
        return None

    def declaration_at(self, line: int) -> str | None:
        for name, (first, last, _) in self.declarations.items():
            if first <= line <= last:
                return name
        return None

    def reach(self, name: str) -> set[str]:
        """`name` and every helper it calls, transitively."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.functions:
                continue
            seen.add(current)
            todo.extend(self.functions[current].calls)
        return seen

    def entries_reaching(self, names: Iterable[str]) -> set[str]:
        """Entry points (externals, ``__init__``) whose reach contains one of `names`."""
        targets = set(names)
        return {f.name for f in self.functions.values() if f.entry and self.reach(f.name) & targets}


def parse_module(mask: str) -> Module:
    """Functions and module-level declarations of a Vyper source whose comments, docstrings and
    strings are already blanked (`tools.mutate.code_mask`)."""
    lines = mask.split("\n")
    functions: dict[str, Function] = {}
    declarations: dict[str, tuple[int, int, str]] = {}
    pending_decorators: list[str] = []
    first_decorator: int | None = None
    k = 0
    while k < len(lines):
        text = lines[k]
        if not text.strip() or text[0] in " \t":
            k += 1
            continue
        stripped = text.strip()
        if stripped.startswith("@"):
            pending_decorators.append(stripped[1:].split("(")[0].strip())
            first_decorator = k if first_decorator is None else first_decorator
            k += 1
            continue
        m = _DEF_RE.match(stripped)
        if m:
            start = first_decorator if first_decorator is not None else k
            end = k + 1
            last_code = k
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t" or lines[end].strip().startswith(")")):
                if lines[end].strip():
                    last_code = end
                end += 1
            body = "\n".join(lines[k : last_code + 1])
            functions[m.group(1)] = Function(
                name=m.group(1), first=start + 1, last=last_code + 1, decorators=pending_decorators,
                calls=set(_SELF_CALL_RE.findall(body)), ext_calls=set(_EXT_CALL_RE.findall(body)),
                names=set(_NAME_RE.findall(body)),
            )
            pending_decorators, first_decorator = [], None
            k = last_code + 1
            continue
        pending_decorators, first_decorator = [], None
        # A module-level statement, possibly spanning lines (open brackets).
        depth = 0
        end = k
        while True:
            for ch in lines[end]:
                depth += ch in "([{"
                depth -= ch in ")]}"
            if depth > 0 and end + 1 < len(lines):
                end += 1
                continue
            break
        d = _DECL_RE.match(stripped)
        if d:
            declarations[d.group(1)] = (k + 1, end + 1, " ".join(l.strip() for l in lines[k : end + 1]))
        k = end + 1
    return Module(functions, declarations)


def affected_entries(module: Module, line: int) -> set[str] | None:
    """Entry points of `module` that can run the code at `line`; None when unknown (select all)."""
    func = module.function_at(line)
    if func is not None:
        return module.entries_reaching([func.name])
    name = module.declaration_at(line)
    if name is None:
        return None
    text = module.declarations[name][2]
    if "constant(" not in text and "immutable(" not in text:
        return None  # storage layout, structs, events, flags: anything may notice
    # The constant, and the constants defined from it, transitively.
    names = {name}
    changed = True
    while changed:
        changed = False
        for other, (_, _, other_text) in module.declarations.items():
            if other not in names and ("constant(" in other_text or "immutable(" in other_text):
                rhs = other_text.split("=", 1)[1] if "=" in other_text else ""
                if names & set(_NAME_RE.findall(rhs)):
                    names.add(other)
                    changed = True
    users = [f.name for f in module.functions.values() if f.names & names]
    entries = module.entries_reaching(users)
    for n in names:
        if "public(" in module.declarations[n][2]:
            entries.add(n)  # the getter
    return entries


def cross_entries(caller: Module, receiver: str, methods: set[str]) -> set[str]:
    """Entry points of `caller` that reach a ``staticcall/extcall <receiver>.<m>(...)`` for m in
    `methods` (e.g. the escrow functions that call the registry's ``is_certified``)."""
    users = [f.name for f in caller.functions.values() if any(r == receiver and m in methods for r, m in f.ext_calls)]
    return caller.entries_reaching(users)


def select_tests(
    calls_by_test: Mapping[str, Iterable[tuple[str, str] | list[str]]],
    wanted: set[tuple[str, str]] | None,
    contract: str,
) -> list[str]:
    """Node ids of the tests that called any ``(contract, function)`` in `wanted`; with `wanted`
    None, every test that called anything of `contract`. In the map's order."""
    out = []
    for node, calls in calls_by_test.items():
        pairs = {tuple(c) for c in calls}
        if wanted is None:
            if any(c == contract for c, _ in pairs):
                out.append(node)
        elif pairs & wanted:
            out.append(node)
    return out


def focused_tests(nodes: Iterable[str], entries: Iterable[str]) -> list[str]:
    """The tests named for one of `entries` (house style ``test_<function>__<case>__<outcome>``,
    or a module ``test_<function>.py``): the ones most likely to check what the function does."""
    names = [e.lstrip("_").lower() if e.isupper() else e for e in entries if e and e != "__init__"]
    out = []
    for node in nodes:
        module, _, rest = node.partition("::")
        head = rest.split("[")[0].split("::")[-1]
        head = head[5:] if head.startswith("test_") else head
        head = head.split("__")[0]
        stem = module.rsplit("/", 1)[-1].removesuffix(".py")
        if any(e == head or e in stem for e in names):
            out.append(node)
    return out


_REFUSAL_RE = re.compile(r"revert|refuse|denied|unknown|missing_role|not_allowed")


def is_refusal_test(node: str) -> bool:
    """A test that expects a call to be refused (house style: its outcome ``__reverts``, a
    ``TestRefused`` class): it stops at a guard, so it rarely notices a bug in the code after it."""
    rest = node.partition("::")[2]
    parts = rest.split("[")[0].split("::")
    if any(p.startswith("TestRefused") for p in parts[:-1]):
        return True
    segments = parts[-1].split("__")
    return len(segments) > 1 and bool(_REFUSAL_RE.search(segments[-1]))


_REASON_RE = re.compile(r"""["']([a-z_]+): ([^"']+)["']""")


def tests_for_reason(nodes: Iterable[str], statement: str) -> list[str]:
    """The tests named for the revert reason of a check (``"escrow: unknown order"`` ->
    ``..._unknown_order...``): the ones that provoke exactly that refusal."""
    slugs = [re.sub(r"\W+", "_", m.group(2).strip().lower()).strip("_") for m in _REASON_RE.finditer(statement)]
    slugs = [s for s in slugs if s]
    return [n for n in nodes if any(s in n.partition("::")[2].lower() for s in slugs)]


def called_in_check(source: str, function: str) -> bool:
    """Whether an ``assert`` of `source` calls ``self.<function>(...)``: a mutant in that helper can
    turn a refusal into a success (or back), so refusal tests see it as well as any."""
    call = f"self.{function}("
    statement, depth = "", 0
    for line in source.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if not statement and not stripped.startswith("assert"):
            continue
        statement += " " + stripped
        depth += stripped.count("(") + stripped.count("[") - stripped.count(")") - stripped.count("]")
        if depth <= 0:
            if call in statement:
                return True
            statement, depth = "", 0
    return False


def order_tests(
    nodes: list[str], durations: Mapping[str, float], killers: list[str], focused: Iterable[str] = (),
    general_killers: Iterable[str] = (), direct: Iterable[str] = (), targeted: Iterable[str] = (),
    demote: Callable[[str], bool] | None = None,
) -> list[str]:
    """Tests that killed a mutant of the same function first (most recent first), then the tests
    aimed at the mutant (`targeted`: readers of a mutated public constant, tests named for the
    constant or for the mutated check's revert reason), then the tests named for the mutated
    functions, then those that killed other mutants of the contract, then the tests that call the
    mutated contract's functions directly (not through another contract); then the rest. Each
    group but the killers goes fastest first, the tests `demote` names (refusal tests, for a
    mutant that is not a guard) last within their group -- so that a killed mutant stops as early
    as possible."""
    chosen = set(nodes)
    out: list[str] = []
    placed: set[str] = set()

    def add(group: Iterable[str], by_speed: bool) -> None:
        group = [n for n in dict.fromkeys(group) if n in chosen and n not in placed]
        if by_speed:
            group.sort(key=lambda n: (bool(demote and demote(n)), durations.get(n, 1.0), n))
        out.extend(group)
        placed.update(group)

    add(killers, False)
    add(targeted, True)
    add(focused, True)
    add(general_killers, False)
    add(direct, True)
    add(nodes, True)
    return out
