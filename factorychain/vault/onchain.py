"""The vault's chain side — these functions DO touch the chain.

Two ways in:

* **Ape contract objects** (scripts, the console, tests): :func:`ensure_stream`,
  :func:`anchor_entry`, :func:`share_stream_key` send transactions with ``sender=``;
  :func:`anchored_root` and :func:`lot_shipment_hash` read.
* **A bare JSON-RPC URL** (:class:`RpcReader`): what ``factorychain vault verify --rpc URL``
  uses to read a root with one ``eth_call``, without Ape or an account.

A lot's root is read with the escrow's ``get_lot(order_id, lot)`` view, whose ``Lot`` struct has a
``shipment_hash`` field (the fourth word of its ABI encoding: every member is one static word).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from sha3 import keccak_256

from .._hex import BytesLike, as_address, as_bytes, to_hex
from ..keys import address_from_public_key
from .disclosure import DATA_ANCHOR, AnchorRef
from .errors import VaultError
from .ledger import BatchEntry, Vault
from .streamkey import stream_label, wrap_stream_key

__all__ = [
    "RpcReader",
    "anchor_entry",
    "anchored_root",
    "ensure_stream",
    "lot_shipment_hash",
    "onchain_root",
    "share_stream_key",
]

_GET_BATCH = keccak_256(b"get_batch(bytes32,uint256)").digest()[:4]
_GET_LOT = keccak_256(b"get_lot(uint256,uint256)").digest()[:4]
_SHIPMENT_HASH_WORD = 3


def _b32(value: Any) -> bytes:
    return as_bytes(value if isinstance(value, (bytes, str)) else bytes(value), "bytes32 result", 32)


def anchored_root(anchor: Any, stream: BytesLike, batch: int) -> tuple[bytes, int]:
    """``(root, record_count)`` of a DataAnchor batch; zero root if it does not exist."""
    found = anchor.get_batch(as_bytes(stream, "stream", 32), int(batch))
    return _b32(found.root), int(found.record_count)


def lot_shipment_hash(escrow: Any, order_id: int, lot: int) -> bytes:
    """The ``shipment_hash`` of an escrow lot (zero for an unknown lot)."""
    found = escrow.get_lot(int(order_id), int(lot))
    value = getattr(found, "shipment_hash", None)
    if value is None:
        value = found[_SHIPMENT_HASH_WORD]
    return _b32(value)


def onchain_root(ref: AnchorRef, contract: Any) -> bytes:
    """The root a disclosure's anchor names, read through an Ape contract object."""
    if ref.kind == DATA_ANCHOR:
        return anchored_root(contract, ref.stream or b"", ref.batch or 0)[0]
    return lot_shipment_hash(contract, ref.order_id or 0, ref.lot or 0)


def ensure_stream(anchor: Any, sender: Any, vault: Vault) -> bool:
    """Create the vault's stream on ``anchor`` unless it exists; True if a transaction was sent."""
    config = vault.config
    if as_address(sender, "sender") != config.owner:
        raise VaultError(f"the stream belongs to {config.owner}; send from that account, not {as_address(sender, 'sender')}")
    owner = as_address(anchor.stream_owner(config.stream), "stream owner")
    if owner == config.owner:
        return False
    if int(owner, 16) != 0:
        raise VaultError(f"stream {to_hex(config.stream)} is owned by {owner} on {anchor.address}")
    anchor.create_stream(stream_label(config.name), sender=sender)
    return True


def anchor_entry(anchor: Any, sender: Any, vault: Vault, entry: BatchEntry, chain_id: int) -> BatchEntry:
    """Anchor one ledger batch and record the batch number the chain gave it."""
    if entry.anchored:
        raise VaultError(f"batch {entry.seq} is already anchored as batch {entry.anchored['batch']}")
    receipt = anchor.anchor(vault.config.stream, as_bytes(entry.root, "root", 32), entry.record_count, entry.uri, sender=sender)
    # The event, not the return value: live networks give return values only with call tracing.
    logged = [log for log in anchor.BatchAnchored.from_receipt(receipt) if _b32(log.root) == as_bytes(entry.root, "root", 32)]
    if len(logged) != 1:
        raise VaultError(f"transaction {receipt.txn_hash} did not anchor batch {entry.seq}")
    number = int(logged[0].batch)
    tx = receipt.txn_hash if isinstance(receipt.txn_hash, str) else to_hex(bytes(receipt.txn_hash))
    return vault.update(
        entry.seq,
        anchored={"chain_id": int(chain_id), "contract": as_address(anchor, "anchor"), "batch": number, "tx": tx},
    )


def share_stream_key(anchor: Any, sender: Any, stream: BytesLike, reader_public_key: BytesLike, stream_key: BytesLike) -> bytes:
    """Publish the stream key wrapped to a reader (an auditor) in a ``StreamKeyShared`` event."""
    envelope = wrap_stream_key(stream_key, reader_public_key, stream)
    anchor.share_key(as_bytes(stream, "stream", 32), address_from_public_key(reader_public_key), envelope, sender=sender)
    return envelope


class RpcReader:
    """Read-only access to a node over JSON-RPC (``http://…``): chain id and the two root views."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise VaultError(f"RPC URL must start with http:// or https://, got {url!r}")
        self.url = url
        self.timeout = timeout

    def _request(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise VaultError(f"cannot reach the node at {self.url}: {reason}") from None
        if "error" in answer:
            raise VaultError(f"node at {self.url} refused {method}: {answer['error'].get('message', answer['error'])}")
        return answer["result"]

    def chain_id(self) -> int:
        return int(self._request("eth_chainId", []), 16)

    def call(self, to: str, data: bytes) -> bytes:
        result = self._request("eth_call", [{"to": to, "data": to_hex(data)}, "latest"])
        return as_bytes(result, "eth_call result")

    def root(self, ref: AnchorRef) -> bytes:
        """The root at ``ref``: checks the node's chain id, then one ``eth_call``."""
        chain = self.chain_id()
        if chain != ref.chain_id:
            raise VaultError(f"the disclosure is anchored on chain {ref.chain_id}, but {self.url} is chain {chain}")
        if ref.kind == DATA_ANCHOR:
            data = _GET_BATCH + (ref.stream or b"") + int(ref.batch or 0).to_bytes(32, "big")
            word = 0
        else:
            data = _GET_LOT + int(ref.order_id or 0).to_bytes(32, "big") + int(ref.lot or 0).to_bytes(32, "big")
            word = _SHIPMENT_HASH_WORD
        result = self.call(ref.contract, data)
        if len(result) < 32 * (word + 1):
            raise VaultError(f"{ref.contract} on chain {chain} does not answer {'get_batch' if word == 0 else 'get_lot'} (no contract there?)")
        return result[32 * word : 32 * word + 32]
