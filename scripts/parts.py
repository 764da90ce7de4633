"""Day-to-day part administration on the recorded deployment, through the factorychain SDK.

    ape run parts publish  PN-4711 bracket-revA.pdf --store /srv/designs --network … --account oem
    ape run parts publish  PN-4711 bracket-revA.pdf --store s3://designs/oem --s3-endpoint https://… --network … --account oem
    ape run parts fetch    PN-4711 1 --private-key-env MY_KEY --out bracket-revA.pdf --network …
    ape run parts show     PN-4711 --network …
    ape run parts grant    PN-4711 0xSupplier… --network … --account oem
    ape run parts share-key PN-4711 1 --partner-pubkey 0x04… --key-file ~/.factorychain/keys/….key ...
    ape run parts revoke   PN-4711 0xSupplier… --network … --account oem
    ape run parts certify  PN-4711 1 0xSupplier… --valid-for 365d --report audit.pdf --network … --account qa
    ape run parts uncertify PN-4711 1 0xSupplier… --network … --account qa

PART is the OEM part number (its keccak256 is the registry id, see factorychain.spec.part_id)
or a bytes32 part id written as 0x followed by 64 hex digits. `publish` hashes the design,
encrypts it under a fresh content key, stores the ciphertext and registers (first time) or
revises the part; the content key goes to a file readable only by you (never on chain).
`--store` is a folder or an object-store URL (s3://bucket/prefix on any S3-compatible service;
credentials from the usual AWS environment or profile). `fetch` is the partner's side: it finds
the envelope shared with its key, downloads the encrypted design from the version's URI, decrypts
it and checks it against the on-chain spec hash.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from factorychain.networks import NodeCommand
from factorychain.cli import signer_options, storage_options_from, store_options
from factorychain.errors import DecryptionError, HashMismatchError
from factorychain.sharing import check_content_key, fetch_design, publish_design, share_design_key
from factorychain.spec import spec_hash
from factorychain.store import open_store, open_uri
from scripts._common import (
    autosign_option,
    deployment_option,
    enable_autosign,
    fail,
    load_suite,
    one_line_errors,
    parse_duration,
    parse_part,
    resolve_address,
    simulate,
)

DEFAULT_KEY_DIR = Path("~/.factorychain/keys")


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _read_file(path_text: str, what: str) -> bytes:
    path = Path(path_text).expanduser()
    if not path.is_file():
        fail(f"{what}: no such file {path}")
    return path.read_bytes()


def _known_part(registry: Any, pid: bytes, text: str) -> int:
    latest = int(registry.latest_version(pid))
    if latest == 0:
        fail(f"unknown part {text!r} ({_hex(pid)}) on registry {registry.address}")
    return latest


def _require_owner(registry: Any, pid: bytes, text: str, sender: str) -> None:
    _known_part(registry, pid, text)
    owner = registry.part_owner(pid)
    if owner != sender:
        fail(f"part {text!r} is owned by {owner}, not {sender}; use --account with the owner")


def _parse_version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        fail(f"VERSION: {text!r} is not a version number (1, 2, 3 …)")
    return int(text)


def _reserve_key_file(path: Path) -> int:
    """Create the key file now (mode 600, never overwriting) so that a key is never lost after publishing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"--key-file: {path} already exists; refusing to overwrite a content key")
    except OSError as exc:
        fail(f"--key-file: cannot create {path}: {exc.strerror or exc}")


@click.group(short_help="Publish, share and certify parts on the recorded deployment")
def cli() -> None:
    """Publish designs, grant partners access, share keys and certify suppliers."""


