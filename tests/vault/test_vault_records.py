"""factorychain.vault.records: CSV and JSON Lines checked line by line, streamed in batches."""

import io

import pytest

from factorychain.vault import RecordFormatError
from factorychain.vault.records import guess_format, read_batches


def batches(text: bytes, fmt: str, size: int = 3, chunk: int = 1 << 22):
    header, produced = read_batches(io.BytesIO(text), fmt, size, chunk_size=chunk)
    return header, [(b.first_line, b.records) for b in produced]


def test_csv__header_apart__records_verbatim_with_line_numbers():
    header, found = batches(b"t,v\n1,a\n2,b\n3,c\n4,d\n", "csv")

    assert header == b"t,v"
    assert found == [(2, [b"1,a", b"2,b", b"3,c"]), (5, [b"4,d"])]


@pytest.mark.parametrize("chunk", [1, 5, 7, 1 << 20])
def test_csv__any_chunk_size__same_batches(chunk):
    text = b"t,v\r\n" + b"".join(b"%d,\"x,%d\"\r\n" % (i, i) for i in range(10))

    assert batches(text, "csv", 4, chunk) == batches(text, "csv", 4)
    assert batches(text, "csv", 4)[1][0][1][1] == b'1,"x,1"'


def test_csv__no_final_newline__last_record_kept():
    assert batches(b"t,v\n1,a\n2,b", "csv")[1] == [(2, [b"1,a", b"2,b"])]


@pytest.mark.parametrize(
    "text, match",
    [
        (b"", "empty"),
        (b"\n1,2\n", "header is empty"),
        (b"t,v\n1,a\n1,a,b\n", "line 3: 3 fields, the header has 2"),
        (b"t,v\n1\n", "line 2: 1 fields"),
        (b"t,v\n1,a\n\n2,b\n", "line 3 is empty"),
        (b't,v\n1,"open\nquote",x\n', "line 2"),
        (b"t,v\n1,\xff\n", "line 2 is not UTF-8"),
    ],
)
def test_csv__bad_input__names_the_line(text, match):
    with pytest.raises(RecordFormatError, match=match):
        batches(text, "csv")


def test_jsonl__each_line_a_record():
    header, found = batches(b'{"a": 1}\n[1, 2]\n"x"\n', "jsonl", 10)

    assert header == b""
    assert found == [(1, [b'{"a": 1}', b"[1, 2]", b'"x"'])]


@pytest.mark.parametrize("text, match", [(b'{"a": 1}\n{"a": \n', "line 2: not valid JSON"), (b"1, 2\n", "line 1: not valid JSON")])
def test_jsonl__bad_line__names_it(text, match):
    with pytest.raises(RecordFormatError, match=match):
        batches(text, "jsonl")


def test_line_too_long__refused():
    with pytest.raises(RecordFormatError, match="longer than"):
        batches(b"t\n" + b"x" * ((1 << 20) + 1) + b"\n", "csv")


def test_memory__batches_are_produced_lazily():
    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            data = b"1,2\n" * (len(buffer) // 4)
            buffer[: len(data)] = data
            return len(data)

    header, produced = read_batches(io.BufferedReader(Endless()), "csv", 1000, chunk_size=1 << 16)
    first = next(produced)

    assert header == b"1,2" and len(first.records) == 1000


@pytest.mark.parametrize("name, fmt", [("a.csv", "csv"), ("A.JSONL", "jsonl"), ("x.ndjson", "jsonl")])
def test_guess_format(name, fmt):
    assert guess_format(name) == fmt


def test_guess_format__unknown__error():
    with pytest.raises(RecordFormatError, match="--format"):
        guess_format("data.parquet")
