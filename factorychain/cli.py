"""``factorychain`` command line: hash, encrypt and share designs, sign and check delivery receipts.

Secrets never go on the command line (where ``ps`` and shell history would keep them): private
keys come from an environment variable or an encrypted keystore, content keys from a key file or
an environment variable. Every mistake a user can make ends in one ``error: ...`` line on stderr
and a non-zero exit status (2 for a malformed command line, 1 for everything else).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from ._hex import as_address, as_bytes, to_hex
from .crypto import decrypt_document, encrypt_document, new_content_key
from .envelopes import unwrap_key, wrap_key
from .errors import FactoryChainError, InvalidInputError
from .keys import (
    Keystore,
    address_from_private_key,
    address_from_public_key,
    parse_private_key,
    public_key_from_private,
)
from .receipts import SignedReceipt, check_receipt, sign_receipt, verify_receipt
from .spec import part_id as part_id_of
from .spec import part_id_from_hex, spec_hash, verify_spec_hash
from .store import LocalStore, open_uri

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> NoReturn:
    text = " ".join(str(message).split()) or "unknown error"
    click.echo(f"error: {text}", err=True)
    sys.exit(code)


class _OneLineErrors(click.Group):
    """A group whose every user error is one ``error: ...`` line, never a usage dump or traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "factorychain"
            _fail(f"{exc.format_message()} (see '{command} --help')", exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except FactoryChainError as exc:
            _fail(str(exc), 1)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}", 1)
        sys.exit(result if isinstance(result, int) else 0)


class _Hex(click.ParamType):
    """A hex value (``0x`` optional) of a fixed byte length."""

    def __init__(self, length: int | None, what: str) -> None:
        self.length = length
        self.what = what
        self.name = f"hex{length * 8 if length else ''}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            return as_bytes(value, self.what, self.length)
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


class _Address(click.ParamType):
    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return as_address(value, "address")
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


ADDRESS = _Address()
EXISTING_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
NEW_FILE = click.Path(dir_okay=False, writable=True, path_type=Path)


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise click.UsageError(f"environment variable {name} (the {what}) is not set or empty")
    return value


def _write_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only; never overwrite a key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.UsageError(f"refusing to overwrite existing key file {path}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2))


def part_options(func: F) -> F:
    """``--part-id HEX`` or ``--part-number TEXT`` (hashed as in :func:`factorychain.spec.part_id`)."""
    func = click.option("--part-number", help="OEM part number; the part id is its keccak256.")(func)
    func = click.option("--part-id", type=_Hex(32, "part id"), help="bytes32 part id as hex.")(func)
    return func


def _part(part_id: bytes | None, part_number: str | None) -> bytes:
    if (part_id is None) == (part_number is None):
        raise click.UsageError("give exactly one of --part-id and --part-number")
    return part_id_from_hex(part_id) if part_id is not None else part_id_of(part_number or "")


def content_key_options(func: F) -> F:
    """``--key-file PATH`` or ``--key-env NAME`` holding a 32-byte content key as hex."""
    func = click.option(
        "--key-env", metavar="NAME", help="Environment variable holding the content key (hex)."
    )(func)
    func = click.option("--key-file", type=EXISTING_FILE, help="File holding the content key (hex).")(func)
    return func


def _content_key(key_file: Path | None, key_env: str | None) -> bytes:
    if (key_file is None) == (key_env is None):
        raise click.UsageError("give exactly one of --key-file and --key-env")
    text = (
        key_file.read_text(encoding="utf-8") if key_file is not None else _env(key_env or "", "content key")
    )
    return as_bytes(text, "content key", 32)


def signer_options(func: F) -> F:
    """``--private-key-env NAME``, or ``--keystore FILE`` with ``--password-env NAME`` (or a prompt)."""
    func = click.option(
        "--password-env", metavar="NAME", help="Environment variable holding the keystore password."
    )(func)
    func = click.option("--keystore", type=EXISTING_FILE, help="Encrypted JSON keystore file.")(func)
    func = click.option(
        "--private-key-env", metavar="NAME", help="Environment variable holding the private key (hex)."
    )(func)
    return func


def _signer(private_key_env: str | None, keystore: Path | None, password_env: str | None) -> bytes | Keystore:
    if (private_key_env is None) == (keystore is None):
        raise click.UsageError("give exactly one of --private-key-env and --keystore")
    if keystore is not None:
        if password_env is not None:
            password = _env(password_env, "keystore password")
        else:
            password = click.prompt(f"Password for {keystore}", hide_input=True)
        return Keystore(keystore, password)
    if password_env is not None:
        raise click.UsageError("--password-env goes with --keystore")
    return parse_private_key(_env(private_key_env or "", "private key"))


def _private_key(private_key_env: str | None, keystore: Path | None, password_env: str | None) -> bytes:
    signer = _signer(private_key_env, keystore, password_env)
    return signer.private_key() if isinstance(signer, Keystore) else signer


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="factorychain")
def cli() -> None:
    """FactoryChain off-chain tools: design hashing, encryption, key envelopes, delivery receipts, data vault."""


