"""A Safe multisig as FactoryChain admin and arbiter: factorychain.safe on Ape's test chain.

The Safe (v1.4.1, 2 of 3) is deployed inside the test from ape-safe's package data — no network.
Our EIP-712 hash is checked against the Safe's own ``getTransactionHash``; signatures our code
collects are executed by the real Safe contract.
"""

from __future__ import annotations

import pytest
from web3.exceptions import ContractLogicError as Web3ContractLogicError

from factorychain.deployment import ADMIN_ROLE_NAME, deploy_suite, role_holders, role_id
from factorychain.keeper import revert_reason
from factorychain.safe import Proposal, Safe, SafeCall, SafeError, create_safe, deploy_safe_contracts, safe_reason

ARBITER = role_id("ARBITER_ROLE")
MANUFACTURER = role_id("MANUFACTURER_ROLE")
ADMIN = role_id(ADMIN_ROLE_NAME)


@pytest.fixture(scope="module")
def safe_contracts(accounts, registry, escrow, part):
    # The session fixtures first (Ape isolates scopes in order; later session set-up is costly).
    return deploy_safe_contracts(accounts[0])


@pytest.fixture(scope="module")
def owners(accounts):
    return [accounts[7], accounts[8], accounts[9]]


@pytest.fixture(scope="module")
def safe(safe_contracts, owners, accounts):
    singleton, factory = safe_contracts
    return create_safe(factory, singleton, owners, 2, sender=accounts[0], salt=1)


def _exec(safe: Safe, call: SafeCall, signers, submitter):
    (entry,) = safe.entries([call])
    signatures = {signer.address: safe.sign(signer, entry) for signer in signers}
    return safe.contract.execTransaction(*safe.exec_args(entry, Safe.pack(signatures)), sender=submitter)


def _exec_refusal(safe: Safe, call: SafeCall, signatures: dict, submitter) -> str:
    """The Safe's revert reason for execTransaction with these signatures (eth_call, nothing mined)."""
    from ape import chain

    (entry,) = safe.entries([call])
    data = safe.contract.execTransaction.encode_input(*safe.exec_args(entry, Safe.pack(signatures)))
    with pytest.raises(Web3ContractLogicError) as refused:
        chain.provider.web3.eth.call({"from": submitter.address, "to": safe.address, "data": "0x" + bytes(data).hex()})
    return revert_reason(refused.value)


def test_create_safe__package_data_only__two_of_three_v141(safe, owners, safe_contracts):
    singleton, _ = safe_contracts

    assert safe.version == "1.4.1"
    assert safe.owners() == [o.address for o in owners] and safe.threshold() == 2 and safe.nonce() == 0
    assert safe.singleton() == singleton.address


def test_safe_at__reads_the_chain(safe):
    opened = Safe.at(safe.address)

    assert (opened.address, opened.version, opened.threshold()) == (safe.address, "1.4.1", 2)


def test_safe_at__no_code__unknown_safe_one_line(accounts, chain):
    with pytest.raises(SafeError, match=f"unknown Safe: no contract at {accounts[5].address} on chain {chain.chain_id}"):
        Safe.at(accounts[5].address)


def test_safe_at__contract_that_is_not_a_safe__one_line(registry):
    with pytest.raises(SafeError, match="is not a Safe") as raised:
        Safe.at(registry.address)
    assert "\n" not in str(raised.value)


def test_tx_hash__matches_the_safes_getTransactionHash(safe, registry, accounts):
    call = SafeCall(registry.address, bytes(registry.grantRole.encode_input(MANUFACTURER, accounts[5].address)), "grant")
    (entry,) = safe.entries([call], start_nonce=7)

    onchain = safe.contract.getTransactionHash(*safe.exec_args(entry, b"")[:-1], 7)

    assert entry.safe_tx_hash == "0x" + bytes(onchain).hex()
    assert entry.nonce == 7


