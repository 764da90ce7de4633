# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title FactoryChain part-spec registry
@custom:contract-name PartRegistry
@license GNU Affero General Public License v3.0 only
@notice An OEM publishes versioned part designs here: for each version, the
        keccak256 of the plaintext design document and the URI of its
        *encrypted* copy kept off chain. The OEM decides which partners may
        see a part (and hands them the decryption key as an ECIES envelope in
        a `KeyShared` event), and certifiers attest, until a date, that a
        supplier meets one exact version. `OrderEscrow` reads this registry
        before it lets a supplier take an order.
@dev Versions are append-only: `revise_part` never overwrites an earlier
     version. Every function costs the same whatever the number of parts,
     versions or partners: there is no loop in this contract.

     Access and certification. An account has access to a part while it owns
     the part or holds a grant for it. Every time that access goes from true
     to false (a grant revoked from a non-owner, the part leaving an owner
     that holds no grant) the account's per-part lapse counter goes up by
     one. A certification records the counter when it is issued and counts
     only while the counter is unchanged: once the supplier's access has
     lapsed, by grant or by ownership, its certifications stay void whatever
     happens next (a new grant, the supplier becoming the owner, a round
     trip of the part).
"""

from .interfaces import IPartRegistry
from snekmate.auth import access_control

implements: IPartRegistry
initializes: access_control

# Roles are administered through snekmate's audited module; the admin grants and
# revokes MANUFACTURER_ROLE and CERTIFIER_ROLE, anyone may read them.
exports: (
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
)


MANUFACTURER_ROLE: public(constant(bytes32)) = keccak256("MANUFACTURER_ROLE")
CERTIFIER_ROLE: public(constant(bytes32)) = keccak256("CERTIFIER_ROLE")

# @dev Interface version of this contract, recorded by the deploy script.
VERSION: public(constant(String[8])) = "2.0.0"

_MASK_160: constant(uint256) = (1 << 160) - 1
_MASK_64: constant(uint256) = (1 << 64) - 1


# @dev One word per part: owner in the low 160 bits, latest version above.
#      Read together by every owner-gated call, so one SLOAD instead of two.
_parts: HashMap[bytes32, uint256]

# @dev part_id => version => keccak256 of the plaintext design document.
_spec_hashes: HashMap[bytes32, HashMap[uint256, bytes32]]

# @dev part_id => version => URI of the encrypted document.
_spec_uris: HashMap[bytes32, HashMap[uint256, String[256]]]

# @dev part_id => account => access word: bit 0 set while a grant is held;
#      bits 1..255 the lapse counter, +1 every time the account's access
#      (grant or ownership) goes from true to false. Never decreases.
_access: HashMap[bytes32, HashMap[address, uint256]]

# @dev part_id => version => supplier => certification word: `valid_until`
#      in bits 0..63, the supplier's lapse counter at issue in bits 64..255.
#      0 = none (a live record always has valid_until > 0).
_certs: HashMap[bytes32, HashMap[uint256, HashMap[address, uint256]]]


event PartRegistered:
    part_id: indexed(bytes32)
    owner: indexed(address)
    version: uint256
    spec_hash: bytes32
    uri: String[256]

event PartRevised:
    part_id: indexed(bytes32)
    version: uint256
    spec_hash: bytes32
    uri: String[256]

event PartTransferred:
    part_id: indexed(bytes32)
    previous_owner: indexed(address)
    new_owner: indexed(address)

event AccessGranted:
    part_id: indexed(bytes32)
    partner: indexed(address)

event AccessRevoked:
    part_id: indexed(bytes32)
    partner: indexed(address)

event KeyShared:
    part_id: indexed(bytes32)
    version: uint256
    partner: indexed(address)
    envelope: Bytes[512]

event Certified:
    part_id: indexed(bytes32)
    version: uint256
    supplier: indexed(address)
    valid_until: uint256
    report_hash: bytes32

event CertificationRevoked:
    part_id: indexed(bytes32)
    version: uint256
    supplier: indexed(address)


@deploy
def __init__(admin: address):
    """
    @notice Deploys an empty registry administered by `admin`.
    @dev The deployer keeps no role unless it is `admin` itself.
    @param admin The account that will hold DEFAULT_ADMIN_ROLE.
    """
    assert admin != empty(address), "registry: zero admin"
    access_control.__init__()
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)


# ---------------------------------------------------------------- parts


@external
def register_part(part_id: bytes32, spec_hash: bytes32, uri: String[256]) -> uint256:
    """
    @notice Registers a new part owned by the caller, with its first version.
    @param part_id The OEM's part number (keccak256 of it, or right-padded).
    @param spec_hash keccak256 of the plaintext design document.
    @param uri Where the encrypted design document lives.
    @return The new version number, always 1.
    """
    access_control._check_role(MANUFACTURER_ROLE, msg.sender)
    assert part_id != empty(bytes32), "registry: empty part id"
    assert self._parts[part_id] == 0, "registry: part exists"
    self._store_version(part_id, 1, spec_hash, uri)
    self._parts[part_id] = self._pack_part(msg.sender, 1)
    log PartRegistered(part_id=part_id, owner=msg.sender, version=1, spec_hash=spec_hash, uri=uri)
    return 1


@external
def revise_part(part_id: bytes32, spec_hash: bytes32, uri: String[256]) -> uint256:
    """
    @notice Publishes a new version of a part; earlier versions stay readable.
            Only the part's owner, and only while it holds MANUFACTURER_ROLE.
    @dev Revising does not carry certifications over: each version is
         certified on its own.
    @param part_id The part to revise.
    @param spec_hash keccak256 of the new plaintext design document.
    @param uri Where the new encrypted design document lives.
    @return The new version number (previous latest + 1).
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._check_owner(part_id)
    version: uint256 = latest + 1
    self._store_version(part_id, version, spec_hash, uri)
    self._parts[part_id] = self._pack_part(owner, version)
    log PartRevised(part_id=part_id, version=version, spec_hash=spec_hash, uri=uri)
    return version


