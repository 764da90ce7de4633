"""What the operations scripts (deploy, roles, parts, orders) share: argument parsing and one-line errors.

`ape run` ignores files whose name starts with ``_``, so this module is a helper, not a command.
Every mistake a user can make ends as a single ``Error: ...`` line and exit status 1: options are
taken as plain strings and validated here rather than by click types, whose failures print a
usage block.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from eth_utils import is_checksum_address, to_checksum_address

from factorychain.deployment import Deployment, DeploymentError, connect, load_deployment
from factorychain.errors import FactoryChainError, InvalidInputError
from factorychain.spec import part_id as part_id_of
from factorychain.spec import part_id_from_hex
from factorychain.terms import parse_duration as sdk_parse_duration

F = TypeVar("F", bound=Callable[..., Any])

_HEX_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_PART_ID_HEX = re.compile(r"^0[xX][0-9a-fA-F]{64}$")
_RELATIVE = re.compile(r"^\+\s*(\d+\s*[smhd]?)$")
_DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _ape_run_path(ctx: click.Context) -> str:
    """``ape run orders create``: the command as the user types it (whatever invoked the ``run`` group)."""
    names: list[str] = []
    current: click.Context | None = ctx
    while current is not None and current.parent is not None:
        names.insert(0, str(current.info_name))
        current = current.parent
    if names[:1] == ["run"]:  # invoked as `ape run …` rather than through the run group itself
        names = names[1:]
    return " ".join(["ape", "run", *names])


def _one_line_usage_errors(command_class: type) -> type:
    class OneLine(command_class):  # type: ignore[misc, valid-type]
        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            try:
                return super().parse_args(ctx, args)
            except click.UsageError as exc:
                fail(f"{exc.format_message()} (see `{_ape_run_path(ctx)} --help`)")

    OneLine.__name__ = f"OneLine{command_class.__name__}"
    return OneLine


def one_line_command() -> type:
    """Ape's ``ConnectedProviderCommand`` (as :class:`factorychain.networks.NodeCommand`: a network
    with no node URI is one line, never a public RPC) whose usage mistakes (a missing option, an
    unknown flag) are one ``Error:`` line too, instead of click's usage block."""
    from factorychain.networks import NodeCommand

    return _one_line_usage_errors(NodeCommand)


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


def parse_part(text: str) -> bytes:
    """A registry part id from a part number (hashed as :func:`factorychain.spec.part_id`), or 0x + 64 hex digits."""
    if _PART_ID_HEX.match(text.strip()):
        return part_id_from_hex(text.strip())
    return part_id_of(text)


def parse_duration(value: str, what: str) -> int:
    """Seconds from ``3600``, ``90m``, ``12h`` or ``30d`` (:func:`factorychain.terms.parse_duration`)."""
    try:
        return sdk_parse_duration(value, what)
    except InvalidInputError as exc:
        fail(str(exc))


def parse_when(value: str, what: str, now: int) -> int:
    """A unix time from ISO 8601 or from a duration after ``now`` (the chain's time).

    ``2026-07-01`` is the *end* of that day, UTC (deadlines are inclusive); ``2026-07-01T14:00``
    without an offset is UTC; ``2026-07-01T14:00+02:00`` as written; ``+14d``, ``+12h``, ``+90m``
    count from ``now``; a bare number is a unix time.
    """
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        return now + parse_duration(relative.group(1), what)
    if text.isdigit():
        return int(text)
    try:
        if _DAY_ONLY.match(text):
            return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()) + 86_399
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"{what}: {value!r} is not a date; write ISO 8601 (2026-07-01, 2026-07-01T14:00Z) "
            "or a time from now (+14d, +12h)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def format_when(timestamp: int, now: int | None = None) -> str:
    """``2026-07-01 23:59 UTC (in 6 d 4 h)``; without ``now``, the date alone."""
    moment = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if now is None:
        return moment
    delta = int(timestamp) - int(now)
    return f"{moment} ({'in ' if delta >= 0 else ''}{format_span(abs(delta))}{'' if delta >= 0 else ' ago'})"


def format_span(seconds: int) -> str:
    """``3 d 4 h``, ``5 h 10 min``, ``42 s``: the two largest units."""
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0 s"


def yes_option() -> Callable[[F], F]:
    return click.option(
        "--yes",
        "-y",
        "yes",
        is_flag=True,
        help="Send without asking (for scripts). Without it the preview asks for confirmation, "
        "and the command refuses to send when there is no terminal to ask on.",
    )


def has_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def confirm_send(yes: bool, question: str = "Send this transaction?") -> None:
    """Ask before sending, unless ``--yes``; never block on a missing terminal."""
    if yes:
        return
    if not has_terminal():
        fail("nothing sent: there is no terminal to confirm on; check the preview and pass --yes")
    if not click.confirm(question, default=False):
        fail("nothing sent (not confirmed)")