@cli.command("hash")
@click.argument("file", type=EXISTING_FILE)
def hash_command(file: Path) -> None:
    """Print the keccak256 of FILE (a design's spec hash, or a receipt hash)."""
    click.echo(to_hex(spec_hash(file.read_bytes())))


@cli.command("part-id")
@click.argument("number")
def part_id_command(number: str) -> None:
    """Print the bytes32 part id of an OEM part NUMBER (keccak256 of its UTF-8 bytes)."""
    click.echo(to_hex(part_id_of(number)))


@cli.command("encrypt")
@click.argument("file", type=EXISTING_FILE)
@part_options
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    required=True,
    help="Registry version this file becomes.",
)
@click.option(
    "--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Store folder."
)
@click.option(
    "--key-file",
    "key_out",
    type=NEW_FILE,
    help="Write the content key here (mode 600) instead of printing it.",
)
def encrypt_command(
    file: Path,
    part_id: bytes | None,
    part_number: str | None,
    version: int,
    out_dir: Path,
    key_out: Path | None,
) -> None:
    """Encrypt FILE under a fresh content key into --out-dir; print its URI and spec hash."""
    pid = _part(part_id, part_number)
    document = file.read_bytes()
    key = new_content_key()
    uri = LocalStore(out_dir).put(encrypt_document(document, key, pid, version))
    result: dict[str, Any] = {
        "part_id": to_hex(pid),
        "version": version,
        "spec_hash": to_hex(spec_hash(document)),
        "uri": uri,
    }
    if key_out is not None:
        _write_secret(key_out, to_hex(key))
        result["key_file"] = str(key_out)
    else:
        result["content_key"] = to_hex(key)
    _echo_json(result)


@cli.command("decrypt")
@click.argument("source")
@part_options
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    required=True,
    help="Registry version of the document.",
)
@content_key_options
@click.option(
    "--expect-hash",
    type=_Hex(32, "expected spec hash"),
    help="Refuse unless the plaintext has this keccak256.",
)
@click.option("--out", type=NEW_FILE, help="Write the plaintext here (default: stdout).")
def decrypt_command(
    source: str,
    part_id: bytes | None,
    part_number: str | None,
    version: int,
    key_file: Path | None,
    key_env: str | None,
    expect_hash: bytes | None,
    out: Path | None,
) -> None:
    """Decrypt SOURCE (a path or a registry URI such as file://...) and check its hash."""
    pid = _part(part_id, part_number)
    key = _content_key(key_file, key_env)
    if "://" in source:
        ciphertext = open_uri(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"file {source!r} does not exist", param_hint="'SOURCE'")
        ciphertext = path.read_bytes()
    document = decrypt_document(ciphertext, key, pid, version)
    if expect_hash is not None:
        verify_spec_hash(document, expect_hash)
    if out is None:
        click.get_binary_stream("stdout").write(document)
    else:
        out.write_bytes(document)


@cli.command("pubkey")
@signer_options
def pubkey_command(private_key_env: str | None, keystore: Path | None, password_env: str | None) -> None:
    """Print your address and the public key OEMs encrypt key envelopes to."""
    key = _private_key(private_key_env, keystore, password_env)
    _echo_json({"address": address_from_private_key(key), "public_key": to_hex(public_key_from_private(key))})


@cli.command("wrap-key")
@click.option(
    "--to",
    "public_key",
    type=_Hex(None, "partner public key"),
    required=True,
    help="Partner's public key (hex).",
)
@part_options
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    required=True,
    help="Registry version the key unlocks.",
)
@content_key_options
def wrap_key_command(
    public_key: bytes,
    part_id: bytes | None,
    part_number: str | None,
    version: int,
    key_file: Path | None,
    key_env: str | None,
) -> None:
    """Encrypt a content key to a partner's public key; print the envelope for share_key."""
    pid = _part(part_id, part_number)
    envelope = wrap_key(_content_key(key_file, key_env), public_key, pid, version)
    _echo_json({"partner": address_from_public_key(public_key), "envelope": to_hex(envelope)})


