"""Property tests of PartRegistry against plain-Python models.

1. Versions are append-only: whatever revisions follow, every earlier version reads back unchanged.
2. Access, ownership and certification: any mix of grant / revoke / certify / revoke_certification /
   transfer_part / recover_part / MANUFACTURER_ROLE changes / time jumps, by the right or a wrong
   caller, over five accounts (three of them manufacturers at first) keeps `part_owner`,
   `has_access`, `is_certified`, `certified_until`, `check_order` and `check_call_off` equal to a
   model that only knows the SPEC's words: the owner always has access, a partner while it holds a
   grant; a certification counts while `now <= valid_until`, was not revoked, and the supplier's
   access (by grant or by ownership) has not lapsed at any moment since it was issued. The model
   knows nothing of lapse counters or bit packing: it compares access before and after every
   transaction and drops the certifications of every account whose access went from true to false.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web3.exceptions import ContractLogicError

from _registry_support import (
    MISSING_ROLE,
    NEW_OWNER_NOT_MANUFACTURER,
    NOT_OWNER,
    OWNER_STILL_MANUFACTURER,
    UNKNOWN_VERSION,
    isolated,
    read_views,
)
from conftest import DAY, SPEC_V1, SPEC_V2, URI_V1, URI_V2, h

PROP_PART = h("PN-PROP property part")

spec_hashes = st.binary(min_size=32, max_size=32).filter(any)
uris = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=256)

# The model's accounts, by index: 0 oem (owner at first), 1 sub2 (second manufacturer), 2 buyer,
# 3 supplier (a partner that is also a manufacturer, so it can come to own the part), 4 sub1.
OEM, OTHER_OEM, BUYER, SUPPLIER, SUB1 = range(5)
N_ACCOUNTS = 5


@dataclass
class World:
    registry: object
    supplier_v1_until: int  # expiry of the supplier's live certification for version 1 (a minute)
    long_until: int  # expiry of the ten-day certifications: supplier v2, sub2 v1, oem v2


@pytest.fixture(scope="module")
def world(project, chain, admin, oem, certifier, buyer, supplier, sub1, sub2) -> World:
    """A registry of its own for this module, with some history, so that short runs reach deep states.

    PROP_PART has versions 1 and 2, owned by the OEM. Manufacturers: oem, sub2, supplier. buyer: never
    admitted. supplier: admitted, certified for version 1 for another minute and for version 2 for ten
    days. sub1: admitted, certified for version 2, revoked and admitted again, so it holds a grant next
    to a voided certification record. oem: certified for version 2 as the owner, without a grant of its
    own. sub2: admitted and certified for version 1 (a manufacturer with a grant: it can own the part
    and hand it back without its access ever lapsing).
    """
    registry = project.PartRegistry.deploy(admin, sender=admin)
    for account in (oem, sub2, supplier):
        registry.grantRole(registry.MANUFACTURER_ROLE(), account, sender=admin)
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
    long_until = chain.pending_timestamp + 10 * DAY
    registry.grant_access(PROP_PART, sub2, sender=oem)
    for version, account in ((2, supplier), (1, sub2), (2, oem)):
        registry.certify(PROP_PART, version, account, long_until, h("r"), sender=certifier)
    return World(registry, supplier_v1_until, long_until)


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


# ---------------------------------------------------------------- 2. access, ownership, certification


VERSIONS = (1, 2)  # PROP_PART's versions; version 3 is used to exercise "unknown version"

# The views, by signature, for read_views (one JSON-RPC batch per step).
PART_OWNER = "part_owner(bytes32)"
HAS_ACCESS = "has_access(bytes32,address)"
IS_CERTIFIED = "is_certified(bytes32,uint256,address)"
CERTIFIED_UNTIL = "certified_until(bytes32,uint256,address)"
CHECK_ORDER = "check_order(bytes32,uint256,address,address)"
CHECK_CALL_OFF = "check_call_off(bytes32,uint256,address,address)"


@dataclass
class Model:
    """What the SPEC says, nothing about lapse counters or bit packing."""

    now: int
    owner: int
    manufacturers: set[int]
    grants: set[int]
    # (account, version) -> valid_until of a certification that still counts (expiry aside); dropped
    # when it is revoked or when the account's access lapses (nothing brings it back).
    certs: dict[tuple[int, int], int]
    # (account, version) pairs that have a certification record on chain, live or not
    # (revoke_certification reverts "not certified" on the others).
    records: set[tuple[int, int]] = field(default_factory=set)
    previous: int = OTHER_OEM  # the owner before the last change of ownership (a target, nothing more)

    def resolve(self, target: int | str | None) -> int | None:
        return {"owner": self.owner, "previous": self.previous}.get(target, target)  # type: ignore[arg-type]

    def move_part(self, new_owner: int) -> None:
        if new_owner != self.owner:
            self.previous = self.owner
        self.owner = new_owner

    def access(self, account: int) -> bool:
        return account == self.owner or account in self.grants

    def certified(self, account: int, version: int) -> bool:
        valid_until = self.certs.get((account, version))
        return valid_until is not None and self.now <= valid_until

    def certified_until(self, account: int, version: int) -> int:
        return self.certs[(account, version)] if self.certified(account, version) else 0

    def snapshot_access(self) -> list[bool]:
        return [self.access(a) for a in range(N_ACCOUNTS)]

    def void_lapsed(self, before: list[bool]) -> None:
        """The SPEC rule itself: access that went from true to false voids the account's certifications."""
        for account, had in enumerate(before):
            if had and not self.access(account):
                for version in VERSIONS:
                    self.certs.pop((account, version), None)


