"""``make bench-ledger``: how fast the ledger indexes, measured on this machine.

Starts its own Anvil node (no step tracing, a large block gas limit), deploys the suite over
JSON-RPC, proposes and accepts one agreement with two subcontractors, then generates N orders
the fast way: ``create_order`` + ``receive_goods`` per order, sent as raw JSON-RPC batches of
``eth_sendTransaction`` from the node's unlocked dev accounts with automining off, then mined
``--per-block`` transactions per block. Each order leaves five events (OrderCreated,
GoodsReceived, three Paid). Then it syncs a fresh ledger from the deployment block and prints:

1. events indexed per second (whole sync: eth_getLogs + decode + SQLite), and the split;
2. the time to sync N orders' worth of events — measured for N = 10 000 by default; if
   generating them would exceed ``--max-generate-seconds``, it generates fewer, measures those
   and extrapolates linearly to 10 000, and says so in the output;
3. an incremental sync of 100 more orders (what a keeper round pays once caught up).

    make bench-ledger                          # 10 000 orders
    make bench-ledger ARGS="--orders 2000"     # quicker
    make bench-ledger ARGS="--json out.json"   # keep the figures
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_ORDERS = 10_000
UNIT_PRICE = 10**12
QUANTITY = 10
DAY = 86_400


class Node:
    """A standalone Anvil for the benchmark: own port, no tracing, 1e9 block gas limit."""

    def __init__(self) -> None:
        from tools.rehearsal import free_port, tool_path

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        anvil = shutil.which("anvil", path=tool_path())
        if anvil is None:
            raise SystemExit("anvil not found; run `make setup`")
        self.process = subprocess.Popen(
            [anvil, "--port", str(self.port), "--silent", "--gas-limit", "1000000000", "--code-size-limit", "50000"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        from factorychain.ledger_sync import http_rpc

        self.rpc = http_rpc(self.url, timeout=300)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.rpc("eth_chainId", [])
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        import urllib.request

        body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)])
        request = urllib.request.Request(self.url, data=body.encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            answers = sorted(json.loads(response.read()), key=lambda a: a["id"])
        errors = [a["error"] for a in answers if a.get("error")]
        if errors:
            raise RuntimeError(f"{len(errors)} failed calls, first: {errors[0]}")
        return [a["result"] for a in answers]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def setup(node: Node) -> dict[str, Any]:
    """Deploy, register a part, one accepted agreement; returns addresses and the codec."""
    from ape import accounts, networks, project
    from ape.logging import logger

    logger.set_level("WARNING")  # no line per setup transaction

    from factorychain.deployment import deploy_suite
    from factorychain.ledger_sync import codec_from_project

    test = accounts.test_accounts
    admin, oem, certifier, buyer, supplier, sub1, sub2 = (test[i] for i in range(7))
    part = b"\x01" * 32
    with networks.parse_network_choice(node.url):
        result = deploy_suite(project, admin, manufacturers=[oem], certifiers=[certifier], write=False)
        registry, escrow = result.registry, result.escrow
        now = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        registry.register_part(part, b"\x02" * 32, "ipfs://bench", sender=oem)
        registry.grant_access(part, buyer, sender=oem)
        registry.grant_access(part, supplier, sender=oem)
        registry.certify(part, 1, supplier, now + 3650 * DAY, b"\x03" * 32, sender=certifier)
        terms = (supplier.address, part, 1, "0x" + "00" * 20, UNIT_PRICE, 2**60, now + 3000 * DAY, 3 * DAY,
                 "0x" + "00" * 20, 5 * DAY, 100, 1_000)  # fmt: skip
        agreement = escrow.propose_agreement(terms, sender=buyer).return_value
        escrow.accept_agreement(agreement, [(sub1.address, 2_500), (sub2.address, 1_000)], sender=supplier)
        block = int(result.deployment.block_number)
    codec = codec_from_project(project, registry.address, escrow.address)
    return {
        "registry": registry.address, "escrow": escrow.address, "agreement": agreement, "buyer": buyer.address,
        "codec": codec, "start_block": block, "ship_by": now + 2000 * DAY,
    }  # fmt: skip


def generate(node: Node, suite: dict[str, Any], first_order: int, count: int, per_block: int) -> float:
    """``count`` orders, each created and received at once; returns the seconds it took."""
    codec, escrow, buyer = suite["codec"], suite["escrow"], suite["buyer"]
    started = time.perf_counter()
    nonce = int(node.rpc("eth_getTransactionCount", [buyer, "pending"]), 16)
    node.rpc("evm_setAutomine", [False])
    try:
        batch_orders = max(1, per_block // 2)
        for start in range(0, count, batch_orders):
            calls = []
            for order_id in range(first_order + start, first_order + min(count, start + batch_orders)):
                create = codec.call_data("escrow", "create_order", suite["agreement"], QUANTITY, suite["ship_by"],
                                         order_id.to_bytes(32, "big"))  # fmt: skip
                receive = codec.call_data("escrow", "receive_goods", order_id, QUANTITY, b"\x04" * 32)
                calls.append(("eth_sendTransaction", [{"from": buyer, "to": escrow, "data": create, "nonce": hex(nonce),
                                                       "value": hex(QUANTITY * UNIT_PRICE), "gas": hex(400_000)}]))  # fmt: skip
                calls.append(("eth_sendTransaction", [{"from": buyer, "to": escrow, "data": receive, "nonce": hex(nonce + 1),
                                                       "gas": hex(400_000)}]))  # fmt: skip
                nonce += 2
            node.batch(calls)
            node.rpc("evm_mine", [])
        while int(node.rpc("txpool_status", [])["pending"], 16):
            node.rpc("evm_mine", [])
    finally:
        node.rpc("evm_setAutomine", [True])
    return time.perf_counter() - started


def timed_sync(node: Node, suite: dict[str, Any], path: Path) -> dict[str, Any]:
    from factorychain.ledger import Ledger
    from factorychain.ledger_sync import LedgerSync

    ledger = Ledger.open(path, chain_id=int(node.rpc("eth_chainId", []), 16), escrow=suite["escrow"],
                         registry=suite["registry"], start_block=suite["start_block"])  # fmt: skip
    sync = LedgerSync(ledger, node.rpc, suite["codec"], chunk_blocks=2_000)
    # eth_getLogs alone over the same ranges: the node's share of the time.
    head = sync.head()
    started = time.perf_counter()
    raw = 0
    for first in range(suite["start_block"], head + 1, 2_000):
        raw += len(sync._logs(first, min(head, first + 1_999)))
    rpc_seconds = time.perf_counter() - started
    report = sync.sync()
    unmatched = ledger.unmatched
    ledger.close()
    return {
        "events": report.events, "seconds": report.seconds, "blocks": head - suite["start_block"] + 1,
        "get_logs_seconds": rpc_seconds, "raw_logs": raw, "unmatched": unmatched,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=TARGET_ORDERS, help="orders to generate (default 10 000)")
    parser.add_argument("--per-block", type=int, default=200, help="transactions per mined block (default 200)")
    parser.add_argument("--max-generate-seconds", type=float, default=900.0,
                        help="stop generating after this long and extrapolate (default 900)")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    node = Node()
    try:
        suite = setup(node)
        print(f"anvil on {node.url}; escrow {suite['escrow']}; generating up to {args.orders:,} orders "
              f"(create_order + receive_goods, {args.per_block} tx per block)", flush=True)  # fmt: skip
        generated, gen_seconds, step = 0, 0.0, 1_000
        while generated < args.orders and gen_seconds < args.max_generate_seconds:
            count = min(step, args.orders - generated)
            gen_seconds += generate(node, suite, generated + 1, count, args.per_block)
            generated += count
            print(f"  {generated:,} orders generated in {gen_seconds:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="fc-bench-ledger-") as folder:
            full = timed_sync(node, suite, Path(folder) / "ledger.sqlite")
            gen_more = generate(node, suite, generated + 1, 100, args.per_block)
            from factorychain.ledger import Ledger
            from factorychain.ledger_sync import LedgerSync

            ledger = Ledger.open(Path(folder) / "ledger.sqlite", chain_id=int(node.rpc("eth_chainId", []), 16),
                                 escrow=suite["escrow"], registry=suite["registry"], start_block=suite["start_block"])  # fmt: skip
            incremental = LedgerSync(ledger, node.rpc, suite["codec"]).sync()
            owed_started = time.perf_counter()
            owed = ledger.owed(suite["buyer"])
            export_rows = len(ledger.export_rows())
            query_seconds = time.perf_counter() - owed_started
            ledger.close()
    finally:
        node.stop()

    per_second = full["events"] / full["seconds"]
    per_order = full["seconds"] / generated
    measured = generated >= TARGET_ORDERS
    ten_k = full["seconds"] if generated == TARGET_ORDERS else per_order * TARGET_ORDERS
    figures = {
        "orders": generated, "events": full["events"], "blocks": full["blocks"], "sync_seconds": round(full["seconds"], 3),
        "events_per_second": round(per_second), "get_logs_seconds": round(full["get_logs_seconds"], 3),
        "decode_and_sqlite_seconds": round(full["seconds"] - full["get_logs_seconds"], 3),
        "sync_10k_orders_seconds": round(ten_k, 2), "sync_10k_measured": measured,
        "generate_seconds": round(gen_seconds, 1), "incremental_100_orders_seconds": round(incremental.seconds, 3),
        "incremental_events": incremental.events, "owed_and_export_seconds": round(query_seconds, 3),
        "export_rows": export_rows, "unmatched": full["unmatched"], "generate_100_seconds": round(gen_more, 2),
        "buyer_locked_wei": sum(o.locked for o in owed.values()),
    }  # fmt: skip
    print()
    print(f"orders generated      {generated:,} ({gen_seconds:.0f} s), {full['events']:,} events in {full['blocks']:,} blocks")
    print(f"full sync             {full['seconds']:.2f} s = {per_second:,.0f} events/s "
          f"(eth_getLogs {full['get_logs_seconds']:.2f} s, decode + SQLite {full['seconds'] - full['get_logs_seconds']:.2f} s)")  # fmt: skip
    if measured:
        print(f"10 000 orders         {ten_k:.2f} s to sync (measured)")
    else:
        why = f"--orders {args.orders}" if generated >= args.orders else "generating more took longer than --max-generate-seconds"
        print(f"10 000 orders         {ten_k:.2f} s to sync (EXTRAPOLATED linearly from {generated:,} orders: {why})")
    print(f"incremental sync      {incremental.seconds * 1000:.0f} ms for 100 new orders ({incremental.events} events)")
    print(f"owed + export query   {query_seconds * 1000:.0f} ms ({export_rows:,} export rows)")
    if full["unmatched"]:
        print(f"WARNING: {full['unmatched']} transfers the payout model did not predict")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
