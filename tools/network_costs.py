"""What a full order costs on Ethereum mainnet and on each L2, from the bench's measured transactions.

    python -m tools.network_costs            prints the Markdown table of docs/operations.md ("Cost per network")
    python -m tools.network_costs --json     the same figures as JSON

Inputs are the bench's own measurements (``docs/gas.json``, written by ``make bench``): for each
transaction of a scenario, the gas it used and the zero / non-zero bytes of its real calldata
(the floor items the bench itemises). Everything else is an ASSUMPTION, dated and listed in
:data:`ASSUMPTIONS` (and printed under the table): gas prices, the ETH and POL prices, the L1
blob fee, the compression of a signed transaction, and each L2's fee formula:

* **Ethereum**: gas x gas price.
* **Base, Optimism** (OP stack, Fjord fees): L2 gas x L2 gas price + L1 data fee, where
  ``l1_fee = estimated_size x (16 x base_fee_scalar x l1_base_fee + blob_base_fee_scalar x blob_base_fee) / 1e6``
  and ``estimated_size = max(100, -42.5856 + 0.8365 x fastlz_size)`` (bytes).
* **Arbitrum One**: L2 gas x L2 gas price + the L1 poster fee, ``compressed_size x 16`` units at
  the L1 price per unit (blob base fee / 16 since blobs, ArbOS 20: one blob gas per byte).
* **Polygon PoS**: gas x gas price in POL; no per-transaction L1 data fee (checkpoints are the
  validators' cost).

The compressed size of a signed transaction is estimated from its calldata (zero bytes compress
to :data:`ZERO_BYTE_COMPRESSED` of a byte, non-zero bytes do not) plus :data:`TX_ENVELOPE_BYTES`
of envelope (signature, recipient, nonce, fees: incompressible).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

GAS_JSON = Path(__file__).resolve().parent.parent / "docs" / "gas.json"
GWEI = 10**9
#: Bytes of a signed EIP-1559 transaction besides its calldata (type, chain id, nonce, two fees,
#: gas, 20-byte recipient, value, access list, y-parity + r + s = 65): RLP-encoded, about 110.
TX_ENVELOPE_BYTES = 110
#: Compressed size of one zero calldata byte (ABI padding: long runs that FastLZ/brotli fold).
ZERO_BYTE_COMPRESSED = 0.1

#: The dated assumptions (2026-11) beside every figure. Change them here, re-run, paste the table.
ASSUMPTIONS: dict[str, Any] = {
    "date": "2026-11",
    "eth_usd": 3_000.0,
    "pol_usd": 0.25,
    "l1_base_fee_gwei": 2.0,  # Ethereum mainnet execution base fee + tip
    # EIP-7918 (Fusaka) floors the blob base fee at base fee / 16 per blob gas: assumed at the floor.
    "blob_base_fee_gwei": 2.0 / 16,
    "base_gas_price_gwei": 0.01,
    "optimism_gas_price_gwei": 0.002,
    "arbitrum_gas_price_gwei": 0.01,  # ArbOS minimum base fee
    "polygon_gas_price_gwei": 30.0,  # POL; 25 gwei minimum tip + base fee
    # OP-stack fee scalars (SystemConfig; Base and OP Mainnet values of 2025, assumed unchanged).
    "base_fee_scalar": {"base": 2_269, "optimism": 5_227},
    "blob_base_fee_scalar": {"base": 1_055_762, "optimism": 1_014_213},
}

#: (label, steps) of the two costs shown: an order under a new agreement, and every later call-off.
SCENARIOS = (
    ("first order: agreement + order (propose, accept, create, ship, confirm)", "first3"),
    ("each later call-off (create, ship, confirm)", "repeat3"),
)
NETWORKS = ("Ethereum mainnet", "Base", "Arbitrum One", "Optimism", "Polygon PoS")


@dataclass(frozen=True)
class Step:
    """One measured transaction: its call, gas used and calldata bytes (zero, non-zero)."""

    call: str
    gas: int
    zero_bytes: int
    nonzero_bytes: int

    @property
    def calldata_bytes(self) -> int:
        return self.zero_bytes + self.nonzero_bytes

    @property
    def signed_bytes(self) -> int:
        return self.calldata_bytes + TX_ENVELOPE_BYTES

    @property
    def compressed_bytes(self) -> float:
        return TX_ENVELOPE_BYTES + self.nonzero_bytes + ZERO_BYTE_COMPRESSED * self.zero_bytes


_ITEM = re.compile(r"calldata (zero|non-zero) byte x(\d+)")


def steps_from_gas_json(data: Mapping[str, Any], scenario: str) -> list[Step]:
    """The scenario's transactions from ``docs/gas.json`` (``scenarios.scenarios.<name>.steps``)."""
    try:
        raw = data["scenarios"]["scenarios"][scenario]["steps"]
    except (KeyError, TypeError):
        raise SystemExit(f"docs/gas.json has no scenario {scenario!r}; run `make bench`") from None
    steps = []
    for entry in raw:
        counts = {"zero": 0, "non-zero": 0}
        for label, _gas in entry.get("floor_items", []):
            if match := _ITEM.fullmatch(str(label)):
                counts[match.group(1)] = int(match.group(2))
        steps.append(Step(str(entry["call"]), int(entry["gas"]), counts["zero"], counts["non-zero"]))
    return steps


def _fjord_size(fastlz_bytes: float) -> float:
    return max(100.0, -42.5856 + 0.8365 * fastlz_bytes)


