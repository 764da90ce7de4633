"""Acting as a Safe multisig from the operations commands (``--safe``, ``--proposal``), shared by
``ape run roles grant|revoke`` and ``ape run orders resolve``.

`ape run` ignores files whose name starts with ``_``, so this module is a helper, not a command.
The Safe itself (contracts, hashes, signatures, the proposal file) is :mod:`factorychain.safe`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from factorychain.deployment import deployments_dir
from factorychain.safe import Proposal, Safe, SafeCall, SafeError, SafeTxEntry, safe_reason
from scripts._common import confirm_send, fail, resolve_address, unlock_signer


# ---------------------------------------------------------------- a Safe multisig as the sender


def safe_options() -> Callable[[Any], Any]:
    """``--safe`` and ``--proposal``: send a command's transactions as a Safe transaction."""

    def decorate(func: Any) -> Any:
        func = click.option(
            "--proposal", "proposal_path", default=None, metavar="FILE",
            help="With --safe: the proposal file collecting the owners' signatures "
            "(default: <deployments>/safe-proposals/<chain id>-<safe>-<nonce>.json).",
        )(func)  # fmt: skip
        func = click.option(
            "--safe", "safe_text", default=None, metavar="ADDRESS|ALIAS",
            help="Act as this Safe multisig (address, or an ape-safe alias): --account signs as one of "
            "its owners; the run that reaches the threshold executes.",
        )(func)  # fmt: skip
        return func

    return decorate


def open_safe(text: str) -> Safe:
    """The Safe named by an address or an ape-safe alias (``ape safe add``), checked on the chain."""
    cleaned = text.strip()
    if cleaned.lower().startswith("0x"):
        address = resolve_address(cleaned, "--safe")
    else:
        from ape import accounts

        container = accounts.containers.get("safe")
        aliases = set(container.aliases) if container is not None else set()
        if cleaned not in aliases:
            fail(f"--safe: {text!r} is neither an address nor a Safe alias known to ape-safe (see `ape safe list`)")
        address = str(container.load_account(cleaned).account_data.address)
    try:
        return Safe.at(address)
    except SafeError as exc:
        fail(f"--safe: {exc}")


def _eth_call_reason(sender: str, to: str, data: bytes, value: int = 0) -> str | None:
    """``None`` if the call succeeds on the pending block, else its decoded revert reason."""
    from ape import chain
    from web3.exceptions import ContractLogicError as Web3ContractLogicError

    from factorychain.keeper import revert_reason

    try:
        chain.provider.web3.eth.call({"from": sender, "to": to, "data": "0x" + bytes(data).hex(), "value": int(value)}, "pending")
    except Web3ContractLogicError as exc:
        return revert_reason(exc)
    return None


def _proposal_path(safe: Safe, nonce: int, given: str | None) -> Path:
    if given:
        return Path(given)
    from ape import project

    return deployments_dir(project.path) / "safe-proposals" / f"{safe.chain_id}-{safe.address}-{nonce}.json"


def _load_proposal(path: Path, safe: Safe, entries: list[SafeTxEntry], command: str) -> Proposal:
    """The proposal at ``path`` for exactly these transactions, or a new one if there is no file."""
    if not path.exists():
        return Proposal(safe.chain_id, safe.address, entries, command=command, path=path)
    try:
        proposal = Proposal.read(path)
    except SafeError as exc:
        fail(str(exc))
    if proposal.chain_id != safe.chain_id or proposal.safe != safe.address:
        fail(f"{path} is for Safe {proposal.safe} on chain {proposal.chain_id}, not {safe.address} on chain {safe.chain_id}")
    if [e.safe_tx_hash for e in proposal.transactions] != [e.safe_tx_hash for e in entries]:
        recorded = proposal.transactions[0].nonce if proposal.transactions else 0
        if recorded < entries[0].nonce:
            fail(f"{path} was for Safe nonce {recorded}, which is used now (the Safe's next nonce is {entries[0].nonce}): "
                 "it was executed or replaced; start a new proposal (another --proposal FILE)")  # fmt: skip
        fail(f"{path} holds other transactions than this command builds ({proposal.command or 'another command'}); "
             "run exactly the proposer's command, or use another --proposal FILE")  # fmt: skip
    return proposal


