"""The access-lapse counter over many lapses: it must keep counting one by one.

Written for a mutant that `make mutate` found alive (docs/mutation.md): `_lapsed` shifting the
counter two bits instead of one still voids every certification at each lapse, but the counter then
doubles per lapse and no longer fits the 192 bits a certification keeps of it after 191 lapses, so a
fresh certification would never count again.
"""

from _registry_support import REPORT
from conftest import DAY

LAPSES = 200


def test_certify__after_200_access_lapses__fresh_certification_counts_next_lapse_voids_it(
    registry, part, oem, certifier, supplier, chain
):
    for _ in range(LAPSES):
        registry.revoke_access(part, supplier, sender=oem)
        registry.grant_access(part, supplier, sender=oem)
    assert not registry.is_certified(part, 1, supplier)  # the fixture's certification lapsed long ago

    valid_until = chain.pending_timestamp + 30 * DAY
    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)
    assert registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == valid_until

    registry.revoke_access(part, supplier, sender=oem)
    registry.grant_access(part, supplier, sender=oem)
    assert not registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == 0
