"""Compiling mutants for tools/mutate.py: Vyper in-process, from a source string, never on disk.

Each compile runs in a long-lived worker process (``ProcessPoolExecutor`` with `init_worker`), so
the ~0.8 s of importing Vyper is paid once per process, not once per mutant, and nothing is
written: the mutated source is handed to the compiler as a string under the real file's path (so
that ``from .interfaces import ...`` resolves), and the real ``contracts/`` is only read.

Codegen (see docs/mutation.md, "How mutants are compiled"):

- ``shipped``: the contract's own pragmas (OrderEscrow: Venom + ``optimize codesize``; the others:
  legacy ``-O gas``), ``evm_version = cancun`` as in ape-config.yaml; identical to Ape's artifacts.
- ``fast``: legacy codegen ``-O none`` (the codegen pragmas are blanked, line numbers kept). For
  OrderEscrow it compiles in 3.3 s instead of 7.6 s; behaviour (returns, reverts, events, storage)
  is the source's, only gas and size differ. The runtime is ~35 KB, over EIP-170, so the test
  workers start Anvil with ``--disable-code-size-limit``, and the tests that measure gas are left
  out of mutant runs under this codegen (`tools.mutate.GAS_TESTS`).
"""

from __future__ import annotations

import hashlib
import site
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODEGEN_PRAGMAS = ("# pragma experimental-codegen", "# pragma optimize codesize", "# pragma optimize gas")

_BUNDLE = None


def fast_source(source: str) -> str:
    """`source` with its codegen pragmas blanked to a bare ``#`` (line numbers unchanged)."""
    out = []
    for line in source.split("\n"):
        out.append("#" if line.strip() in CODEGEN_PRAGMAS else line)
    return "\n".join(out)


def strip_metadata(bytecode: bytes) -> bytes:
    """Deployment bytecode without Vyper's CBOR trailer (its last two bytes give its length): the
    trailer carries a hash of the source, so two sources that differ only in a comment or in dead
    code would never compare equal with it."""
    if len(bytecode) < 2:
        return bytecode
    n = int.from_bytes(bytecode[-2:], "big")
    return bytecode[: -(n + 2)] if 0 < n + 2 <= len(bytecode) else bytecode


def code_key(deploy_hex: str) -> str:
    """sha256 of the deployment bytecode without metadata: equal keys => same contract behaviour."""
    raw = bytes.fromhex(deploy_hex[2:] if deploy_hex.startswith("0x") else deploy_hex)
    return hashlib.sha256(strip_metadata(raw)).hexdigest()


def init_worker() -> None:
    """Imports Vyper and builds the import search path once per compile process."""
    global _BUNDLE
    from vyper.compiler.input_bundle import FilesystemInputBundle

    paths = [ROOT / "contracts", ROOT] + [Path(p) for p in site.getsitepackages()]
    _BUNDLE = FilesystemInputBundle([p for p in paths if p.exists()])
    warnings.filterwarnings("ignore")


def compile_source(path: str, source: str, codegen: str) -> dict[str, object]:
    """Compiles `source` as if it were the file at `path` (relative to the project root).

    Returns ``{"ok": True, "bytecode": "0x...", "key": ..., "seconds": ...}`` or ``{"ok": False,
    "error": one line}``; never raises for a source that does not compile.
    """
    import time

    from vyper.compiler import compile_from_file_input
    from vyper.compiler.input_bundle import FileInput
    from vyper.compiler.settings import OptimizationLevel, Settings

    if _BUNDLE is None:
        init_worker()
    started = time.process_time()
    if codegen == "fast":
        source = fast_source(source)
        settings = Settings(optimize=OptimizationLevel.NONE, experimental_codegen=False, evm_version="cancun")
    elif codegen == "shipped":
        settings = Settings(evm_version="cancun")
    else:
        raise ValueError(f"unknown codegen {codegen!r}")
    full = ROOT / path
    file_input = FileInput(contents=source, source_id=-1, path=Path(path), resolved_path=full)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = compile_from_file_input(file_input, input_bundle=_BUNDLE, settings=settings, output_formats=["bytecode"])
    except Exception as err:  # noqa: BLE001 - any compiler error makes the mutant invalid
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return {"ok": False, "error": f"{type(err).__name__}: {first}"[:300], "seconds": time.process_time() - started}
    bytecode = out["bytecode"]
    return {"ok": True, "bytecode": bytecode, "key": code_key(bytecode), "seconds": time.process_time() - started}


if __name__ == "__main__":  # python -m tools.mutation_compile contracts/X.vy [fast|shipped]
    import time as _t

    t0 = _t.time()
    res = compile_source(sys.argv[1], (ROOT / sys.argv[1]).read_text(), sys.argv[2] if len(sys.argv) > 2 else "fast")
    print({k: (v if k != "bytecode" else f"{len(v) // 2 - 1} bytes") for k, v in res.items()}, f"{_t.time() - t0:.2f}s")