account_ix = st.integers(min_value=0, max_value=N_ACCOUNTS - 1)
# Who sends an owner-gated call: mostly the current owner (None), sometimes anyone.
callers = st.sampled_from((None,) * 10 + tuple(range(N_ACCOUNTS)))
# Whom a call names. Besides fixed accounts, "owner" and "previous" (the owner before the last change
# of ownership) are resolved when the operation runs: certifications lapse and come back (or must
# not) around the accounts that just owned the part, and a blind draw rarely finds them twice.
targets = st.sampled_from(tuple(range(N_ACCOUNTS)) + ("owner",) * 3 + ("previous",) * 3)
# Who receives a part: mostly manufacturers and the previous owner, so that transfers succeed and come back.
new_owners = st.sampled_from((OEM, OTHER_OEM, SUPPLIER, BUYER, SUB1, "owner") + ("previous",) * 4)
# Ownership and grants are where certifications lapse: drawn more often than the rest.
KINDS = ("grant",) * 3 + ("revoke",) * 3 + ("transfer",) * 4 + ("recover", "role", "role") + ("certify",) * 2 + (
    "uncertify",
    "wait",
    "wait_for_expiry",
)


@st.composite
def operations(draw) -> tuple:
    kind = draw(st.sampled_from(KINDS))
    if kind in ("grant", "revoke"):
        return kind, draw(callers), draw(targets)
    if kind == "transfer":
        return kind, draw(callers), draw(new_owners)
    if kind == "recover":
        return kind, draw(new_owners)
    if kind == "role":
        return kind, draw(targets), draw(st.booleans())
    if kind == "certify":
        # valid_until relative to the transaction's own timestamp: <= 0 must revert, 1 is the first valid second.
        offset = draw(st.one_of(st.sampled_from((0, 1, 10 * DAY)), st.integers(min_value=-2, max_value=40)))
        return kind, draw(targets), draw(st.sampled_from((1, 2, 3))), offset
    if kind == "uncertify":
        return kind, draw(targets), draw(st.sampled_from(VERSIONS))
    if kind == "wait":
        return kind, draw(st.integers(min_value=1, max_value=45))
    # wait_for_expiry: jump to the last second of a certification (0) or the first second after it (1).
    return kind, draw(targets), draw(st.sampled_from(VERSIONS)), draw(st.sampled_from((0, 1)))


