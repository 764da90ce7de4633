import ape
from conftest import DAY, PART_ID, h

def test_scratch(registry, part, oem, certifier, supplier, chain, buyer):
    t = chain.pending_timestamp + 100
    chain.pending_timestamp = t
    n0 = chain.blocks.height
    with ape.reverts("registry: expiry in the past"):
        registry.certify(PART_ID, 1, buyer, t, h("r"), sender=certifier)
    print("height delta", chain.blocks.height - n0, chain.blocks.head.timestamp - t, chain.pending_timestamp - t)
    tx = registry.certify(PART_ID, 1, buyer, t + 1, h("r"), sender=certifier)
    print("height delta", chain.blocks.height - n0, tx.timestamp - t)
    chain.pending_timestamp = t + 50
    with ape.reverts("registry: expiry in the past"):
        registry.certify(PART_ID, 1, buyer, t + 50, h("r"), sender=certifier)
    tx = registry.certify(PART_ID, 1, buyer, t + 51, h("r"), sender=certifier)
    print("ts", tx.timestamp - t)
    tx = registry.grant_access(PART_ID, buyer, sender=oem)
    print("events", tx.events, len(tx.events))
    tx = registry.register_part(h("x"), h("s"), "u", sender=oem)
    print(tx.return_value, tx.events == [registry.PartRegistered(part_id=h("x"), owner=oem, version=1, spec_hash=h("s"), uri="u")])
    print(registry.spec_uri(h("x"), 2), registry.spec_hash(h("x"), 2), registry.check_order(h("x"), 1, oem, buyer))
    print(registry.DEFAULT_ADMIN_ROLE(), registry.VERSION())
