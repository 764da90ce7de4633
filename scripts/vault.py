"""The data vault's chain side on the recorded deployment: streams, writers, anchors, key sharing.

    ape run vault create  ./vault --network … --account oem             # the vault's stream on DataAnchor
    ape run vault writer  ./vault 0xGateway… --network … --account oem   # let a gateway anchor (--remove)
    ape run vault anchor  ./vault --network … --account gateway         # anchor every pending batch
    ape run vault share-key ./vault --to 0x04<auditor public key> --private-key-env OWNER_KEY --network … --account oem
    ape run vault show    ./vault --network …

The vault folder is the one `factorychain vault init` made (offline work — init, ingest,
disclose, verify — stays in the `factorychain vault` command). Anchoring records each batch's
number in the vault's ledger, so `factorychain vault disclose` knows where the root is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.networks import NodeCommand
from factorychain.cli import _private_key, signer_options
from factorychain.vault import Vault
from factorychain.vault.onchain import anchor_entry, ensure_stream, share_stream_key
from scripts._common import autosign_option, deployment_option, enable_autosign, fail, one_line_errors, resolve_address


def _anchor(project: Any, deployment_path: str | None, vault: Vault) -> tuple[Any, int]:
    """The deployment's DataAnchor, checked against the vault's recorded one."""
    from factorychain.deployment import DeploymentError, load_deployment

    try:
        deployment = load_deployment(Path(deployment_path) if deployment_path else None, project=project)
    except DeploymentError as exc:
        fail(str(exc))
    if deployment.anchor is None:
        fail(f"{deployment.path} has no DataAnchor; run `ape run deploy` again to add it")
    if vault.config.anchor and (vault.config.anchor, vault.config.chain_id) != (deployment.anchor, deployment.chain_id):
        fail(f"the vault is anchored on {vault.config.anchor} (chain {vault.config.chain_id}), not {deployment.anchor}")
    return project.DataAnchor.at(deployment.anchor), deployment.chain_id


def _open(directory: str) -> Vault:
    return Vault.open(Path(directory).expanduser())


@click.group(short_help="Anchor vault batches and manage streams on the recorded DataAnchor")
def cli() -> None:
    """Streams, writers, anchors and key sharing of the data vault."""


@cli.command(cls=NodeCommand, short_help="Create the vault's stream on DataAnchor")
@click.argument("directory")
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def create(directory: str, account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Create the stream of the vault in DIRECTORY (run as its owner); records the anchor in the vault."""
    from ape import project

    vault = _open(directory)
    anchor, chain_id = _anchor(project, deployment_path, vault)
    enable_autosign(account, autosign)
    created = ensure_stream(anchor, account, vault)
    vault.with_anchor(chain_id, anchor.address)
    verb = "Created" if created else "Found"
    click.echo(f"{verb} stream {vault.config.name!r} (0x{vault.config.stream.hex()}) on DataAnchor {anchor.address}")


@cli.command(cls=NodeCommand, short_help="Name (or remove) a writer of the vault's stream")
@click.argument("directory")
@click.argument("writer")
@click.option("--remove", is_flag=True, help="Withdraw the writer instead.")
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def writer(directory: str, writer: str, remove: bool, account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Let WRITER (a gateway's address) anchor batches of the stream, or stop it with --remove."""
    from ape import project

    vault = _open(directory)
    who = resolve_address(writer, "WRITER")
    anchor, _ = _anchor(project, deployment_path, vault)
    if anchor.stream_owner(vault.config.stream) != account.address:
        fail(f"the stream is owned by {anchor.stream_owner(vault.config.stream)}; use --account with the owner")
    enable_autosign(account, autosign)
    call = anchor.remove_writer if remove else anchor.add_writer
    receipt = call(vault.config.stream, who, sender=account)
    click.echo(f"{'Removed' if remove else 'Named'} writer {who} ({receipt.txn_hash})")


@cli.command("anchor", cls=NodeCommand, short_help="Anchor the vault's pending batches")
@click.argument("directory")
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def anchor_command(directory: str, account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Anchor every batch of the vault not anchored yet (run as the owner or a writer)."""
    from ape import project

    vault = _open(directory)
    anchor, chain_id = _anchor(project, deployment_path, vault)
    if not anchor.is_writer(vault.config.stream, account.address):
        fail(f"{account.address} may not anchor stream 0x{vault.config.stream.hex()} (create it, or be named a writer)")
    pending = [entry for entry in vault.batches() if not entry.anchored and not entry.lot]
    if not pending:
        click.echo("nothing to anchor")
        return
    enable_autosign(account, autosign)
    for entry in pending:
        done = anchor_entry(anchor, account, vault, entry, chain_id)
        found = done.anchored or {}
        click.echo(f"batch {entry.seq}: anchored as batch {found.get('batch')} ({entry.record_count} records, root {entry.root}, {found.get('tx')})")


@cli.command("share-key", cls=NodeCommand, short_help="Publish the stream key to an auditor")
@click.argument("directory")
@click.option("--to", "public_key", required=True, metavar="HEX", help="The reader's secp256k1 public key.")
@signer_options
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def share_key(
    directory: str,
    public_key: str,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
    account: Any,
    deployment_path: str | None,
    autosign: bool,
) -> None:
    """Wrap the stream key (opened with the owner's key) to a reader and publish it as StreamKeyShared."""
    from ape import project

    vault = _open(directory)
    key = vault.stream_key(_private_key(private_key_env, keystore, password_env))
    anchor, _ = _anchor(project, deployment_path, vault)
    enable_autosign(account, autosign)
    envelope = share_stream_key(anchor, account, vault.config.stream, public_key, key)
    click.echo(f"Shared the stream key ({len(envelope)}-byte envelope) on DataAnchor {anchor.address}")


@cli.command(cls=NodeCommand, short_help="Show the stream and its batches on chain")
@click.argument("directory")
@deployment_option()
@one_line_errors
def show(directory: str, deployment_path: str | None) -> None:
    """Print the stream's owner and every anchored batch."""
    from ape import project

    vault = _open(directory)
    anchor, _ = _anchor(project, deployment_path, vault)
    stream = vault.config.stream
    count = int(anchor.batch_count(stream))
    click.echo(f"stream {vault.config.name!r} 0x{stream.hex()} owner {anchor.stream_owner(stream)}: {count} batch(es)")
    for number in range(1, count + 1):
        batch = anchor.get_batch(stream, number)
        click.echo(f"  {number}\t{batch.record_count}\troot 0x{bytes(batch.root).hex()}\tby {batch.writer}")