def unlock_signer(account: Any) -> None:
    """Unlock a keystore account once, so the preview is the only confirmation.

    The passphrase comes from ``APE_ACCOUNTS_<alias>_PASSPHRASE`` or, on a terminal, a prompt.
    Without either the command stops with one line: prompting with no terminal would print
    Python's ``GetPassWarning`` and read the passphrase from wherever stdin points.
    Test accounts and other signers that never prompt are left alone.
    """
    if not hasattr(account, "keyfile_path") or not hasattr(account, "set_autosign"):
        return
    alias = str(account.alias)
    variable = f"APE_ACCOUNTS_{alias}_PASSPHRASE"
    passphrase = os.environ.get(variable) or None
    if passphrase is None and not has_terminal():
        fail(f"account {alias!r} is a keystore and there is no terminal to ask its passphrase: set {variable}")
    from ape.exceptions import AccountsError
    from ape.logging import logger

    level = logger.level
    logger.set_level("ERROR")  # Ape's "Danger! This account will now sign …" after unlocking
    try:
        account.set_autosign(True, passphrase=passphrase)
    except AccountsError as exc:
        where = f" (from {variable})" if passphrase else ""
        fail(f"account {alias!r}: wrong passphrase{where}: {str(exc).strip() or type(exc).__name__}")
    finally:
        logger.set_level(level)


def simulate(
    method: Any, *args: Any, sender: Any, value: int = 0, hints: Mapping[str, str] | None = None, refuser: str = "the escrow"
) -> bytes:
    """Run ``method`` as an ``eth_call`` from ``sender`` on the pending block: a revert stops here,
    with its reason in one line (and the fix from ``hints``, keyed by reason), before any prompt
    and before Ape prints a failed transaction's call trace. ``refuser`` names the contract.

    The reason is decoded from the revert data (:func:`factorychain.keeper.revert_reason`), not
    taken from Ape's ``ContractLogicError``, whose message keeps only the text after the reason's
    last colon ("not buyer" for "escrow: not buyer").
    """
    from ape import chain
    from web3.exceptions import ContractLogicError as Web3ContractLogicError

    from factorychain.keeper import revert_reason

    call = {
        "from": getattr(sender, "address", sender),
        "to": method.contract.address,
        "data": "0x" + bytes(method.encode_input(*args)).hex(),
        "value": int(value),
    }
    try:
        return bytes(chain.provider.web3.eth.call(call, "pending"))
    except Web3ContractLogicError as exc:
        reason = revert_reason(exc)
        hint = (hints or {}).get(reason)
        fail(f"{refuser} would refuse this: {reason}" + (f" ({hint})" if hint else ""))


def load_suite(project: Any, deployment_path: str | None) -> tuple[Deployment, Any, Any]:
    """The recorded deployment for the connected network, checked, with its two contracts."""
    path = Path(deployment_path) if deployment_path else None
    try:
        deployment = load_deployment(path, project=project)
    except DeploymentError as exc:
        fail(str(exc))
    registry, escrow = connect(deployment, project)
    return deployment, registry, escrow


def ledger_options() -> Callable[[F], F]:
    """``--confirmations N`` and ``--ledger FILE``: which ledger the readers sync and read."""
    from factorychain.keeper import LIVE_CONFIRMATIONS

    def decorate(func: F) -> F:
        func = click.option(
            "--ledger", "ledger_file", default=None, metavar="FILE",
            help="Ledger database (default: $FACTORYCHAIN_LEDGER_DIR or ~/.factorychain/ledger, one file per deployment).",
        )(func)  # fmt: skip
        func = click.option(
            "--confirmations", "confirmations_text", default=None, metavar="N",
            help=f"Index only blocks this deep (default: 0 on a development chain, {LIVE_CONFIRMATIONS} elsewhere).",
        )(func)  # fmt: skip
        return func

    return decorate


def synced_ledger(deployment: Deployment, confirmations_text: str | None, ledger_file: str | None) -> Any:
    """The deployment's ledger, brought up to date from the node first (``LedgerSync``)."""
    from ape import chain, project

    from factorychain.keeper import default_confirmations
    from factorychain.ledger_sync import LedgerSync

    if confirmations_text is None:
        depth = default_confirmations(chain.provider)
    elif confirmations_text.strip().isdigit():
        depth = int(confirmations_text.strip())
    else:
        fail(f"--confirmations: {confirmations_text!r} is not a whole number of blocks")
    sync = LedgerSync.for_deployment(deployment, project, confirmations=depth, path=ledger_file)
    sync.sync()
    return sync


def tx_link(receipt: Any) -> str:
    return str(getattr(receipt, "txn_hash", receipt))
