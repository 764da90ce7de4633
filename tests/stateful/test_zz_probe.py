import time, cProfile, pstats
import ape
from conftest import h, DAY, PART_ID

def test_probe(escrow, part, buyer, supplier, stranger, chain, make_order, accounts, erc20, project, admin):
    oid = make_order(stage="shipped", review_period=DAY)
    escrow.release(oid, sender=stranger, raise_on_revert=False)
    pr = cProfile.Profile(); pr.enable()
    for _ in range(3):
        r = escrow.release(oid, sender=stranger, raise_on_revert=False)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
