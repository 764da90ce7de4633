# pragma version ~=0.4.3
"""
@title One-record-per-transaction baseline for the vault benchmark
@custom:contract-name MockVaultRecordStore
@license GNU Affero General Public License v3.0 only
@notice What writing production records to the chain one by one would cost: each call keeps one
        record (up to 256 bytes) in storage and logs it. The benchmark compares it with one
        `DataAnchor.anchor` per batch. Test only; never deployed by scripts.
"""

_records: HashMap[bytes32, HashMap[uint256, Bytes[256]]]
_counts: HashMap[bytes32, uint256]


event RecordWritten:
    stream: indexed(bytes32)
    index: indexed(uint256)
    record: Bytes[256]


@external
def write(stream: bytes32, record: Bytes[256]) -> uint256:
    """
    @notice Stores one record of a stream.
    @param stream The stream.
    @param record The record bytes.
    @return The record's index.
    """
    index: uint256 = self._counts[stream]
    self._records[stream][index] = record
    self._counts[stream] = index + 1
    log RecordWritten(stream=stream, index=index, record=record)
    return index
