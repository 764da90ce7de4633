"""The escrow compiled four ways, to justify the compiler settings it ships with.

OrderEscrow.vy carries `# pragma experimental-codegen` (Venom) and `# pragma optimize codesize`
because every other setting leaves its runtime code above EIP-170's 24 576 bytes, which Ethereum
and its L2s (and Anvil) refuse to deploy. This module compiles the same source with the `vyper`
command line under each setting (the two pragmas taken out and passed as flags instead), and
starts an Anvil of its own with the size limit disabled, so that the variants that do not fit can
still be deployed and run through issue 10's scenarios for their gas.

Compilation is pure (a subprocess, cached under .build/ by source digest and flags); the Anvil
helper starts and stops exactly one process, its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

EIP170_LIMIT = 24_576
_PRAGMAS = re.compile(r"^# pragma (experimental-codegen|optimize \w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    optimize: str  # gas | codesize
    venom: bool
    shipped: bool = False

    @property
    def flags(self) -> list[str]:
        return ["-O", self.optimize] + (["--experimental-codegen"] if self.venom else [])


VARIANTS = (
    Variant("legacy", "legacy, optimize gas (Vyper's default)", "gas", False),
    Variant("legacy_codesize", "legacy, optimize codesize", "codesize", False),
    Variant("venom", "Venom, optimize gas", "gas", True),
    Variant("venom_codesize", "Venom, optimize codesize (shipped)", "codesize", True, shipped=True),
)


@dataclass
class Compiled:
    variant: Variant
    abi: list[dict[str, Any]]
    bytecode: str  # deployment code, 0x-hex
    runtime: str  # runtime code as the compiler prints it (immutables are appended at deployment)
    seconds: float

    @property
    def runtime_size(self) -> int:
        return (len(self.runtime) - 2) // 2


def _vyper() -> list[str]:
    exe = shutil.which("vyper")
    return [exe] if exe else [sys.executable, "-m", "vyper"]


def compile_variant(root: Path, variant: Variant, evm_version: str, cache_dir: Path) -> Compiled:
    """Compiles contracts/OrderEscrow.vy with ``variant``'s settings (from a copy whose pragmas
    are removed, next to a copy of the interfaces it imports)."""
    source = (root / "contracts" / "OrderEscrow.vy").read_text()
    stripped = _PRAGMAS.sub("", source)
    interfaces = sorted((root / "contracts" / "interfaces").glob("*.vyi"))
    digest = hashlib.sha256()
    for part in [stripped, *(p.read_text() for p in interfaces), " ".join(variant.flags), evm_version]:
        digest.update(part.encode() + b"\0")
    version = subprocess.run([*_vyper(), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    digest.update(version.encode())
    cached = cache_dir / f"{variant.key}-{digest.hexdigest()[:16]}.json"
    if cached.exists():
        data = json.loads(cached.read_text())
        return Compiled(variant, data["abi"], data["bytecode"], data["runtime"], data["seconds"])
    work = cache_dir / f"src-{variant.key}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "interfaces").mkdir(parents=True)
    (work / "OrderEscrow.vy").write_text(stripped)
    for path in interfaces:
        shutil.copy(path, work / "interfaces" / path.name)
    started = time.monotonic()
    proc = subprocess.run(
        [*_vyper(), *variant.flags, "--evm-version", evm_version, "-f", "abi,bytecode,bytecode_runtime", "OrderEscrow.vy"],
        cwd=work, capture_output=True, text=True,
    )
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0:
        raise RuntimeError(f"vyper {' '.join(variant.flags)} failed:\n{proc.stderr[-2000:]}")
    abi_line, bytecode, runtime = proc.stdout.strip().splitlines()
    compiled = Compiled(variant, json.loads(abi_line), bytecode, runtime, seconds)
    cached.write_text(json.dumps({"abi": compiled.abi, "bytecode": bytecode, "runtime": runtime, "seconds": seconds}))
    shutil.rmtree(work, ignore_errors=True)
    return compiled


def container(compiled: Compiled) -> Any:
    """An Ape contract container for a compiled variant, deployable like ``project.OrderEscrow``."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    contract_type = ContractType.model_validate({
        "contractName": "OrderEscrow",
        "abi": compiled.abi,
        "deploymentBytecode": {"bytecode": compiled.bytecode},
        "runtimeBytecode": {"bytecode": compiled.runtime},
    })
    return ContractContainer(contract_type)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def unlimited_anvil(mnemonic: str, accounts: int, hd_path: str, hardfork: str) -> Iterator[str]:
    """An Anvil like the one Ape starts (same mnemonic and accounts, hardfork, zero fees, step
    tracing) but with EIP-170's size limit disabled; yields its URI and stops it afterwards."""
    anvil = shutil.which("anvil")
    if anvil is None:
        raise RuntimeError("anvil not found on PATH (make setup installs it under node_modules/.bin)")
    port = _free_port()
    cmd = [
        anvil, "--port", str(port), "--mnemonic", mnemonic, "--accounts", str(accounts), "--derivation-path", hd_path,
        "--balance", "10000", "--steps-tracing", "--block-base-fee-per-gas", "0", "--gas-price", "0",
        "--hardfork", hardfork, "--disable-code-size-limit",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"anvil exited: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
            try:
                body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion", "params": []}).encode()
                req = urllib.request.Request(uri, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=2) as response:
                    if "anvil" in json.loads(response.read())["result"].lower():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("anvil did not start within 30 s")
            time.sleep(0.2)
        yield uri
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: this anvil and nothing else
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
