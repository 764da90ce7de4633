"""``make bench-vault``: what the data vault costs, measured on this machine.

Prints five figures (and ``--json FILE`` keeps them):

1. **Ingest throughput** — parse and check CSV, salt, hash, build the tree, encrypt, MAC and write
   to a local store — for 100-byte records, in a fresh process per run (peak RSS is that
   process's), for two input lengths with the same batch size: memory follows the batch size,
   not the input.
2. **Gas per anchored batch** for 1 to 1 000 000 records (``DataAnchor.anchor`` on Anvil).
3. **Proof size** for those batch sizes: ``ceil(log2 n)`` hashes, from real trees.
4. **Off-chain verification** of one disclosure (record, salt, proof checks) against a
   1 000 000-record batch, and ``DataAnchor.verify``'s gas for it.
5. **The same records on chain one by one**: a transaction per record storing it
   (``MockVaultRecordStore.write``) or anchoring its leaf alone, beside one anchor per batch.

    make bench-vault                          # everything (about a minute or two)
    make bench-vault ARGS="--records 300000"  # a shorter ingest input
    make bench-vault ARGS="--skip-chain"      # no Anvil: ingest, proofs, verification only
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORD_SIZE = 100
HEADER = b"time,machine,zone,measure,value,unit,status,lot,note"


def write_records(path: Path, count: int) -> None:
    """A CSV file of ``count`` rows of exactly RECORD_SIZE bytes each (plus the newline)."""
    with path.open("wb") as handle:
        handle.write(HEADER + b"\n")
        rows = []
        for i in range(count):
            row = b"2025-03-01T%02d:%02d:%02d.%03dZ,furnace-%d,zone-%d,temperature,%.3f,C,ok,L-%05d," % (
                i // 3_600_000 % 24, i // 60_000 % 60, i // 1000 % 60, i % 1000, i % 7, i % 8, 800 + (i % 977) / 7, i % 99_991,
            )  # fmt: skip
            rows.append(row + b"x" * (RECORD_SIZE - len(row)))
            if len(rows) == 100_000:
                handle.write(b"\n".join(rows) + b"\n")
                rows = []
        if rows:
            handle.write(b"\n".join(rows) + b"\n")


def child_ingest(source: str, batch_size: int, workers: int) -> dict[str, Any]:
    """Run in a fresh process: ingest ``source`` into a temporary local store."""
    from factorychain.store import LocalStore
    from factorychain.vault import ingest, new_stream_key

    with tempfile.TemporaryDirectory(prefix="fc-bench-store-") as folder:
        store = LocalStore(folder)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        cpu_started = time.process_time()
        records = batches = 0
        with open(source, "rb") as handle:
            for done in ingest(handle, stream_key=new_stream_key(), stream=os.urandom(32), store=store, record_format="csv", batch_size=batch_size, workers=workers):
                records += done.sealed.record_count
                batches += 1
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += children.ru_utime + children.ru_stime
        stored = sum(p.stat().st_size for p in Path(folder).rglob("*.fcvb"))
    return {
        "records": records,
        "batches": batches,
        "seconds": seconds,
        "records_per_second": records / seconds,
        "cpu_seconds": cpu,
        "records_per_cpu_second": records / cpu,
        "peak_rss_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + (children.ru_maxrss if workers > 1 else 0)) / 1024,
        "rss_before_mib": rss_before / 1024,
        "stored_bytes": stored,
    }


def _run_child(source: Path, batch_size: int, workers: int = 1) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench_vault", "--child", str(source), "--batch-size", str(batch_size), "--workers", str(workers)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_ingest(records: int, batch_size: int, runs: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fc-bench-") as folder:
        big = Path(folder) / "big.csv"
        small = Path(folder) / "small.csv"
        write_records(big, records)
        write_records(small, max(batch_size, records // 4))
        load_before = os.getloadavg()[0]
        results = [_run_child(big, batch_size) for _ in range(runs)]
        small_result = _run_child(small, batch_size)
        parallel = [_run_child(big, batch_size, workers) for _ in range(runs)] if workers > 1 else []
        size = big.stat().st_size
    rates = sorted(r["records_per_second"] for r in results)
    return {
        "records": records,
        "record_size": RECORD_SIZE,
        "input_bytes": size,
        "batch_size": batch_size,
        "runs": runs,
        "records_per_second_median": statistics.median(rates),
        "records_per_second_best": rates[-1],
        "seconds_median": statistics.median(r["seconds"] for r in results),
        "records_per_cpu_second_median": statistics.median(r["records_per_cpu_second"] for r in results),
        "workers": workers,
        "parallel_records_per_second_median": statistics.median(r["records_per_second"] for r in parallel) if parallel else None,
        "parallel_records_per_second_best": max(r["records_per_second"] for r in parallel) if parallel else None,
        "parallel_peak_rss_mib": max(r["peak_rss_mib"] for r in parallel) if parallel else None,
        "load_average_before": load_before,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
        "peak_rss_mib_quarter_input": small_result["peak_rss_mib"],
        "quarter_input_records": small_result["records"],
        "stored_bytes_per_record": results[0]["stored_bytes"] / records,
        "load_average": os.getloadavg()[0],
    }


def bench_proofs(sizes: list[int]) -> dict[str, Any]:
    """Proof sizes from real trees, and off-chain verification time at the largest size."""
    from sha3 import keccak_256

    from factorychain.vault import check_disclosure, merkle_levels, merkle_proof, tree_depth
    from factorychain.vault.batch import compute_leaves, schema_hash
    from factorychain.vault.disclosure import AnchorRef, Disclosure

    out: dict[str, Any] = {"proof_hashes": {}, "tree_seconds": {}}
    schema = schema_hash("csv", HEADER)
    for n in sizes:
        salts = os.urandom(32 * n)
        records = [b"%099d" % i for i in range(n)]
        started = time.perf_counter()
        levels = merkle_levels(compute_leaves(salts, schema, records))
        out["tree_seconds"][n] = time.perf_counter() - started
        index = n // 2
        proof = merkle_proof(levels, index)
        assert len(proof) == tree_depth(n)
        out["proof_hashes"][n] = len(proof)
        disclosure = Disclosure(
            record=records[index], index=index, record_format="csv", header=HEADER, salt=salts[32 * index : 32 * index + 32],
            record_hash=keccak_256(records[index]).digest(), leaf=levels[0][index], proof=tuple(proof), record_count=n,
            root=levels[-1][0], anchor=AnchorRef.data_anchor(1, "0x" + "11" * 20, bytes(32), 1),
        )  # fmt: skip
        rounds = 2000
        started = time.perf_counter()
        for _ in range(rounds):
            check_disclosure(disclosure, onchain_root=disclosure.root)
        out.setdefault("verify_ms", {})[n] = (time.perf_counter() - started) / rounds * 1000
        out.setdefault("_largest", (n, disclosure))
    return out


def bench_chain(sizes: list[int], largest: Any) -> dict[str, Any]:
    """Gas on Anape-managed Anvil: anchor per batch size, verify, and one-by-one baselines."""
    from ape import accounts, networks, project

    out: dict[str, Any] = {}
    with networks.parse_network_choice("ethereum:local:foundry"):
        owner = accounts.test_accounts[0]
        anchor = project.DataAnchor.deploy(sender=owner)
        stream = bytes(anchor.create_stream(b"bench".ljust(32, b"\0"), sender=owner).return_value)
        anchor.anchor(stream, b"\1" * 32, 1, "s3://bench/warm-up.fcvb", sender=owner)  # later batches all look alike
        uri = "s3://factory-vault/" + stream.hex() + "/" + "ab" * 32 + ".fcvb"
        out["anchor_gas"] = {n: int(anchor.anchor(stream, os.urandom(32), n, uri, sender=owner).gas_used) for n in sizes}
        n, disclosure = largest
        batch = int(anchor.anchor(stream, disclosure.root, n, uri, sender=owner).return_value)
        assert anchor.verify(stream, batch, disclosure.leaf, list(disclosure.proof))
        out["verify_gas"] = int(anchor.verify.estimate_gas_cost(stream, batch, disclosure.leaf, list(disclosure.proof), sender=owner))
        store = project.MockVaultRecordStore.deploy(sender=owner)
        store.write(stream, b"w" * RECORD_SIZE, sender=owner)
        writes = [int(store.write(stream, os.urandom(RECORD_SIZE), sender=owner).gas_used) for _ in range(10)]
        singles = [int(anchor.anchor(stream, os.urandom(32), 1, "", sender=owner).gas_used) for _ in range(10)]
        out["one_by_one_store_gas_per_record"] = statistics.mean(writes)
        out["one_by_one_anchor_gas_per_record"] = statistics.mean(singles)
        out["data_anchor_runtime_bytes"] = len(anchor.contract_type.get_runtime_bytecode() or b"")
    return out


def _fmt(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def report(results: dict[str, Any]) -> None:
    ingest = results["ingest"]
    print("== Factory data vault benchmark ==")
    print(
        f"machine: {os.cpu_count()} cores, load average {ingest['load_average_before']:.2f} before and "
        f"{ingest['load_average']:.2f} after the ingest runs (other work on the machine slows wall-clock figures)"
    )
    print(
        f"ingest ({_fmt(ingest['records'])} CSV records of {ingest['record_size']} bytes, batches of {_fmt(ingest['batch_size'])}, "
        f"{ingest['runs']} runs, one process): {_fmt(ingest['records_per_second_median'])} records/s median, "
        f"{_fmt(ingest['records_per_second_best'])} best ({ingest['seconds_median']:.2f} s); "
        f"{_fmt(ingest['records_per_cpu_second_median'])} records per CPU-second"
    )
    if ingest["parallel_records_per_second_median"]:
        print(
            f"ingest with --workers {ingest['workers']}: {_fmt(ingest['parallel_records_per_second_median'])} records/s median, "
            f"{_fmt(ingest['parallel_records_per_second_best'])} best; peak RSS {ingest['parallel_peak_rss_mib']:.0f} MiB (all processes)"
        )
    print(
        f"memory: peak RSS {ingest['peak_rss_mib']:.0f} MiB for {_fmt(ingest['records'])} records, "
        f"{ingest['peak_rss_mib_quarter_input']:.0f} MiB for {_fmt(ingest['quarter_input_records'])} (same batch size)"
    )
    print(f"store: {ingest['stored_bytes_per_record']:.1f} bytes per {ingest['record_size']}-byte record")
    proofs = results["proofs"]
    print("batch size      proof (hashes)  tree build (s)  verify off chain (ms)" + ("  anchor gas" if "chain" in results else ""))
    for n, hashes in proofs["proof_hashes"].items():
        gas = f"  {_fmt(results['chain']['anchor_gas'][n]):>10}" if "chain" in results else ""
        print(f"{_fmt(n):>10}      {hashes:>14}  {proofs['tree_seconds'][n]:>14.3f}  {proofs['verify_ms'][n]:>21.3f}{gas}")
    if "chain" in results:
        chain = results["chain"]
        gases = list(chain["anchor_gas"].values())
        largest = max(chain["anchor_gas"])
        per_record = chain["one_by_one_store_gas_per_record"]
        per_leaf = chain["one_by_one_anchor_gas_per_record"]
        print(f"anchor gas: {_fmt(min(gases))} .. {_fmt(max(gases))} for 1 .. {_fmt(largest)} records (spread = calldata bytes of the count)")
        print(f"DataAnchor.verify of a {proofs['proof_hashes'][largest]}-hash proof: {_fmt(chain['verify_gas'])} gas (a view: free off chain)")
        print(
            f"one by one: storing each record {_fmt(per_record)} gas, anchoring each leaf {_fmt(per_leaf)} gas; "
            f"{_fmt(largest)} records = {_fmt(per_record * largest)} / {_fmt(per_leaf * largest)} gas "
            f"vs {_fmt(chain['anchor_gas'][largest])} for one batch ({per_record * largest / chain['anchor_gas'][largest]:,.0f}x)"
        )
        print(f"DataAnchor runtime size: {_fmt(chain['data_anchor_runtime_bytes'])} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-vault", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the ingest input")
    parser.add_argument("--batch-size", type=int, default=65_536)
    parser.add_argument("--runs", type=int, default=3, help="ingest runs (median and best are reported)")
    parser.add_argument("--workers", type=int, default=2, help="also measure ingest with this many sealing processes (1: skip)")
    parser.add_argument("--skip-chain", action="store_true", help="no Anvil: ingest, proofs, verification only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_ingest(args.child, args.batch_size, args.workers)))
        return 0
    sizes = [1, 1_000, 65_536, 1_000_000]
    results: dict[str, Any] = {"ingest": bench_ingest(args.records, args.batch_size, args.runs, args.workers)}
    proofs = bench_proofs(sizes)
    largest = proofs.pop("_largest")
    results["proofs"] = proofs
    if not args.skip_chain:
        results["chain"] = bench_chain(sizes, largest)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
