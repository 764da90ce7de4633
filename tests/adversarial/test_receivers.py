"""Hostile ETH receivers: reverting, gas-burning, return bombs, and ETH forced in by SELFDESTRUCT.

None of them can block the others' payments, make anybody else pay for their code, or change what
the escrow owes: the escrow never reads its own ETH balance for accounting.
"""

from pathlib import Path

import ape
import pytest
from ape.contracts import ContractContainer
from ethpm_types import ContractType

from _adv_support import Party, bomb_bytecode, events_of, memory_cost, payments
from conftest import STATUS, ZERO, h

AMOUNT = 10**18 + 3


@pytest.fixture(scope="module")
def deploy_bomb(admin):
    def _deploy(size: int, revert: bool):
        code = "0x" + bomb_bytecode(size, revert).hex()
        contract_type = ContractType(contractName=f"Bomb{size}", abi=[], deploymentBytecode={"bytecode": code})
        return ContractContainer(contract_type).deploy(sender=admin)

    return _deploy


def test_payout__reverting_subcontractor__deferred_others_paid_and_claim_to_elsewhere(
    escrow, make_order, project, admin, buyer, supplier, sub2, stranger, chain
):
    receiver = project.MockReceiver.deploy(1, sender=admin)
    order_id = make_order(amount=AMOUNT, payees=[(receiver, 3_000), (sub2, 1_000)], stage="shipped")
    before = {a.address: a.balance for a in (supplier, sub2)}
    share, share2 = AMOUNT * 3_000 // 10_000, AMOUNT * 1_000 // 10_000

    tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)

    assert payments(tx, "PaymentDeferred") == [(receiver.address, share)]
    assert payments(tx) == [(sub2.address, share2), (supplier.address, AMOUNT - share - share2)]
    assert sub2.balance == before[sub2.address] + share2
    assert supplier.balance == before[supplier.address] + AMOUNT - share - share2
    assert escrow.credit_of(receiver, ZERO) == share
    assert chain.provider.get_balance(escrow.address) == share
    # Claiming to itself fails as the push did, and leaves the credit where it was.
    with ape.reverts("escrow: claim transfer failed"):
        Party(receiver, admin).do(escrow, "claim", ZERO)
    assert escrow.credit_of(receiver, ZERO) == share
    with ape.reverts("escrow: zero recipient"):
        Party(receiver, admin).do(escrow, "claim_to", ZERO, ZERO)
    stranger_before = stranger.balance

    claim = Party(receiver, admin).do(escrow, "claim_to", ZERO, stranger.address)

    assert events_of(claim, "Claimed") == [escrow.Claimed(account=receiver.address, token=ZERO, amount=share)]
    assert stranger.balance == stranger_before + share
    assert escrow.credit_of(receiver, ZERO) == 0
    assert chain.provider.get_balance(escrow.address) == 0


