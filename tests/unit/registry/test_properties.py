"""Property tests of PartRegistry against plain-Python models.

1. Versions are append-only: whatever revisions follow, every earlier version reads back unchanged.
2. Access and certification: any mix of grant / revoke / certify / revoke_certification / time jumps
   over three partners keeps `has_access`, `is_certified` and `certified_until` equal to a model
   that only knows the SPEC's words (owner always has access; a certification counts while
   `now <= valid_until`, was not revoked, and the supplier has held access without a break since).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web3.exceptions import ContractLogicError

from _registry_support import UNKNOWN_VERSION, isolated
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, h

PROP_PART = h("PN-PROP property part")

spec_hashes = st.binary(min_size=32, max_size=32).filter(any)
uris = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=256)


@dataclass
class World:
    registry: object
    supplier_v1_until: int  # expiry of the supplier's live certification for version 1


@pytest.fixture(scope="module")
def world(project, chain, admin, oem, certifier, buyer, supplier, sub1) -> World:
    """A registry of its own for this module, with some history, so that short runs reach deep states.

    PROP_PART has versions 1 and 2, owned by the OEM. buyer: never admitted. supplier: admitted once,
    certified for version 1 for another minute. sub1: admitted, certified for version 2, revoked and
    admitted again, so it holds a second-generation grant next to a stale certification record.
    """
    registry = project.PartRegistry.deploy(admin, sender=admin)
    registry.grantRole(registry.MANUFACTURER_ROLE(), oem, sender=admin)
    registry.grantRole(registry.CERTIFIER_ROLE(), certifier, sender=admin)
    registry.register_part(PROP_PART, SPEC_V1, URI_V1, sender=oem)
    registry.revise_part(PROP_PART, SPEC_V2, URI_V2, sender=oem)
    registry.grant_access(PROP_PART, supplier, sender=oem)
    supplier_v1_until = chain.pending_timestamp + 60
    registry.certify(PROP_PART, 1, supplier, supplier_v1_until, h("r"), sender=certifier)
    registry.grant_access(PROP_PART, sub1, sender=oem)
    registry.certify(PROP_PART, 2, sub1, chain.pending_timestamp + 10 * DAY, h("r"), sender=certifier)
    registry.revoke_access(PROP_PART, sub1, sender=oem)
    registry.grant_access(PROP_PART, sub1, sender=oem)
    return World(registry, supplier_v1_until)


# ---------------------------------------------------------------- 1. append-only versions


@given(revisions=st.lists(st.tuples(spec_hashes, uris), min_size=1, max_size=6))
def test_revise_part__any_sequence__earlier_versions_unchanged(world, oem, chain, revisions):
    registry = world.registry
    with isolated(chain):
        expected = [(SPEC_V1, URI_V1), (SPEC_V2, URI_V2)]
        for spec_hash, uri in revisions:
            # Return values are pinned by the unit tests; here only what stays readable matters.
            registry.revise_part(PROP_PART, spec_hash, uri, sender=oem)
            expected.append((spec_hash, uri))

        assert registry.latest_version(PROP_PART) == len(expected)
        stored = [
            (registry.spec_hash(PROP_PART, v), registry.spec_uri(PROP_PART, v))
            for v in range(1, len(expected) + 1)
        ]
        assert stored == expected
        assert registry.spec_hash(PROP_PART, len(expected) + 1) == b"\x00" * 32
        assert registry.spec_uri(PROP_PART, len(expected) + 1) == ""


# ---------------------------------------------------------------- 2. access and certification


VERSIONS = (1, 2)  # PROP_PART's versions; version 3 is used to exercise "unknown version"


@dataclass
class Model:
    """What the SPEC says, nothing about generations or bit packing. Partners are 0, 1, 2."""

    now: int
    access: dict[int, bool]
    # (partner, version) -> valid_until of a certification that still counts (expiry aside); dropped
    # when it is revoked or when the partner's access is revoked (re-granting does not bring it back).
    certs: dict[tuple[int, int], int]
    # (partner, version) pairs that have a certification record on chain, live or not
    # (revoke_certification reverts "not certified" on the others).
    records: set[tuple[int, int]]

    def certified(self, partner: int, version: int) -> bool:
        valid_until = self.certs.get((partner, version))
        return valid_until is not None and self.now <= valid_until


partner_ix = st.integers(min_value=0, max_value=2)
operations = st.one_of(
    st.tuples(st.just("grant"), partner_ix),
    st.tuples(st.just("revoke"), partner_ix),
    # valid_until relative to the transaction's own timestamp: <= 0 must revert, 1 is the first valid second.
    st.tuples(
        st.just("certify"),
        partner_ix,
        st.sampled_from((1, 2, 3)),
        st.one_of(st.sampled_from((0, 1)), st.integers(min_value=-2, max_value=40)),
    ),
    st.tuples(st.just("uncertify"), partner_ix, st.sampled_from(VERSIONS)),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=45)),
    # Jump to the last second of a certification (0) or the first second after it (1).
    st.tuples(st.just("wait_for_expiry"), partner_ix, st.sampled_from(VERSIONS), st.sampled_from((0, 1))),
)


@given(ops=st.lists(operations, min_size=1, max_size=12))
def test_access_and_certification__any_sequence__match_model(
    world, oem, certifier, buyer, supplier, sub1, chain, ops
):
    registry = world.registry
    partners = (buyer, supplier, sub1)
    with isolated(chain):
        model = Model(
            now=chain.blocks.head.timestamp,
            access={0: False, 1: True, 2: True},
            certs={(1, 1): world.supplier_v1_until},
            records={(1, 1), (2, 2)},
        )

        def send(method, *args, revert: str | None = None, sender):
            """Runs `method` at exactly `now + 1`; a success moves the model's clock there.

            An expected revert is checked with an `eth_call` against the pending block, which
            carries that same pinned timestamp: exact, cheaper than a reverted transaction, and
            independent of whether the node mines failed transactions. Reverts as transactions,
            with their exact reasons, are covered by the unit tests.
            """
            t = model.now + 1
            chain.pending_timestamp = t
            if revert is None:
                tx = method(*args, sender=sender)
                assert tx.timestamp == t
                model.now = t
                return
            request = {"from": sender.address, "to": registry.address, "data": method.encode_input(*args)}
            with pytest.raises(ContractLogicError) as raised:
                chain.provider.web3.eth.call(request, "pending")
            assert raised.value.message == f"execution reverted: {revert}"

        def check(partner: int, access: bool = True) -> None:
            account = partners[partner]
            if access:
                assert registry.has_access(PROP_PART, account) == model.access[partner], f"has_access({partner})"
            for version in VERSIONS:
                expected = model.certified(partner, version)
                assert registry.is_certified(PROP_PART, version, account) == expected, (
                    f"is_certified(v{version}, partner {partner}) at {model.now}, model {model.certs}"
                )

        for partner in range(len(partners)):
            check(partner)

        for op in ops:
            kind, touched = op[0], None
            if kind == "grant":
                touched = op[1]
                send(registry.grant_access, PROP_PART, partners[touched], sender=oem)
                model.access[touched] = True
            elif kind == "revoke":
                touched = op[1]
                send(registry.revoke_access, PROP_PART, partners[touched], sender=oem)
                if model.access[touched]:
                    for version in VERSIONS:
                        model.certs.pop((touched, version), None)
                model.access[touched] = False
            elif kind == "certify":
                touched, version, offset = op[1], op[2], op[3]
                valid_until = model.now + 1 + offset
                reason = None
                if version not in VERSIONS:
                    reason = UNKNOWN_VERSION
                elif not model.access[touched]:
                    reason = "registry: supplier has no access"
                elif offset <= 0:
                    reason = "registry: expiry in the past"
                args = (PROP_PART, version, partners[touched], valid_until, h("r"))
                send(registry.certify, *args, revert=reason, sender=certifier)
                if reason is None:
                    model.certs[(touched, version)] = valid_until
                    model.records.add((touched, version))
            elif kind == "uncertify":
                touched, version = op[1], op[2]
                exists = (touched, version) in model.records
                reason = None if exists else "registry: not certified"
                args = (PROP_PART, version, partners[touched])
                send(registry.revoke_certification, *args, revert=reason, sender=certifier)
                model.certs.pop((touched, version), None)
                model.records.discard((touched, version))
            elif kind == "wait":
                model.now += op[1]
                chain.mine(timestamp=model.now)
            else:  # wait_for_expiry: a no-op unless that certification counts and the target is ahead
                valid_until = model.certs.get((op[1], op[2]))
                if valid_until is not None and valid_until + op[3] > model.now:
                    model.now = valid_until + op[3]
                    chain.mine(timestamp=model.now)

            if touched is None:  # time moved: only certifications can have changed, for anyone
                for partner in range(len(partners)):
                    check(partner, access=False)
            else:
                check(touched)

        assert chain.blocks.head.timestamp == model.now
        for partner, account in enumerate(partners):
            check(partner)
            for version in VERSIONS:
                expected = model.certs[(partner, version)] if model.certified(partner, version) else 0
                assert registry.certified_until(PROP_PART, version, account) == expected
        assert registry.has_access(PROP_PART, oem)

