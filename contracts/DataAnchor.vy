# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title FactoryChain data anchor
@custom:contract-name DataAnchor
@license GNU Affero General Public License v3.0 only
@notice A factory's production records (sensor readings, measurements, test
        results) are encrypted and kept in any object store; this contract
        keeps, for each batch of them, the one thing that must never change:
        the root of the batch's Merkle tree. Anyone can then check a single
        disclosed record against it, off chain or with `verify`.
        Records are grouped in *streams* (a machine, a line, a lot). A stream
        is owned by the account that created it, which may name *writers*
        (a gateway on the shop floor) allowed to anchor batches, and may
        publish the stream's key, wrapped to an auditor's public key, in a
        `StreamKeyShared` event.
@dev Anchoring costs the same whatever the number of records in the batch:
     the contract stores the root, the count, the time and the writer, and
     logs the URI of the ciphertext; it never sees the records. There is no
     admin: nobody can alter or remove an anchored batch.
"""

from snekmate.utils import merkle_proof_verification as merkle


# @dev Interface version of this contract, recorded by the deploy script.
VERSION: public(constant(String[8])) = "1.0.0"

# @dev A batch holds at most 2**56 - 1 records (the count is packed in 56
#      bits), so its tree is at most 56 levels deep.
MAX_RECORDS: public(constant(uint256)) = (1 << 56) - 1
_MAX_DEPTH: constant(uint256) = 56

_MASK_160: constant(uint256) = (1 << 160) - 1
_MASK_40: constant(uint256) = (1 << 40) - 1
_MASK_32: constant(uint256) = (1 << 32) - 1


struct Batch:
    root: bytes32
    record_count: uint256
    anchored_at: uint256
    writer: address


# @dev One word per stream: owner (160 bits) | generation (32) | batch count
#      (64). The generation moves on when the stream changes hands, which
#      retires every writer the previous owner named. Owner zero = no stream.
_streams: HashMap[bytes32, uint256]

# @dev stream => account => the stream generation it was named a writer in
#      (0 = never). A writer is current while this equals the stream's.
_writers: HashMap[bytes32, HashMap[address, uint256]]

# @dev stream => batch => Merkle root of the batch's records.
_roots: HashMap[bytes32, HashMap[uint256, bytes32]]

# @dev stream => batch => writer (160 bits) | anchored_at (40) | record
#      count (56): what a verifier reads beside the root, in one word.
_batch_meta: HashMap[bytes32, HashMap[uint256, uint256]]


event StreamCreated:
    stream: indexed(bytes32)
    owner: indexed(address)
    label: bytes32

event StreamTransferred:
    stream: indexed(bytes32)
    previous_owner: indexed(address)
    new_owner: indexed(address)

event WriterAdded:
    stream: indexed(bytes32)
    writer: indexed(address)

event WriterRemoved:
    stream: indexed(bytes32)
    writer: indexed(address)

event BatchAnchored:
    stream: indexed(bytes32)
    batch: indexed(uint256)
    writer: indexed(address)
    root: bytes32
    record_count: uint256
    uri: String[256]

event StreamKeyShared:
    stream: indexed(bytes32)
    reader: indexed(address)
    envelope: Bytes[512]


@deploy
def __init__():
    """
    @notice Deploys an empty anchor. It has no admin and no settings.
    """
    pass


# ---------------------------------------------------------------- streams


@external
def create_stream(label: bytes32) -> bytes32:
    """
    @notice Creates a stream owned by the caller.
    @dev The id depends on the caller, so nobody can take a stream id
         another account is about to create. Compute it off chain with
         `stream_id(owner, label)`.
    @param label Any non-zero name the owner chooses (keccak256 of
           "furnace-2", a lot number …).
    @return The stream id, keccak256(abi_encode(caller, label)).
    """
    assert label != empty(bytes32), "anchor: empty label"
    stream: bytes32 = self._stream_id(msg.sender, label)
    assert self._streams[stream] == 0, "anchor: stream exists"
    self._streams[stream] = self._pack_stream(msg.sender, 1, 0)
    log StreamCreated(stream=stream, owner=msg.sender, label=label)
    return stream


@external
def transfer_stream(stream: bytes32, new_owner: address):
    """
    @notice Hands a stream, with its batches, to another account.
    @dev The writers the previous owner named lose their right to anchor.
    @param stream The stream to transfer.
    @param new_owner The new owner.
    """
    word: uint256 = self._streams[stream]
    owner: address = self._owner(word)
    assert owner == msg.sender, "anchor: not stream owner"
    assert new_owner != empty(address), "anchor: zero owner"
    generation: uint256 = (word >> 160) & _MASK_32
    self._streams[stream] = self._pack_stream(new_owner, generation + 1, word >> 192)
    log StreamTransferred(stream=stream, previous_owner=owner, new_owner=new_owner)


@external
def add_writer(stream: bytes32, writer: address):
    """
    @notice Lets `writer` anchor batches of the stream.
    @dev Naming a current writer again changes nothing and logs nothing.
    @param stream The stream.
    @param writer The writer key (a shop-floor gateway, a CI job).
    """
    generation: uint256 = self._check_owner(stream)
    assert writer != empty(address), "anchor: zero writer"
    if self._writers[stream][writer] == generation:
        return
    self._writers[stream][writer] = generation
    log WriterAdded(stream=stream, writer=writer)


@external
def remove_writer(stream: bytes32, writer: address):
    """
    @notice Withdraws `writer`'s right to anchor batches of the stream.
    @dev Removing an account that is not a current writer changes nothing
         and logs nothing. Batches it anchored stay.
    @param stream The stream.
    @param writer The writer to remove.
    """
    generation: uint256 = self._check_owner(stream)
    if self._writers[stream][writer] != generation:
        return
    self._writers[stream][writer] = 0
    log WriterRemoved(stream=stream, writer=writer)


@external
def share_key(stream: bytes32, reader: address, envelope: Bytes[512]):
    """
    @notice Publishes the stream's key encrypted to one reader (the owner
            itself, an auditor, a certifier).
    @dev The envelope is opaque here; the SDK makes it with ECIES to the
         reader's secp256k1 public key. What was shared cannot be unshared:
         to cut a reader off, start a new stream with a new key.
    @param stream The stream.
    @param reader The address whose key opens the envelope.
    @param envelope The encrypted stream key.
    """
    self._check_owner(stream)
    assert reader != empty(address), "anchor: zero reader"
    assert len(envelope) != 0, "anchor: empty envelope"
    log StreamKeyShared(stream=stream, reader=reader, envelope=envelope)


# ---------------------------------------------------------------- batches


@external
def anchor(stream: bytes32, root: bytes32, record_count: uint256, uri: String[256]) -> uint256:
    """
    @notice Anchors one batch of records: its Merkle root and count.
    @dev Costs the same for one record or a million: nothing here depends on
         the batch's contents. The URI is logged, not stored.
    @param stream The stream the batch belongs to.
    @param root Merkle root of the batch's leaves (sorted-pair keccak256,
           as snekmate's `merkle_proof_verification` checks).
    @param record_count How many records the batch holds, 1 .. 2**56 - 1.
    @param uri Where the encrypted batch is kept (s3://…, file://…).
    @return The batch number in the stream: 1, 2, 3 …
    """
    word: uint256 = self._streams[stream]
    owner: address = self._owner(word)
    assert owner != empty(address), "anchor: unknown stream"
    assert owner == msg.sender or self._writers[stream][msg.sender] == (word >> 160) & _MASK_32, "anchor: not writer"
    assert root != empty(bytes32), "anchor: empty root"
    assert record_count != 0, "anchor: no records"
    assert record_count <= MAX_RECORDS, "anchor: too many records"
    batch: uint256 = (word >> 192) + 1
    self._streams[stream] = (word & ((1 << 192) - 1)) | (batch << 192)
    self._roots[stream][batch] = root
    self._batch_meta[stream][batch] = (
        convert(msg.sender, uint256) | (block.timestamp << 160) | (record_count << 200)
    )
    log BatchAnchored(
        stream=stream, batch=batch, writer=msg.sender, root=root, record_count=record_count, uri=uri
    )
    return batch


# ---------------------------------------------------------------- views


@view
@external
def verify(stream: bytes32, batch: uint256, leaf: bytes32, proof: DynArray[bytes32, 255]) -> bool:
    """
    @notice Whether `leaf` is one of the records of an anchored batch.
    @dev Every leaf of a batch of n records sits at depth ceil(log2(n)) (the
         SDK pads the tree with zero leaves), so a proof of any other length
         is refused: an inner node cannot pass for a record, nor a padding
         leaf (zero). Compute the leaf from the record with the SDK
         (`factorychain.vault.leaf_hash`); never trust a leaf you did not
         compute.
    @param stream The stream.
    @param batch The batch number.
    @param leaf The record's leaf hash.
    @param proof The sibling hashes from the leaf up to the root.
    @return True if the proof leads from `leaf` to the batch's root.
    """
    root: bytes32 = self._roots[stream][batch]
    if root == empty(bytes32) or leaf == empty(bytes32):
        return False
    count: uint256 = self._batch_meta[stream][batch] >> 200
    if len(proof) != self._depth(count):
        return False
    return merkle._verify(proof, root, leaf)


@view
@external
def get_batch(stream: bytes32, batch: uint256) -> Batch:
    """
    @notice What was anchored as batch `batch` of `stream`.
    @param stream The stream.
    @param batch The batch number.
    @return Root, record count, time anchored and writer; all zero if the
            batch does not exist.
    """
    meta: uint256 = self._batch_meta[stream][batch]
    return Batch(
        root=self._roots[stream][batch],
        record_count=meta >> 200,
        anchored_at=(meta >> 160) & _MASK_40,
        writer=convert(meta & _MASK_160, address),
    )


@view
@external
def root_of(stream: bytes32, batch: uint256) -> bytes32:
    """
    @notice The Merkle root of one batch (zero if it does not exist).
    @param stream The stream.
    @param batch The batch number.
    @return The root.
    """
    return self._roots[stream][batch]


@view
@external
def stream_owner(stream: bytes32) -> address:
    """
    @notice The owner of a stream (zero if it does not exist).
    @param stream The stream.
    @return The owner.
    """
    return self._owner(self._streams[stream])


@view
@external
def batch_count(stream: bytes32) -> uint256:
    """
    @notice How many batches the stream has; the last one is this number.
    @param stream The stream.
    @return The number of anchored batches.
    """
    return self._streams[stream] >> 192


@view
@external
def is_writer(stream: bytes32, account: address) -> bool:
    """
    @notice Whether `account` may anchor batches of the stream: its owner or
            a writer the current owner named.
    @param stream The stream.
    @param account The account.
    @return True if `anchor` would accept a batch from `account`.
    """
    word: uint256 = self._streams[stream]
    owner: address = self._owner(word)
    if owner == empty(address):
        return False
    return account == owner or self._writers[stream][account] == (word >> 160) & _MASK_32


@pure
@external
def stream_id(owner: address, label: bytes32) -> bytes32:
    """
    @notice The id `create_stream(label)` gives when called by `owner`.
    @param owner The creating account.
    @param label The label.
    @return keccak256(abi_encode(owner, label)).
    """
    return self._stream_id(owner, label)


@pure
@external
def proof_length(record_count: uint256) -> uint256:
    """
    @notice How many hashes every proof of a batch of `record_count` records
            has: ceil(log2(record_count)), 0 for a single record.
    @param record_count The number of records, 1 .. 2**56 - 1.
    @return The proof length `verify` expects.
    """
    assert record_count != 0, "anchor: no records"
    assert record_count <= MAX_RECORDS, "anchor: too many records"
    return self._depth(record_count)


# ---------------------------------------------------------------- internal


@pure
@internal
def _stream_id(owner: address, label: bytes32) -> bytes32:
    return keccak256(abi_encode(owner, label))


@pure
@internal
def _owner(word: uint256) -> address:
    return convert(word & _MASK_160, address)


@pure
@internal
def _pack_stream(owner: address, generation: uint256, batches: uint256) -> uint256:
    return convert(owner, uint256) | (generation << 160) | (batches << 192)


@view
@internal
def _check_owner(stream: bytes32) -> uint256:
    word: uint256 = self._streams[stream]
    assert self._owner(word) == msg.sender, "anchor: not stream owner"
    return (word >> 160) & _MASK_32


@pure
@internal
def _depth(count: uint256) -> uint256:
    # ceil(log2(count)) for count >= 1.
    for depth: uint256 in range(_MAX_DEPTH + 1):
        if (1 << depth) >= count:
            return depth
    return _MAX_DEPTH + 1
