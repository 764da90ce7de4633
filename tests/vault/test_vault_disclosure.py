"""Disclosures: made from an opened batch, checked offline, every tampering named by its check."""

import json

import pytest
from eth_utils import keccak

from factorychain.vault import AnchorRef, VerificationError, check_disclosure, make_disclosure, open_batch, seal_batch
from factorychain.vault.disclosure import Disclosure, read_disclosure, write_disclosure

KEY = keccak(b"stream key")
STREAM = keccak(b"stream")
HEADER = b"time,zone,temp_c"
RECORDS = [f"2025-03-01T10:00:{i:02d}Z,zone-{i % 4},{840 + i}.5".encode() for i in range(37)]
ANCHOR = AnchorRef.data_anchor(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", STREAM, 4)


@pytest.fixture(scope="module")
def opened():
    sealed = seal_batch(RECORDS, stream_key=KEY, stream=STREAM, record_format="csv", header=HEADER)
    return open_batch(sealed.data, KEY)


@pytest.fixture
def disclosure(opened):
    return make_disclosure(opened, 21, anchor=ANCHOR, uri="s3://b/x.fcvb")


def tampered(disclosure, **changes):
    data = disclosure.to_json()
    data.update(changes)
    return Disclosure.from_json(data)


def test_disclosure__holds_offline_and_against_its_root(disclosure, opened):
    check_disclosure(disclosure)
    check_disclosure(disclosure, onchain_root=opened.header.root)
    assert disclosure.record == RECORDS[21] and len(disclosure.proof) == 6


def test_disclosure__json_round_trip(disclosure, tmp_path):
    path = write_disclosure(disclosure, tmp_path / "d.json")

    assert read_disclosure(path) == disclosure
    data = json.loads(path.read_text())
    assert data["schema"] == {"format": "csv", "header": HEADER.decode()}
    assert data["anchor"]["kind"] == "data-anchor" and data["anchor"]["batch"] == 4
    assert "record_key" not in data


def test_disclosure__reveals_only_its_record(disclosure):
    text = json.dumps(disclosure.to_json())

    assert all(record.decode() not in text for i, record in enumerate(RECORDS) if i != 21)


def test_tampered_record__record_check(disclosure):
    bad = tampered(disclosure, record=disclosure.text.replace("861.5", "845.5"))

    with pytest.raises(VerificationError, match="^record check failed") as error:
        check_disclosure(bad)
    assert error.value.check == "record"


def test_tampered_record_and_its_hash__salt_check(disclosure):
    record = disclosure.text.replace("861.5", "845.5")
    bad = tampered(disclosure, record=record, record_hash="0x" + keccak(record.encode()).hex())

    with pytest.raises(VerificationError, match="^salt check failed"):
        check_disclosure(bad)


@pytest.mark.parametrize(
    "field, value",
    [("salt", "0x" + "00" * 32), ("index", 22), ("schema", {"format": "csv", "header": "time,zone,setpoint_c"})],
)
def test_tampered_salt_index_or_header__salt_check(disclosure, field, value):
    with pytest.raises(VerificationError, match="^salt check failed"):
        check_disclosure(tampered(disclosure, **{field: value}))


def test_index_beyond_count__salt_check(disclosure):
    with pytest.raises(VerificationError, match="outside a batch"):
        check_disclosure(tampered(disclosure, index=37))


def test_tampered_proof_node__proof_check(disclosure):
    proof = list(disclosure.to_json()["proof"])
    proof[2] = "0x" + keccak(b"x").hex()

    with pytest.raises(VerificationError, match="^proof check failed: the proof does not lead"):
        check_disclosure(tampered(disclosure, proof=proof))


@pytest.mark.parametrize("change", ["drop", "add", "count"])
def test_wrong_proof_length__proof_check(disclosure, change):
    data = disclosure.to_json()
    if change == "drop":
        data["proof"] = data["proof"][:-1]
    elif change == "add":
        data["proof"] = data["proof"] + [data["root"]]
    else:
        data["record_count"] = 1000

    with pytest.raises(VerificationError, match="^proof check failed: the proof has"):
        check_disclosure(Disclosure.from_json(data))


def test_tampered_root__proof_check_offline(disclosure):
    with pytest.raises(VerificationError, match="^proof check failed"):
        check_disclosure(tampered(disclosure, root="0x" + keccak(b"other root").hex()))


def test_other_root_on_chain__root_check(disclosure):
    with pytest.raises(VerificationError, match="^root check failed: the disclosed root .* is not the one anchored at batch 4"):
        check_disclosure(disclosure, onchain_root=keccak(b"other root"))


def test_nothing_on_chain__root_check(disclosure):
    with pytest.raises(VerificationError, match="^root check failed: nothing is anchored at batch 4"):
        check_disclosure(disclosure, onchain_root=bytes(32))


@pytest.mark.parametrize(
    "change, match",
    [
        ({"format": "other"}, "not a factorychain-disclosure/1"),
        ({"salt": "0x1234"}, "salt: expected 32 bytes"),
        ({"proof": "0x00"}, "proof is not a list"),
        ({"anchor": {"kind": "ipfs"}}, "unknown anchor kind"),
        ({"record_count": 0}, "not an integer >= 1"),
    ],
)
def test_malformed__format_check(disclosure, change, match):
    with pytest.raises(VerificationError, match=f"^format check failed: .*{match}"):
        tampered(disclosure, **change)


def test_missing_field__format_check(disclosure):
    data = disclosure.to_json()
    del data["leaf"]

    with pytest.raises(VerificationError, match="no 'leaf' field"):
        Disclosure.from_json(data)


def test_lot_anchor__round_trip(opened):
    lot = AnchorRef.escrow_lot(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 7, 2)
    disclosure = make_disclosure(opened, 0, anchor=lot)

    again = Disclosure.from_json(disclosure.to_json())

    assert again.anchor == lot
    assert "lot 2 of order 7" in lot.describe()