def step_cost_usd(step: Step, network: str, a: Mapping[str, Any] = ASSUMPTIONS) -> tuple[float, float]:
    """(execution, L1 data) cost of one transaction in US dollars on ``network``."""
    eth = a["eth_usd"] / 1e18
    if network == "Ethereum mainnet":
        return step.gas * a["l1_base_fee_gwei"] * GWEI * eth, 0.0
    if network == "Polygon PoS":
        return step.gas * a["polygon_gas_price_gwei"] * GWEI * a["pol_usd"] / 1e18, 0.0
    blob_fee = a["blob_base_fee_gwei"] * GWEI
    if network in ("Base", "Optimism"):
        key = network.lower()
        price = a[f"{key}_gas_price_gwei"] * GWEI
        weighted = 16 * a["base_fee_scalar"][key] * a["l1_base_fee_gwei"] * GWEI + a["blob_base_fee_scalar"][key] * blob_fee
        l1_wei = _fjord_size(step.compressed_bytes) * weighted / 1e6
        return step.gas * price * eth, l1_wei * eth
    if network == "Arbitrum One":
        price = a["arbitrum_gas_price_gwei"] * GWEI
        price_per_unit = blob_fee / 16
        l1_wei = step.compressed_bytes * 16 * price_per_unit
        return step.gas * price * eth, l1_wei * eth
    raise ValueError(f"unknown network {network!r}")


@dataclass(frozen=True)
class Row:
    network: str
    scenario: str
    transactions: int
    gas: int
    calldata_bytes: int
    execution_usd: float
    l1_data_usd: float

    @property
    def total_usd(self) -> float:
        return self.execution_usd + self.l1_data_usd


def cost_rows(data: Mapping[str, Any], a: Mapping[str, Any] = ASSUMPTIONS) -> list[Row]:
    rows = []
    for _label, scenario in SCENARIOS:
        steps = steps_from_gas_json(data, scenario)
        for network in NETWORKS:
            parts = [step_cost_usd(step, network, a) for step in steps]
            rows.append(
                Row(
                    network=network,
                    scenario=scenario,
                    transactions=len(steps),
                    gas=sum(step.gas for step in steps),
                    calldata_bytes=sum(step.calldata_bytes for step in steps),
                    execution_usd=sum(part[0] for part in parts),
                    l1_data_usd=sum(part[1] for part in parts),
                )
            )
    return rows


def _usd(value: float) -> str:
    if value >= 1:
        return f"${value:,.2f}"
    if value >= 0.01:
        return f"{value * 100:.1f} ¢"
    return f"{value * 100:.3f} ¢"


def markdown(data: Mapping[str, Any], a: Mapping[str, Any] = ASSUMPTIONS) -> str:
    """The table and its assumptions, as pasted into docs/operations.md."""
    rows = cost_rows(data, a)
    generated = str(data.get("meta", {}).get("generated", "?"))
    lines = [
        f"Measured by `make bench` ({generated}, docs/gas.json); prices assumed for {a['date']} "
        f"(`python -m tools.network_costs` prints this table).",
        "",
        "| network | order | tx | gas | calldata bytes | execution | L1 data | total |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        label = "first (with agreement)" if row.scenario == "first3" else "later call-off"
        lines.append(
            f"| {row.network} | {label} | {row.transactions} | {row.gas:,} | {row.calldata_bytes:,} | "
            f"{_usd(row.execution_usd)} | {_usd(row.l1_data_usd) if row.l1_data_usd else '–'} | **{_usd(row.total_usd)}** |"
        )
    lines += [
        "",
        f"Assumptions ({a['date']}): ETH ${a['eth_usd']:,.0f}, POL ${a['pol_usd']}; Ethereum gas "
        f"{a['l1_base_fee_gwei']} gwei; blob base fee {a['blob_base_fee_gwei']:.3f} gwei (EIP-7918 floor, base fee / 16); "
        f"L2 gas price Base {a['base_gas_price_gwei']} gwei, Optimism {a['optimism_gas_price_gwei']} gwei, "
        f"Arbitrum {a['arbitrum_gas_price_gwei']} gwei, Polygon PoS {a['polygon_gas_price_gwei']} gwei (POL). "
        f"L1 data: signed size = calldata + {TX_ENVELOPE_BYTES} bytes; compressed = {TX_ENVELOPE_BYTES} + non-zero "
        f"bytes + {ZERO_BYTE_COMPRESSED} x zero bytes; OP stack (Fjord): max(100, −42.59 + 0.8365 x compressed) x "
        f"(16 x {a['base_fee_scalar']['base']} x L1 base fee + {a['blob_base_fee_scalar']['base']} x blob base fee) / 1e6 "
        f"on Base (scalars {a['base_fee_scalar']['optimism']} / {a['blob_base_fee_scalar']['optimism']} on Optimism); "
        "Arbitrum: compressed x 16 units x blob base fee / 16. Polygon PoS has no per-transaction L1 fee. "
        "Calldata bytes are those of the bench's real transactions (ETH payment, 3 subcontractors).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.network_costs", description=__doc__.split("\n")[0])
    parser.add_argument("--gas-json", type=Path, default=GAS_JSON, help="bench output (default docs/gas.json)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.gas_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"Error: cannot read {args.gas_json}: {exc}; run `make bench`", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([{**asdict(row), "total_usd": row.total_usd} for row in cost_rows(data)], indent=2))
    else:
        print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