@external
def transfer_part(part_id: bytes32, new_owner: address):
    """
    @notice Hands a part, with all its versions, to another manufacturer.
            Only the part's owner, and only while it holds MANUFACTURER_ROLE.
    @dev The previous owner keeps access only if it holds a grant; without
         one its access lapses, and with it its certifications for the part.
         Partners' grants and certifications are untouched.
    @param part_id The part to transfer.
    @param new_owner The new owner; must hold MANUFACTURER_ROLE.
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._check_owner(part_id)
    self._check_new_owner(new_owner)
    self._move_part(part_id, owner, new_owner, latest)


@external
def recover_part(part_id: bytes32, new_owner: address):
    """
    @notice Moves a part whose owner has lost MANUFACTURER_ROLE (a lost key,
            a partner that left) to another manufacturer. The admin must
            revoke the owner's role first, in the open, so that an owner in
            good standing can never have its part taken.
    @dev Same effects as `transfer_part`, same `PartTransferred` event.
    @param part_id The part to recover.
    @param new_owner The new owner; must hold MANUFACTURER_ROLE.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert not access_control.hasRole[MANUFACTURER_ROLE][owner], "registry: owner still manufacturer"
    self._check_new_owner(new_owner)
    self._move_part(part_id, owner, new_owner, latest)


# ---------------------------------------------------------------- access


@external
def grant_access(part_id: bytes32, partner: address):
    """
    @notice Lets `partner` see the part and be ordered from / certified for it.
            Only the part's owner, and only while it holds MANUFACTURER_ROLE.
    @dev Granting an account that already has a grant changes nothing and
         logs nothing. A grant never revives a certification voided earlier.
    @param part_id The part.
    @param partner The partner to admit.
    """
    self._check_owner(part_id)
    assert partner != empty(address), "registry: zero partner"
    word: uint256 = self._access[part_id][partner]
    if word & 1 == 0:
        self._access[part_id][partner] = word | 1
        log AccessGranted(part_id=part_id, partner=partner)


