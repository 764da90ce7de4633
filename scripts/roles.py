"""Grant, revoke, renounce and list roles on the recorded FactoryChain deployment.

    ape run roles list    --network ethereum:sepolia:node
    ape run roles grant   manufacturer 0xOem... --network ethereum:sepolia:node --account ops
    ape run roles revoke  arbiter 0xArb...      --network ethereum:sepolia:node --account ops
    ape run roles grant   admin 0xNewOps...     --network ethereum:sepolia:node --account ops
    ape run roles renounce admin                --network ethereum:sepolia:node --account ops

Roles: manufacturer and certifier live on PartRegistry, arbiter on OrderEscrow, admin on both
(handled on both unless --contract says otherwise). The chain is the source of truth: `list`
reads the role events and confirms each holder with hasRole.
"""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option

from factorychain.deployment import ADMIN_ROLE_NAME, ROLE_CONTRACTS, parse_role, role_holders, role_id
from scripts._common import (
    autosign_option,
    deployment_option,
    enable_autosign,
    fail,
    load_suite,
    one_line_errors,
    resolve_address,
)

_CONTRACT_CHOICES = {"registry": "PartRegistry", "escrow": "OrderEscrow"}


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


def _require_admin(contract: Any, name: str, sender: str) -> None:
    if not contract.hasRole(role_id(ADMIN_ROLE_NAME), sender):
        fail(f"{sender} is not an admin of {name} at {contract.address}; use --account with an admin account")


def _keep_an_admin(contract: Any, name: str, start_block: int, removing: str, force: bool) -> None:
    if force:
        return
    admins = role_holders(contract, start_block).get(ADMIN_ROLE_NAME, [])
    if not [admin for admin in admins if admin != removing]:
        fail(f"that would leave {name} at {contract.address} without any admin; grant admin to another account first")


def _contracts(registry: Any, escrow: Any) -> dict[str, Any]:
    return {"PartRegistry": registry, "OrderEscrow": escrow}


@click.group(short_help="Grant, revoke, renounce and list FactoryChain roles")
def cli() -> None:
    """Grant, revoke, renounce and list roles on the recorded FactoryChain deployment."""


@cli.command(name="list", cls=ConnectedProviderCommand, short_help="Show who holds each role now")
@deployment_option()
@one_line_errors
def list_roles(deployment_path: str | None) -> None:
    """Show every current holder of every role, per contract."""
    from ape import project

    deployment, registry, escrow = load_suite(project, deployment_path)
    click.echo(f"FactoryChain on {deployment.network_choice} (chain id {deployment.chain_id})")
    for name, contract in _contracts(registry, escrow).items():
        click.echo(f"{name} {contract.address}")
        holders = role_holders(contract, deployment.block_number)
        for role in (role for role, homes in ROLE_CONTRACTS.items() if name in homes):
            accounts = holders.get(role, [])
            click.echo(f"  {role:<19} {', '.join(accounts) if accounts else '-'}")


@cli.command(cls=ConnectedProviderCommand, short_help="Grant a role to one or more accounts")
@click.argument("role")
@click.argument("accounts", nargs=-1)
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@deployment_option()
@autosign_option()
@one_line_errors
def grant(
    role: str, accounts: tuple[str, ...], account: Any, contract_choice: str | None, deployment_path: str | None, autosign: bool
) -> None:
    """Grant ROLE (manufacturer, certifier, arbiter, admin) to ACCOUNTS."""
    from ape import project

    name = parse_role(role)
    if not accounts:
        fail("give at least one account to grant the role to")
    targets = [resolve_address(value, "account") for value in accounts]
    homes = _targets(name, contract_choice)
    _, registry, escrow = load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    for home in homes:
        _require_admin(contracts[home], home, account.address)
    enable_autosign(account, autosign)
    for target in targets:
        for home in homes:
            contract = contracts[home]
            if contract.hasRole(role_id(name), target):
                click.echo(f"{target} already holds {name} on {home}")
                continue
            receipt = contract.grantRole(role_id(name), target, sender=account)
            click.echo(f"Granted {name} on {home} to {target} ({receipt.txn_hash})")


@cli.command(cls=ConnectedProviderCommand, short_help="Revoke a role from one or more accounts")
@click.argument("role")
@click.argument("accounts", nargs=-1)
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@click.option("--force", is_flag=True, help="Allow removing the last admin of a contract.")
@deployment_option()
@autosign_option()
@one_line_errors
def revoke(
    role: str,
    accounts: tuple[str, ...],
    account: Any,
    contract_choice: str | None,
    force: bool,
    deployment_path: str | None,
    autosign: bool,
) -> None:
    """Revoke ROLE from ACCOUNTS."""
    from ape import project

    name = parse_role(role)
    if not accounts:
        fail("give at least one account to revoke the role from")
    targets = [resolve_address(value, "account") for value in accounts]
    homes = _targets(name, contract_choice)
    deployment, registry, escrow = load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    for home in homes:
        _require_admin(contracts[home], home, account.address)
    enable_autosign(account, autosign)
    for target in targets:
        for home in homes:
            contract = contracts[home]
            if not contract.hasRole(role_id(name), target):
                click.echo(f"{target} does not hold {name} on {home}")
                continue
            if name == ADMIN_ROLE_NAME:
                _keep_an_admin(contract, home, deployment.block_number, target, force)
            receipt = contract.revokeRole(role_id(name), target, sender=account)
            click.echo(f"Revoked {name} on {home} from {target} ({receipt.txn_hash})")


@cli.command(cls=ConnectedProviderCommand, short_help="Give up one of your own roles")
@click.argument("role")
@account_option()
@click.option("--contract", "contract_choice", default=None, help="For admin: registry, escrow or both (default).")
@click.option("--force", is_flag=True, help="Allow renouncing the last admin of a contract.")
@deployment_option()
@autosign_option()
@one_line_errors
def renounce(
    role: str, account: Any, contract_choice: str | None, force: bool, deployment_path: str | None, autosign: bool
) -> None:
    """Renounce ROLE held by the --account itself (e.g. the deployer after an admin handover)."""
    from ape import project

    name = parse_role(role)
    homes = _targets(name, contract_choice)
    deployment, registry, escrow = load_suite(project, deployment_path)
    contracts = _contracts(registry, escrow)
    me = account.address
    held = [home for home in homes if contracts[home].hasRole(role_id(name), me)]
    if not held:
        fail(f"{me} does not hold {name} on {' or '.join(homes)}")
    if name == ADMIN_ROLE_NAME:
        for home in held:
            _keep_an_admin(contracts[home], home, deployment.block_number, me, force)
    enable_autosign(account, autosign)
    for home in held:
        receipt = contracts[home].renounceRole(role_id(name), me, sender=account)
        click.echo(f"Renounced {name} on {home} for {me} ({receipt.txn_hash})")
