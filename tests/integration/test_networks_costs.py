"""Cost per network (docs/operations.md): the table comes from the bench's measured transactions.

`tools/network_costs.py` reads docs/gas.json (gas and real calldata bytes of every transaction
of the bench's scenarios) and prices them with dated assumptions; the table in
docs/operations.md must be exactly what it prints, so a new `make bench` cannot leave it stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.network_costs import (  # noqa: E402
    ASSUMPTIONS,
    GAS_JSON,
    NETWORKS,
    TX_ENVELOPE_BYTES,
    Step,
    cost_rows,
    main,
    markdown,
    step_cost_usd,
    steps_from_gas_json,
)


@pytest.fixture(scope="module")
def gas() -> dict:
    return json.loads(GAS_JSON.read_text())


def test_steps__first_order__the_five_measured_transactions_with_their_calldata(gas):
    steps = steps_from_gas_json(gas, "first3")

    assert [step.call for step in steps] == ["propose_agreement", "accept_agreement", "create_order", "ship", "confirm_delivery"]
    assert sum(step.gas for step in steps) == gas["scenarios"]["scenarios"]["first3"]["gas"]
    # Real ABI calldata: a 4-byte selector plus 32-byte words.
    assert all(step.calldata_bytes > 4 and (step.calldata_bytes - 4) % 32 == 0 for step in steps)
    assert [step.call for step in steps_from_gas_json(gas, "repeat3")] == ["create_order", "ship", "confirm_delivery"]


def test_step_cost__mainnet_and_polygon__gas_times_price():
    step = Step("ship", 100_000, 60, 40)
    execution, data = step_cost_usd(step, "Ethereum mainnet")
    assert data == 0 and execution == pytest.approx(100_000 * ASSUMPTIONS["l1_base_fee_gwei"] * 1e9 * ASSUMPTIONS["eth_usd"] / 1e18)
    execution, data = step_cost_usd(step, "Polygon PoS")
    assert data == 0 and execution == pytest.approx(100_000 * 30e9 * ASSUMPTIONS["pol_usd"] / 1e18)


def test_step_cost__base__fjord_l1_fee_by_hand():
    step = Step("ship", 90_000, 61, 39)
    compressed = TX_ENVELOPE_BYTES + 39 + 0.1 * 61
    size = max(100, -42.5856 + 0.8365 * compressed)
    per_byte = (16 * 2_269 * 2e9 + 1_055_762 * (2e9 / 16)) / 1e6
    execution, data = step_cost_usd(step, "Base")
    assert data == pytest.approx(size * per_byte * 3_000 / 1e18)
    assert execution == pytest.approx(90_000 * 0.01e9 * 3_000 / 1e18)


def test_cost_rows__every_network_both_orders__l2_call_off_about_a_cent_or_less(gas):
    rows = cost_rows(gas)
    assert {(row.network, row.scenario) for row in rows} == {(n, s) for n in NETWORKS for s in ("first3", "repeat3")}
    by = {(row.network, row.scenario): row for row in rows}
    assert by[("Ethereum mainnet", "repeat3")].total_usd > 1  # dollars on mainnet
    for network in NETWORKS[1:]:
        assert by[(network, "repeat3")].total_usd < 0.02  # about a cent on every L2 (issue 14)
        assert by[(network, "first3")].total_usd > by[(network, "repeat3")].total_usd
    assert by[("Base", "first3")].l1_data_usd > 0 and by[("Polygon PoS", "first3")].l1_data_usd == 0


def test_docs_operations__cost_table__is_what_the_tool_prints(gas):
    text = (ROOT / "docs" / "operations.md").read_text()
    assert markdown(gas) in text, "docs/operations.md 'Cost per network' is stale: paste `python -m tools.network_costs`"


def test_main__missing_gas_json__one_line(tmp_path, capsys):
    assert main(["--gas-json", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: cannot read") and "make bench" in err[0]
