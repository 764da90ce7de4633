"""Testnet rehearsal: deploy to a standalone node over JSON-RPC exactly as to Sepolia, then check it.

    python -m tools.rehearsal            (or: make rehearsal)
    python -m tools.rehearsal --keep     keep the temporary folder (node config, keystore, records)
    python -m tools.rehearsal --ecosystem base    the same on an OP-stack node, as to Base Sepolia

No public network is reachable from CI, so this starts its own Anvil node (``--chain-id 31415``,
a chain id no Ape plugin knows) as a separate process and drives it only through the commands an
operator would type:

1. an isolated Ape data folder whose ``ape-config.yaml`` declares the node as a custom network
   ``ethereum:rehearsal`` with the ``node`` provider and the node's URI (for Sepolia it would be
   ``node: ethereum: sepolia: uri: https://...``), and an encrypted keystore account ``deployer``
   (the file ``ape accounts import deployer`` writes), funded from an Anvil dev key;
2. ``ape run deploy --network ethereum:rehearsal:node --account deployer --autosign ...`` with the
   passphrase in ``APE_ACCOUNTS_deployer_PASSPHRASE``: deploys, grants the roles, hands
   administration to a separate "ops" account and writes the deployment record;
3. the same command again: it must reuse the record and send no transaction;
4. the record copied with a wrong chain id, and with an address that holds no code: each must be
   refused with one ``Error:`` line and a non-zero exit;
5. ``ape console`` with the project's console extras: the contracts, the record and the roles
   granted must be in scope;
6. the node is stopped and the temporary folder removed.

``--ecosystem base`` (CI runs both) does the same on an L2: Anvil in OP-stack mode
(``--network optimism``, chain id 31417) declared as the custom network ``base:rehearsal`` of
ape-base's ecosystem, the deployer funded by an L1->L2 *deposit transaction* (OP-stack type
0x7e, ETH minted on the L2, as the Base bridge does) instead of a transfer, and the console
checks that Ape decodes that deposit through the Base ecosystem (ape-optimism's
``SystemTransaction``, type 126) and reads its deposit receipt.

Records go to the temporary folder (``FACTORYCHAIN_DEPLOYMENTS``), never to the repository's
``deployments/``. ``tests/integration/test_rehearsal.py`` runs :func:`rehearse` too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHAIN_ID = 31415
NETWORK = "ethereum:rehearsal:node"
RECORD_NAME = "ethereum-rehearsal.json"
#: Per ecosystem: (chain id, extra Anvil arguments). Base is an OP-stack chain: Anvil's optimism mode.
ECOSYSTEMS: dict[str, tuple[int, tuple[str, ...]]] = {
    "ethereum": (CHAIN_ID, ()),
    "base": (31417, ("--network", "optimism")),
}
#: OP-stack deposit transaction type (L1 -> L2), as ape-optimism names it: SystemTransaction.
DEPOSIT_TX_TYPE = 0x7E
ALIAS = "deployer"
# Only protects a throw-away key on a throw-away chain.
PASSPHRASE = "rehearsal-passphrase"
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
FUNDING_WEI = 10 * 10**18
COMMAND_TIMEOUT = 180  # seconds; a hung prompt fails the rehearsal instead of hanging CI


class RehearsalFailure(RuntimeError):
    """A rehearsal check did not hold; the message says which and shows the evidence."""


@dataclass(frozen=True)
class CommandResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        """Non-empty stderr lines (Ape logs go to stdout; a user error is exactly one line here)."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\n(exit {self.returncode}, {self.seconds:.1f} s)\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


