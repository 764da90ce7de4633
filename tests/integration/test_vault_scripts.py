"""The vault from the shell, end to end, on a standalone Anvil node over JSON-RPC: `ape run deploy`
(DataAnchor recorded), `factorychain vault init | ingest`, `ape run vault create | writer | anchor |
show | share-key`, `factorychain vault disclose`, and `factorychain vault verify --rpc` on the node;
and designs through S3: `ape run parts publish --store s3://…` then `ape run parts fetch`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vault"))  # the S3 server fixture

from _vault_support import bucket, s3_server  # noqa: E402,F401

from factorychain.cli import cli as factorychain_cli
from factorychain.deployment import DEPLOYMENTS_ENV
from factorychain.keys import public_key_from_private
from tools.rehearsal import AnvilNode

NODE_CHAIN_ID = 31417
HEADER = "time,furnace,zone,temp_c"


def _key(account) -> str:
    value = account.private_key
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


@pytest.fixture(scope="module")
def node():
    started = AnvilNode(chain_id=NODE_CHAIN_ID)
    started.start()
    yield started
    started.stop()


@pytest.fixture
def shell(node, tmp_path, monkeypatch, accounts):
    """(ape_run, factorychain) runners on the node, deployment records in a temporary folder."""
    from ape_run._cli import cli as ape_cli

    monkeypatch.setenv(DEPLOYMENTS_ENV, str(tmp_path / "deployments"))
    env = {"OWNER_KEY": _key(accounts[1]), "AUDITOR_KEY": _key(accounts[7]), "PARTNER_KEY": _key(accounts[4])}
    runner = CliRunner(mix_stderr=False)

    def ape_run(*args):
        return runner.invoke(ape_cli, [*map(str, args), "--network", node.url], catch_exceptions=False, env=env)

    def factorychain(*args):
        return runner.invoke(factorychain_cli, [str(a) for a in args], env=env)

    return ape_run, factorychain


def ok(result):
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_vault_from_the_shell__deploy_ingest_anchor_disclose_verify(shell, node, tmp_path, accounts):
    ape_run, factorychain = shell
    ok(ape_run("deploy", "--account", "TEST::0"))
    (record_file,) = (tmp_path / "deployments").glob("*.json")
    record = json.loads(record_file.read_text())
    assert "DataAnchor" in record["contracts"]

    source = tmp_path / "heat.csv"
    source.write_text("\n".join([HEADER] + [f"2025-03-01T10:{i // 60:02d}:{i % 60:02d}Z,F2,zone-{i % 4},{830 + i % 29}.5" for i in range(900)]) + "\n")
    vault = tmp_path / "vault"
    ok(factorychain("vault", "init", vault, "--name", "furnace-2", "--store", tmp_path / "store", "--private-key-env", "OWNER_KEY"))
    ok(factorychain("vault", "ingest", vault, source, "--batch-size", 400, "--private-key-env", "OWNER_KEY"))

    ok(ape_run("vault", "create", vault, "--account", "TEST::1"))
    ok(ape_run("vault", "writer", vault, "TEST::4", "--account", "TEST::1"))
    denied = ape_run("vault", "anchor", vault, "--account", "TEST::5")
    assert denied.exit_code == 1 and "may not anchor" in denied.stderr
    anchored = ok(ape_run("vault", "anchor", vault, "--account", "TEST::4"))
    assert anchored.stdout.count("anchored as batch") == 3
    assert "nothing to anchor" in ok(ape_run("vault", "anchor", vault, "--account", "TEST::4")).stdout
    shown = ok(ape_run("vault", "show", vault)).stdout
    assert ": 3 batch(es)" in shown and shown.count("\troot 0x") == 3

    out = tmp_path / "d.json"
    ok(factorychain("vault", "disclose", vault, "--batch", 3, "--index", 17, "--out", out, "--private-key-env", "OWNER_KEY"))
    verified = ok(factorychain("vault", "verify", out, "--rpc", node.url))
    assert verified.stdout.startswith("ok: record 17 holds against batch 3 of stream")

    data = json.loads(out.read_text())
    data["anchor"]["batch"] = 2
    out.write_text(json.dumps(data))
    refused = factorychain("vault", "verify", out, "--rpc", node.url)
    assert refused.exit_code == 1 and refused.stderr.startswith("error: root check failed")

    auditor_pub = "0x" + public_key_from_private(_key(accounts[7])).hex()
    ok(ape_run("vault", "share-key", vault, "--to", auditor_pub, "--private-key-env", "OWNER_KEY", "--account", "TEST::1"))


@pytest.mark.slow
def test_parts_publish_to_s3_and_fetch__from_the_shell(shell, s3_server, bucket, tmp_path, accounts):
    ape_run, _ = shell
    ok(ape_run("deploy", "--account", "TEST::0", "--manufacturer", "TEST::1"))
    design = tmp_path / "fixture.pdf"
    design.write_bytes(b"%PDF-1.7 quench fixture rev B " * 300)
    s3 = ("--s3-endpoint", s3_server["endpoint"])

    published = ok(ape_run(
        "parts", "publish", "PN-77", design, "--store", f"s3://{bucket}/designs", *s3,
        "--key-file", tmp_path / "pn77.key", "--account", "TEST::1",
    ))  # fmt: skip
    assert f"uri s3://{bucket}/designs/" in published.stdout
    ok(ape_run("parts", "grant", "PN-77", "TEST::4", "--account", "TEST::1"))
    partner_pub = "0x" + public_key_from_private(_key(accounts[4])).hex()
    ok(ape_run("parts", "share-key", "PN-77", 1, "--partner-pubkey", partner_pub, "--key-file", tmp_path / "pn77.key", *s3, "--account", "TEST::1"))

    out = tmp_path / "fetched.pdf"
    fetched = ok(ape_run("parts", "fetch", "PN-77", 1, "--private-key-env", "PARTNER_KEY", *s3, "--out", out))
    assert out.read_bytes() == design.read_bytes()
    assert "verified on chain" in fetched.stderr

    missing = ape_run("parts", "fetch", "PN-77", 2, "--private-key-env", "PARTNER_KEY", *s3)
    assert missing.exit_code == 1 and "has no version 2" in missing.stderr
