import time
import ape
from conftest import h, DAY, PART_ID

def test_probe(escrow, part, buyer, supplier, stranger, chain, make_order, accounts, erc20, project, admin):
    oid = make_order(stage="shipped", review_period=DAY)
    try:
        escrow.release(oid, sender=stranger)
    except Exception as e:
        print("txn type", type(e.txn), getattr(e.txn, "txn_hash", None))
        r = e.txn
        print(dir(r)[:0])
        print("receipt?", hasattr(r, "total_fees_paid"), getattr(r, "total_fees_paid", None))
    w3 = chain.provider.web3
    t = time.perf_counter()
    for _ in range(20): escrow.order_count()
    print("ape call ms", (time.perf_counter() - t) / 20 * 1000)
    t = time.perf_counter()
    for _ in range(20): w3.eth.call({"to": escrow.address, "data": "0x" + __import__("eth_utils").keccak(text="order_count()")[:4].hex()})
    print("w3 call ms", (time.perf_counter() - t) / 20 * 1000)
    t = time.perf_counter()
    for _ in range(20): chain.pending_timestamp
    print("pending ms", (time.perf_counter() - t) / 20 * 1000)
    t = time.perf_counter()
    for _ in range(10): erc20.mint(buyer, 1, sender=buyer)
    print("ape tx ms", (time.perf_counter() - t) / 10 * 1000)
    t = time.perf_counter()
    for _ in range(10):
        try:
            escrow.release(oid, sender=stranger)
        except Exception:
            pass
    print("ape failing tx ms", (time.perf_counter() - t) / 10 * 1000)
    t = time.perf_counter()
    for _ in range(10): buyer.balance
    print("balance ms", (time.perf_counter() - t) / 10 * 1000)
    r = project.MockReceiver.deploy(1, sender=admin)
    data = escrow.claim.encode_input(ZERO := "0x" + "00" * 20)
    try:
        r.call(escrow, data, sender=stranger)
    except Exception as e:
        print("bubbled:", repr(e))