@cli.command(cls=NodeCommand, short_help="Show a part's owner and versions")
@click.argument("part")
@deployment_option()
@one_line_errors
def show(part: str, deployment_path: str | None) -> None:
    """Print PART's id, owner and every version's spec hash and URI."""
    from ape import project

    _, registry, _ = load_suite(project, deployment_path)
    pid = parse_part(part)
    latest = _known_part(registry, pid, part)
    click.echo(f"part {part!r} id {_hex(pid)} owner {registry.part_owner(pid)}")
    for version in range(1, latest + 1):
        click.echo(f"  v{version} spec {_hex(registry.spec_hash(pid, version))} {registry.spec_uri(pid, version)}")


@cli.command(cls=NodeCommand, short_help="Register or revise a part from a design file")
@click.argument("part")
@click.argument("design_file")
@account_option()
@click.option("--store", "store_dir", required=True, metavar="DIR|URL", help="Folder or object-store URL (s3://bucket/prefix) the encrypted design goes to.")
@store_options
@click.option("--version", "expected", default=None, metavar="N", help="Refuse unless this publish creates version N.")
@click.option("--key-file", default=None, metavar="FILE", help="Where to write the content key (default ~/.factorychain/keys/<part id>-v<N>.key).")
@deployment_option()
@autosign_option()
@one_line_errors
def publish(
    part: str,
    design_file: str,
    account: Any,
    store_dir: str,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    expected: str | None,
    key_file: str | None,
    deployment_path: str | None,
    autosign: bool,
) -> None:
    """Hash, encrypt and store DESIGN_FILE, then register PART (first version) or revise it."""
    from ape import project

    store = open_store(store_dir, **storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous))
    document = _read_file(design_file, "DESIGN_FILE")
    if not document:
        fail(f"DESIGN_FILE: {design_file} is empty; nothing published")
    pid = parse_part(part)
    version = _parse_version(expected) if expected is not None else None
    _, registry, _ = load_suite(project, deployment_path)
    latest = int(registry.latest_version(pid))
    if latest and bytes(registry.spec_hash(pid, latest)) == spec_hash(document):
        fail(f"DESIGN_FILE: {design_file} is the same document as {part!r} v{latest} (same spec hash); nothing published")
    next_version = latest + 1
    if version is not None and version != next_version:
        fail(f"--version {version}: publishing now would create version {next_version} of {part!r}")
    key_path = Path(key_file).expanduser() if key_file else DEFAULT_KEY_DIR.expanduser() / f"{_hex(pid)}-v{next_version}.key"
    descriptor = _reserve_key_file(key_path)
    try:
        enable_autosign(account, autosign)
        design = publish_design(registry, account, pid, document, store, version=next_version)
    except BaseException:
        os.close(descriptor)
        key_path.unlink(missing_ok=True)
        raise
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(_hex(design.content_key) + "\n")
    action = "Registered" if design.version == 1 else "Revised"
    click.echo(
        f"{action} {part!r} ({_hex(pid)}) version {design.version}: spec {_hex(design.spec_hash)}, "
        f"uri {design.uri}; content key in {key_path}"
    )


@cli.command(cls=NodeCommand, short_help="Partner side: download, decrypt and verify a shared design")
@click.argument("part")
@click.argument("version")
@signer_options
@store_options
@click.option("--out", default=None, metavar="FILE", help="Write the design here (default: stdout).")
@deployment_option()
@one_line_errors
def fetch(
    part: str,
    version: str,
    private_key_env: str | None,
    keystore: str | None,
    password_env: str | None,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    out: str | None,
    deployment_path: str | None,
) -> None:
    """Fetch VERSION of PART shared with your key: envelope, download, decrypt, check the spec hash."""
    from ape import project

    from factorychain.cli import _private_key

    pid = parse_part(part)
    number = _parse_version(version)
    if out is not None and Path(out).expanduser().exists():
        fail(f"--out: {out} already exists; refusing to overwrite it")
    secret = _private_key(private_key_env, Path(keystore) if keystore else None, password_env)
    options = storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous)
    deployment, registry, _ = load_suite(project, deployment_path)
    _known_part(registry, pid, part)
    document = fetch_design(
        registry, pid, number, secret, opener=lambda uri: open_uri(uri, **options), start_block=deployment.block_number
    )
    if out is None:
        click.get_binary_stream("stdout").write(document)
        return
    target = Path(out).expanduser()
    target.write_bytes(document)
    click.echo(f"Fetched {part!r} v{number}: {len(document)} bytes, spec hash {_hex(spec_hash(document))} verified on chain -> {target}", err=True)


