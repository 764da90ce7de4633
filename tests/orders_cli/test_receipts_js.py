"""docs/receipts-js.md, run for real: its ethers v6, viem and eth_signTypedData_v4 snippets sign a
v2 delivery receipt with Anvil key #7 (the inspector); the SDK's verifier recovers key #7 from each,
the escrow accepts one relayed with `ape run orders relay`; viem's getEip712Domain() domain passed
through unchanged (its zero salt) signs for nobody.

Needs ``node`` and ``ethers@6`` + ``viem``: ``make setup`` installs both into the repository's
``node_modules`` (pinned in package-lock.json); ``FACTORYCHAIN_JS_MODULES`` points at another
``node_modules``. Without them the test fails with the line that says so (not a silent skip)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from _orders_cli_support import (
    BANK,
    BUYER,
    GATE,
    SUB1,
    SUPPLIER,
    escrow_at,
    number_after,
    on_node,
    set_up_part,
    shell,  # noqa: F401 - module-scoped fixture
)
from factorychain import SignedReceipt, check_lot_receipt, verify_receipt

NODE_CHAIN_ID = 31_713
DOC = Path(__file__).resolve().parents[2] / "docs" / "receipts-js.md"
GATE_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"  # Anvil key #7
MODULES = os.environ.get("FACTORYCHAIN_JS_MODULES") or str(Path(__file__).resolve().parents[2] / "node_modules")


def _js_ready() -> None:
    if not ((Path(MODULES) / "ethers").is_dir() and (Path(MODULES) / "viem").is_dir() and shutil.which("node")):
        pytest.fail(f"node with ethers@6 and viem in {MODULES} is needed: run `make setup` (package-lock.json pins them)")


needs_js = pytest.mark.usefixtures("js_ready")


@pytest.fixture
def js_ready() -> None:
    _js_ready()

# Test-only: drives the doc's modules, and signs once more the wrong way (the trap, on purpose).
RUNNER = """
import { Contract, JsonRpcProvider } from "ethers";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { RECEIPT_TYPES, relayJson } from "./receipt-common.mjs";
import { ESCROW_ABI, signReceiptWithEthers } from "./receipt-ethers.mjs";
import { signReceiptWithViem } from "./receipt-viem.mjs";
import { signReceiptWithWallet } from "./receipt-v4.mjs";

const [rpcUrl, escrow, privateKey, signer, orderId, lot, receiptHash, deadline] = process.argv.slice(2);
const args = { rpcUrl, escrow, privateKey, orderId: BigInt(orderId), lot: BigInt(lot), receiptHash, deadline: BigInt(deadline) };

const provider = new JsonRpcProvider(rpcUrl);
const contract = new Contract(escrow, ESCROW_ABI, provider);
const eip712Domain = await contract.eip712Domain();
const { shipment_hash: shipmentHash } = await contract.get_lot(args.orderId, args.lot);
const request = ({ method, params }) => provider.send(method, params);

const client = createPublicClient({ transport: http(rpcUrl) });
const { domain: unchanged } = await client.getEip712Domain({ address: escrow });
const message = { orderId: args.orderId, lot: args.lot, shipmentHash, receiptHash, deadline: args.deadline };
const trap = await privateKeyToAccount(privateKey).signTypedData({ domain: unchanged, types: RECEIPT_TYPES, primaryType: "DeliveryReceipt", message });

console.log(JSON.stringify({
  ethers: relayJson(await signReceiptWithEthers(args)),
  viem: relayJson(await signReceiptWithViem(args)),
  v4: relayJson(await signReceiptWithWallet({ ...args, request, signer, eip712Domain, shipmentHash })),
  trap: relayJson({ domain: { ...unchanged, chainId: unchanged.chainId }, message, signature: trap }),
  salt: unchanged.salt,
}));
"""


def doc_modules() -> dict[str, str]:
    """Every code block of the doc marked ``<!-- file: NAME -->``."""
    blocks = re.findall(r"<!-- file: ([\w.-]+) -->\s*```js\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return dict(blocks)


def test_doc__has_the_three_ways_and_the_shared_module():
    assert set(doc_modules()) == {"receipt-common.mjs", "receipt-ethers.mjs", "receipt-viem.mjs", "receipt-v4.mjs"}


@needs_js
def test_receipts_js__ethers_viem_v4_agree_verify_and_pay__viem_unchanged_domain_signs_for_nobody(shell, accounts, tmp_path):
    t = accounts
    set_up_part(shell)
    agreement = number_after("Proposed agreement #", shell.orders(
        "propose", "PN-4711", "--supplier", SUPPLIER, "--price", "0.01", "--max-quantity", 100, "--valid-until", "+30d",
        "--inspector", GATE, "--account", BUYER, "--yes",
    ).stdout)  # fmt: skip
    shell.orders("accept", agreement, "--payee", f"{SUB1}:10%", "--account", SUPPLIER, "--yes")
    order = number_after("Created order #", shell.orders(
        "create", agreement, "--quantity", 10, "--ship-by", "+7d", "--po", "PO-JS", "--account", BUYER, "--yes"
    ).stdout)  # fmt: skip
    docs = tmp_path / "asn.xml"
    docs.write_bytes(b"<asn>10 brackets</asn>")
    shell.orders("ship", order, "--quantity", 10, "--docs", docs, "--account", SUPPLIER, "--yes")

    folder = tmp_path / "js"
    folder.mkdir()
    (folder / "node_modules").symlink_to(Path(MODULES).resolve())
    for name, code in doc_modules().items():
        (folder / name).write_text(code, encoding="utf-8")
    (folder / "run.mjs").write_text(RUNNER, encoding="utf-8")
    with on_node(shell):
        deadline = escrow_at(shell).chain_manager.pending_timestamp + 86_400
    argv = [shell.node.url, shell.deployment.escrow, GATE_KEY, t[7].address, order, 1, "0x" + "42" * 32, deadline]
    done = subprocess.run(["node", "run.mjs", *map(str, argv)], cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    signed = json.loads(done.stdout)

    assert signed["salt"] == "0x" + "00" * 32  # what viem's getEip712Domain() hands back
    receipts = {way: SignedReceipt.from_dict(signed[way]) for way in ("ethers", "viem", "v4", "trap")}
    assert receipts["ethers"].signature == receipts["viem"].signature == receipts["v4"].signature
    assert {way: verify_receipt(r) for way, r in receipts.items() if way != "trap"} == dict.fromkeys(("ethers", "viem", "v4"), t[7].address)
    assert verify_receipt(receipts["trap"]) not in (t[3].address, t[7].address)
    with on_node(shell):
        escrow = escrow_at(shell)
        assert check_lot_receipt(escrow, receipts["viem"]) == t[7].address
        expected_digest = bytes(escrow.receipt_digest(order, 1, receipts["v4"].receipt_hash, deadline))
    assert receipts["v4"].digest() == expected_digest

    trap_file = tmp_path / "trap.json"
    trap_file.write_text(json.dumps(signed["trap"]))
    refused = shell.error("orders", "relay", trap_file, "--account", BANK, "--yes")
    assert "receipt is signed by 0x" in refused

    good_file = tmp_path / "receipt.json"
    good_file.write_text(json.dumps(signed["viem"]))
    relayed = shell.orders("relay", good_file, "--account", BANK, "--yes")
    assert f"Relayed the receipt of {t[7].address} for lot 1 of order #{order}" in relayed.stdout
    assert f"paid     0.01 ETH -> {t[5].address} (subcontractor 1, 10.00 %)" in relayed.stdout