@cli.command("unwrap-key")
@click.argument("envelope", type=_Hex(None, "envelope"))
@part_options
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    required=True,
    help="Registry version the key unlocks.",
)
@signer_options
@click.option(
    "--key-file",
    "key_out",
    type=NEW_FILE,
    help="Write the content key here (mode 600) instead of printing it.",
)
def unwrap_key_command(
    envelope: bytes,
    part_id: bytes | None,
    part_number: str | None,
    version: int,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
    key_out: Path | None,
) -> None:
    """Open a KeyShared ENVELOPE (hex) with your private key; print or save the content key."""
    pid = _part(part_id, part_number)
    key = unwrap_key(envelope, _private_key(private_key_env, keystore, password_env), pid, version)
    if key_out is not None:
        _write_secret(key_out, to_hex(key))
        click.echo(str(key_out))
    else:
        click.echo(to_hex(key))


@cli.command("sign-receipt")
@click.option("--order-id", type=click.IntRange(min=1), required=True)
@click.option("--lot", type=click.IntRange(min=1), required=True, help="Lot of the order (1, 2, 3 ...).")
@click.option(
    "--shipment-hash",
    type=_Hex(32, "shipment hash"),
    required=True,
    help="The lot's shipment hash, as the supplier gave it to ship (escrow.get_lot(order, lot)).",
)
@click.option(
    "--receipt-hash", type=_Hex(32, "receipt hash"), required=True, help="keccak256 of the delivery evidence."
)
@click.option(
    "--deadline", type=click.IntRange(min=0), required=True, help="Unix time after which the receipt is void."
)
@click.option("--chain-id", type=click.IntRange(min=1), required=True)
@click.option("--escrow", type=ADDRESS, required=True, help="OrderEscrow address.")
@signer_options
def sign_receipt_command(
    order_id: int,
    lot: int,
    shipment_hash: bytes,
    receipt_hash: bytes,
    deadline: int,
    chain_id: int,
    escrow: str,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
) -> None:
    """Sign an EIP-712 delivery receipt for one lot; print it as JSON for a relayer.

    A deadline already past (by this machine's clock) is refused.
    """
    signer = _signer(private_key_env, keystore, password_env)
    receipt = sign_receipt(signer, order_id, lot, shipment_hash, receipt_hash, deadline, chain_id, escrow)
    _echo_json({**receipt.to_dict(), "signer": verify_receipt(receipt)})


@cli.command("verify-receipt")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--signer", "signers", type=ADDRESS, multiple=True, help="Allowed signer (repeatable): buyer, inspector."
)
@click.option("--chain-id", type=click.IntRange(min=1), help="Chain the receipt will be relayed to.")
@click.option("--escrow", type=ADDRESS, help="Escrow the receipt will be relayed to.")
@click.option(
    "--shipment-hash",
    type=_Hex(32, "shipment hash"),
    help="Refuse unless the receipt names this shipment (the lot's, from escrow.get_lot).",
)
@click.option(
    "--now", type=click.IntRange(min=0), help="Unix time to check the deadline against (default: now)."
)
def verify_receipt_command(
    file: Any,
    signers: tuple[str, ...],
    chain_id: int | None,
    escrow: str | None,
    shipment_hash: bytes | None,
    now: int | None,
) -> None:
    """Check a receipt JSON FILE ('-' for stdin) and print its signer's address."""
    try:
        data = json.load(file)
    except ValueError:
        raise InvalidInputError(f"{getattr(file, 'name', 'receipt')} is not valid JSON") from None
    receipt = SignedReceipt.from_dict(data)
    signer = verify_receipt(receipt)
    check_receipt(
        receipt, signers or [signer], chain_id=chain_id, escrow=escrow, shipment_hash=shipment_hash, now=now
    )
    claimed = data.get("signer")
    if claimed is not None and as_address(claimed, "signer") != signer:
        raise InvalidInputError(f"receipt names signer {claimed} but is signed by {signer}")
    click.echo(signer)

# ---------------------------------------------------------------- the data vault