def test_sign_and_recover__owner_signatures_counted_strangers_not(safe, owners, accounts, registry):
    (entry,) = safe.entries([SafeCall(registry.address, b"\x12\x34", "x")])
    mine = safe.sign(owners[0], entry)
    stranger = safe.sign(accounts[4], entry)

    assert safe.recover(entry, mine) == owners[0].address
    valid = safe.valid_signatures(entry, {owners[0].address: mine, accounts[4].address: stranger, owners[1].address: mine}, safe.owners())
    assert valid == {owners[0].address: mine}


def test_deploy_suite__admin_is_the_safe__safe_is_sole_admin(project, admin, safe, tmp_path, monkeypatch):
    monkeypatch.setenv("FACTORYCHAIN_DEPLOYMENTS", str(tmp_path))
    result = deploy_suite(project, admin, admin=safe.address, write=False)

    for contract in (result.registry, result.escrow):
        assert role_holders(contract, result.deployment.block_number)[ADMIN_ROLE_NAME] == [safe.address]
        assert not contract.hasRole(ADMIN, admin)
    assert result.deployment.admin == safe.address


def test_grant_through_safe__two_of_three__role_granted_by_the_safe(project, admin, safe, owners, accounts):
    registry = project.PartRegistry.deploy(safe.address, sender=admin)
    call = SafeCall(registry.address, bytes(registry.grantRole.encode_input(MANUFACTURER, accounts[5].address)), "grant")

    receipt = _exec(safe, call, [owners[2], owners[0]], submitter=accounts[4])

    assert registry.hasRole(MANUFACTURER, accounts[5].address)
    assert [log.sender for log in receipt.decode_logs(registry.RoleGranted)] == [safe.address]
    assert len(list(receipt.decode_logs(safe.contract.ExecutionSuccess))) == 1
    assert safe.nonce() == 1


def test_exec__one_signature_of_two__refused_gs020(project, admin, safe, owners, accounts):
    registry = project.PartRegistry.deploy(safe.address, sender=admin)
    call = SafeCall(registry.address, bytes(registry.grantRole.encode_input(MANUFACTURER, accounts[5].address)), "grant")
    (entry,) = safe.entries([call])

    reason = _exec_refusal(safe, call, {owners[0].address: safe.sign(owners[0], entry)}, accounts[4])

    assert reason == "GS020" and "not enough signatures" in safe_reason(reason)
    assert not registry.hasRole(MANUFACTURER, accounts[5].address)


def test_exec__stranger_signature__refused_gs026(project, admin, safe, owners, accounts):
    registry = project.PartRegistry.deploy(safe.address, sender=admin)
    call = SafeCall(registry.address, bytes(registry.grantRole.encode_input(MANUFACTURER, accounts[5].address)), "grant")
    (entry,) = safe.entries([call])
    signatures = {owners[0].address: safe.sign(owners[0], entry), accounts[4].address: safe.sign(accounts[4], entry)}

    assert _exec_refusal(safe, call, signatures, accounts[4]) == "GS026"


def test_exec__owner_submits_with_one_other_signature__prevalidated(project, admin, safe, owners, accounts):
    # 2 of 3: owner 1 signed off-chain, owner 2 sends the transaction itself (v = 1 signature).
    registry = project.PartRegistry.deploy(safe.address, sender=admin)
    call = SafeCall(registry.address, bytes(registry.grantRole.encode_input(MANUFACTURER, accounts[5].address)), "grant")
    (entry,) = safe.entries([call])
    packed = Safe.pack({owners[0].address: safe.sign(owners[0], entry)}, submitter=owners[1].address)

    safe.contract.execTransaction(*safe.exec_args(entry, packed), sender=owners[1])

    assert registry.hasRole(MANUFACTURER, accounts[5].address)


