"""The testnet rehearsal (`make rehearsal`), run once per ecosystem: every check, asserted here too.

It starts its own Anvil node and drives it only through `ape run deploy` and `ape console`
subprocesses, with an isolated Ape data folder, an encrypted keystore account and deployment
records in a temporary folder — the repository's deployments/ is never touched. Two ecosystems,
same outcomes: `ethereum` (chain id 31415) and `base` (an OP-stack Anvil, chain id 31417, through
ape-base's ecosystem; the deployer is funded by an L1->L2 deposit transaction, type 0x7e, which
Ape must decode as ape-optimism's SystemTransaction).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tools` lives at the project root

from tools.rehearsal import DEPOSIT_TX_TYPE, ECOSYSTEMS, Report, rehearse

pytestmark = pytest.mark.rehearsal


@pytest.fixture(scope="module", params=["ethereum", "base"])
def report(request, tmp_path_factory) -> Report:
    repo_records = sorted((ROOT / "deployments").glob("*.json")) if (ROOT / "deployments").is_dir() else []
    result = rehearse(tmp_path_factory.mktemp(f"rehearsal-{request.param}"), ecosystem=request.param)
    after = sorted((ROOT / "deployments").glob("*.json")) if (ROOT / "deployments").is_dir() else []
    assert after == repo_records, "the rehearsal wrote into the repository's deployments/"
    return result


def test_rehearsal_deploy__first_run__writes_record_for_the_node_chain(report):
    record = report.first_record
    assert report.first_deploy is not None and report.first_deploy.returncode == 0
    assert report.record_path == report.workdir / "deployments" / f"{report.ecosystem}-rehearsal.json"
    assert record["chain_id"] == report.chain_id == ECOSYSTEMS[report.ecosystem][0]
    assert (record["ecosystem"], record["network"]) == (report.ecosystem, "rehearsal")
    assert record["deployer"] == report.deployer
    assert record["admin"] == report.actors["ops"] != report.deployer
    assert report.code_sizes["registry"] > 0 and report.code_sizes["escrow"] > 0
    # three deployments (with the DataAnchor), three role grants, the timeout, two admin grants and two renunciations
    assert report.nonce_after_first - report.nonce_before_first == 11
    assert [change["action"] for change in record["roles"]].count("renounce") == 2


def test_rehearsal_deploy__second_run__reuses_without_a_transaction(report):
    assert report.second_deploy is not None and report.second_deploy.returncode == 0
    assert "Reusing PartRegistry at " + report.first_record["registry"] in report.second_deploy.stdout
    assert report.second_record == report.first_record
    assert report.nonce_after_second == report.nonce_after_first


def test_rehearsal_deploy__record_for_wrong_chain__one_line_error(report):
    result = report.wrong_chain
    assert result is not None and result.returncode == 1
    assert result.error_lines == [
        (
            f"Error: {report.workdir / 'wrong-chain.json'} is for chain id 11155111, "
            f"but the connected node reports chain id {report.chain_id}"
        )
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_rehearsal_deploy__record_without_code__one_line_error(report):
    result = report.missing_code
    assert result is not None and result.returncode == 1
    assert len(result.error_lines) == 1
    assert result.error_lines[0].startswith(f"Error: {report.workdir / 'missing-code.json'}: no contract code")
    assert "Traceback" not in result.stdout + result.stderr


def test_rehearsal_console__extras_load_contracts_roles_and_sdk(report):
    values = report.console_values
    assert report.console is not None and report.console.returncode == 0
    assert f"FactoryChain on {report.ecosystem}:rehearsal (chain id {report.chain_id})" in report.console.stdout
    assert (values["registry"], values["escrow"]) == (report.first_record["registry"], report.first_record["escrow"])
    assert values["manufacturer"] and values["certifier"] and values["arbiter"] and values["ops_admin"]
    assert values["deployer_admin"] is False
    assert values["arbitration_timeout"] == 14 * 86_400
    assert values["spec_hash"] == keccak(b"rehearsal").hex()
    assert values["sign_receipt"] is True
    # Escrow v2 on the node, and its helpers in the console.
    assert (values["escrow_version"], values["receipt_domain"], values["v2_helpers"]) == ("2.0.0", "2", True)


def test_rehearsal_l2__base_node__ape_decodes_the_deposit_through_the_base_ecosystem(report):
    if report.ecosystem != "base":
        assert report.deposit_tx == "" and "deposit" not in report.console_values
        return
    # The deployer's only funding was an OP-stack deposit (L1 -> L2): its nonce counts it.
    assert report.deposit_tx and report.deposit_block >= 1 and report.nonce_before_first == 1
    seen = report.console_values["deposit"]
    assert seen["ecosystem_class"] == "Base" and "Optimism" in seen["ecosystem_bases"]
    assert (seen["tx_class"], seen["tx_type"]) == ("SystemTransaction", DEPOSIT_TX_TYPE)
    assert seen["receipt_status"] == 1
