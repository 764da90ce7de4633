"""The data vault against the chain: anchor sealed batches on DataAnchor, ship a lot with a root,
disclose one record, and check it with `factorychain vault verify --rpc` (one eth_call, no Ape),
with every tampering refused by name. Also: DataAnchor in the deployment record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_utils import keccak

from factorychain.cli import cli
from factorychain.deployment import read_deployment, deploy_suite, write_deployment
from factorychain.vault import (
    AnchorRef,
    Vault,
    VerificationError,
    check_disclosure,
    ingest_file,
    make_disclosure,
    open_batch,
)
from factorychain.vault.onchain import RpcReader, anchor_entry, ensure_stream, lot_shipment_hash, onchain_root, share_stream_key
from factorychain.vault.streamkey import unwrap_stream_key
from factorychain.store import open_uri
from factorychain.keys import public_key_from_private

AUDITOR = Account.from_key(keccak(b"vault auditor on chain"))
HEADER = "time,furnace,zone,temp_c"


def _csv(path: Path, count: int) -> Path:
    rows = [HEADER] + [f"2025-03-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z,F2,zone-{i % 4},{820 + i % 41}.5" for i in range(count)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def anchor_contract(project, admin):
    return project.DataAnchor.deploy(sender=admin)


@pytest.fixture(scope="module")
def lots(project, admin):
    return project.MockVaultLot.deploy(sender=admin)


@pytest.fixture
def owner_key(accounts, supplier):
    """The supplier's test account key (Ape's test mnemonic)."""
    return bytes.fromhex(supplier.private_key[2:]) if isinstance(supplier.private_key, str) else bytes(supplier.private_key)


@pytest.fixture
def vault(tmp_path, owner_key):
    vault, _ = Vault.create(tmp_path / "vault", name="furnace-2", owner_public_key=public_key_from_private(owner_key), store=str(tmp_path / "store"))
    return vault


@pytest.fixture
def rpc(chain):
    uri = chain.provider.http_uri if hasattr(chain.provider, "http_uri") else chain.provider.uri
    return str(uri)


def _run(*args, env=None):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], env=env)


def test_anchor_and_verify__data_anchor__sdk_and_cli(anchor_contract, supplier, vault, owner_key, tmp_path, chain, rpc):
    key = vault.stream_key(owner_key)
    entries = ingest_file(vault, _csv(tmp_path / "heat.csv", 1000), key, batch_size=400)
    assert ensure_stream(anchor_contract, supplier, vault)
    assert not ensure_stream(anchor_contract, supplier, vault)
    anchored = [anchor_entry(anchor_contract, supplier, vault, entry, chain.chain_id) for entry in entries]
    assert [entry.anchored["batch"] for entry in anchored] == [1, 2, 3]

    second = vault.batch(2)
    opened = open_batch(open_uri(second.uri), key)
    ref = AnchorRef.data_anchor(chain.chain_id, anchor_contract.address, vault.config.stream, 2)
    disclosure = make_disclosure(opened, 123, anchor=ref, uri=second.uri)
    check_disclosure(disclosure, onchain_root=onchain_root(ref, anchor_contract))
    assert anchor_contract.verify(vault.config.stream, 2, disclosure.leaf, list(disclosure.proof))
    assert RpcReader(rpc).root(ref) == disclosure.root

    out = tmp_path / "d.json"
    env = {"FC_VAULT_OWNER": "0x" + owner_key.hex()}
    result = _run("vault", "disclose", vault.directory, "--batch", 2, "--index", 123, "--out", out, "--private-key-env", "FC_VAULT_OWNER", env=env)
    assert result.exit_code == 0, result.stderr
    result = _run("vault", "verify", out, "--rpc", rpc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: record 123 holds against batch 2 of stream")

    data = json.loads(out.read_text())
    data["anchor"]["batch"] = 3  # another batch's root on chain
    (tmp_path / "other.json").write_text(json.dumps(data))
    result = _run("vault", "verify", tmp_path / "other.json", "--rpc", rpc)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: root check failed: the disclosed root")

    data["anchor"]["batch"] = 9  # nothing there
    (tmp_path / "none.json").write_text(json.dumps(data))
    result = _run("vault", "verify", tmp_path / "none.json", "--rpc", rpc)
    assert result.stderr.strip() == f"error: root check failed: nothing is anchored at batch 9 of stream 0x{vault.config.stream.hex()} on DataAnchor {anchor_contract.address} (chain {chain.chain_id})"

    data["anchor"]["chain_id"] = 1
    (tmp_path / "chain.json").write_text(json.dumps(data))
    result = _run("vault", "verify", tmp_path / "chain.json", "--rpc", rpc)
    assert "anchored on chain 1" in result.stderr


def test_lot_shipment_hash__disclosure_verifies_against_the_lot(lots, supplier, vault, owner_key, tmp_path, chain, rpc):
    key = vault.stream_key(owner_key)
    (entry,) = ingest_file(vault, _csv(tmp_path / "lot.csv", 50), key)
    lots.ship(7, 2, 500, bytes.fromhex(entry.root[2:]), sender=supplier)

    opened = open_batch(open_uri(entry.uri), key)
    ref = AnchorRef.escrow_lot(chain.chain_id, lots.address, 7, 2)
    disclosure = make_disclosure(opened, 49, anchor=ref)
    assert lot_shipment_hash(lots, 7, 2) == opened.header.root
    check_disclosure(disclosure, onchain_root=RpcReader(rpc).root(ref))

    wrong_lot = AnchorRef.escrow_lot(chain.chain_id, lots.address, 7, 3)
    with pytest.raises(VerificationError, match="^root check failed: nothing is anchored at lot 3 of order 7"):
        check_disclosure(disclosure.with_anchor(wrong_lot), onchain_root=RpcReader(rpc).root(wrong_lot))


def test_share_stream_key__auditor_opens_batches_from_the_event(anchor_contract, supplier, vault, owner_key, tmp_path):
    key = vault.stream_key(owner_key)
    ensure_stream(anchor_contract, supplier, vault)
    envelope = share_stream_key(anchor_contract, supplier, vault.config.stream, public_key_from_private(AUDITOR.key), key)

    logs = list(anchor_contract.StreamKeyShared.range(0, None, search_topics={"reader": AUDITOR.address}))
    assert bytes(logs[-1].envelope) == envelope
    assert unwrap_stream_key(envelope, AUDITOR.key, vault.config.stream) == key


def test_ensure_stream__other_sender__refused(anchor_contract, stranger, vault):
    from factorychain.vault import VaultError

    with pytest.raises(VaultError, match="send from that account"):
        ensure_stream(anchor_contract, stranger, vault)


def test_deploy_suite__records_data_anchor_and_adds_it_to_old_records(project, admin, tmp_path):
    path = tmp_path / "deployments" / "local.json"
    result = deploy_suite(project, admin, path=path)

    record = read_deployment(path)
    assert record.anchor == result.anchor.address
    assert record.contracts["DataAnchor"]["version"] == "1.0.0"

    again = deploy_suite(project, admin, path=path)
    assert again.transactions == () and again.anchor.address == record.anchor

    contracts = dict(record.contracts)
    del contracts["DataAnchor"]
    from dataclasses import replace

    write_deployment(replace(record, contracts=contracts), path)
    upgraded = deploy_suite(project, admin, path=path)
    assert len(upgraded.transactions) == 1
    assert read_deployment(path).anchor == upgraded.anchor.address != record.anchor


def test_late_lot_of_the_real_escrow__heat_treatment_curve_verifies_against_its_shipment_hash(
    escrow, make_order, supplier, buyer, vault, owner_key, tmp_path, chain, rpc
):
    """Escrow v2: the supplier ships a late lot whose shipment_hash is the root of that lot's furnace
    records; the buyer verifies one point of the heat-treatment curve against the lot."""
    key = vault.stream_key(owner_key)
    (entry,) = ingest_file(vault, _csv(tmp_path / "curve.csv", 240), key)
    order_id = make_order(quantity=1_000, ship_in=86_400)
    chain.pending_timestamp += 2 * 86_400  # two days late, inside the grace period
    tx = escrow.ship(order_id, 400, bytes.fromhex(entry.root[2:]), sender=supplier)
    lot = tx.return_value

    found = escrow.get_lot(order_id, lot)
    assert found.penalty_bps > 0 and bytes(found.shipment_hash).hex() == entry.root[2:]
    out = tmp_path / "curve-point.json"
    env = {"FC_VAULT_OWNER": "0x" + owner_key.hex()}
    result = _run(
        "vault", "disclose", vault.directory, "--batch", entry.seq, "--line", 120, "--out", out,
        "--lot", f"{order_id}:{lot}", "--escrow", escrow.address, "--chain-id", chain.chain_id,
        "--private-key-env", "FC_VAULT_OWNER", env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr

    result = _run("vault", "verify", out, "--rpc", rpc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"ok: record 118 holds against lot {lot} of order {order_id} on escrow {escrow.address} (chain {chain.chain_id})"
    assert vault.batch(entry.seq).lot == {"kind": "escrow-lot", "chain_id": chain.chain_id, "contract": escrow.address, "order_id": order_id, "lot": lot}
