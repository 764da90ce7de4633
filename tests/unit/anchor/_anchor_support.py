"""Fixtures and helpers shared by the DataAnchor unit tests (imported by name: no sub-conftest)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_utils import keccak

from factorychain.vault.merkle import leaf_hash, merkle_levels, merkle_proof

NOT_OWNER = "anchor: not stream owner"
NOT_WRITER = "anchor: not writer"
UNKNOWN_STREAM = "anchor: unknown stream"
LABEL = keccak(text="furnace-2")
URI = "s3://factory-vault/furnace-2/batch-1.fcvb"
SCHEMA = keccak(b"\x01time,zone,temp_c")


@pytest.fixture(scope="session")
def data_anchor(project, admin):
    return project.DataAnchor.deploy(sender=admin)


@pytest.fixture
def stream(data_anchor, oem):
    """LABEL's stream, owned by the OEM."""
    return bytes(data_anchor.create_stream(LABEL, sender=oem).return_value)


@pytest.fixture
def gateway(stream, data_anchor, oem, supplier):
    """The supplier's key named a writer of `stream` (a shop-floor gateway)."""
    data_anchor.add_writer(stream, supplier, sender=oem)
    return supplier


def records(count: int, tag: str = "r") -> list[bytes]:
    return [f"2025-03-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z,zone-{i % 4},{840 + i % 17}.5,{tag}".encode() for i in range(count)]


def tree(count: int, tag: str = "r") -> tuple[list[list[bytes]], list[bytes]]:
    """(levels, salts) of a batch of `count` records, salts random."""
    salts = [os.urandom(32) for _ in range(count)]
    leaves = [leaf_hash(salts[i], i, SCHEMA, record) for i, record in enumerate(records(count, tag))]
    return merkle_levels(leaves), salts


def anchor_tree(data_anchor: Any, stream: bytes, sender: Any, count: int) -> tuple[int, list[list[bytes]]]:
    levels, _ = tree(count)
    batch = data_anchor.anchor(stream, levels[-1][0], count, URI, sender=sender).return_value
    return batch, levels


def proof_of(levels: list[list[bytes]], index: int) -> list[bytes]:
    return merkle_proof(levels, index)
