"""Issue 11, "Defects a new user hit", on the `ape run parts` side: each mistake is refused with one
line before anything is sent. `ape run` runs in this process against a standalone Anvil node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orders_cli"))  # the Shell fixture

from _orders_cli_support import OEM, QA, SUPPLIER, set_up_part, shell  # noqa: E402,F401
from factorychain.keys import public_key_from_private  # noqa: E402

NODE_CHAIN_ID = 31_720
SUPPLIER_KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"  # Anvil #4
SUPPLIER_PUB = "0x" + public_key_from_private(SUPPLIER_KEY).hex()
PART = "PN-4711"


@pytest.fixture(scope="module")
def deployed(shell):  # noqa: F811
    set_up_part(shell, PART)
    return shell


@pytest.mark.slow
def test_share_key__a_key_that_does_not_open_the_version__refused_in_one_line(deployed):
    shell = deployed
    folder = shell.folder
    design = folder / "bracket-revB.step"
    design.write_bytes(b"ISO-10303-21; engine-mount bracket rev B")
    shell.ok("parts", "publish", PART, design, "--store", folder / "store", "--key-file", folder / "v2.key", "--account", OEM)

    error = shell.error("parts", "share-key", PART, 1, "--partner-pubkey", SUPPLIER_PUB, "--key-file", folder / "v2.key", "--account", OEM)
    assert "not the content key of 'PN-4711' v1; nothing shared" in error

    shell.ok("parts", "share-key", PART, 1, "--partner-pubkey", SUPPLIER_PUB, "--key-file", folder / "v1.key", "--account", OEM)
    out = folder / "fetched.step"
    fetched = shell.runner.invoke(
        __import__("ape_run._cli", fromlist=["cli"]).cli,
        ["parts", "fetch", PART, "1", "--private-key-env", "PARTNER_KEY", "--out", str(out), "--network", shell.node.url],
        env={"PARTNER_KEY": SUPPLIER_KEY}, catch_exceptions=False,
    )  # fmt: skip
    assert fetched.exit_code == 0, fetched.stderr
    assert out.read_bytes() == b"ISO-10303-21; engine-mount bracket rev A"


@pytest.mark.slow
def test_publish__empty_file_or_same_document_as_the_latest__refused_in_one_line(deployed):
    shell = deployed
    folder = shell.folder
    empty = folder / "empty.step"
    empty.write_bytes(b"")
    error = shell.error("parts", "publish", "PN-EMPTY", empty, "--store", folder / "store", "--key-file", folder / "e.key", "--account", OEM)
    assert error == f"Error: DESIGN_FILE: {empty} is empty; nothing published"
    assert not (folder / "e.key").exists()

    same = folder / "same.step"
    same.write_bytes(b"ISO-10303-21; engine-mount bracket rev C")
    shell.ok("parts", "publish", PART, same, "--store", folder / "store", "--key-file", folder / "revC.key", "--account", OEM)
    before = shell.ok("parts", "show", PART).stdout
    error = shell.error("parts", "publish", PART, same, "--store", folder / "store", "--key-file", folder / "same.key", "--account", OEM)
    assert "same document as 'PN-4711' v" in error and "nothing published" in error
    assert shell.ok("parts", "show", PART).stdout == before
    assert not (folder / "same.key").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("certify", PART, 1, "TEST::9", "--valid-for", "30d", "--report-hash", "0x" + "11" * 32, "--account", QA),  # no access
        ("certify", PART, 1, SUPPLIER, "--valid-for", "30d", "--report-hash", "0x" + "11" * 32, "--account", OEM),  # not a certifier
        ("uncertify", PART, 1, SUPPLIER, "--account", OEM),  # not a certifier
        ("uncertify", PART, 1, "TEST::9", "--account", QA),  # nothing to revoke
        ("uncertify", PART, 99, SUPPLIER, "--account", QA),  # no such version
    ],
    ids=["certify-no-access", "certify-not-certifier", "uncertify-not-certifier", "uncertify-not-certified", "uncertify-no-version"],
)
def test_certify_uncertify__mistakes__one_line_with_the_reason(deployed, args):
    error = deployed.error("parts", *args)
    assert error.startswith("Error: the registry would refuse this: "), error


def _ape_run(shell, *args):
    """`ape run parts …` in its own process: Ape prints a failed transaction's call trace there."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PATH": f"{root / '.venv/bin'}:{root / 'node_modules/.bin'}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(root / ".venv/bin/ape"), "run", "parts", *map(str, args), "--network", shell.node.url],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_certify_uncertify__mistakes__no_call_trace_in_a_real_process(deployed):
    for args, reason in (
        (("certify", PART, 1, SUPPLIER, "--valid-for", "30d", "--report-hash", "0x" + "11" * 32, "--account", OEM), "access_control: account is missing role"),
        (("uncertify", PART, 1, "TEST::9", "--account", QA), "registry: not certified"),
    ):
        done = _ape_run(deployed, *args)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "PartRegistry." not in done.stdout and "tx.origin" not in done.stdout, done.stdout
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        assert errors == [f"Error: the registry would refuse this: {reason}"], done.stderr
