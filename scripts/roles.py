"""Grant, revoke, renounce and list roles on the recorded FactoryChain deployment.

    ape run roles list    --network ethereum:sepolia:node
    ape run roles grant   manufacturer 0xOem... --network ethereum:sepolia:node --account ops
    ape run roles revoke  arbiter 0xArb...      --network ethereum:sepolia:node --account ops
    ape run roles grant   admin 0xNewOps...     --network ethereum:sepolia:node --account ops
    ape run roles renounce admin                --network ethereum:sepolia:node --account ops

When the admin is a Safe multisig (``ape run deploy --admin <safe>``), ``grant`` and ``revoke``
take ``--safe <address or ape-safe alias>``: the change becomes a Safe transaction that the
``--account`` owner signs (after a preview) into a proposal file; each further owner runs the
same command with ``--proposal FILE`` and adds a signature; the run that reaches the Safe's
threshold executes it (``execTransaction``, sent by that owner)::

    ape run roles grant arbiter 0xArb... --safe 0xSafe... --account owner1 --proposal grant.json
    ape run roles grant arbiter 0xArb... --safe 0xSafe... --account owner2 --proposal grant.json

Every owner's run rebuilds the transaction from the chain and its own arguments and checks it
hashes to what the file's signatures are for: nobody signs what a file says. An arbiter that
is a Safe rules the same way with ``ape run orders resolve … --safe``.

Roles: manufacturer and certifier live on PartRegistry, arbiter on OrderEscrow, admin on both
(handled on both unless --contract says otherwise). The chain is the source of truth: `list`
reads the role events and confirms each holder with hasRole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.networks import NodeCommand
from factorychain.deployment import (
    ADMIN_ROLE_NAME,
    ROLE_CONTRACTS,
    DeploymentError,
    deployments_dir,
    parse_role,
    role_holders,
    role_id,
)
from factorychain.safe import Safe, SafeCall
from scripts._common import (
    autosign_option,
    deployment_option,
    enable_autosign,
    fail,
    one_line_errors,
    resolve_address,
    yes_option,
)
from scripts._safe import open_safe, safe_options, through_safe

_CONTRACT_CHOICES = {"registry": "PartRegistry", "escrow": "OrderEscrow"}

_SAFE_HINTS = {
    "access_control: account is missing role": "the Safe does not hold admin on that contract",
}


def _targets(role: str, contract_choice: str | None) -> tuple[str, ...]:
    homes = ROLE_CONTRACTS[role]
    if contract_choice is None or contract_choice.lower() == "both":
        return homes
    name = _CONTRACT_CHOICES.get(contract_choice.lower())
    if name is None:
        fail(f"--contract: {contract_choice!r} is not one of registry, escrow, both")
    if name not in homes:
        fail(f"{role} lives on {' and '.join(homes)}, not on {name}")
    return (name,)


def _require_admin(contract: Any, name: str, sender: str, safe: Safe | None = None) -> None:
    if safe is not None:
        if not contract.hasRole(role_id(ADMIN_ROLE_NAME), safe.address):
            fail(f"Safe {safe.address} is not an admin of {name} at {contract.address}; "
                 "grant it admin first (or deploy with --admin <safe>)")  # fmt: skip
        return
    if not contract.hasRole(role_id(ADMIN_ROLE_NAME), sender):
        fail(f"{sender} is not an admin of {name} at {contract.address}; use --account with an admin account"
             " (or --safe if the admin is a Safe multisig)")  # fmt: skip


def _keep_an_admin(contract: Any, name: str, start_block: int, removing: str, force: bool) -> None:
    if force:
        return
    admins = role_holders(contract, start_block).get(ADMIN_ROLE_NAME, [])
    if not [admin for admin in admins if admin != removing]:
        fail(f"that would leave {name} at {contract.address} without any admin; grant admin to another account first")


def _contracts(registry: Any, escrow: Any) -> dict[str, Any]:
    return {"PartRegistry": registry, "OrderEscrow": escrow}


# ---------------------------------------------------------------- which deployment (issue 11)


def _ephemeral(provider: Any) -> bool:
    """A chain this very command started (Ape's ``local`` network with an Anvil it manages)."""
    return provider.network.name == "local" and getattr(provider, "process", None) is not None


def recorded_networks(directory: Path) -> list[str]:
    """The networks this project has deployment records for, as ``--network`` values where known."""
    from factorychain.deployment import read_deployment

    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            record = read_deployment(path)
        except DeploymentError:
            continue
        if record.network == "custom":
            where = f"the node's URL you deployed with (chain id {record.chain_id}, {path.name})"
        elif record.network == "local":
            where = f"{record.ecosystem}:local:node, a standalone node (chain id {record.chain_id}, {path.name})"
        else:
            where = f"{record.network_choice} (chain id {record.chain_id})"
        found.append(where)
    return found


def _load_suite(project: Any, deployment_path: str | None) -> tuple[Any, Any, Any]:
    """:func:`load_suite`; when the network has no record, the message also names the networks
    this project did deploy to (never one whose chain vanishes with the command)."""
    from factorychain.deployment import connect, load_deployment

    try:
        deployment = load_deployment(Path(deployment_path) if deployment_path else None, project=project)
    except DeploymentError as exc:
        message = str(exc)
        if deployment_path is None and message.startswith("no deployment recorded"):
            from ape import chain

            others = recorded_networks(deployments_dir(project.path))
            if _ephemeral(chain.provider):
                # Never "deploy with --network ethereum:local": that chain ends with the command.
                network = chain.provider.network
                where = f"{network.ecosystem.name}:{network.name}"
                message = (
                    f"no deployment recorded for {where}: --network {where} runs a chain started for this "
                    "command alone, gone when it ends; "
                    + (f"pass the --network you deployed to: {'; '.join(others)}" if others else
                       f"start a standalone node (`anvil`), deploy there and pass the same --network to every "
                       f"command, e.g. --network {network.ecosystem.name}:local:node (docs/operations.md)")
                )  # fmt: skip
            elif others:
                message += f"; this project has deployments on: {'; '.join(others)}"
        elif deployment_path is None and "no contract code at the recorded" in message:
            from ape import chain

            if _ephemeral(chain.provider):
                ecosystem = chain.provider.network.ecosystem.name
                message += (
                    f"; --network {ecosystem}:local runs a chain started for this command alone: reach the "
                    f"standalone node you deployed to with --network {ecosystem}:local:node"
                )
        fail(message)
    registry, escrow = connect(deployment, project)
    return deployment, registry, escrow


@click.group(short_help="Grant, revoke, renounce and list FactoryChain roles")
def cli() -> None:
    """Grant, revoke, renounce and list roles on the recorded FactoryChain deployment."""


@cli.command(name="list", cls=NodeCommand, short_help="Show who holds each role now")
@deployment_option()
@one_line_errors
def list_roles(deployment_path: str | None) -> None:
    """Show every current holder of every role, per contract."""
    from ape import project

    deployment, registry, escrow = _load_suite(project, deployment_path)
    click.echo(f"FactoryChain on {deployment.network_choice} (chain id {deployment.chain_id})")
    for name, contract in _contracts(registry, escrow).items():
        click.echo(f"{name} {contract.address}")
        holders = role_holders(contract, deployment.block_number)
        for role in (role for role, homes in ROLE_CONTRACTS.items() if name in homes):
            accounts = holders.get(role, [])
            click.echo(f"  {role:<19} {', '.join(accounts) if accounts else '-'}")


@cli.command(cls=NodeCommand, short_help="Grant a role to one or more accounts")
@click.argument("role")
@click.argument("accounts", nargs=-1)
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@deployment_option()
@autosign_option()
@safe_options()
@yes_option()
@one_line_errors
def grant(
    role: str,
    accounts: tuple[str, ...],
    account: Any,
    contract_choice: str | None,
    deployment_path: str | None,
    autosign: bool,
    safe_text: str | None,
    proposal_path: str | None,
    yes: bool,
) -> None:
    """Grant ROLE (manufacturer, certifier, arbiter, admin) to ACCOUNTS (with --safe: as the Safe)."""
    from ape import project

    name = parse_role(role)
    if not accounts:
        fail("give at least one account to grant the role to")
    targets = [resolve_address(value, "account") for value in accounts]
    homes = _targets(name, contract_choice)
    _, registry, escrow = _load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    safe = open_safe(safe_text) if safe_text else None
    for home in homes:
        _require_admin(contracts[home], home, account.address, safe)
    calls: list[SafeCall] = []
    if safe is None:
        enable_autosign(account, autosign)
    for target in targets:
        for home in homes:
            contract = contracts[home]
            if contract.hasRole(role_id(name), target):
                click.echo(f"{target} already holds {name} on {home}")
                continue
            if safe is not None:
                data = bytes(contract.grantRole.encode_input(role_id(name), target))
                calls.append(SafeCall(contract.address, data, f"grantRole({name}, {target}) on {home}"))
                continue
            receipt = contract.grantRole(role_id(name), target, sender=account)
            click.echo(f"Granted {name} on {home} to {target} ({receipt.txn_hash})")
    if safe is not None and calls:
        through_safe(safe, calls, account, proposal_path, yes, f"Grant {name} through Safe {safe.address}", hints=_SAFE_HINTS, refuser="the contract")


@cli.command(cls=NodeCommand, short_help="Revoke a role from one or more accounts")
@click.argument("role")
@click.argument("accounts", nargs=-1)
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@click.option("--force", is_flag=True, help="Allow removing the last admin of a contract.")
@deployment_option()
@autosign_option()
@safe_options()
@yes_option()
@one_line_errors
def revoke(
    role: str,
    accounts: tuple[str, ...],
    account: Any,
    contract_choice: str | None,
    force: bool,
    deployment_path: str | None,
    autosign: bool,
    safe_text: str | None,
    proposal_path: str | None,
    yes: bool,
) -> None:
    """Revoke ROLE from ACCOUNTS (with --safe: as the Safe)."""
    from ape import project

    name = parse_role(role)
    if not accounts:
        fail("give at least one account to revoke the role from")
    targets = [resolve_address(value, "account") for value in accounts]
    homes = _targets(name, contract_choice)
    deployment, registry, escrow = _load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    safe = open_safe(safe_text) if safe_text else None
    for home in homes:
        _require_admin(contracts[home], home, account.address, safe)
    calls: list[SafeCall] = []
    if safe is None:
        enable_autosign(account, autosign)
    for target in targets:
        for home in homes:
            contract = contracts[home]
            if not contract.hasRole(role_id(name), target):
                click.echo(f"{target} does not hold {name} on {home}")
                continue
            if name == ADMIN_ROLE_NAME:
                _keep_an_admin(contract, home, deployment.block_number, target, force)
            if safe is not None:
                data = bytes(contract.revokeRole.encode_input(role_id(name), target))
                calls.append(SafeCall(contract.address, data, f"revokeRole({name}, {target}) on {home}"))
                continue
            receipt = contract.revokeRole(role_id(name), target, sender=account)
            click.echo(f"Revoked {name} on {home} from {target} ({receipt.txn_hash})")
    if safe is not None and calls:
        through_safe(safe, calls, account, proposal_path, yes, f"Revoke {name} through Safe {safe.address}", hints=_SAFE_HINTS, refuser="the contract")


@cli.command(cls=NodeCommand, short_help="Give up one of your own roles")
@click.argument("role")
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@click.option("--force", is_flag=True, help="Allow renouncing the last admin of a contract.")
@deployment_option()
@autosign_option()
@safe_options()
@yes_option()
@one_line_errors
def renounce(
    role: str,
    account: Any,
    contract_choice: str | None,
    force: bool,
    deployment_path: str | None,
    autosign: bool,
    safe_text: str | None,
    proposal_path: str | None,
    yes: bool,
) -> None:
    """Renounce ROLE held by the --account itself (e.g. the deployer after an admin handover),
    or with --safe a role the Safe holds (signed and executed by its owners)."""
    from ape import project

    name = parse_role(role)
    homes = _targets(name, contract_choice)
    deployment, registry, escrow = _load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    safe = open_safe(safe_text) if safe_text else None
    me = safe.address if safe is not None else account.address
    held = [home for home in homes if contracts[home].hasRole(role_id(name), me)]
    if not held:
        fail(f"{'Safe ' if safe is not None else ''}{me} does not hold {name} on {' or '.join(homes)}")
    if name == ADMIN_ROLE_NAME:
        for home in held:
            _keep_an_admin(contracts[home], home, deployment.block_number, me, force)
    if safe is not None:
        calls = [
            SafeCall(contracts[home].address, bytes(contracts[home].renounceRole.encode_input(role_id(name), me)), f"renounceRole({name}, {me}) on {home}")
            for home in held
        ]
        through_safe(safe, calls, account, proposal_path, yes, f"Renounce {name} of Safe {safe.address}", hints=_SAFE_HINTS, refuser="the contract")
        return
    enable_autosign(account, autosign)
    for home in held:
        receipt = contracts[home].renounceRole(role_id(name), me, sender=account)
        click.echo(f"Renounced {name} on {home} for {me} ({receipt.txn_hash})")
