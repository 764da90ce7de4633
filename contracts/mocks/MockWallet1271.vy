# pragma version ~=0.4.3
"""
@title Test ERC-1271 smart-contract wallet with one owner key
@license GNU Affero General Public License v3.0 only
@notice Test double only. Approves a digest when `owner` signed it (65-byte
        r|s|v), or when the digest was pre-approved on chain (Safe-style).
"""

owner: public(address)
approved: public(HashMap[bytes32, bool])


@deploy
def __init__(owner_: address):
    self.owner = owner_


@external
def approve_hash(digest: bytes32):
    assert msg.sender == self.owner, "wallet: not owner"
    self.approved[digest] = True


@external
@payable
def call(target_: address, data: Bytes[2048]) -> Bytes[1024]:
    assert msg.sender == self.owner, "wallet: not owner"
    return raw_call(target_, data, value=msg.value, max_outsize=1024)


@external
@view
def isValidSignature(digest: bytes32, signature: Bytes[65]) -> bytes4:
    if self.approved[digest]:
        return 0x1626BA7E
    if len(signature) != 65:
        return 0xFFFFFFFF
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if ecrecover(digest, v, r, s) == self.owner:
        return 0x1626BA7E
    return 0xFFFFFFFF


@external
@payable
def __default__():
    pass
