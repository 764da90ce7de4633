"""PartRegistry's packed certification word: valid_until in the low 64 bits, the supplier's access
lapse counter above. A mask one bit too wide reads the counter's lowest bit as part of the expiry,
which only shows after an odd number of lapses -- so these tests certify after exactly one.

Named after the layout constant they pin (``test_<constant>__...``): the mutation engine runs them
first on a mutant of that constant (tools/mutation_map.py, ``focused_tests``).
"""

import ape

from _registry_support import REPORT
from conftest import DAY


def _lapse_once(registry, part, oem, supplier):
    registry.revoke_access(part, supplier, sender=oem)  # lapse counter 0 -> 1
    registry.grant_access(part, supplier, sender=oem)


def test_mask_64__certified_after_one_lapse__expiry_read_back_exactly(registry, part, oem, certifier, supplier, chain):
    _lapse_once(registry, part, oem, supplier)
    assert registry.certified_until(part, 1, supplier) == 0  # the old certification is void
    valid_until = chain.pending_timestamp + 7 * DAY
    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)
    assert registry.certified_until(part, 1, supplier) == valid_until
    assert registry.is_certified(part, 1, supplier)


def test_mask_64__certified_after_one_lapse__expires_on_time(registry, part, oem, certifier, supplier, chain):
    _lapse_once(registry, part, oem, supplier)
    valid_until = chain.pending_timestamp + DAY
    registry.certify(part, 1, supplier, valid_until, REPORT, sender=certifier)
    chain.pending_timestamp = valid_until + 1
    chain.mine()
    assert not registry.is_certified(part, 1, supplier)
    assert registry.certified_until(part, 1, supplier) == 0


def test_mask_64__expiry_on_the_64_bit_bound__accepted_one_above_refused(
    registry, part, oem, certifier, supplier, chain
):
    _lapse_once(registry, part, oem, supplier)
    with ape.reverts("registry: expiry too far"):
        registry.certify(part, 1, supplier, 2**64, REPORT, sender=certifier)
    registry.certify(part, 1, supplier, 2**64 - 1, REPORT, sender=certifier)
    assert registry.certified_until(part, 1, supplier) == 2**64 - 1
