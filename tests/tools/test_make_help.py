"""`make help` lists every target of the Makefile (issue 11: it omitted five)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:(?!=)", re.MULTILINE)


def makefile_targets() -> list[str]:
    return sorted(set(TARGET.findall((ROOT / "Makefile").read_text())))


def test_makefile_targets__parsed():
    targets = makefile_targets()
    assert {"help", "test", "test-fast", "deploy", "lock", "clean", "bench-vault", "bench-ledger"} <= set(targets)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_help__lists_every_target():
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    listed = {line.split()[1] for line in shown.splitlines() if line.startswith("make ") and len(line.split()) > 1}
    missing = [target for target in makefile_targets() if target not in listed]
    assert not missing, f"`make help` does not list: {missing}\n{shown}"