def store_options(func: F) -> F:
    """``--s3-endpoint``, ``--s3-region``, ``--s3-profile``, ``--s3-anonymous``: where an S3-compatible
    store is and how to sign in (credentials stay in the environment or the AWS profile)."""
    func = click.option("--s3-anonymous", is_flag=True, help="Read a public bucket without credentials.")(func)
    func = click.option("--s3-profile", metavar="NAME", help="AWS profile holding the credentials.")(func)
    func = click.option("--s3-region", metavar="REGION", help="Region of the S3 service.")(func)
    func = click.option(
        "--s3-endpoint", metavar="URL", help="S3-compatible endpoint (MinIO, R2, NCP …); default AWS or $AWS_ENDPOINT_URL."
    )(func)
    return func


def storage_options_from(
    s3_endpoint: str | None, s3_region: str | None, s3_profile: str | None, s3_anonymous: bool
) -> dict[str, Any]:
    """The fsspec storage options :func:`store_options` asked for."""
    from .store import s3_options

    return s3_options(s3_endpoint, s3_region, s3_profile, s3_anonymous)


VAULT_DIR = click.Path(file_okay=False, path_type=Path)


def _vault(directory: Path) -> Any:
    from .vault import Vault

    return Vault.open(directory)


def _parse_lot(text: str) -> tuple[int, int]:
    order, _, lot = text.partition(":")
    if not (order.isdigit() and lot.isdigit() and int(order) > 0 and int(lot) > 0):
        raise click.BadParameter(f"{text!r} is not ORDER:LOT (two positive integers)", param_hint="'--lot'")
    return int(order), int(lot)


@cli.group("vault")
def vault_group() -> None:
    """Encrypted production records: ingest, disclose one record, verify a disclosure."""


@vault_group.command("init")
@click.argument("directory", type=VAULT_DIR)
@click.option("--name", required=True, help="Stream name (a machine, a line, a lot); its keccak256 is the label.")
@click.option("--store", "store", required=True, help="Folder or URL the encrypted batches go to (s3://bucket/prefix).")
@store_options
@click.option("--owner-pubkey", type=_Hex(None, "owner public key"), help="Owner's public key, instead of a key option.")
@signer_options
@click.option("--anchor", "anchor", type=ADDRESS, help="DataAnchor address the stream is anchored on.")
@click.option("--chain-id", type=click.IntRange(min=1), help="Chain id of --anchor.")
def vault_init_command(
    directory: Path,
    name: str,
    store: str,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    owner_pubkey: bytes | None,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
    anchor: str | None,
    chain_id: int | None,
) -> None:
    """Create a vault in DIRECTORY: a new stream key, wrapped to the owner's own public key."""
    from .vault import Vault

    if (anchor is None) != (chain_id is None):
        raise click.UsageError("give --anchor and --chain-id together")
    if owner_pubkey is None:
        owner_pubkey = public_key_from_private(_private_key(private_key_env, keystore, password_env))
    elif private_key_env or keystore:
        raise click.UsageError("give --owner-pubkey or a key option, not both")
    options = storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous)
    if "://" not in store:
        store = str(Path(store).expanduser().resolve())  # the vault is used from other folders too
    vault, _ = Vault.create(
        directory, name=name, owner_public_key=owner_pubkey, store=store, storage_options=options, chain_id=chain_id, anchor=anchor
    )
    config = vault.config
    _echo_json({"vault": str(directory), "stream": to_hex(config.stream), "label": to_hex(config.label), "owner": config.owner, "store": config.store})


@vault_group.command("ingest")
@click.argument("directory", type=VAULT_DIR)
@click.argument("file", type=EXISTING_FILE)
@click.option("--format", "record_format", type=click.Choice(["csv", "jsonl"]), help="Default: from the file name.")
@click.option("--batch-size", type=click.IntRange(min=1, max=(1 << 24)), default=65_536, show_default=True)
@click.option("--workers", type=click.IntRange(min=1, max=64), default=1, show_default=True, help="Processes sealing batches.")
@signer_options
def vault_ingest_command(
    directory: Path,
    file: Path,
    record_format: str | None,
    batch_size: int,
    workers: int,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
) -> None:
    """Seal FILE's records (CSV or JSON Lines) in batches into the vault's store; print each batch."""
    import time

    from .vault import ingest_file

    vault = _vault(directory)
    key = vault.stream_key(_private_key(private_key_env, keystore, password_env))
    started = time.perf_counter()
    entries = ingest_file(
        vault,
        file,
        key,
        record_format=record_format,
        batch_size=batch_size,
        workers=workers,
        on_batch=lambda e: click.echo(f"batch {e.seq}: {e.record_count} records from line {e.first_line}, root {e.root}, {e.uri}"),
    )
    elapsed = time.perf_counter() - started
    total = sum(entry.record_count for entry in entries)
    click.echo(f"ingested {total} records in {len(entries)} batch(es) in {elapsed:.2f} s; anchor them next")


