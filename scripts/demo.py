"""The whole FactoryChain story on a local chain, with who got what and the gas of every step.

    ape run demo                 # what `make demo` runs
    ape run demo --units 500 --price 4.2

An OEM publishes an encrypted part design, admits a supplier and has it certified, orders parts,
the supplier accepts declaring two subcontractors, ships, the OEM's gate scanner (a key that
holds no ETH) signs a delivery receipt off chain, a courier relays it, and the escrow pays the
supplier and both subcontractors in the same transaction. A second order is never confirmed:
after the review period anyone releases it.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from ape.logging import logger
from eth_utils import keccak, to_checksum_address

from factorychain import LocalStore, deploy_suite, fetch_design, part_id as make_part_id, publish_design, share_design_key, sign_receipt
from factorychain.errors import EnvelopeNotFoundError
from factorychain.keys import public_key_from_private
from factorychain.orders import relay_receipt

DAY = 86_400
ROLE_NAMES = {keccak(text=name): name for name in ("MANUFACTURER_ROLE", "CERTIFIER_ROLE", "ARBITER_ROLE")}
BPS = 10_000
DESIGN = b"""PN-4711 engine-mount bracket, rev A
material: S355J2 steel, 8 mm; holes 4x M10; tolerance ISO 2768-m
heat treatment: quench and temper, 28-32 HRC; coating: zinc flake, 480 h salt spray
"""


def eth(wei: int) -> str:
    return f"{Decimal(wei) / Decimal(10**18):,.6f}"


def table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(headers)]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    click.echo(f"\n{title}")
    click.echo(line)
    click.echo("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    click.echo(line)
    for row in rows:
        cells = [str(c).rjust(w) if str(c)[:1].isdigit() else str(c).ljust(w) for c, w in zip(row, widths)]
        click.echo("| " + " | ".join(cells) + " |")
    click.echo(line)


class Story:
    """Runs the steps, narrating each one and recording its gas."""

    def __init__(self) -> None:
        self.gas: list[list[str]] = []

    def step(self, who: str, what: str, receipt: Any) -> Any:
        self.gas.append([str(len(self.gas) + 1), who, what, f"{receipt.gas_used:,}"])
        click.echo(f"  {len(self.gas):>2}. {who:<16} {what}")
        return receipt


@click.command(cls=ConnectedProviderCommand, short_help="Run the FactoryChain story on a local chain")
@click.option("--units", default=1_000, show_default=True, help="Parts ordered.")
@click.option("--price", default="12.5", show_default=True, help="Order price in ETH.")
def cli(units: int, price: str) -> None:
    # The story prints its own narration; Ape's per-transaction INFO lines would drown it.
    logger.set_level("WARNING")
    try:
        amount = int(Decimal(price) * 10**18)
    except ArithmeticError:
        raise click.BadParameter(f"not a number: {price}", param_hint="--price") from None
    if amount <= 0 or units <= 0:
        raise click.BadParameter("units and price must be positive")

    test = accounts.test_accounts
    admin, oem, qa, supplier, heat, coat, arbiter, courier, stranger = (test[i] for i in range(9))
    # The gate scanner is a fresh key with no ETH: it only ever signs receipts.
    scanner = test.generate_test_account()
    names = {
        admin.address: "operator (admin)",
        oem.address: "OEM / buyer",
        qa.address: "QA certifier",
        supplier.address: "supplier",
        heat.address: "sub: heat treat",
        coat.address: "sub: coating",
        courier.address: "courier (relayer)",
        arbiter.address: "arbiter",
        scanner.address: "gate scanner",
    }
    story = Story()

    click.echo("FactoryChain demo — a part design, an order, a signed receipt, an automatic payout")
    click.echo(f"chain id {chain.chain_id}, block {chain.blocks.height}\n")
    click.echo("Set-up")
    suite = deploy_suite(project, admin, manufacturers=[oem], certifiers=[qa], arbiters=[arbiter], write=False)
    registry, escrow = suite.registry, suite.escrow
    for tx_hash in suite.transactions:
        receipt = chain.get_receipt(tx_hash)
        if receipt.contract_address:
            what = "deploy " + ("PartRegistry" if receipt.contract_address == registry.address else "OrderEscrow")
        else:
            target = registry if receipt.receiver == registry.address else escrow
            _, args = target.decode_input(receipt.transaction.data)
            what = f"grant {ROLE_NAMES.get(bytes(args['role']), 'role')} to {names.get(args['account'], args['account'])}"
        story.step("operator", what, receipt)

    click.echo("\nDesign: published encrypted, shared with the supplier only")
    store_dir = Path(tempfile.mkdtemp(prefix="factorychain-demo-store-"))
    pid = make_part_id("PN-4711")
    design = publish_design(registry, oem, pid, DESIGN, LocalStore(store_dir))
    story.step("OEM", f"register PN-4711 v{design.version} (hash + encrypted file URI)", design.receipt)
    click.echo(f"      spec hash {design.spec_hash.hex()[:16]}..., ciphertext at {design.uri}")
    story.step("OEM", "grant supplier access", registry.grant_access(pid, supplier, sender=oem))
    shared = share_design_key(registry, oem, pid, design.version, public_key_from_private(supplier.private_key), design.content_key)
    story.step("OEM", "share content key with supplier (ECIES)", shared.receipt)
    plaintext = fetch_design(registry, pid, design.version, supplier.private_key)
    click.echo(f"      supplier decrypted the design and matched spec_hash: {plaintext.splitlines()[0].decode()}")
    try:
        fetch_design(registry, pid, design.version, stranger.private_key)
        raise click.ClickException("a stranger could read the design")  # pragma: no cover
    except EnvelopeNotFoundError:
        click.echo(
            f"      stranger: has_access={registry.has_access(pid, stranger)}, no key envelope, "
            "ciphertext unreadable"
        )
    valid_until = chain.pending_timestamp + 365 * DAY
    story.step("QA", "certify supplier for PN-4711 v1 (1 year)", registry.certify(pid, 1, supplier, valid_until, keccak(text="audit 2026-117"), sender=qa))

    click.echo(f"\nOrder 1: {units:,} brackets for {eth(amount)} ETH, confirmed by a signed receipt")
    payees = [(heat.address, 1_500), (coat.address, 800)]
    tx = escrow.create_order(
        supplier, pid, 1, units, "0x" + "00" * 20, amount, chain.pending_timestamp + 14 * DAY, 3 * DAY,
        scanner, keccak(text="PO-2026-0042"), sender=oem, value=amount,
    )
    order_id = tx.return_value
    story.step("OEM", f"create order #{order_id}, {eth(amount)} ETH locked", tx)
    story.step("supplier", "accept: heat treat 15%, coating 8%", escrow.accept_order(order_id, payees, sender=supplier))
    story.step("supplier", "mark shipped (ASN hash)", escrow.mark_shipped(order_id, keccak(text="ASN-88231"), sender=supplier))
    before = {a: chain.provider.get_balance(a) for a in names}
    receipt = sign_receipt(
        scanner.private_key, order_id, keccak(text="GRN-5531 1000/1000 ok"), chain.pending_timestamp + DAY,
        chain.chain_id, escrow.address,
    )
    click.echo(f"      gate scanner signed the receipt off chain (holds {eth(scanner.balance)} ETH)")
    story.step("courier", "relay signed receipt -> payout", relay_receipt(escrow, receipt, courier))
    rows, total = [], 0
    for account, bps in [*payees, (supplier.address, None)]:
        got = chain.provider.get_balance(account) - before[account]
        expected = amount * bps // BPS if bps else amount - sum(amount * b // BPS for _, b in payees)
        total += got
        rows.append([names[account], f"{bps / 100:.2f}%" if bps else "the rest", eth(got), "yes" if got == expected else "NO"])
    rows.append(["total paid out", "100%", eth(total), "yes" if total == amount else "NO"])
    table(f"Order #{order_id} payout (one transaction)", ["payee", "share", "received ETH", "exact"], rows)

    click.echo("\nOrder 2: the buyer never confirms; the review period ends; anyone releases")
    amount2 = amount // 5
    tx = escrow.create_order(
        supplier, pid, 1, units // 5, "0x" + "00" * 20, amount2, chain.pending_timestamp + 14 * DAY, 3 * DAY,
        "0x" + "00" * 20, keccak(text="PO-2026-0043"), sender=oem, value=amount2,
    )
    order2 = tx.return_value
    story.step("OEM", f"create order #{order2}, {eth(amount2)} ETH locked", tx)
    story.step("supplier", "accept: heat treat 15%, coating 8%", escrow.accept_order(order2, payees, sender=supplier))
    story.step("supplier", "mark shipped", escrow.mark_shipped(order2, keccak(text="ASN-88232"), sender=supplier))
    chain.pending_timestamp += 3 * DAY + 1
    click.echo("      ... 3 days and 1 second later, no confirmation, no dispute")
    before = {a: chain.provider.get_balance(a) for a in names}
    story.step("courier", "release after silent review -> payout", escrow.release(order2, sender=courier))
    rows = [
        [names[a], eth(chain.provider.get_balance(a) - before[a])]
        for a in (heat.address, coat.address, supplier.address)
    ]
    table(f"Order #{order2} payout (released)", ["payee", "received ETH"], rows)

    table("Gas of every step", ["#", "who", "step", "gas"], story.gas)
    held = chain.provider.get_balance(escrow.address)
    click.echo(f"\nEscrow now holds {eth(held)} ETH (nothing left behind). Store: {store_dir}")
    if held != 0:
        raise click.ClickException("escrow kept money it should have paid out")