@given(ops=st.lists(operations(), min_size=8, max_size=20))
def test_access_ownership_and_certification__any_sequence__match_model(
    world, admin, oem, sub2, certifier, buyer, supplier, sub1, chain, ops
):
    registry = world.registry
    accounts = (oem, sub2, buyer, supplier, sub1)
    with isolated(chain):
        model = Model(
            now=chain.blocks.head.timestamp,
            owner=OEM,
            manufacturers={OEM, OTHER_OEM, SUPPLIER},
            grants={SUPPLIER, SUB1, OTHER_OEM},
            certs={
                (SUPPLIER, 1): world.supplier_v1_until,
                (SUPPLIER, 2): world.long_until,
                (OTHER_OEM, 1): world.long_until,
                (OEM, 2): world.long_until,
            },
            records={(SUPPLIER, 1), (SUPPLIER, 2), (SUB1, 2), (OTHER_OEM, 1), (OEM, 2)},
        )

        def send(method, *args, revert: str | None = None, sender) -> None:
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

        def check(step: int) -> None:
            """Every view against the model, in one batch; check_call_off over a pairing that shifts with the step."""
            reads: list[tuple[str, tuple[str, tuple, str], object]] = [
                ("part_owner", (PART_OWNER, (PROP_PART,), "address"), accounts[model.owner].address.lower())
            ]
            for a, account in enumerate(accounts):
                b = (a + step) % N_ACCOUNTS  # the buyer paired with supplier `a` this step
                reads.append((f"has_access({a})", (HAS_ACCESS, (PROP_PART, account), "bool"), model.access(a)))
                for v in VERSIONS:
                    # is_certified is `certified_until != 0` on chain; it is read at the end.
                    reads.append((
                        f"certified_until(v{v}, {a})",
                        (CERTIFIED_UNTIL, (PROP_PART, v, account), "uint256"),
                        model.certified_until(a, v),
                    ))
                    reads.append((
                        f"check_call_off(v{v}, buyer {b}, supplier {a})",
                        (CHECK_CALL_OFF, (PROP_PART, v, accounts[b], account), "bool,bool"),
                        (model.access(b), model.certified(a, v)),
                    ))
                reads.append((
                    f"check_order(v1, buyer {b}, supplier {a})",
                    (CHECK_ORDER, (PROP_PART, 1, accounts[b], account), "bool,bool,bool"),
                    (True, model.access(b), model.access(a)),
                ))
            got = read_views(chain, registry, [call for _, call, _ in reads])
            got[0] = got[0].lower()
            wrong = [
                f"{label}: chain {g}, model {e}" for (label, _, e), g in zip(reads, got, strict=True) if g != e
            ]
            assert not wrong, (
                f"after step {step} at {model.now} (owner {model.owner}, grants {model.grants}, "
                f"certs {model.certs}): {wrong}"
            )

        manufacturer_role = registry.MANUFACTURER_ROLE()
        check(0)
        for step, drawn in enumerate(ops, start=1):
            op = tuple(model.resolve(x) if x in ("owner", "previous") else x for x in drawn)
            kind = op[0]
            before = model.snapshot_access()
            if kind in ("grant", "revoke", "transfer"):
                caller_ix = model.owner if op[1] is None else op[1]
                target = op[2]
                reason = None
                if caller_ix != model.owner:
                    reason = NOT_OWNER
                elif model.owner not in model.manufacturers:
                    reason = MISSING_ROLE
                elif kind == "transfer" and target not in model.manufacturers:
                    reason = NEW_OWNER_NOT_MANUFACTURER
                method = {
                    "grant": registry.grant_access,
                    "revoke": registry.revoke_access,
                    "transfer": registry.transfer_part,
                }[kind]
                send(method, PROP_PART, accounts[target], revert=reason, sender=accounts[caller_ix])
                if reason is None:
                    if kind == "grant":
                        model.grants.add(target)
                    elif kind == "revoke":
                        model.grants.discard(target)
                    else:
                        model.move_part(target)
            elif kind == "recover":
                target = op[1]
                reason = None
                if model.owner in model.manufacturers:
                    reason = OWNER_STILL_MANUFACTURER
                elif target not in model.manufacturers:
                    reason = NEW_OWNER_NOT_MANUFACTURER
                send(registry.recover_part, PROP_PART, accounts[target], revert=reason, sender=admin)
                if reason is None:
                    model.move_part(target)
            elif kind == "role":
                target, holds = op[1], op[2]
                method = registry.grantRole if holds else registry.revokeRole
                send(method, manufacturer_role, accounts[target], sender=admin)
                (model.manufacturers.add if holds else model.manufacturers.discard)(target)
            elif kind == "certify":
                target, version, offset = op[1], op[2], op[3]
                valid_until = model.now + 1 + offset
                reason = None
                if version not in VERSIONS:
                    reason = UNKNOWN_VERSION
                elif not model.access(target):
                    reason = "registry: supplier has no access"
                elif offset <= 0:
                    reason = "registry: expiry in the past"
                args = (PROP_PART, version, accounts[target], valid_until, h("r"))
                send(registry.certify, *args, revert=reason, sender=certifier)
                if reason is None:
                    model.certs[(target, version)] = valid_until
                    model.records.add((target, version))
            elif kind == "uncertify":
                target, version = op[1], op[2]
                reason = None if (target, version) in model.records else "registry: not certified"
                args = (PROP_PART, version, accounts[target])
                send(registry.revoke_certification, *args, revert=reason, sender=certifier)
                model.certs.pop((target, version), None)
                model.records.discard((target, version))
            elif kind == "wait":
                model.now += op[1]
                chain.mine(timestamp=model.now)
            else:  # wait_for_expiry: a no-op unless that certification counts and the target is ahead
                valid_until = model.certs.get((op[1], op[2]))
                if valid_until is not None and valid_until + op[3] > model.now:
                    model.now = valid_until + op[3]
                    chain.mine(timestamp=model.now)
            model.void_lapsed(before)
            check(step)

        assert chain.blocks.head.timestamp == model.now
        # is_certified for everyone, and every buyer/supplier pairing once, not only the shifting one.
        calls = [(IS_CERTIFIED, (PROP_PART, v, account), "bool") for account in accounts for v in VERSIONS]
        expected = [model.certified(a, v) for a in range(N_ACCOUNTS) for v in VERSIONS]
        for b, buyer_account in enumerate(accounts):
            for a, supplier_account in enumerate(accounts):
                for v in VERSIONS:
                    calls.append((CHECK_CALL_OFF, (PROP_PART, v, buyer_account, supplier_account), "bool,bool"))
                    expected.append((model.access(b), model.certified(a, v)))
        assert read_views(chain, registry, calls) == expected