def test_payout__gas_burning_subcontractor__deferred_and_burns_no_more_than_the_stipend(
    escrow, make_order, project, admin, buyer, supplier, chain
):
    """A burner costs the confirmer at most the 10 000 + 2 300 gas the push hands it."""
    used = {}
    for mode in (1, 2):  # 1 reverts at once, 2 burns everything it is given
        with chain.isolate():
            receiver = project.MockReceiver.deploy(mode, sender=admin)
            order_id = make_order(amount=AMOUNT, payees=[(receiver, 2_000)], stage="shipped")
            tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
            assert payments(tx, "PaymentDeferred") == [(receiver.address, AMOUNT // 5)]
            assert payments(tx) == [(supplier.address, AMOUNT - AMOUNT // 5)]
            assert escrow.credit_of(receiver, ZERO) == AMOUNT // 5
            assert escrow.status(order_id) == STATUS["COMPLETED"]
            used[mode] = tx.gas_used
    assert 0 < used[2] - used[1] <= escrow.ETH_PUSH_GAS() + 2_300


@pytest.mark.parametrize("revert", [False, True], ids=["return", "revert"])
def test_payout__return_bomb_subcontractor__escrow_copies_nothing(
    revert, escrow, make_order, buyer, supplier, chain, deploy_bomb
):
    """A payee returning (or reverting with) 40 kB costs the confirmer exactly the memory the bomb
    itself paid for out of its stipend: the escrow does not copy a byte of it back."""
    size = 40_000
    used = {}
    for n in (0, size):
        with chain.isolate():
            bomb = deploy_bomb(n, revert)
            order_id = make_order(amount=AMOUNT, payees=[(bomb, 2_500)], stage="shipped")
            tx = escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
            kind = "PaymentDeferred" if revert else "Paid"
            assert payments(tx, kind)[0] == (bomb.address, AMOUNT // 4)
            assert payments(tx)[-1] == (supplier.address, AMOUNT - AMOUNT // 4)
            assert chain.provider.get_balance(bomb.address) == (0 if revert else AMOUNT // 4)
            used[n] = tx.gas_used
    assert used[size] - used[0] == memory_cost(size)


def test_claim_to__one_megabyte_return_bomb_recipient__escrow_copies_nothing(
    escrow, make_order, project, admin, buyer, chain, deploy_bomb
):
    """Even with all the gas (claim forwards everything), the escrow pays nothing for the bomb's data."""
    size = 1 << 20
    claimer = project.MockAdvClaimer.deploy(1, sender=admin)
    order_id = make_order(amount=AMOUNT, payees=[(claimer, 5_000)], stage="shipped")
    escrow.confirm_delivery(order_id, h("GRN"), sender=buyer)
    share = AMOUNT // 2
    assert escrow.credit_of(claimer, ZERO) == share
    used = {}
    for n in (0, size):
        with chain.isolate():
            bomb = deploy_bomb(n, False)
            tx = Party(claimer, admin).do(escrow, "claim_to", ZERO, bomb.address)
            assert events_of(tx, "Claimed") == [escrow.Claimed(account=claimer.address, token=ZERO, amount=share)]
            assert chain.provider.get_balance(bomb.address) == share
            used[n] = tx.gas_used
    # The two bombs' addresses differ, and so does the calldata that carries them (<= 20 bytes x 12 gas).
    assert abs(used[size] - used[0] - memory_cost(size)) <= 20 * 12


def test_selfdestruct__eth_forced_into_escrow__accounting_unchanged(
    escrow, make_order, project, admin, buyer, supplier, sub1, stranger, chain
):
    forced = 3 * 10**18 + 1
    with ape.reverts():
        stranger.transfer(escrow, 1)  # no receive: ETH can only be forced in
    bomb = project.MockAdvSelfDestruct.deploy(sender=admin, value=forced)
    first = make_order(amount=AMOUNT, payees=[(sub1, 1_111)], stage="shipped")
    second = make_order(amount=AMOUNT + 1)

    bomb.boom(escrow, sender=stranger)

    assert chain.provider.get_balance(escrow.address) == forced + 2 * AMOUNT + 1
    before = {a.address: a.balance for a in (supplier, sub1)}
    tx = escrow.confirm_delivery(first, h("GRN"), sender=buyer)
    share = AMOUNT * 1_111 // 10_000
    assert payments(tx) == [(sub1.address, share), (supplier.address, AMOUNT - share)]
    assert sub1.balance == before[sub1.address] + share
    assert supplier.balance == before[supplier.address] + AMOUNT - share
    buyer_before = buyer.balance
    cancel = escrow.cancel_order(second, sender=buyer)
    assert buyer.balance == buyer_before + AMOUNT + 1 - cancel.gas_used * cancel.gas_price
    # The forced ETH belongs to nobody: no order, no credit can reach it.
    assert chain.provider.get_balance(escrow.address) == forced
    assert escrow.credit_of(bomb, ZERO) == 0
    for account in (stranger, buyer, supplier):
        assert escrow.credit_of(account, ZERO) == 0
        with ape.reverts("escrow: nothing to claim"):
            escrow.claim(ZERO, sender=account)


def test_source__escrow_never_reads_its_own_balance():
    """The behavioural test above holds by construction: no balance read in the contract's code."""
    source = (Path(__file__).resolve().parents[2] / "contracts" / "OrderEscrow.vy").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    assert "self.balance" not in code
    assert ".balance" not in code.replace("balanceOf", "")
