"""DataAnchor.anchor costs the same for 1 record or a million: only the calldata bytes differ."""

import pytest
from eth_utils import keccak

from _anchor_support import URI, data_anchor, stream  # noqa: F401


def _calldata_gas(data: bytes) -> int:
    return sum(4 if byte == 0 else 16 for byte in data)


def _execution_gas(data_anchor, stream, oem, count: int) -> tuple[int, int]:
    tx = data_anchor.anchor(stream, keccak(count.to_bytes(8, "big")), count, URI, sender=oem)
    data = bytes(tx.data)
    return tx.gas_used, tx.gas_used - 21_000 - _calldata_gas(data)


def test_anchor_gas__flat_from_one_to_a_million_records(data_anchor, stream, oem):
    data_anchor.anchor(stream, keccak(b"warm-up"), 1, URI, sender=oem)  # later batches all look alike

    measured = {count: _execution_gas(data_anchor, stream, oem, count) for count in (1, 1_000, 65_536, 1_000_000, 2**56 - 1)}

    executions = {execution for _, execution in measured.values()}
    assert len(executions) == 1, measured
    totals = [total for total, _ in measured.values()]
    assert max(totals) - min(totals) <= 16 * 7  # at most the 7 extra non-zero calldata bytes of a bigger count


@pytest.mark.parametrize("uri_length", [0, 40, 256])
def test_anchor_gas__uri_length_costs_log_data_only(data_anchor, stream, oem, uri_length):
    data_anchor.anchor(stream, keccak(b"warm-up"), 1, URI, sender=oem)
    tx = data_anchor.anchor(stream, keccak(b"x"), 10, "u" * uri_length, sender=oem)

    # 21 000 + calldata + 3 stores + event; below 100 k for the longest URI.
    assert tx.gas_used < 100_000
