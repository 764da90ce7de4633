"""Deploy PartRegistry + OrderEscrow (+ the vault's DataAnchor) and grant roles; re-running reuses the record.

    ape run deploy --network ethereum:sepolia:node --account deployer \\
        --admin 0xOps... --manufacturer 0xOem... --certifier 0xQa... --arbiter 0xArb...

    ape run deploy --network base:sepolia:node --account deployer --publish   # an L2, verified

Writes deployments/<ecosystem>-<network>.json (or --out; a node reached by bare URI:
<ecosystem>-custom-<chain id>.json). A live network without a node URI stops in one line before
anything connects: FactoryChain never falls back to public RPC endpoints. See docs/operations.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.deployment import deploy_suite
from factorychain.networks import NodeCommand
from scripts._common import autosign_option, enable_autosign, one_line_errors, parse_duration, resolve_address


@click.command(cls=NodeCommand, short_help="Deploy the FactoryChain contracts and grant roles")
@account_option()
@click.option("--admin", default=None, metavar="ADDRESS", help="Final admin of both contracts (default: the deployer).")
@click.option("--manufacturer", "manufacturers", multiple=True, metavar="ADDRESS", help="Grant MANUFACTURER_ROLE (repeatable).")
@click.option("--certifier", "certifiers", multiple=True, metavar="ADDRESS", help="Grant CERTIFIER_ROLE (repeatable).")
@click.option("--arbiter", "arbiters", multiple=True, metavar="ADDRESS", help="Grant ARBITER_ROLE (repeatable).")
@click.option("--arbitration-timeout", default=None, metavar="DURATION", help="Seconds, or e.g. 12h / 30d (default 30d).")
@click.option("--fresh", is_flag=True, help="Deploy new contracts even if this network already has a deployment.")
@click.option("--out", default=None, metavar="FILE", help="Deployment file (default deployments/<ecosystem>-<network>.json).")
@click.option(
    "--publish",
    is_flag=True,
    help="Verify PartRegistry, OrderEscrow and DataAnchor on the network's Etherscan explorer "
    "(needs ETHERSCAN_API_KEY; without it, says so and deploys anyway).",
)
@autosign_option()
@one_line_errors
def cli(
    provider: Any,
    account: Any,
    admin: str | None,
    manufacturers: tuple[str, ...],
    certifiers: tuple[str, ...],
    arbiters: tuple[str, ...],
    arbitration_timeout: str | None,
    fresh: bool,
    out: str | None,
    publish: bool,
    autosign: bool,
) -> None:
    """Deploy PartRegistry and OrderEscrow (or reuse the recorded ones) and grant the requested roles."""
    from ape import project

    admin_address = resolve_address(admin, "--admin") if admin else None
    manufacturer_addresses = [resolve_address(value, "--manufacturer") for value in manufacturers]
    certifier_addresses = [resolve_address(value, "--certifier") for value in certifiers]
    arbiter_addresses = [resolve_address(value, "--arbiter") for value in arbiters]
    timeout = parse_duration(arbitration_timeout, "--arbitration-timeout") if arbitration_timeout else None
    if out is not None and Path(out).is_dir():
        raise click.ClickException(f"--out: {out} is a directory; give a file path")

    result = deploy_suite(
        project,
        account,
        admin=admin_address,
        manufacturers=manufacturer_addresses,
        certifiers=certifier_addresses,
        arbiters=arbiter_addresses,
        arbitration_timeout=timeout,
        path=Path(out) if out else None,
        fresh=fresh,
        echo=click.echo,
        before_first_transaction=lambda: enable_autosign(account, autosign),
    )
    deployment = result.deployment
    verb = "Deployed" if result.deployed else "Reused"
    click.echo(
        f"{verb} on {deployment.network_choice} (chain id {deployment.chain_id}): "
        f"PartRegistry {deployment.registry}, OrderEscrow {deployment.escrow}, DataAnchor {deployment.anchor}, "
        f"admin {deployment.admin}; "
        f"{len(result.transactions)} transaction(s) sent; record: {deployment.path}"
    )
    if publish:
        _publish(deployment, project, provider)


def _publish(deployment: Any, project: Any, provider: Any) -> None:
    """Explorer verification after the deployment is recorded: a skip or a refusal is one line."""
    from factorychain.explorer import publish_deployment, skip_reason

    if reason := skip_reason(provider.network):
        click.echo(reason)
        return
    urls = publish_deployment(deployment, project, echo=click.echo)
    click.echo(f"Verified {len(urls)} contract(s) on the explorer")
