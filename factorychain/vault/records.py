"""Reading production records: CSV and JSON Lines, one record per line, streamed in batches.

A record is the line's bytes exactly as written (without its line ending): nothing is
re-serialised, so the record a buyer is shown is byte for byte the one the factory logged.
Each line is still checked, at C speed, before it is committed:

* **CSV**: the first line is the header; every other line must split into the header's number of
  fields (``csv`` rules, quotes allowed, but a quoted field may not span lines);
* **JSON Lines**: every line must be one valid JSON value;
* both: UTF-8, not empty, at most 1 MiB.

Memory is bounded by the batch size: the file is read in chunks and handed on one batch at a
time, whatever its length.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import repeat
from dataclasses import dataclass
from typing import BinaryIO

import msgspec

from .batch import MAX_RECORD_SIZE, RECORD_FORMATS
from .errors import RecordFormatError

__all__ = ["RecordBatch", "guess_format", "read_batches"]

_CHUNK = 1 << 22


@dataclass(frozen=True)
class RecordBatch:
    """Consecutive records of the source: ``records[i]`` is on line ``first_line + i``."""

    first_line: int
    records: list[bytes]


def guess_format(name: str) -> str:
    """``csv`` or ``jsonl`` from a file name; :class:`RecordFormatError` otherwise."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise RecordFormatError(f"cannot tell the record format of {name!r}; give --format csv or jsonl")


def _lines(source: BinaryIO, chunk_size: int) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines without endings), chunk by chunk."""
    tail = b""
    line_no = 1
    while True:
        chunk = source.read(chunk_size)
        if not chunk:
            break
        data = tail + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            tail = data
            if len(tail) > MAX_RECORD_SIZE + 2:
                raise RecordFormatError(f"line {line_no} is longer than {MAX_RECORD_SIZE} bytes")
            continue
        tail = data[cut + 1 :]
        lines = data[:cut].split(b"\n")
        if b"\r" in data:
            lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        yield line_no, lines
        line_no += len(lines)
    if tail:
        yield line_no, [tail[:-1] if tail.endswith(b"\r") else tail]


def _check_utf8(lines: list[bytes], first: int) -> bytes:
    text = b"\n".join(lines)
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = first + text[: exc.start].count(b"\n")
        raise RecordFormatError(f"line {bad} is not UTF-8") from None
    return text


def _check_common(lines: list[bytes], first: int) -> bytes:
    """Checks every format shares; returns the lines joined (to look for quotes at once)."""
    if not all(lines):
        raise RecordFormatError(f"line {first + lines.index(b'')} is empty")
    if max(map(len, lines)) > MAX_RECORD_SIZE:
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        raise RecordFormatError(f"line {first + longest} is longer than {MAX_RECORD_SIZE} bytes")
    return _check_utf8(lines, first)


def _csv_fields(line: bytes, line_no: int) -> int:
    try:
        rows = list(csv.reader([line.decode("utf-8")], strict=True))
    except csv.Error as exc:
        raise RecordFormatError(f"line {line_no}: not a CSV row ({exc})") from None
    if len(rows) != 1:
        raise RecordFormatError(f"line {line_no}: a quoted field spans lines, which records cannot")
    return len(rows[0])


def _check_csv(lines: list[bytes], first: int, fields: int, text: bytes) -> None:
    commas = fields - 1
    counts = list(map(bytes.count, lines, repeat(b",", len(lines))))
    if b'"' not in text and counts.count(commas) == len(counts):
        return  # the common case, decided at C speed
    for offset, count in enumerate(counts):
        if count != commas or b'"' in lines[offset]:
            line = lines[offset]
            got = _csv_fields(line, first + offset) if b'"' in line else count + 1
            if got != fields:
                raise RecordFormatError(f"line {first + offset}: {got} fields, the header has {fields}")


def _check_jsonl(lines: list[bytes], first: int) -> None:
    decode = msgspec.json.Decoder().decode
    for offset, line in enumerate(lines):
        try:
            decode(line)
        except msgspec.DecodeError as exc:
            raise RecordFormatError(f"line {first + offset}: not valid JSON ({exc})") from None


def read_batches(
    source: BinaryIO, record_format: str, batch_size: int, *, chunk_size: int = _CHUNK
) -> tuple[bytes, Iterator[RecordBatch]]:
    """``(header line, batches)``: the CSV header (``b""`` for JSON Lines) and the records.

    The header is read at once (so a bad header fails before anything is written); the batches
    are produced lazily, ``batch_size`` records each (the last may be shorter).
    """
    if record_format not in RECORD_FORMATS:
        raise RecordFormatError(f"unknown record format {record_format!r} (expected csv or jsonl)")
    if batch_size < 1:
        raise RecordFormatError("batch size must be at least 1")
    chunks = _lines(source, chunk_size)
    header = b""
    fields = 0
    pending: list[tuple[int, list[bytes]]] = []
    if record_format == "csv":
        try:
            first, lines = next(chunks)
        except StopIteration:
            raise RecordFormatError("the CSV file is empty (no header line)") from None
        header = lines[0]
        if not header:
            raise RecordFormatError("line 1: the CSV header is empty")
        _check_utf8([header], 1)
        fields = _csv_fields(header, 1)
        if len(lines) > 1:
            pending.append((first + 1, lines[1:]))

    def batches() -> Iterator[RecordBatch]:
        buffer: list[bytes] = []
        buffer_first = 0

        def all_chunks() -> Iterator[tuple[int, list[bytes]]]:
            yield from pending
            yield from chunks

        for first, lines in all_chunks():
            text = _check_common(lines, first)
            if record_format == "csv":
                _check_csv(lines, first, fields, text)
            else:
                _check_jsonl(lines, first)
            position = 0
            while position < len(lines):
                if not buffer:
                    buffer_first = first + position
                take = lines[position : position + batch_size - len(buffer)]
                buffer.extend(take)
                position += len(take)
                if len(buffer) == batch_size:
                    yield RecordBatch(buffer_first, buffer)
                    buffer = []
        if buffer:
            yield RecordBatch(buffer_first, buffer)

    return header, batches()
