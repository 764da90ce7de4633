"""factorychain.vault.batch: sealing, opening, tampering, record keys."""


import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from factorychain.vault import VaultError, decrypt_record, open_batch, read_header, record_key, seal_batch
from factorychain.vault.batch import HEADER_SIZE, MAC_SIZE, derive_batch_keys, schema_hash
from factorychain.vault.merkle import merkle_root

KEY = keccak(b"stream key")
STREAM = keccak(b"stream")
HEADER = b"time,zone,temp_c"
RECORDS = [f"2025-03-01T10:00:{i:02d}Z,zone-{i % 4},{840 + i}.5".encode() for i in range(50)]


def seal(records=RECORDS, **kwargs):
    return seal_batch(records, stream_key=KEY, stream=STREAM, record_format="csv", header=HEADER, **kwargs)


def test_seal__header_is_public_and_names_the_root():
    sealed = seal()

    header, lengths = read_header(sealed.data)
    assert (header.stream, header.record_count, header.record_format) == (STREAM, 50, "csv")
    assert header.schema_hash == schema_hash("csv", HEADER)
    assert header.root == sealed.root
    assert list(lengths) == [len(r) for r in RECORDS]
    assert sealed.header.object_name == f"{STREAM.hex()}/{sealed.root.hex()}.fcvb"


def test_seal__no_plaintext_in_the_file():
    sealed = seal()

    assert HEADER not in sealed.data
    assert not any(record in sealed.data for record in RECORDS)
    assert b"zone-" not in sealed.data


def test_seal__fresh_nonce_each_time__different_roots_and_ciphertexts():
    first, second = seal(), seal()

    assert first.root != second.root
    assert first.data[HEADER_SIZE:] != second.data[HEADER_SIZE:]


def test_seal__same_nonce__deterministic():
    nonce = bytes(16)

    assert seal(nonce=nonce).data == seal(nonce=nonce).data


def test_open__round_trip_and_tree():
    sealed = seal()

    opened = open_batch(sealed.data, KEY)

    assert opened.records == RECORDS and opened.header_line == HEADER
    assert merkle_root(opened.levels[0]) == sealed.root


@given(records=st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=40))
def test_open__any_records__round_trip(records):
    sealed = seal_batch(records, stream_key=KEY, stream=STREAM, record_format="jsonl")

    assert open_batch(sealed.data, KEY).records == records


def test_open__wrong_stream_key__mac_error():
    with pytest.raises(VaultError, match="fails its MAC"):
        open_batch(seal().data, keccak(b"other key"))


@pytest.mark.parametrize("where", ["header", "lengths", "body", "mac"])
def test_open__one_flipped_bit__refused(where):
    data = bytearray(seal().data)
    position = {"header": 70, "lengths": HEADER_SIZE + 1, "body": HEADER_SIZE + 4 * 50 + 20, "mac": len(data) - 1}[where]
    data[position] ^= 1

    with pytest.raises(VaultError):
        open_batch(bytes(data), KEY)


def test_open__truncated__structure_error():
    with pytest.raises(VaultError, match="truncated|does not match"):
        open_batch(seal().data[:-40], KEY)


def test_open__not_a_batch__error():
    with pytest.raises(VaultError, match="not a FactoryChain vault batch"):
        open_batch(b"%PDF" + bytes(300), KEY)


def test_record_key__opens_exactly_its_record():
    sealed = seal()

    for index in (0, 17, 49):
        key = record_key(sealed.data, KEY, index)
        assert len(key) == len(RECORDS[index])
        assert decrypt_record(sealed.data, index, key) == RECORDS[index]


def test_record_key__other_records_stay_closed():
    sealed = seal()
    key = record_key(sealed.data, KEY, 3)

    assert decrypt_record(sealed.data, 4, record_key(sealed.data, KEY, 4)) == RECORDS[4]
    with pytest.raises(VaultError, match="needs"):
        decrypt_record(sealed.data, 10, key + b"x" * (len(RECORDS[10]) - len(key)) + b"x")
    # The key of record 3 is that record's keystream only: used on record 4 it yields noise.
    assert decrypt_record(sealed.data, 4, key[: len(RECORDS[4])].ljust(len(RECORDS[4]), b"\0")) != RECORDS[4]


def test_keys__differ_per_nonce_and_stream():
    a = derive_batch_keys(KEY, STREAM, bytes(16))
    b = derive_batch_keys(KEY, STREAM, b"\1" * 16)
    c = derive_batch_keys(KEY, keccak(b"other"), bytes(16))

    assert len({a.enc, b.enc, c.enc, a.salt, a.mac}) == 5


@pytest.mark.parametrize(
    "records, kwargs, match",
    [
        ([], {}, "1 to"),
        ([b"x" * ((1 << 20) + 1)], {}, "limit"),
        ([b"{}"], {"record_format": "jsonl", "header": b"h"}, "no header"),
        ([b"x"], {"record_format": "xml"}, "unknown record format"),
    ],
)
def test_seal__bad_batch__vault_error(records, kwargs, match):
    arguments = {"stream_key": KEY, "stream": STREAM, "record_format": "csv", **kwargs}

    with pytest.raises(VaultError, match=match):
        seal_batch(records, **arguments)


def test_sizes__overhead_is_header_lengths_and_mac():
    sealed = seal()

    payload = len(HEADER) + sum(map(len, RECORDS))
    assert len(sealed.data) == HEADER_SIZE + 4 * len(RECORDS) + payload + MAC_SIZE
