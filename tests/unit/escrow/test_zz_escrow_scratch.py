import ape
from conftest import DAY, PART_ID, h, ZERO, STATUS

def test_scratch(escrow, make_order, buyer, supplier, sub1, sub2, chain, accounts, stranger, inspector, project):
    oid = make_order(stage="accepted", payees=[(sub1, 100), (sub2, 200)])
    o = escrow.get_order(oid)
    print("order", o, type(o))
    print("payees", escrow.payees_of(oid))
    oid2 = make_order()
    payees = [(sub1.address, 100), (sub2.address, 200)]
    tx = escrow.accept_order(oid2, payees, sender=supplier)
    print("events", tx.events)
    print("cmp", tx.events == [escrow.OrderAccepted(order_id=oid2, payees=payees)])
    ev = tx.events[0]
    print("payees raw", repr(ev.payees), type(ev.payees[0]), repr(ev.event_arguments))
    print("cmp lower", tx.events == [escrow.OrderAccepted(order_id=oid2, payees=[(a.lower(), b) for a,b in payees])])
    oid3 = make_order()
    nine = [(accounts.generate_test_account().address, 1) for _ in range(9)]
    try:
        escrow.accept_order(oid3, nine, sender=supplier)
        print("nine accepted?!")
    except Exception as e:
        print("nine err", type(e), repr(e)[:300])
    data = escrow.accept_order.encode_input(oid3, nine)
    try:
        with ape.reverts():
            supplier.transfer(escrow, 0, data=data)
        print("raw nine reverted")
    except Exception as e:
        print("raw nine err", type(e), repr(e)[:300])
    print(escrow.status(oid3))
    # fees
    tx = escrow.cancel_order(oid3, sender=buyer)
    print("fees", tx.total_fees_paid, tx.gas_used, tx.gas_price, tx.timestamp)
    # zero impersonation
    try:
        z = accounts[ZERO]
        chain.set_balance(ZERO, 10**19); print("zero balance", z.balance)
        oid4 = make_order(stage="shipped", order_inspector=None)
        with ape.reverts("escrow: not buyer or inspector"):
            escrow.confirm_delivery(oid4, h("x"), sender=z)
        print("zero ok")
    except Exception as e:
        print("zero err", type(e), repr(e)[:300])
    # chain id
    cid = chain.chain_id
    print("chain id", cid, escrow.DOMAIN_SEPARATOR().hex())
    chain.provider.make_request("anvil_setChainId", [cid + 5])
    print("chain id after", escrow.DOMAIN_SEPARATOR().hex(), escrow.eip712Domain())
    chain.provider.make_request("anvil_setChainId", [cid])
    print("chain id restored", escrow.DOMAIN_SEPARATOR().hex())
    print(escrow.eip712Domain())
    w = project.MockWallet1271.deploy(stranger, sender=stranger)
    print(w.call.encode_input if hasattr(w.call, "encode_input") else None)
    # garbage sig
    oid5 = make_order(stage="shipped")
    for sig in [b"\x01" * 65, b"\x00" * 65, b"\x01" * 10, b"", b"\x01"*64]:
        try:
            escrow.confirm_delivery_signed(oid5, h("r"), chain.pending_timestamp + 100, sig, sender=stranger)
            print("accepted?!")
        except Exception as e:
            print("sig", len(sig), type(e).__name__, str(e)[:100])
    try:
        escrow.confirm_delivery(999, h("x"), sender=buyer)
    except Exception as e:
        print("unknown", str(e))
    assert False
