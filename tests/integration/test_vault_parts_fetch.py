"""A partner at another site: `ape run parts fetch` in its own process, with only its own key, the
store's endpoint and the deployment record, downloads an OEM's design from S3 (moto's server),
decrypts it and checks it against the on-chain spec hash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vault"))  # the S3 server fixture

from _vault_support import bucket, s3_server  # noqa: E402,F401
from factorychain.deployment import Deployment, write_deployment  # noqa: E402
from factorychain.keys import public_key_from_private  # noqa: E402
from factorychain.sharing import publish_design, share_design_key  # noqa: E402
from factorychain.spec import part_id, spec_hash  # noqa: E402
from factorychain.store import open_store, s3_options  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DESIGN = b"%PDF-1.7 furnace fixture rev D " * 500


def _key(account) -> bytes:
    value = account.private_key
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


@pytest.fixture
def published(registry, escrow, oem, supplier, s3_server, bucket, chain, tmp_path):
    store = open_store(f"s3://{bucket}/designs", **s3_options(s3_server["endpoint"]))
    pid = part_id("PN-9001 furnace fixture")
    design = publish_design(registry, oem, pid, DESIGN, store)
    registry.grant_access(pid, supplier, sender=oem)
    share_design_key(registry, oem, pid, design.version, public_key_from_private(_key(supplier)), design.content_key)
    record = Deployment(
        ecosystem="ethereum", network="local", chain_id=chain.chain_id, registry=registry.address, escrow=escrow.address,
        deployer=oem.address, admin=oem.address, block_number=0, contracts={}, arbitration_timeout=0, path=None,
    )  # fmt: skip
    path = write_deployment(record, tmp_path / "deployment.json").path
    return design, path


def _fetch(args, env, cwd):
    full_env = {**os.environ, **env, "PATH": f"{ROOT / '.venv/bin'}:{ROOT / 'node_modules/.bin'}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(ROOT / ".venv/bin/ape"), "run", "parts", "fetch", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_parts_fetch__another_process__downloads_decrypts_and_verifies(published, supplier, stranger, s3_server, chain, tmp_path):
    design, record = published
    uri = str(chain.provider.http_uri if hasattr(chain.provider, "http_uri") else chain.provider.uri)
    out = tmp_path / "fixture.pdf"
    env = {**s3_server["env"], "PARTNER_KEY": "0x" + _key(supplier).hex(), "OTHER_KEY": "0x" + _key(stranger).hex()}
    common = ["--deployment", record, "--s3-endpoint", s3_server["endpoint"], "--network", uri]

    done = _fetch(["PN-9001 furnace fixture", design.version, "--private-key-env", "PARTNER_KEY", "--out", out, *common], env, ROOT)

    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes() == DESIGN
    assert spec_hash(out.read_bytes()) == design.spec_hash
    assert design.uri.startswith("s3://")

    refused = _fetch(["PN-9001 furnace fixture", design.version, "--private-key-env", "OTHER_KEY", *common], env, ROOT)
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "no key was shared with" in errors[0], refused.stderr[-2000:]