@cli.command(cls=NodeCommand, short_help="Let partners see (and be certified for) a part")
@click.argument("part")
@click.argument("partners", nargs=-1)
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def grant(part: str, partners: tuple[str, ...], account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Grant PARTNERS access to PART (run as the part's owner)."""
    _set_access(part, partners, account, deployment_path, autosign, grant=True)


@cli.command(cls=NodeCommand, short_help="Withdraw partners' access to a part")
@click.argument("part")
@click.argument("partners", nargs=-1)
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def revoke(part: str, partners: tuple[str, ...], account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Revoke PARTNERS' access to PART; publish a revision to re-key the design."""
    _set_access(part, partners, account, deployment_path, autosign, grant=False)


def _set_access(part: str, partners: tuple[str, ...], account: Any, deployment_path: str | None, autosign: bool, grant: bool) -> None:
    from ape import project

    if not partners:
        fail("give at least one partner address")
    addresses = [resolve_address(value, "PARTNER") for value in partners]
    pid = parse_part(part)
    _, registry, _ = load_suite(project, deployment_path)
    _require_owner(registry, pid, part, account.address)
    enable_autosign(account, autosign)
    for partner in addresses:
        has = bool(registry.has_access(pid, partner))
        if has == grant:
            click.echo(f"{partner} {'already has' if grant else 'has no'} access to {part!r}")
            continue
        call = registry.grant_access if grant else registry.revoke_access
        receipt = call(pid, partner, sender=account)
        click.echo(f"{'Granted' if grant else 'Revoked'} access to {part!r} {'to' if grant else 'from'} {partner} ({receipt.txn_hash})")


@cli.command("share-key", cls=NodeCommand, short_help="Publish a version's content key to one partner")
@click.argument("part")
@click.argument("version")
@account_option()
@click.option("--partner-pubkey", required=True, metavar="HEX", help="The partner's secp256k1 public key (`factorychain pubkey`).")
@click.option("--key-file", required=True, metavar="FILE", help="The content key file written by `publish`.")
@store_options
@deployment_option()
@autosign_option()
@one_line_errors
def share_key(
    part: str,
    version: str,
    account: Any,
    partner_pubkey: str,
    key_file: str,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    deployment_path: str | None,
    autosign: bool,
) -> None:
    """Encrypt VERSION's content key to the partner's public key and publish it with share_key.

    The key is checked first: it must open the version's stored document, and the document must
    match the on-chain spec hash (the store options reach an object store)."""
    from ape import project

    pid = parse_part(part)
    number = _parse_version(version)
    key = _read_file(key_file, "--key-file").decode("utf-8", errors="replace").strip()
    _, registry, _ = load_suite(project, deployment_path)
    _require_owner(registry, pid, part, account.address)
    options = storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous)
    try:
        check_content_key(registry, pid, number, key, opener=lambda uri: open_uri(uri, **options))
    except (DecryptionError, HashMismatchError) as exc:
        fail(f"--key-file {key_file}: not the content key of {part!r} v{number}; nothing shared ({exc})")
    enable_autosign(account, autosign)
    shared = share_design_key(registry, account, pid, number, partner_pubkey, key)
    click.echo(f"Shared the key of {part!r} v{number} with {shared.partner} ({len(shared.envelope)}-byte envelope)")


@cli.command(cls=NodeCommand, short_help="Certify a supplier for one version of a part")
@click.argument("part")
@click.argument("version")
@click.argument("supplier")
@account_option()
@click.option("--valid-for", default=None, metavar="DURATION", help="From now: e.g. 365d, 12h.")
@click.option("--valid-until", default=None, metavar="DATE", help="YYYY-MM-DD (UTC, end of day) or a unix time.")
@click.option("--report", "report_file", default=None, metavar="FILE", help="Audit report; its keccak256 is recorded.")
@click.option("--report-hash", default=None, metavar="HEX", help="keccak256 of the audit report, if the file is elsewhere.")
@deployment_option()
@autosign_option()
@one_line_errors
def certify(
    part: str,
    version: str,
    supplier: str,
    account: Any,
    valid_for: str | None,
    valid_until: str | None,
    report_file: str | None,
    report_hash: str | None,
    deployment_path: str | None,
    autosign: bool,
) -> None:
    """Attest that SUPPLIER meets VERSION of PART until a date (run as a certifier)."""
    from ape import chain, project

    pid = parse_part(part)
    number = _parse_version(version)
    who = resolve_address(supplier, "SUPPLIER")
    if (valid_for is None) == (valid_until is None):
        fail("give exactly one of --valid-for and --valid-until")
    if (report_file is None) == (report_hash is None):
        fail("give exactly one of --report and --report-hash")
    digest = spec_hash(_read_file(report_file, "--report")) if report_file else _parse_hash(report_hash or "")
    duration = parse_duration(valid_for, "--valid-for") if valid_for else None
    fixed_end = _parse_date(valid_until) if valid_until else None
    _, registry, _ = load_suite(project, deployment_path)
    latest = _known_part(registry, pid, part)
    if number > latest:
        fail(f"part {part!r} has no version {number} (latest is {latest})")
    now = int(chain.blocks.head.timestamp)
    until = now + duration if duration is not None else int(fixed_end or 0)
    if until <= now:
        fail(f"the certification would end at {until}, which is not after the chain's time {now}")
    simulate(registry.certify, pid, number, who, until, digest, sender=account, refuser="the registry")
    enable_autosign(account, autosign)
    receipt = registry.certify(pid, number, who, until, digest, sender=account)
    ends = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    click.echo(f"Certified {who} for {part!r} v{number} until {ends} ({receipt.txn_hash})")


@cli.command(cls=NodeCommand, short_help="Withdraw a supplier's certification")
@click.argument("part")
@click.argument("version")
@click.argument("supplier")
@account_option()
@deployment_option()
@autosign_option()
@one_line_errors
def uncertify(part: str, version: str, supplier: str, account: Any, deployment_path: str | None, autosign: bool) -> None:
    """Revoke SUPPLIER's certification for VERSION of PART (run as a certifier)."""
    from ape import project

    pid = parse_part(part)
    number = _parse_version(version)
    who = resolve_address(supplier, "SUPPLIER")
    _, registry, _ = load_suite(project, deployment_path)
    _known_part(registry, pid, part)
    simulate(registry.revoke_certification, pid, number, who, sender=account, refuser="the registry")
    enable_autosign(account, autosign)
    receipt = registry.revoke_certification(pid, number, who, sender=account)
    click.echo(f"Revoked the certification of {who} for {part!r} v{number} ({receipt.txn_hash})")


def _parse_hash(text: str) -> bytes:
    cleaned = text.strip()
    if not re.fullmatch(r"(0[xX])?[0-9a-fA-F]{64}", cleaned):
        fail(f"--report-hash: {text!r} is not 32 bytes of hex")
    return bytes.fromhex(cleaned[2:] if cleaned[:2].lower() == "0x" else cleaned)


def _parse_date(text: str) -> int:
    cleaned = text.strip()
    if cleaned.isdigit():
        return int(cleaned)
    try:
        day = datetime.strptime(cleaned, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        fail(f"--valid-until: {text!r} is neither YYYY-MM-DD nor a unix time")
    return int(day.timestamp()) + 86_399