@dataclass
class Report:
    """Everything the rehearsal did, for the tool's summary and the test's assertions."""

    workdir: Path
    rpc_url: str = ""
    deployer: str = ""
    actors: dict[str, str] = field(default_factory=dict)
    record_path: Path | None = None
    first_deploy: CommandResult | None = None
    first_record: dict[str, Any] = field(default_factory=dict)
    #: The deployer's nonce before the first deploy (1 on Base: the funding deposit was its transaction).
    nonce_before_first: int = -1
    nonce_after_first: int = -1
    second_deploy: CommandResult | None = None
    second_record: dict[str, Any] = field(default_factory=dict)
    nonce_after_second: int = -1
    ecosystem: str = "ethereum"
    chain_id: int = CHAIN_ID
    network: str = NETWORK
    record_name: str = RECORD_NAME
    deposit_tx: str = ""
    deposit_block: int = -1
    wrong_chain: CommandResult | None = None
    missing_code: CommandResult | None = None
    console: CommandResult | None = None
    console_values: dict[str, Any] = field(default_factory=dict)
    code_sizes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tool_path() -> str:
    """PATH with the project's venv and node_modules binaries first, as the Makefile sets it."""
    extra = [str(Path(sys.executable).parent), str(PROJECT_ROOT / "node_modules" / ".bin")]
    return os.pathsep.join([*extra, os.environ.get("PATH", "")])


