"""Fast chain access for the stateful suite: raw JSON-RPC transactions, exact fees, decoded events,
and the whole escrow read through MockStatefulLens in one round trip.

Why not Ape's ``contract.method(sender=...)`` here: a state machine sends thousands of
transactions, many of them expected to revert, and Ape enriches every revert with a source
traceback (ape-vyper walks the AST to look for ``# dev:`` comments) at 0.4-1 s a revert. Sending
the transaction with ``eth_sendTransaction`` and reading the reason from Anvil's call tracer gives
the same facts (the transaction is mined, the reason is what the EVM returned, the fee is the
receipt's) in ~5 ms. Calldata is still encoded from the compiled ABI
(``contract.method.encode_input``) and events are decoded from the compiled ABI, so a renamed or
re-typed function or event fails here as it would anywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

ZERO = "0x0000000000000000000000000000000000000000"

# Gas limit of every transaction the machine sends: far above any escrow call (nine pushes, a
# wrapper contract around it), low enough that a receiver burning what it gets stays cheap.
TX_GAS = 3_000_000

_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)

_TERMS = "(address,bytes32,uint256,address,uint256,uint256,uint256,uint256,address,uint256,uint16,uint16)"
_AGREEMENTS = ["uint256", f"({_TERMS},address,uint256,uint256)[]", "(address,uint16)[][]"]
_ORDERS = ["uint256", "((uint256,address,address,uint256,uint256,uint256,uint256,uint256,uint256,address,bool),uint256,uint256)[]"]
_LOTS = ["(uint256,uint256,(uint256,uint256,uint256,bytes32,uint256,uint256,uint256),uint256,uint256)[]"]


def revert_reason(output: str | bytes | None) -> str:
    """The `Error(string)` message of revert data; "" when the revert carried none."""
    if not output:
        return ""
    raw = bytes.fromhex(output[2:]) if isinstance(output, str) else bytes(output)
    if raw[:4] != _ERROR_SELECTOR:
        return ""
    return decode(["string"], raw[4:])[0]


def calldata_cost(data: bytes) -> int:
    """Intrinsic gas of a transaction carrying `data` (Cancun: 21 000 + 4 per zero, 16 per other byte)."""
    return 21_000 + sum(4 if b == 0 else 16 for b in data)


def _checksummed(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_checksummed(v) for v in value)
    return value


class EventDecoder:
    """Decodes a contract's own logs from its compiled ABI: {topic0: (name, inputs)}."""

    def __init__(self, contract: Any):
        self.address = contract.address.lower()
        self._events: dict[bytes, tuple[str, list[tuple[str, str, bool]]]] = {}
        for abi in contract.contract_type.events:
            inputs = [(i.name, i.canonical_type, bool(i.indexed)) for i in abi.inputs]
            signature = f"{abi.name}({','.join(t for _, t, _ in inputs)})"
            self._events[keccak(text=signature)] = (abi.name, inputs)

    def decode(self, logs: list[dict]) -> list[tuple[str, dict]]:
        """(name, {field: value}) of every log this contract emitted, in log order."""
        found = []
        for log in logs:
            if log["address"].lower() != self.address:
                continue
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            name, inputs = self._events.get(topics[0], ("?", []))
            fields: dict[str, Any] = {}
            indexed = [(n, t) for n, t, i in inputs if i]
            plain = [(n, t) for n, t, i in inputs if not i]
            for (n, t), topic in zip(indexed, topics[1:]):
                fields[n] = _checksummed(decode([t], topic)[0])
            if plain:
                values = decode([t for _, t in plain], bytes.fromhex(log["data"][2:]))
                fields.update({n: _checksummed(v) for (n, _), v in zip(plain, values)})
            found.append((name, fields))
        return found


@dataclass
class Outcome:
    """What one mined transaction did."""

    ok: bool
    reason: str
    fee: int  # wei the sender paid for gas
    gas_used: int
    logs: list[dict] = field(default_factory=list)