@external
def revoke_access(part_id: bytes32, partner: address):
    """
    @notice Withdraws `partner`'s grant; its certifications for this part
            stop counting at once, and stay void whatever happens later.
            Only the part's owner, and only while it holds MANUFACTURER_ROLE.
    @dev Key envelopes already published cannot be taken back: revise the
         part (which re-keys it) to keep the partner out of the next version.
         Revoking the owner's own grant logs `AccessRevoked` but voids
         nothing: the owner keeps access by ownership.
    @param part_id The part.
    @param partner The partner to exclude.
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._check_owner(part_id)
    assert partner != empty(address), "registry: zero partner"
    word: uint256 = self._access[part_id][partner]
    if word & 1 == 1:
        if partner == owner:
            self._access[part_id][partner] = word ^ 1
        else:
            self._access[part_id][partner] = self._lapsed(word)
        log AccessRevoked(part_id=part_id, partner=partner)


@external
def share_key(part_id: bytes32, version: uint256, partner: address, envelope: Bytes[512]):
    """
    @notice Publishes the content key of one version, encrypted to `partner`
            (an ECIES envelope). Only an event: nothing is stored.
            Only the part's owner, and only while it holds MANUFACTURER_ROLE.
    @param part_id The part.
    @param version The version whose document the key opens.
    @param partner The partner the envelope is encrypted to; must have access.
    @param envelope The encrypted key, opaque to the contract.
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._check_owner(part_id)
    assert version != 0 and version <= latest, "registry: unknown version"
    assert self._has_access(part_id, partner, owner), "registry: partner has no access"
    assert len(envelope) != 0, "registry: empty envelope"
    log KeyShared(part_id=part_id, version=version, partner=partner, envelope=envelope)


# ---------------------------------------------------------------- certification


@external
def certify(part_id: bytes32, version: uint256, supplier: address, valid_until: uint256, report_hash: bytes32):
    """
    @notice Attests that `supplier` meets one exact version of a part until
            `valid_until` (inclusive). Certifying again replaces the record.
            The certification is void for good once the supplier's access to
            the part lapses.
    @param part_id The part.
    @param version The exact version the supplier was audited against.
    @param supplier The certified supplier; must have access to the part.
    @param valid_until Unix time after which the certification lapses.
    @param report_hash Hash of the audit report, kept off chain.
    """
    access_control._check_role(CERTIFIER_ROLE, msg.sender)
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert version != 0 and version <= latest, "registry: unknown version"
    word: uint256 = self._access[part_id][supplier]
    assert supplier != empty(address) and (word & 1 == 1 or supplier == owner), "registry: supplier has no access"
    assert valid_until > block.timestamp, "registry: expiry in the past"
    assert valid_until <= _MASK_64, "registry: expiry too far"
    # The counter would need 2**192 lapses of one account to outgrow the 192 bits kept here.
    self._certs[part_id][version][supplier] = (word >> 1) << 64 | valid_until
    log Certified(
        part_id=part_id, version=version, supplier=supplier, valid_until=valid_until, report_hash=report_hash
    )


@external
def revoke_certification(part_id: bytes32, version: uint256, supplier: address):
    """
    @notice Withdraws a certification before its expiry.
    @dev Also accepted for a record that has expired or was voided by a lapse
         of access, so that certifiers can clean up.
    @param part_id The part.
    @param version The certified version.
    @param supplier The supplier whose certification ends now.
    """
    access_control._check_role(CERTIFIER_ROLE, msg.sender)
    assert self._certs[part_id][version][supplier] != 0, "registry: not certified"
    self._certs[part_id][version][supplier] = 0
    log CertificationRevoked(part_id=part_id, version=version, supplier=supplier)


