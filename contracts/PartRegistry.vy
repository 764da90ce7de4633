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
"""

from snekmate.auth import access_control

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
VERSION: public(constant(String[8])) = "1.0.0"

_MASK_160: constant(uint256) = (1 << 160) - 1
_MASK_64: constant(uint256) = (1 << 64) - 1


# @dev One word per part: owner in the low 160 bits, latest version above.
#      Read together by every owner-gated call, so one SLOAD instead of two.
_parts: HashMap[bytes32, uint256]

# @dev part_id => version => keccak256 of the plaintext design document.
_spec_hashes: HashMap[bytes32, HashMap[uint256, bytes32]]

# @dev part_id => version => URI of the encrypted document.
_spec_uris: HashMap[bytes32, HashMap[uint256, String[256]]]

# @dev part_id => partner => grant word: bit 0 set while access is granted,
#      the bits above count the grants ever made ("generation"). A
#      certification remembers the generation it was made under, so a revoked
#      and later re-granted partner does not silently get its old
#      certifications back.
_grants: HashMap[bytes32, HashMap[address, uint256]]

# @dev part_id => version => supplier => certification word: `valid_until`
#      in the low 64 bits, the supplier's grant generation above. 0 = none.
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
    @dev Revising does not carry certifications over: each version is
         certified on its own.
    @param part_id The part to revise.
    @param spec_hash keccak256 of the new plaintext design document.
    @param uri Where the new encrypted design document lives.
    @return The new version number (previous latest + 1).
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert owner == msg.sender, "registry: not part owner"
    version: uint256 = latest + 1
    self._store_version(part_id, version, spec_hash, uri)
    self._parts[part_id] = self._pack_part(owner, version)
    log PartRevised(part_id=part_id, version=version, spec_hash=spec_hash, uri=uri)
    return version


@external
def transfer_part(part_id: bytes32, new_owner: address):
    """
    @notice Hands a part, with all its versions, to another manufacturer.
    @param part_id The part to transfer.
    @param new_owner The new owner; must hold MANUFACTURER_ROLE.
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert owner == msg.sender, "registry: not part owner"
    assert access_control.hasRole[MANUFACTURER_ROLE][new_owner], "registry: new owner not manufacturer"
    self._parts[part_id] = self._pack_part(new_owner, latest)
    log PartTransferred(part_id=part_id, previous_owner=owner, new_owner=new_owner)


# ---------------------------------------------------------------- access


@external
def grant_access(part_id: bytes32, partner: address):
    """
    @notice Lets `partner` see the part and be ordered from / certified for it.
    @dev Granting an account that already has access changes nothing and
         logs nothing.
    @param part_id The part.
    @param partner The partner to admit.
    """
    self._check_owner(part_id)
    assert partner != empty(address), "registry: zero partner"
    grant: uint256 = self._grants[part_id][partner]
    if grant & 1 == 0:
        # One more generation, access bit set.
        self._grants[part_id][partner] = ((grant >> 1) + 1) << 1 | 1
        log AccessGranted(part_id=part_id, partner=partner)


@external
def revoke_access(part_id: bytes32, partner: address):
    """
    @notice Withdraws `partner`'s access; its certifications for this part
            stop counting at once, and stay void if access is granted again.
    @dev Key envelopes already published cannot be taken back: revise the
         part (which re-keys it) to keep the partner out of the next version.
    @param part_id The part.
    @param partner The partner to exclude.
    """
    self._check_owner(part_id)
    assert partner != empty(address), "registry: zero partner"
    grant: uint256 = self._grants[part_id][partner]
    if grant & 1 == 1:
        self._grants[part_id][partner] = grant ^ 1
        log AccessRevoked(part_id=part_id, partner=partner)


@external
def share_key(part_id: bytes32, version: uint256, partner: address, envelope: Bytes[512]):
    """
    @notice Publishes the content key of one version, encrypted to `partner`
            (an ECIES envelope). Only an event: nothing is stored.
    @param part_id The part.
    @param version The version whose document the key opens.
    @param partner The partner the envelope is encrypted to.
    @param envelope The encrypted key, opaque to the contract.
    """
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert owner == msg.sender, "registry: not part owner"
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
    assert self._has_access(part_id, supplier, owner), "registry: supplier has no access"
    assert valid_until > block.timestamp, "registry: expiry in the past"
    assert valid_until <= _MASK_64, "registry: expiry too far"
    generation: uint256 = self._grants[part_id][supplier] >> 1
    self._certs[part_id][version][supplier] = generation << 64 | valid_until
    log Certified(
        part_id=part_id, version=version, supplier=supplier, valid_until=valid_until, report_hash=report_hash
    )


@external
def revoke_certification(part_id: bytes32, version: uint256, supplier: address):
    """
    @notice Withdraws a certification before its expiry.
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
    @notice Whether `account` may see the part: its owner always may.
    @param part_id The part.
    @param account The account asked about.
    @return True if the account has access.
    """
    return self._has_access(part_id, account, convert(self._parts[part_id] & _MASK_160, address))


@external
@view
def is_certified(part_id: bytes32, version: uint256, supplier: address) -> bool:
    """
    @notice Whether `supplier` holds a live certification for this exact
            version: false after `valid_until`, after revocation, and once
            the supplier's access to the part was revoked.
    @param part_id The part.
    @param version The version.
    @param supplier The supplier asked about.
    @return True if certified now.
    """
    return self._is_certified(part_id, version, supplier)


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
    if not self._is_certified(part_id, version, supplier):
        return 0
    return self._certs[part_id][version][supplier] & _MASK_64


@external
@view
def check_order(part_id: bytes32, version: uint256, buyer: address, supplier: address) -> (bool, bool, bool):
    """
    @notice Everything an escrow asks before funding an order, in one call:
            whether the version exists, and whether the buyer and the
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


# ---------------------------------------------------------------- internal


@internal
@view
def _owner_and_latest(part_id: bytes32) -> (address, uint256):
    word: uint256 = self._parts[part_id]
    assert word != 0, "registry: unknown part"
    return convert(word & _MASK_160, address), word >> 160


@internal
@view
def _check_owner(part_id: bytes32):
    owner: address = empty(address)
    latest: uint256 = 0
    owner, latest = self._owner_and_latest(part_id)
    assert owner == msg.sender, "registry: not part owner"


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
    if account == empty(address):
        return False
    return account == owner or self._grants[part_id][account] & 1 == 1


@internal
@view
def _is_certified(part_id: bytes32, version: uint256, supplier: address) -> bool:
    cert: uint256 = self._certs[part_id][version][supplier]
    if cert == 0 or block.timestamp > cert & _MASK_64:
        return False
    owner: address = convert(self._parts[part_id] & _MASK_160, address)
    if supplier == owner:
        # The owner needs no grant; a part transferred away takes its implicit
        # access with it, and then only a grant of the certified generation counts.
        return True
    return self._grants[part_id][supplier] == (cert >> 64) << 1 | 1