def through_safe(
    safe: Safe,
    calls: Sequence[SafeCall],
    account: Any,
    proposal_path: str | None,
    yes: bool,
    title: str,
    preview: Any = None,
    hints: Mapping[str, str] | None = None,
    refuser: str = "the contract",
) -> list[Any]:
    """Propose, sign and — once the threshold is met — execute ``calls`` as the Safe's transactions.

    Each call is first simulated from the Safe's address (a refusal is one line, with the hint
    for its reason). Then a preview (``preview``, an ``_escrow_views.Preview``, gets the Safe's
    rows), a confirmation (``--yes``), the ``account``'s EIP-712 signature into the proposal file,
    and, if the signatures now reach the threshold, one ``execTransaction`` per call, sent by
    ``account`` after an ``eth_call`` of it (a Safe refusal is one line, e.g. GS026 named).
    Returns the receipts (none if more signatures are needed).
    """
    from scripts._escrow_views import Preview

    for call in calls:
        reason = _eth_call_reason(safe.address, call.to, call.data, call.value)
        if reason is not None:
            hint = (hints or {}).get(reason)
            fail(f"{refuser} would refuse this from Safe {safe.address}: {reason}" + (f" ({hint})" if hint else ""))
    owners = safe.owners()
    threshold = safe.threshold()
    me = str(account.address)
    entries = safe.entries(calls)
    path = _proposal_path(safe, entries[0].nonce, proposal_path)
    proposal = _load_proposal(path, safe, entries, title)
    # Only signatures that recover to the owner they are filed under count.
    valid = [safe.valid_signatures(e, proposal.signature_bytes(e.safe_tx_hash), owners) for e in entries]
    have = min(len(v) for v in valid)
    is_owner = me in owners
    signs = is_owner and any(me not in v for v in valid)
    after = min(len(v) + (1 if is_owner and me not in v else 0) for v in valid)
    if not is_owner and have < threshold:
        fail(f"{me} is not an owner of Safe {safe.address} (owners: {', '.join(owners)}); "
             f"use --account with an owner ({have} of {threshold} signatures so far)")  # fmt: skip
    executes = after >= threshold

    shown = preview if preview is not None else Preview(title)
    shown.row("Safe", f"{safe.address} (Safe {safe.version}, {threshold} of {len(owners)} owners)")
    for entry in entries:
        shown.row(f"Safe tx {entry.nonce}", f"{entry.description}; safeTxHash {entry.safe_tx_hash}")
    signed = sorted(set().union(*[set(v) for v in valid])) if valid else []
    shown.row("signed by", ", ".join(signed) if signed else "nobody yet")
    if signs:
        shown.row("you", f"sign as owner {me} ({after} of {threshold} signatures)")
    if executes:
        shown.row("then", f"execTransaction from {me}: the Safe makes the call{'s' if len(entries) > 1 else ''} now")
    else:
        shown.row("then", f"writes {path}; {threshold - after} more owner(s) run the same command with --proposal {path}")
    shown.show()
    if not signs and not executes:
        fail(f"{me} has signed this proposal already ({after} of {threshold} signatures): "
             f"another owner runs the same command with --proposal {path}")  # fmt: skip
    confirm_send(yes, "Sign and execute this Safe transaction?" if executes and signs else
                 "Execute this Safe transaction?" if executes else "Sign this Safe transaction?")  # fmt: skip
    unlock_signer(account)
    if signs:
        for entry, have_sigs in zip(entries, valid, strict=True):
            if me not in have_sigs:
                signature = safe.sign(account, entry)
                proposal.add_signature(entry.safe_tx_hash, me, signature)
                have_sigs[me] = signature
        try:
            proposal.write(path)
        except SafeError as exc:
            fail(str(exc))
    if not executes:
        click.echo(f"Signed {after} of {threshold}: proposal {path}; another owner runs the same command with --proposal {path}")
        return []
    receipts = []
    for entry, sigs in zip(entries, valid, strict=True):
        args = safe.exec_args(entry, Safe.pack(sigs))
        data = bytes(safe.contract.execTransaction.encode_input(*args))
        reason = _eth_call_reason(me, safe.address, data)
        if reason is not None:
            fail(f"the Safe would refuse execTransaction (nonce {entry.nonce}): {safe_reason(reason)}")
        receipt = safe.contract.execTransaction(*args, sender=account)
        if not list(receipt.decode_logs(safe.contract.ExecutionSuccess)):
            fail(f"Safe transaction {entry.nonce} failed inside the Safe ({receipt.txn_hash})")
        click.echo(f"Executed Safe tx {entry.nonce} ({entry.description}) ({receipt.txn_hash})")
        receipts.append(receipt)
    return receipts