@vault_group.command("batches")
@click.argument("directory", type=VAULT_DIR)
def vault_batches_command(directory: Path) -> None:
    """List the vault's batches and where each is anchored."""
    vault = _vault(directory)
    for entry in vault.batches():
        if entry.anchored:
            where = f"anchored as batch {entry.anchored['batch']} on {entry.anchored['contract']}"
        elif entry.lot:
            where = f"shipped as lot {entry.lot['order_id']}:{entry.lot['lot']}"
        else:
            where = "not anchored"
        click.echo(f"{entry.seq}\t{entry.record_count}\t{entry.root}\t{where}\t{entry.uri}")


@vault_group.command("disclose")
@click.argument("directory", type=VAULT_DIR)
@click.option("--batch", "selector", required=True, help="Batch number in the vault (1, 2 …), or its root.")
@click.option("--index", type=click.IntRange(min=0), help="Record index in the batch (0-based).")
@click.option("--line", type=click.IntRange(min=1), help="Line of the source file, instead of --index.")
@click.option("--out", type=NEW_FILE, required=True, help="Disclosure file to write.")
@click.option("--lot", help="ORDER:LOT whose shipment_hash is this batch's root (instead of a DataAnchor batch).")
@click.option("--escrow", type=ADDRESS, help="Escrow of --lot.")
@click.option("--chain-id", type=click.IntRange(min=1), help="Chain of --lot's escrow.")
@click.option("--with-key", is_flag=True, help="Add the record's own key, so the holder can open it in the store.")
@store_options
@signer_options
def vault_disclose_command(
    directory: Path,
    selector: str,
    index: int | None,
    line: int | None,
    out: Path,
    lot: str | None,
    escrow: str | None,
    chain_id: int | None,
    with_key: bool,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
) -> None:
    """Write a disclosure of one record: the record, its salt, its proof and where it is anchored."""
    from .store import open_uri
    from .vault import AnchorRef, make_disclosure, open_batch, record_key, write_disclosure

    vault = _vault(directory)
    entry = vault.batch(selector)
    if (index is None) == (line is None):
        raise click.UsageError("give exactly one of --index and --line")
    position = index if index is not None else (line or 0) - entry.first_line
    if not 0 <= position < entry.record_count:
        raise InvalidInputError(f"batch {entry.seq} holds records 0 .. {entry.record_count - 1} (lines {entry.first_line} .. {entry.first_line + entry.record_count - 1})")
    if lot is not None:
        if escrow is None or chain_id is None:
            raise click.UsageError("--lot needs --escrow and --chain-id")
        order_id, lot_number = _parse_lot(lot)
        anchor = AnchorRef.escrow_lot(chain_id, escrow, order_id, lot_number)
    elif entry.anchored:
        found = entry.anchored
        anchor = AnchorRef.data_anchor(found["chain_id"], found["contract"], vault.config.stream, found["batch"])
    elif entry.lot:
        found = entry.lot
        anchor = AnchorRef.escrow_lot(found["chain_id"], found["contract"], found["order_id"], found["lot"])
    else:
        raise InvalidInputError(f"batch {entry.seq} is not anchored yet: anchor it (`ape run vault anchor`) or give --lot")
    key = vault.stream_key(_private_key(private_key_env, keystore, password_env))
    options = storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous) or vault.config.storage_options
    data = open_uri(entry.uri, **options)
    opened = open_batch(data, key)
    if to_hex(opened.header.root) != entry.root:
        raise InvalidInputError(f"the file at {entry.uri} is not batch {entry.seq} (root {to_hex(opened.header.root)})")
    pad = record_key(data, key, position) if with_key else None
    disclosure = make_disclosure(opened, position, anchor=anchor, uri=entry.uri, record_key=pad)
    write_disclosure(disclosure, out)
    if lot is not None and not entry.lot:
        vault.update(entry.seq, lot=anchor.to_json())
    click.echo(f"disclosed record {position} (line {entry.first_line + position}) of batch {entry.seq}: {out}")


