"""`factorychain vault` through click's runner: the owner's flow, the auditor's, one-line errors."""

import json

import pytest

from _vault_support import AUDITOR, HEADER, OWNER, bucket, csv_text, jsonl_text, ok, one_line_error, run, s3_server  # noqa: F401
from factorychain.keys import public_key_from_private

KEY = ("--private-key-env", "OWNER_KEY")


@pytest.fixture
def vault_dir(run, tmp_path):
    ok(run("vault", "init", tmp_path / "v", "--name", "furnace-2", "--store", tmp_path / "store", *KEY))
    return tmp_path / "v"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "heat.csv"
    path.write_text(csv_text(1000))
    return path


def test_init__prints_stream_and_owner(run, tmp_path):
    result = ok(run("vault", "init", tmp_path / "v", "--name", "furnace-2", "--store", "store", *KEY))

    data = json.loads(result.stdout)
    assert data["owner"] == OWNER.address
    assert data["store"].endswith("store") and data["store"].startswith("/")
    assert (tmp_path / "v" / "vault.json").is_file()


def test_init__with_public_key_only__no_private_key_needed(run, tmp_path):
    pub = "0x" + public_key_from_private(OWNER.key).hex()

    result = ok(run("vault", "init", tmp_path / "v", "--name", "line-3", "--store", tmp_path / "s", "--owner-pubkey", pub))

    assert json.loads(result.stdout)["owner"] == OWNER.address


def test_init__twice__refused(run, vault_dir, tmp_path):
    one_line_error(run("vault", "init", vault_dir, "--name", "x", "--store", tmp_path, *KEY), "already exists")


def test_ingest__batches_and_ledger(run, vault_dir, source):
    result = ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))

    assert result.stdout.count("batch ") >= 3 and "ingested 1000 records in 3 batch(es)" in result.stdout
    listed = ok(run("vault", "batches", vault_dir)).stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["1", "400"], ["2", "400"], ["3", "200"]]
    assert all("not anchored" in line for line in listed)


def test_ingest__jsonl(run, vault_dir, tmp_path):
    path = tmp_path / "hardness.jsonl"
    path.write_text(jsonl_text(20))

    assert "ingested 20 records in 1 batch(es)" in ok(run("vault", "ingest", vault_dir, path, *KEY)).stdout


def test_ingest__bad_row__one_line_with_line_number(run, vault_dir, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(10) + "2025-03-01,F2,zone-1\n")

    one_line_error(run("vault", "ingest", vault_dir, path, *KEY), "line 12: 3 fields, the header has 5")


def test_ingest__someone_elses_key__refused(run, vault_dir, source):
    one_line_error(run("vault", "ingest", vault_dir, source, "--private-key-env", "STRANGER_KEY"), "wrapped to its owner")


def test_ingest__no_vault__one_line(run, tmp_path, source):
    one_line_error(run("vault", "ingest", tmp_path / "nothing", source, *KEY), "no vault at", "vault init")


def _disclose(run, vault_dir, out, *extra):
    return run(
        "vault", "disclose", vault_dir, "--batch", 2, "--line", 500, "--out", out, "--lot", "7:2",
        "--escrow", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--chain-id", 31337, *extra, *KEY,
    )  # fmt: skip


def test_disclose_and_verify_offline(run, vault_dir, source, tmp_path):
    ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))
    out = tmp_path / "d.json"

    result = ok(_disclose(run, vault_dir, out))

    assert "disclosed record 98 (line 500) of batch 2" in result.stdout
    data = json.loads(out.read_text())
    assert data["record"] == csv_text(1000).splitlines()[499]
    assert data["schema"]["header"] == HEADER and len(data["proof"]) == 9
    assert data["anchor"] == {"kind": "escrow-lot", "chain_id": 31337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "order_id": 7, "lot": 2}
    assert ok(run("vault", "verify", out, "--offline")).stdout.startswith("ok (offline): record 98")
    assert "shipped as lot 7:2" in ok(run("vault", "batches", vault_dir)).stdout