# ---------------------------------------------------------------- views


@external
@view
def part_owner(part_id: bytes32) -> address:
    """
    @notice The owner of a part, or the zero address for an unknown part.
    @param part_id The part.
    @return The owner.
    """
    return convert(self._parts[part_id] & _MASK_160, address)


@external
@view
def latest_version(part_id: bytes32) -> uint256:
    """
    @notice The newest version of a part; 0 means the part is unknown.
    @param part_id The part.
    @return The latest version number.
    """
    return self._parts[part_id] >> 160


@external
@view
def spec_hash(part_id: bytes32, version: uint256) -> bytes32:
    """
    @notice keccak256 of the plaintext design of one version (zero if none).
    @param part_id The part.
    @param version The version.
    @return The document hash.
    """
    return self._spec_hashes[part_id][version]


@external
@view
def spec_uri(part_id: bytes32, version: uint256) -> String[256]:
    """
    @notice Where the encrypted design of one version lives (empty if none).
    @param part_id The part.
    @param version The version.
    @return The URI.
    """
    return self._spec_uris[part_id][version]


@external
@view
def has_access(part_id: bytes32, account: address) -> bool:
    """
    @notice Whether `account` may see the part: its owner always may (with
            or without MANUFACTURER_ROLE), a partner while it holds a grant.
    @param part_id The part.
    @param account The account asked about.
    @return True if the account has access.
    """
    return self._has_access(part_id, account, self._owner(part_id))


@external
@view
def is_certified(part_id: bytes32, version: uint256, supplier: address) -> bool:
    """
    @notice Whether `supplier` holds a live certification for this exact
            version: false after `valid_until`, after revocation, and for
            good once the supplier's access to the part (by grant or by
            ownership) has lapsed at any moment since it was issued.
    @param part_id The part.
    @param version The version.
    @param supplier The supplier asked about.
    @return True if certified now.
    """
    return self._certified_until(part_id, version, supplier) != 0


@external
@view
def certified_until(part_id: bytes32, version: uint256, supplier: address) -> uint256:
    """
    @notice The expiry of a live certification, 0 if there is none.
    @param part_id The part.
    @param version The version.
    @param supplier The supplier asked about.
    @return Unix time until which (inclusive) the supplier is certified.
    """
    return self._certified_until(part_id, version, supplier)


@external
@view
def check_order(part_id: bytes32, version: uint256, buyer: address, supplier: address) -> (bool, bool, bool):
    """
    @notice Everything an escrow asks before it records an agreement, in one
            call: whether the version exists, and whether the buyer and the
            supplier have access to the part.
    @param part_id The part.
    @param version The version ordered.
    @param buyer The buyer.
    @param supplier The supplier.
    @return (version exists, buyer has access, supplier has access).
    """
    word: uint256 = self._parts[part_id]
    owner: address = convert(word & _MASK_160, address)
    latest: uint256 = word >> 160
    return (
        version != 0 and version <= latest,
        self._has_access(part_id, buyer, owner),
        self._has_access(part_id, supplier, owner),
    )


@external
@view
def check_call_off(part_id: bytes32, version: uint256, buyer: address, supplier: address) -> (bool, bool):
    """
    @notice What an escrow asks before every call-off order, in one call:
            whether the buyer still has access to the part and whether the
            supplier is certified for this exact version now.
    @dev Equal to `(has_access(part_id, buyer), is_certified(part_id,
         version, supplier))`. Three cold SLOADs when the buyer owns the part
         and the supplier holds a grant (the part word, the certification,
         the supplier's access word); a fourth only for a buyer that is not
         the owner. The version needs no check of its own: only an existing
         version can be certified.
    @param part_id The part.
    @param version The version the agreement is for.
    @param buyer The buyer.
    @param supplier The supplier.
    @return (buyer has access, supplier certified for the version).
    """
    owner: address = self._owner(part_id)
    until: uint256 = 0
    granted: bool = False
    until, granted = self._unvoided_expiry(part_id, version, supplier)
    supplier_certified: bool = False
    if until != 0:
        supplier_certified = granted or supplier == owner
    return self._has_access(part_id, buyer, owner), supplier_certified