class AnvilNode:
    """A standalone Anvil process: started here, stopped here, reached only over JSON-RPC."""

    def __init__(self, chain_id: int = CHAIN_ID, port: int | None = None, extra_args: Sequence[str] = ()) -> None:
        self.chain_id = chain_id
        self.extra_args = tuple(extra_args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        anvil = shutil.which("anvil", path=tool_path())
        if anvil is None:
            raise RehearsalFailure("anvil not found; run `make setup` (it installs Anvil from npm)")
        self.process = subprocess.Popen(
            [anvil, "--port", str(self.port), "--chain-id", str(self.chain_id), "--silent", *self.extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                raise RehearsalFailure(f"anvil exited at start (port {self.port}): {message.strip()}")
            try:
                if int(self.rpc("eth_chainId"), 16) == self.chain_id:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RehearsalFailure(f"anvil did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RehearsalFailure(f"{method} failed: {answer['error']}")
        return answer["result"]

    def nonce(self, address: str) -> int:
        return int(self.rpc("eth_getTransactionCount", [address, "latest"]), 16)

    def code_size(self, address: str) -> int:
        return (len(self.rpc("eth_getCode", [address, "latest"])) - 2) // 2

    def fund(self, private_key: bytes, to: str, value: int) -> None:
        sender = Account.from_key(private_key)
        tx = {
            "to": to,
            "value": value,
            "gas": 21_000,
            "maxFeePerGas": 2 * int(self.rpc("eth_gasPrice"), 16) + 1,
            "maxPriorityFeePerGas": 1,
            "nonce": self.nonce(sender.address),
            "chainId": self.chain_id,
            "type": 2,
        }
        signed = sender.sign_transaction(tx)
        tx_hash = self.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
        for _ in range(100):
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                if int(receipt["status"], 16) != 1:
                    raise RehearsalFailure(f"funding transaction {tx_hash} failed")
                return
            time.sleep(0.05)
        raise RehearsalFailure(f"funding transaction {tx_hash} was not mined")

    def deposit(self, to: str, value: int) -> tuple[str, int]:
        """An OP-stack deposit (type 0x7e) minting ``value`` wei to ``to``: ``(tx hash, block)``.

        What the L1 bridge does on Base; only a node in optimism mode accepts it.
        """
        tx = {
            "from": to,
            "to": to,
            "value": hex(value),
            "mint": hex(value),
            "gas": hex(21_000),
            "type": hex(DEPOSIT_TX_TYPE),
            "sourceHash": "0x" + os.urandom(32).hex(),
            "isSystemTx": False,
        }
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        for _ in range(100):
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                if int(receipt["status"], 16) != 1 or int(receipt["type"], 16) != DEPOSIT_TX_TYPE:
                    raise RehearsalFailure(f"deposit transaction {tx_hash} failed: {receipt}")
                return tx_hash, int(receipt["blockNumber"], 16)
            time.sleep(0.05)
        raise RehearsalFailure(f"deposit transaction {tx_hash} was not mined")


def dev_key(index: int) -> bytes:
    """Anvil's well-known dev key number ``index`` (its default mnemonic, path m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return bytes(Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key)


def write_ape_data_folder(
    data_folder: Path, rpc_url: str, private_key: bytes, ecosystem: str = "ethereum", chain_id: int = CHAIN_ID
) -> str:
    """The operator's side of the setup: network config and an imported, encrypted account."""
    (data_folder / "accounts").mkdir(parents=True, exist_ok=True)
    (data_folder / "ape-config.yaml").write_text(
        "# Written by tools/rehearsal.py: the standalone node as a custom network, like a testnet.\n"
        "networks:\n"
        "  custom:\n"
        "    - name: rehearsal\n"
        f"      chain_id: {chain_id}\n"
        f"      ecosystem: {ecosystem}\n"
        "      default_provider: node\n"
        "node:\n"
        f"  {ecosystem}:\n"
        "    rehearsal:\n"
        f"      uri: {rpc_url}\n",
        encoding="utf-8",
    )
    # Exactly what `ape accounts import deployer` stores: an eth-account keystore named <alias>.json.
    keystore = Account.encrypt(private_key, PASSPHRASE)
    (data_folder / "accounts" / f"{ALIAS}.json").write_text(json.dumps(keystore), encoding="utf-8")
    return Account.from_key(private_key).address


class Operator:
    """Runs ``ape`` commands in the project as a person would, with the rehearsal's environment."""

    def __init__(self, data_folder: Path, deployments: Path) -> None:
        self.env = {
            **os.environ,
            "PATH": tool_path(),
            "APE_DATA_FOLDER": str(data_folder),
            "FACTORYCHAIN_DEPLOYMENTS": str(deployments),
            f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE": PASSPHRASE,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.ape = shutil.which("ape", path=self.env["PATH"]) or "ape"

    def run(self, *args: str) -> CommandResult:
        started = time.monotonic()
        try:
            done = subprocess.run(
                [self.ape, *args],
                check=False,  # the exit status is part of what the rehearsal checks
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,  # any unexpected prompt fails instead of waiting forever
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise RehearsalFailure(f"`ape {' '.join(args)}` did not finish within {COMMAND_TIMEOUT} s") from exc
        return CommandResult(("ape", *args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def _check(condition: bool, message: str, evidence: CommandResult | None = None) -> None:
    if not condition:
        raise RehearsalFailure(message + ("\n" + evidence.describe() if evidence else ""))


def _one_line_error(result: CommandResult, expected: str, what: str) -> None:
    _check(result.returncode != 0, f"{what}: the command succeeded", result)
    _check("Traceback" not in result.stderr + result.stdout, f"{what}: printed a traceback", result)
    _check(len(result.error_lines) == 1, f"{what}: expected one error line", result)
    _check(expected in result.error_lines[0], f"{what}: error does not mention {expected!r}", result)


def _tampered(record: dict[str, Any], target: Path, **changes: Any) -> Path:
    target.write_text(json.dumps({**record, **changes}, indent=2), encoding="utf-8")
    return target


CONSOLE_PROBE = (
    "import json; print('REHEARSAL ' + json.dumps({"
    "'registry': registry.address, 'escrow': escrow.address, 'chain_id': deployment.chain_id, "
    "'manufacturer': registry.hasRole(MANUFACTURER_ROLE, '{oem}'), "
    "'certifier': registry.hasRole(CERTIFIER_ROLE, '{qa}'), "
    "'arbiter': escrow.hasRole(ARBITER_ROLE, '{arbiter}'), "
    "'ops_admin': registry.hasRole(DEFAULT_ADMIN_ROLE, '{ops}') and escrow.hasRole(DEFAULT_ADMIN_ROLE, '{ops}'), "
    "'deployer_admin': registry.hasRole(DEFAULT_ADMIN_ROLE, '{deployer}') or escrow.hasRole(DEFAULT_ADMIN_ROLE, '{deployer}'), "
    "'arbitration_timeout': escrow.arbitration_timeout(), "
    "'spec_hash': spec_hash(b'rehearsal').hex(), 'sign_receipt': callable(sign_receipt), "
    "'escrow_version': escrow.VERSION(), 'receipt_domain': escrow.eip712Domain()[2], "
    "'v2_helpers': all(map(callable, (agreement_terms, payee_shares, sign_lot_receipt, preview_lot_payout)))}))"
)

# On an OP-stack node: how Ape, through the network's ecosystem plugin, sees the deposit that funded the deployer.
DEPOSIT_PROBE = (
    "import json; from ape import chain, networks; _e = networks.provider.network.ecosystem; "
    "_b = chain.blocks[{block}]; _t = [t for t in _b.transactions if t.txn_hash.hex().lower().removeprefix('0x') == '{tx}'.removeprefix('0x')]; "
    "_r = chain.provider.get_receipt('{tx}'); "
    "print('DEPOSIT ' + json.dumps({{'ecosystem_class': type(_e).__name__, "
    "'ecosystem_bases': [c.__name__ for c in type(_e).__mro__], "
    "'tx_class': type(_t[0]).__name__ if _t else None, 'tx_type': int(_t[0].type) if _t else None, "
    "'receipt_type': int(getattr(_r, 'type', -1) or -1) if getattr(_r, 'type', None) is not None else None, "
    "'receipt_status': int(_r.status)}}))"
)


def rehearse(workdir: Path, echo: Callable[[str], None] = lambda _line: None, ecosystem: str = "ethereum") -> Report:
    """Run every step against a fresh node; raise :class:`RehearsalFailure` at the first failed check.

    ``ecosystem``: ``ethereum`` (a plain Anvil) or ``base`` (Anvil in OP-stack mode, ape-base's ecosystem).
    """
    if ecosystem not in ECOSYSTEMS:
        raise RehearsalFailure(f"no rehearsal for ecosystem {ecosystem!r}; choose one of {', '.join(ECOSYSTEMS)}")
    started = time.monotonic()
    chain_id, anvil_args = ECOSYSTEMS[ecosystem]
    network = f"{ecosystem}:rehearsal:node"
    record_name = f"{ecosystem}-rehearsal.json"
    report = Report(workdir=workdir, ecosystem=ecosystem, chain_id=chain_id, network=network, record_name=record_name)
    data_folder = workdir / "ape-data"
    deployments = workdir / "deployments"
    node = AnvilNode(chain_id=chain_id, extra_args=anvil_args)
    try:
        echo(f"[1/6] Starting a standalone Anvil node (chain id {chain_id}{', OP-stack mode' if anvil_args else ''})")
        node.start()
        report.rpc_url = node.url
        deployer_key = os.urandom(32)
        report.deployer = write_ape_data_folder(data_folder, node.url, deployer_key, ecosystem, chain_id)
        if ecosystem == "base":
            report.deposit_tx, report.deposit_block = node.deposit(report.deployer, FUNDING_WEI)
        else:
            node.fund(dev_key(0), report.deployer, FUNDING_WEI)
        report.actors = {
            name: Account.from_key(dev_key(index)).address
            for index, name in ((1, "oem"), (2, "qa"), (3, "arbiter"), (4, "ops"))
        }
        how = "by an L1->L2 deposit (type 0x7e)" if report.deposit_tx else "with 10 ETH"
        echo(f"      node {node.url}; keystore account '{ALIAS}' = {report.deployer}, funded {how}")
        operator = Operator(data_folder, deployments)
        deploy_args = (
            "run", "deploy", "--network", network, "--account", ALIAS, "--autosign",
            "--admin", report.actors["ops"],
            "--manufacturer", report.actors["oem"],
            "--certifier", report.actors["qa"],
            "--arbiter", report.actors["arbiter"],
            "--arbitration-timeout", "14d",
        )  # fmt: skip

        echo(f"[2/6] ape run deploy --network {network} --account {ALIAS} ...")
        report.nonce_before_first = node.nonce(report.deployer)
        report.first_deploy = first = operator.run(*deploy_args)
        _check(first.returncode == 0, "first deploy failed", first)
        report.record_path = deployments / record_name
        _check(report.record_path.is_file(), f"first deploy wrote no {report.record_path}", first)
        report.first_record = json.loads(report.record_path.read_text(encoding="utf-8"))
        _check(report.first_record["chain_id"] == chain_id, "record has the wrong chain id", first)
        report.nonce_after_first = node.nonce(report.deployer)
        for name in ("registry", "escrow"):
            report.code_sizes[name] = node.code_size(report.first_record[name])
            _check(report.code_sizes[name] > 0, f"no code at the recorded {name}", first)
        echo(
            f"      PartRegistry {report.first_record['registry']}, OrderEscrow {report.first_record['escrow']} "
            f"({report.nonce_after_first - report.nonce_before_first} transactions, {first.seconds:.1f} s)"
        )

        echo("[3/6] Same command again: must reuse the deployment")
        report.second_deploy = second = operator.run(*deploy_args)
        _check(second.returncode == 0, "second deploy failed", second)
        report.second_record = json.loads(report.record_path.read_text(encoding="utf-8"))
        report.nonce_after_second = node.nonce(report.deployer)
        _check(report.second_record == report.first_record, "second deploy changed the record", second)
        _check(report.nonce_after_second == report.nonce_after_first, "second deploy sent transactions", second)
        echo(f"      reused, no transaction sent ({second.seconds:.1f} s)")

        # Steps 4 and 5 only read the chain: run them side by side, like three operators would.
        nowhere = "0x" + "00" * 19 + "42"
        wrong = _tampered(report.first_record, workdir / "wrong-chain.json", chain_id=11155111)
        gone = _tampered(report.first_record, workdir / "missing-code.json", registry=nowhere)
        probe = CONSOLE_PROBE
        for name, address in {**report.actors, "deployer": report.deployer}.items():
            probe = probe.replace("{" + name + "}", address)
        if report.deposit_tx:
            probe += "; " + DEPOSIT_PROBE.format(block=report.deposit_block, tx=report.deposit_tx.lower())
        with ThreadPoolExecutor(max_workers=3) as pool:
            wrong_run = pool.submit(operator.run, *deploy_args, "--out", str(wrong))
            gone_run = pool.submit(operator.run, *deploy_args, "--out", str(gone))
            console_run = pool.submit(operator.run, "console", "--network", network, "-c", probe)
            report.wrong_chain = wrong_run.result()
            report.missing_code = gone_run.result()
            report.console = console_run.result()

        echo("[4/6] Records that do not match the chain must be refused in one line")
        _one_line_error(report.wrong_chain, "chain id 11155111", "wrong chain id")
        echo(f"      {report.wrong_chain.error_lines[0]}")
        _one_line_error(report.missing_code, "no contract code", "missing code")
        echo(f"      {report.missing_code.error_lines[0]}")

        echo("[5/6] ape console with the console extras")
        marker = [line for line in report.console.stdout.splitlines() if line.startswith("REHEARSAL ")]
        _check(report.console.returncode == 0 and len(marker) == 1, "console extras did not load", report.console)
        report.console_values = json.loads(marker[0][len("REHEARSAL ") :])
        if report.deposit_tx:
            deposit = [line for line in report.console.stdout.splitlines() if line.startswith("DEPOSIT ")]
            _check(len(deposit) == 1, "console: the deposit probe printed nothing", report.console)
            report.console_values["deposit"] = json.loads(deposit[0][len("DEPOSIT ") :])
            seen = report.console_values["deposit"]
            _check(
                seen["tx_class"] == "SystemTransaction" and seen["tx_type"] == DEPOSIT_TX_TYPE,
                f"console: the deposit decoded as {seen}",
                report.console,
            )
        expected = {
            "registry": report.first_record["registry"],
            "escrow": report.first_record["escrow"],
            "chain_id": chain_id,
            "manufacturer": True,
            "certifier": True,
            "arbiter": True,
            "ops_admin": True,
            "deployer_admin": False,
            "arbitration_timeout": 14 * 86_400,
            "escrow_version": "2.0.0",
            "receipt_domain": "2",
            "v2_helpers": True,
        }
        for key, value in expected.items():
            _check(report.console_values.get(key) == value, f"console: {key} is {report.console_values.get(key)!r}", report.console)
        echo(f"      registry and escrow in scope, roles as granted ({report.console.seconds:.1f} s)")
    finally:
        echo("[6/6] Stopping the node")
        node.stop()
        report.seconds = time.monotonic() - started
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearsal", description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument("--ecosystem", choices=sorted(ECOSYSTEMS), default="ethereum", help="ethereum (default) or base (OP-stack node)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="factorychain-rehearsal-"))
    try:
        report = rehearse(workdir, echo=print, ecosystem=args.ecosystem)
    except RehearsalFailure as failure:
        print(f"REHEARSAL FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"Rehearsal passed in {report.seconds:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
