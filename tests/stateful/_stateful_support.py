"""Fast chain access for the stateful suite: raw JSON-RPC transactions, exact fees, decoded events.

Why not Ape's ``contract.method(sender=...)`` here: a state machine sends hundreds of transactions,
many of them expected to revert, and Ape enriches every revert with a source traceback (ape-vyper
walks the AST to look for ``# dev:`` comments) at 0.4-1 s a revert. Sending the transaction with
``eth_sendTransaction`` and reading the reason from Anvil's call tracer gives the same facts (the
transaction is mined, the reason is what the EVM returned, the fee is the receipt's) in ~5 ms.
Calldata is still encoded from the compiled ABI (``contract.method.encode_input``), so a renamed
or re-typed function fails here as it would anywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

ZERO = "0x0000000000000000000000000000000000000000"

# Gas limit of every transaction the machine sends: far above any escrow call (nine pushes),
# low enough that a receiver burning all it is given (the gas-burner mode) stays cheap to run.
TX_GAS = 3_000_000

_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)

TOPIC = {
    "Paid": keccak(text="Paid(uint256,address,address,uint256)"),
    "PaymentDeferred": keccak(text="PaymentDeferred(uint256,address,address,uint256)"),
    "Claimed": keccak(text="Claimed(address,address,uint256)"),
    "OrderCreated": keccak(text="OrderCreated(uint256,address,address,bytes32,uint256,address,uint256,bytes32)"),
    "DeliveryConfirmed": keccak(text="DeliveryConfirmed(uint256,address,bytes32)"),
}

_ORDER_TUPLE = "(address,address,bytes32,uint256,uint256,address,uint256,uint256,uint256,address,uint256,uint256)"
_NAMES = {"0x" + topic.hex(): name for name, topic in TOPIC.items()}

ORDER_FIELDS = (
    "buyer",
    "supplier",
    "part_id",
    "version",
    "quantity",
    "token",
    "amount",
    "ship_by",
    "review_period",
    "inspector",
    "shipped_at",
    "status",
)


def revert_reason(output: str | bytes | None) -> str:
    """The `Error(string)` message of revert data; "" when the revert carried none."""
    if not output:
        return ""
    raw = bytes.fromhex(output[2:]) if isinstance(output, str) else bytes(output)
    if raw[:4] != _ERROR_SELECTOR:
        return ""
    return decode(["string"], raw[4:])[0]


def _addr(topic: str | bytes) -> str:
    raw = bytes.fromhex(topic[2:]) if isinstance(topic, str) else bytes(topic)
    return to_checksum_address(raw[-20:])


def _word(topic: str | bytes) -> int:
    return int(topic, 16) if isinstance(topic, str) else int.from_bytes(topic, "big")


@dataclass
class Outcome:
    """What one mined transaction did."""

    ok: bool
    reason: str
    fee: int  # wei the sender paid for gas
    logs: list[dict] = field(default_factory=list)

    def decoded(self, emitter: str) -> list[tuple]:
        """The known events `emitter` logged, in log order, as (name, *fields):
        Paid / PaymentDeferred (order_id, account, token, amount), Claimed (account, token, amount),
        OrderCreated (order_id, buyer, supplier), DeliveryConfirmed (order_id, confirmer, receipt)."""
        found = []
        for log in self.logs:
            if log["address"].lower() != emitter.lower():
                continue
            name = _NAMES.get(log["topics"][0].lower())
            topics = log["topics"]
            data = bytes.fromhex(log["data"][2:])
            if name in ("Paid", "PaymentDeferred"):
                found.append((name, _word(topics[1]), _addr(topics[2]), _addr(topics[3]), decode(["uint256"], data)[0]))
            elif name == "Claimed":
                found.append((name, _addr(topics[1]), _addr(topics[2]), decode(["uint256"], data)[0]))
            elif name == "OrderCreated":
                found.append((name, _word(topics[1]), _addr(topics[2]), _addr(topics[3])))
            elif name == "DeliveryConfirmed":
                found.append((name, _word(topics[1]), _addr(topics[2]), data[:32]))
        return found

    def events(self, emitter: str, name: str) -> list[tuple]:
        """The fields of every `name` event `emitter` logged, in log order."""
        return [event[1:] for event in self.decoded(emitter) if event[0] == name]

    def payouts(self, emitter: str) -> list[tuple]:
        """Paid and PaymentDeferred events together, in log order: (name, order_id, account, token, amount)."""
        return [event for event in self.decoded(emitter) if event[0] in ("Paid", "PaymentDeferred")]


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

    def call(self, to: str, data: bytes) -> bytes:
        result = self.rpc("eth_call", [{"to": to, "data": "0x" + bytes(data).hex()}, "latest"])
        return bytes.fromhex(result[2:])

    def calls(self, requests_: list[tuple[str, bytes]]) -> list[bytes]:
        """Several eth_calls against the same block state, in one round trip."""
        answers = self.batch(
            [("eth_call", [{"to": to, "data": "0x" + bytes(data).hex()}, "latest"]) for to, data in requests_]
        )
        return [bytes.fromhex(answer[2:]) for answer in answers]

    def send(self, sender: str, to: str, data: bytes, value: int = 0) -> Outcome:
        """Mines one transaction (Anvil automines) and reports whether it reverted, with the
        reason the EVM returned, the exact fee and the logs."""
        tx = {
            "from": sender,
            "to": to,
            "data": "0x" + bytes(data).hex(),
            "value": hex(value),
            "gas": hex(TX_GAS),
        }
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
        fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        ok = int(receipt["status"], 16) == 1
        reason = ""
        if not ok:
            trace = self.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
            reason = revert_reason(trace.get("output"))
        return Outcome(ok, reason, fee, receipt["logs"] if ok else [])


class Lens:
    """Reads MockStatefulLens for a fixed set of tokens and accounts, decoding with eth_abi
    (Ape's decoder mangles nested dynamic arrays)."""

    def __init__(self, wire: Wire, lens: Any, escrow: Any, tokens: list[str], accounts: list[str]):
        self.wire = wire
        self.address = lens.address
        self.keys = [(a, t) for t in tokens for a in accounts]
        self._money = bytes(lens.money.encode_input(escrow.address, tokens, accounts))
        self._orders = bytes(lens.orders.encode_input(escrow.address))

    def money(self) -> tuple[dict, dict]:
        """({(account, token): balance}, {(account, token): credit})."""
        return self._decode_money(self.wire.call(self.address, self._money))

    def everything(self) -> tuple:
        """(balances, credits, order_count, orders, payees, statuses), all read from the same
        block in one round trip; see ``money`` and ``orders``."""
        money, orders = self.wire.calls([(self.address, self._money), (self.address, self._orders)])
        return (*self._decode_money(money), *self._decode_orders(orders))

    def orders(self) -> tuple[int, list[dict], list[list[tuple[str, int]]], list[int]]:
        """(order_count, [get_order as dict], [payees_of], [status]) for ids 1 .. order_count."""
        return self._decode_orders(self.wire.call(self.address, self._orders))

    def _decode_money(self, raw: bytes) -> tuple[dict, dict]:
        balances, credits = decode(["uint256[]", "uint256[]"], raw)
        return dict(zip(self.keys, balances)), dict(zip(self.keys, credits))

    @staticmethod
    def _decode_orders(raw: bytes) -> tuple[int, list[dict], list[list[tuple[str, int]]], list[int]]:
        count, orders, payees, statuses = decode(
            ["uint256", f"{_ORDER_TUPLE}[]", "(address,uint16)[][]", "uint256[]"], raw
        )
        as_dicts = []
        for order in orders:
            row = dict(zip(ORDER_FIELDS, order))
            for key in ("buyer", "supplier", "token", "inspector"):
                row[key] = to_checksum_address(row[key])
            as_dicts.append(row)
        declared = [[(to_checksum_address(a), bps) for a, bps in entry] for entry in payees]
        return count, as_dicts, declared, list(statuses)