# ---------------------------------------------------------------- internal


@internal
@view
def _owner(part_id: bytes32) -> address:
    return convert(self._parts[part_id] & _MASK_160, address)


@internal
@view
def _owner_and_latest(part_id: bytes32) -> (address, uint256):
    word: uint256 = self._parts[part_id]
    assert word != 0, "registry: unknown part"
    return convert(word & _MASK_160, address), word >> 160


@internal
@view
def _check_owner(part_id: bytes32) -> (address, uint256):
    # Ownership first, so that every caller who is not the owner gets v1's
    # reason; then (v2) the role, so that the admin can stop a manufacturer's
    # parts by revoking its role and hand them on with `recover_part`.
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert owner == msg.sender, "registry: not part owner"
    access_control._check_role(MANUFACTURER_ROLE, msg.sender)
    return owner, latest


@internal
@view
def _check_new_owner(new_owner: address):
    # The zero address is refused even if someone granted it the role: a part
    # owned by nobody would have nobody with implicit access.
    assert new_owner != empty(address) and access_control.hasRole[MANUFACTURER_ROLE][new_owner], (
        "registry: new owner not manufacturer"
    )


@internal
def _move_part(part_id: bytes32, owner: address, new_owner: address, latest: uint256):
    self._parts[part_id] = self._pack_part(new_owner, latest)
    if new_owner != owner:
        word: uint256 = self._access[part_id][owner]
        if word & 1 == 0:
            # The previous owner had access by ownership alone: it lapses now.
            self._access[part_id][owner] = self._lapsed(word)
    log PartTransferred(part_id=part_id, previous_owner=owner, new_owner=new_owner)


@internal
@pure
def _lapsed(word: uint256) -> uint256:
    # Grant bit cleared, lapse counter + 1.
    return ((word >> 1) + 1) << 1


@internal
@pure
def _pack_part(owner: address, latest: uint256) -> uint256:
    return latest << 160 | convert(owner, uint256)


@internal
def _store_version(part_id: bytes32, version: uint256, spec_hash: bytes32, uri: String[256]):
    assert spec_hash != empty(bytes32), "registry: empty spec hash"
    assert len(uri) != 0, "registry: empty uri"
    self._spec_hashes[part_id][version] = spec_hash
    self._spec_uris[part_id][version] = uri


@internal
@view
def _has_access(part_id: bytes32, account: address, owner: address) -> bool:
    # Explicit branches, so that the owner (the usual buyer) costs no read of
    # its access word.
    if account == empty(address):
        return False
    if account == owner:
        return True
    return self._access[part_id][account] & 1 == 1


@internal
@view
def _unvoided_expiry(part_id: bytes32, version: uint256, supplier: address) -> (uint256, bool):
    # (valid_until, supplier holds a grant now) of a certification that has
    # not expired and whose supplier's access never lapsed since it was
    # issued; (0, False) otherwise. The caller still asks for access now:
    # a grant, or ownership of the part.
    cert: uint256 = self._certs[part_id][version][supplier]
    valid_until: uint256 = cert & _MASK_64
    if cert == 0 or block.timestamp > valid_until:
        return 0, False
    word: uint256 = self._access[part_id][supplier]
    if word >> 1 != cert >> 64:
        return 0, False
    return valid_until, word & 1 == 1


@internal
@view
def _certified_until(part_id: bytes32, version: uint256, supplier: address) -> uint256:
    until: uint256 = 0
    granted: bool = False
    until, granted = self._unvoided_expiry(part_id, version, supplier)
    if until == 0 or granted:
        return until
    # No grant: only ownership can give access now (one more read, rare).
    if supplier == self._owner(part_id):
        return until
    return 0
