"""Helpers and fixtures for the vault tests (imported by name: no sub-conftest).

``s3_server`` starts moto's S3 server (the real S3 HTTP protocol) on a random localhost port for
the session, so the vault and the design store run the same s3fs client code as against a cloud.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_utils import keccak

from factorychain.cli import cli

OWNER = Account.from_key(keccak(b"vault owner"))
AUDITOR = Account.from_key(keccak(b"vault auditor"))
STRANGER = Account.from_key(keccak(b"vault stranger"))
ENV = {
    "OWNER_KEY": "0x" + OWNER.key.hex(),
    "AUDITOR_KEY": "0x" + AUDITOR.key.hex(),
    "STRANGER_KEY": "0x" + STRANGER.key.hex(),
}
HEADER = "time,furnace,zone,temp_c,setpoint_c"


def csv_text(count: int, start: int = 0) -> str:
    rows = [HEADER]
    for i in range(start, start + count):
        rows.append(f"2025-03-01T{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,F2,zone-{i % 4},{820 + i % 41}.5,845.0")
    return "\n".join(rows) + "\n"


def jsonl_text(count: int) -> str:
    return "".join(f'{{"t": {1740823200 + i}, "lot": "L-7", "hardness_hrc": {58 + i % 5}, "ok": true}}\n' for i in range(count))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[dict[str, Any]]:
    """moto's S3 server on 127.0.0.1:<random port>; yields the endpoint and the credentials env."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ACCESS_KEY_ID": "factory", "AWS_SECRET_ACCESS_KEY": "factory-secret", "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield {"endpoint": f"http://127.0.0.1:{port}", "env": env}
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def bucket(s3_server) -> str:
    """A fresh bucket on the moto server; returns its name."""
    import boto3

    name = "vault-" + os.urandom(4).hex()
    client = boto3.client("s3", endpoint_url=s3_server["endpoint"], region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def run():
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always keeps stderr apart
        runner = CliRunner()

    def invoke(*args: Any, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(cli, [str(a) for a in args], env={**ENV, **(env or {})})

    return invoke


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def one_line_error(result: Any, *fragments: str, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