def test_resolve__safe_holds_arbiter_role__rules_on_the_lot(escrow, admin, safe, owners, make_order, buyer, supplier, stranger):
    escrow.grantRole(ARBITER, safe.address, sender=admin)
    order_id = make_order(stage="disputed")
    supplier_before, buyer_before = supplier.balance, buyer.balance
    call = SafeCall(escrow.address, bytes(escrow.resolve.encode_input(order_id, 1, 7_000)), "resolve 70 %")

    receipt = _exec(safe, call, owners[:2], submitter=stranger)

    assert len(list(receipt.decode_logs(safe.contract.ExecutionSuccess))) == 1
    # 1 000 units at 0.001 ETH, shipped on time, no payees: 70 % to the supplier, 30 % back to the buyer.
    assert supplier.balance - supplier_before == 7 * 10**17
    assert buyer.balance - buyer_before == 3 * 10**17


def test_resolve__safe_is_the_inspector__arbiter_is_a_party(escrow, admin, safe, owners, make_order, stranger):
    escrow.grantRole(ARBITER, safe.address, sender=admin)
    order_id = make_order(stage="disputed", inspector=safe.address)
    call = SafeCall(escrow.address, bytes(escrow.resolve.encode_input(order_id, 1, 7_000)), "resolve")
    (entry,) = safe.entries([call])
    signatures = {o.address: safe.sign(o, entry) for o in owners[:2]}

    # The inner call reverts, so the Safe (safeTxGas 0, gasPrice 0) reverts with GS013.
    assert _exec_refusal(safe, call, signatures, stranger) == "GS013"


def test_resolve__safe_without_arbiter_role__inner_call_refused(escrow, safe, owners, make_order, stranger):
    order_id = make_order(stage="disputed")
    call = SafeCall(escrow.address, bytes(escrow.resolve.encode_input(order_id, 1, 7_000)), "resolve")
    (entry,) = safe.entries([call])

    assert not escrow.hasRole(ARBITER, safe.address)
    assert _exec_refusal(safe, call, {o.address: safe.sign(o, entry) for o in owners[:2]}, stranger) == "GS013"


def test_proposal__round_trip_and_tampered_file(safe, owners, registry, tmp_path):
    entries = safe.entries([SafeCall(registry.address, b"\xab", "one"), SafeCall(registry.address, b"\xcd", "two")])
    proposal = Proposal(safe.chain_id, safe.address, entries, command="ape run roles grant …")
    proposal.add_signature(entries[1].safe_tx_hash, owners[0].address, safe.sign(owners[0], entries[1]))
    path = proposal.write(tmp_path / "p.json")

    again = Proposal.read(path)

    assert again.transactions == entries and [e.nonce for e in entries] == [safe.nonce(), safe.nonce() + 1]
    assert again.signers_of(entries[1].safe_tx_hash) == [owners[0].address]
    path.write_text("{}")
    with pytest.raises(SafeError, match="not a FactoryChain Safe proposal"):
        Proposal.read(path)


def test_ape_safe_account__local_safe_registered_from_a_file__drives_a_grant(project, admin, safe, owners, accounts, tmp_path, chain):
    # ape-safe's own SafeAccount works against the Safe deployed here, in this process: the
    # singleton and factory were registered with its SafeFactory (deploy_safe_contracts), and on a
    # development network it signs with the owners' test accounts and queues in its in-memory mock.
    import json

    from ape_safe.accounts import SafeAccount
    from ape_safe.client import MockSafeClient

    record = tmp_path / "ops.json"
    record.write_text(json.dumps({"address": safe.address, "deployed_chain_ids": [chain.chain_id]}))
    account = SafeAccount(account_file_path=record)
    registry = project.PartRegistry.deploy(safe.address, sender=admin)

    assert isinstance(account.client, MockSafeClient)
    assert account.confirmations_required == 2 and set(account.signers) == {o.address for o in owners}
    registry.grantRole(MANUFACTURER, accounts[5].address, sender=account, submitter=owners[0])

    assert registry.hasRole(MANUFACTURER, accounts[5].address)
    assert safe.nonce() >= 1