@vault_group.command("verify")
@click.argument("file", type=EXISTING_FILE)
@click.option("--rpc", metavar="URL", envvar="FACTORYCHAIN_RPC", help="Node to read the anchored root from ($FACTORYCHAIN_RPC).")
@click.option("--offline", is_flag=True, help="Check record, salt and proof only; do not read the chain.")
@click.option("--fetch", is_flag=True, help="Also open the record in the store with the disclosed record key.")
@store_options
def vault_verify_command(
    file: Path,
    rpc: str | None,
    offline: bool,
    fetch: bool,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
) -> None:
    """Check a disclosure FILE: record, salt, proof, and the root on chain; say which check fails."""
    from .store import open_uri
    from .vault import VerificationError, check_disclosure, decrypt_record, read_disclosure
    from .vault.onchain import RpcReader

    disclosure = read_disclosure(file)
    if offline:
        rpc = None
    elif not rpc:
        raise click.UsageError("give --rpc URL (or $FACTORYCHAIN_RPC) to check the root on chain, or --offline")
    if rpc and disclosure.anchor is None:
        raise VerificationError("root", "the disclosure does not say where its root is anchored")
    check_disclosure(disclosure)
    if fetch:
        if not disclosure.uri or disclosure.record_key is None:
            raise click.UsageError("--fetch needs a disclosure with a uri and a record_key (disclose --with-key)")
        data = open_uri(disclosure.uri, **storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous))
        if decrypt_record(data, disclosure.index, disclosure.record_key) != disclosure.record:
            raise VerificationError("record", f"the record stored at {disclosure.uri} is not the disclosed one")
    if rpc and disclosure.anchor is not None:
        check_disclosure(disclosure, onchain_root=RpcReader(rpc).root(disclosure.anchor))
        click.echo(f"ok: record {disclosure.index} holds against {disclosure.anchor.describe()}")
    else:
        click.echo(f"ok (offline): record {disclosure.index}, its salt and proof lead to root {to_hex(disclosure.root)}; not checked on chain")


@vault_group.command("share")
@click.argument("directory", type=VAULT_DIR)
@click.option("--to", "public_key", type=_Hex(None, "reader public key"), required=True, help="Auditor's public key.")
@signer_options
def vault_share_command(
    directory: Path, public_key: bytes, private_key_env: str | None, keystore: Path | None, password_env: str | None
) -> None:
    """Wrap the stream key to a reader's public key; print the envelope (for DataAnchor.share_key)."""
    from .vault import wrap_stream_key

    vault = _vault(directory)
    key = vault.stream_key(_private_key(private_key_env, keystore, password_env))
    envelope = wrap_stream_key(key, public_key, vault.config.stream)
    _echo_json({"stream": to_hex(vault.config.stream), "reader": address_from_public_key(public_key), "envelope": to_hex(envelope)})


@vault_group.command("read")
@click.argument("uri")
@click.option("--envelope", type=_Hex(None, "envelope"), required=True, help="The stream key's envelope to you.")
@click.option("--index", type=click.IntRange(min=0), help="Print only this record.")
@store_options
@signer_options
def vault_read_command(
    uri: str,
    envelope: bytes,
    index: int | None,
    s3_endpoint: str | None,
    s3_region: str | None,
    s3_profile: str | None,
    s3_anonymous: bool,
    private_key_env: str | None,
    keystore: Path | None,
    password_env: str | None,
) -> None:
    """Open a batch at URI with a stream-key envelope shared with you (an auditor); print its records."""
    from .store import open_uri
    from .vault import open_batch, read_header, unwrap_stream_key

    data = open_uri(uri, **storage_options_from(s3_endpoint, s3_region, s3_profile, s3_anonymous))
    header, _ = read_header(data)
    key = unwrap_stream_key(envelope, _private_key(private_key_env, keystore, password_env), header.stream)
    opened = open_batch(data, key)
    out = click.get_binary_stream("stdout")
    if index is not None:
        if index >= header.record_count:
            raise InvalidInputError(f"the batch holds records 0 .. {header.record_count - 1}")
        out.write(opened.records[index] + b"\n")
        return
    if opened.header_line:
        out.write(opened.header_line + b"\n")
    out.write(b"\n".join(opened.records) + b"\n")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="factorychain")