@pytest.mark.parametrize(
    "field, value, check",
    [
        ("record", "2025-03-01T10:08:18Z,F2,zone-2,845.0,845.0", "record"),
        ("salt", "0x" + "11" * 32, "salt"),
        ("index", 97, "salt"),
        ("proof", None, "proof"),
        ("root", "0x" + "22" * 32, "proof"),
        ("salt", "0x1234", "format"),
    ],
)
def test_verify__tampered__names_the_check(run, vault_dir, source, tmp_path, field, value, check):
    ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))
    out = tmp_path / "d.json"
    ok(_disclose(run, vault_dir, out))
    data = json.loads(out.read_text())
    data[field] = value if value is not None else data["proof"][:-1]
    out.write_text(json.dumps(data))

    one_line_error(run("vault", "verify", out, "--offline"), f"error: {check} check failed")


def test_verify__needs_rpc_or_offline(run, vault_dir, source, tmp_path):
    ok(run("vault", "ingest", vault_dir, source, *KEY))
    out = tmp_path / "d.json"
    ok(run(
        "vault", "disclose", vault_dir, "--batch", 1, "--index", 0, "--out", out, "--lot", "1:1",
        "--escrow", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--chain-id", 1, *KEY,
    ))  # fmt: skip

    one_line_error(run("vault", "verify", out), "--rpc", code=2)


def test_disclose__unanchored_batch__one_line(run, vault_dir, source, tmp_path):
    ok(run("vault", "ingest", vault_dir, source, *KEY))

    one_line_error(run("vault", "disclose", vault_dir, "--batch", 1, "--index", 0, "--out", tmp_path / "d.json", *KEY), "not anchored yet")


def test_disclose__index_outside__one_line(run, vault_dir, source, tmp_path):
    ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))

    result = run(
        "vault", "disclose", vault_dir, "--batch", 3, "--line", 5000, "--out", tmp_path / "d.json", "--lot", "1:1",
        "--escrow", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--chain-id", 1, *KEY,
    )  # fmt: skip

    one_line_error(result, "lines 802 .. 1001")


def test_disclose_with_key__verify_fetch_opens_the_stored_record(run, vault_dir, source, tmp_path):
    ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))
    out = tmp_path / "d.json"
    ok(_disclose(run, vault_dir, out, "--with-key"))

    assert ok(run("vault", "verify", out, "--offline", "--fetch")).stdout.startswith("ok (offline)")
    data = json.loads(out.read_text())
    # the record itself is intact; the key no longer opens the stored copy to it
    data["record_key"] = data["record_key"][:-2] + ("00" if data["record_key"][-2:] != "00" else "01")
    out.write_text(json.dumps(data))
    one_line_error(run("vault", "verify", out, "--offline", "--fetch"), "record check failed: the record stored at")


def test_share_and_read__auditor_opens_a_batch(run, vault_dir, source):
    ok(run("vault", "ingest", vault_dir, source, "--batch-size", 400, *KEY))
    pub = "0x" + public_key_from_private(AUDITOR.key).hex()
    shared = json.loads(ok(run("vault", "share", vault_dir, "--to", pub, *KEY)).stdout)
    uri = ok(run("vault", "batches", vault_dir)).stdout.splitlines()[0].split("\t")[-1]

    assert shared["reader"] == AUDITOR.address
    all_rows = ok(run("vault", "read", uri, "--envelope", shared["envelope"], "--private-key-env", "AUDITOR_KEY")).stdout
    assert all_rows.splitlines()[:2] == csv_text(1000).splitlines()[:2]
    one = ok(run("vault", "read", uri, "--envelope", shared["envelope"], "--index", 5, "--private-key-env", "AUDITOR_KEY"))
    assert one.stdout.strip() == csv_text(1000).splitlines()[6]
    one_line_error(run("vault", "read", uri, "--envelope", shared["envelope"], "--private-key-env", "STRANGER_KEY"), "envelope")


def test_s3_flow__init_ingest_disclose_on_the_s3_server(run, s3_server, bucket, tmp_path, source):
    endpoint = ("--s3-endpoint", s3_server["endpoint"])
    ok(run("vault", "init", tmp_path / "v", "--name", "furnace-2", "--store", f"s3://{bucket}/vault", *endpoint, *KEY))
    ok(run("vault", "ingest", tmp_path / "v", source, "--batch-size", 400, *KEY))
    out = tmp_path / "d.json"

    ok(_disclose(run, tmp_path / "v", out, "--with-key"))

    assert json.loads(out.read_text())["uri"].startswith(f"s3://{bucket}/vault/")
    ok(run("vault", "verify", out, "--offline", "--fetch", *endpoint))
