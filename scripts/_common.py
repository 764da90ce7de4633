"""What the operations scripts (deploy, roles, parts) share: argument parsing and one-line errors.

`ape run` ignores files whose name starts with ``_``, so this module is a helper, not a command.
Every mistake a user can make ends as a single ``Error: ...`` line and exit status 1: options are
taken as plain strings and validated here rather than by click types, whose failures print a
usage block.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from eth_utils import is_checksum_address, to_checksum_address

from factorychain.deployment import Deployment, DeploymentError, connect, load_deployment
from factorychain.errors import FactoryChainError

F = TypeVar("F", bound=Callable[..., Any])

_HEX_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400}


def fail(message: str) -> NoReturn:
    """Stop with one ``Error: <message>`` line and exit status 1."""
    raise click.ClickException(" ".join(str(message).split()) or "unknown error")


def one_line_errors(func: F) -> F:
    """Turn the errors a user can cause into :func:`fail`; let real bugs keep their traceback."""
    from ape.exceptions import ApeException, ContractLogicError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except ContractLogicError as exc:
            fail(f"transaction reverted: {exc.message or exc}")
        except (FactoryChainError, ApeException) as exc:
            fail(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        except OSError as exc:
            fail(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")

    return wrapper  # type: ignore[return-value]


def autosign_option() -> Callable[[F], F]:
    return click.option(
        "--autosign",
        is_flag=True,
        help="Unlock the account once (passphrase from APE_ACCOUNTS_<alias>_PASSPHRASE, or a prompt) "
        "and sign this command's transactions without asking for each.",
    )


def deployment_option() -> Callable[[F], F]:
    return click.option(
        "--deployment",
        "deployment_path",
        default=None,
        metavar="FILE",
        help="Deployment file to use instead of deployments/<ecosystem>-<network>.json.",
    )


def enable_autosign(account: Any, enabled: bool) -> None:
    """Keyfile accounts sign without a prompt per transaction; test accounts always do."""
    if enabled and hasattr(account, "set_autosign"):
        account.set_autosign(True)


def resolve_address(value: str, what: str) -> str:
    """A checksummed address from ``0x…`` hex, an Ape account alias, or ``TEST::<n>``."""
    text = value.strip()
    if text.lower().startswith("0x"):
        if not _HEX_ADDRESS.match(text):
            fail(f"{what}: {value!r} is not a valid address (0x followed by 40 hex digits)")
        if text[2:] != text[2:].lower() and text[2:] != text[2:].upper() and not is_checksum_address(text):
            fail(f"{what}: {value!r} has a bad checksum (write it in lower case to skip the check)")
        return to_checksum_address(text)
    from ape import accounts

    if text.upper().startswith("TEST::"):
        index = text[len("TEST::") :]
        if index.isdigit() and int(index) < len(accounts.test_accounts):
            return to_checksum_address(accounts.test_accounts[int(index)].address)
        fail(f"{what}: {value!r} is not a test account")
    if text in set(accounts.aliases):
        return to_checksum_address(accounts.load(text).address)
    fail(f"{what}: {value!r} is neither an address nor a known account alias (see `ape accounts list`)")


def parse_duration(value: str, what: str) -> int:
    """Seconds from ``3600``, ``90m``, ``12h`` or ``30d``."""
    match = _DURATION.match(value)
    if not match:
        fail(f"{what}: {value!r} is not a duration (seconds, or a number followed by s, m, h or d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def load_suite(project: Any, deployment_path: str | None) -> tuple[Deployment, Any, Any]:
    """The recorded deployment for the connected network, checked, with its two contracts."""
    path = Path(deployment_path) if deployment_path else None
    try:
        deployment = load_deployment(path, project=project)
    except DeploymentError as exc:
        fail(str(exc))
    registry, escrow = connect(deployment, project)
    return deployment, registry, escrow


def tx_link(receipt: Any) -> str:
    return str(getattr(receipt, "txn_hash", receipt))