class Wire:
    """Raw JSON-RPC to the Anvil node Ape started: transactions, calls and the clock.

    One keep-alive HTTP session that ignores proxy environment variables: web3's provider looks
    them up on every request, which costs more than Anvil takes to answer."""

    def __init__(self, chain: Any):
        self._uri = chain.provider.web3.provider.endpoint_uri
        self._session = requests.Session()
        self._session.trust_env = False
        self._id = 0

    def _post(self, payload: Any) -> Any:
        response = self._session.post(self._uri, json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def _request(self, method: str, params: list) -> dict:
        self._id += 1
        return {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}

    @staticmethod
    def _result(method: str, response: dict) -> Any:
        if "error" in response:
            raise RuntimeError(f"{method} failed: {response['error']}")
        return response["result"]

    def rpc(self, method: str, params: list) -> Any:
        return self._result(method, self._post(self._request(method, params)))

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Several read-only requests in one HTTP round trip, answers in request order."""
        requests_ = [self._request(method, params) for method, params in calls]
        by_id = {answer["id"]: answer for answer in self._post(requests_)}
        return [self._result(r["method"], by_id[r["id"]]) for r in requests_]

    # ------------------------------------------------------------ clock

    def pending_timestamp(self) -> int:
        """The timestamp the next block will carry (Anvil follows the wall clock between blocks)."""
        return int(self.rpc("eth_getBlockByNumber", ["pending", False])["timestamp"], 16)

    def pin(self) -> int:
        """Fixes the next block's timestamp to the pending one and returns it, so that a model can
        decide a deadline to the second before the transaction is sent."""
        now = self.pending_timestamp()
        self.rpc("evm_setNextBlockTimestamp", [now])
        return now

    def set_next_timestamp(self, timestamp: int) -> None:
        self.rpc("evm_setNextBlockTimestamp", [timestamp])

    # ------------------------------------------------------------ calls

    def calls(self, requests_: list[tuple[str, bytes]]) -> list[bytes]:
        """Several eth_calls against the same block state, in one round trip."""
        answers = self.batch(
            [("eth_call", [{"to": to, "data": "0x" + bytes(data).hex()}, "latest"]) for to, data in requests_]
        )
        return [bytes.fromhex(answer[2:]) for answer in answers]

    def send(self, sender: str, to: str, data: bytes, value: int = 0) -> Outcome:
        """Mines one transaction (Anvil automines) and reports whether it reverted, with the
        reason the EVM returned, the exact fee, the gas used and the logs."""
        tx = {"from": sender, "to": to, "data": "0x" + bytes(data).hex(), "value": hex(value), "gas": hex(TX_GAS)}
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        waited = 0.0
        while receipt is None:
            # Anvil automines right after accepting the transaction, but on its own task: the
            # receipt may lag the hash by a moment.
            assert waited < 10, f"transaction {tx_hash} was not mined"
            time.sleep(0.001)
            waited += 0.001
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        gas_used = int(receipt["gasUsed"], 16)
        fee = gas_used * int(receipt["effectiveGasPrice"], 16)
        ok = int(receipt["status"], 16) == 1
        reason = ""
        if not ok:
            trace = self.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
            reason = revert_reason(trace.get("output"))
        return Outcome(ok, reason, fee, gas_used, receipt["logs"] if ok else [])


class Lens:
    """Reads MockStatefulLens for a fixed set of tokens and accounts, decoding with eth_abi
    (Ape's decoder cannot read nested dynamic arrays of structs)."""

    def __init__(self, wire: Wire, lens: Any, escrow: Any, tokens: list[str], accounts: list[str]):
        self.wire = wire
        self.address = lens.address
        self.keys = [(a, t) for t in tokens for a in accounts]
        self._requests = [
            (lens.address, bytes(lens.money.encode_input(escrow.address, tokens, accounts))),
            (lens.address, bytes(lens.agreements.encode_input(escrow.address))),
            (lens.address, bytes(lens.orders.encode_input(escrow.address))),
            (lens.address, bytes(lens.lots.encode_input(escrow.address))),
        ]

    def money(self) -> tuple[dict, dict]:
        """({(account, token): balance}, {(account, token): credit})."""
        (raw,) = self.wire.calls(self._requests[:1])
        return self._decode_money(raw)

    def picture(self) -> tuple[list, list, list]:
        """(agreements, orders, lots) only: see ``everything``."""
        return self._decode_picture(*self.wire.calls(self._requests[1:]))

    def everything(self) -> tuple:
        """(balances, credits, agreements, orders, lots), all read from the same block in one round
        trip. agreements: [(terms tuple, buyer, status, called, payees)]; orders: [(order tuple,
        ship_by, grace_end)]; lots: [(order_id, lot, lot tuple, review_end, arbitration_end)]."""
        money, *rest = self.wire.calls(self._requests)
        return (*self._decode_money(money), *self._decode_picture(*rest))

    def _decode_money(self, raw: bytes) -> tuple[dict, dict]:
        balances, credits = decode(["uint256[]", "uint256[]"], raw)
        return dict(zip(self.keys, balances)), dict(zip(self.keys, credits))

    @staticmethod
    def _decode_picture(agreements_raw: bytes, orders_raw: bytes, lots_raw: bytes) -> tuple[list, list, list]:
        _, agreements, payees = decode(_AGREEMENTS, agreements_raw)
        _, orders = decode(_ORDERS, orders_raw)
        (lots,) = decode(_LOTS, lots_raw)
        agreements = [(*_checksummed(a), [tuple(_checksummed(p)) for p in ps]) for a, ps in zip(agreements, payees)]
        return agreements, [_checksummed(o) for o in orders], [_checksummed(lot) for lot in lots]
