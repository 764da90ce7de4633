"""The token an agreement pays in: its symbol and decimals, balances, and exact approvals — this module DOES read the chain.

    token = token_at(terms.token)                  # Token("ETH", 18) for the zero address
    amount = parse_amount("1000", token.decimals)  # 1 000 of a 6-decimal stablecoin
    steps = approval_steps(token.allowance(buyer, escrow), amount)
    ensure_allowance(token, buyer, escrow, amount)  # approve(0) first when an allowance is left

Approvals are exact: the escrow pulls exactly the call-off's amount, so the allowance it is given
is exactly that, never "unlimited". Tokens in the style of USDT refuse to change a non-zero
allowance to another non-zero value; :func:`approval_steps` therefore resets a left-over
allowance to 0 before setting the new one, which every ERC-20 accepts. An allowance that already
covers the amount is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._hex import as_address
from .errors import FactoryChainError
from .terms import ZERO_ADDRESS, format_amount

__all__ = ["ERC20_ABI", "Token", "TokenError", "approval_steps", "ensure_allowance", "token_at"]


class TokenError(FactoryChainError):
    """The token contract does not answer what an ERC-20 must (``decimals``, ``balanceOf``)."""


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str = "view") -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": t} for t in outputs],
    }


#: The part of ERC-20 the commands use; ``approve`` declared without a return value so that
#: tokens in the style of USDT (which return nothing) decode as well as standard ones.
ERC20_ABI: list[dict[str, Any]] = [
    _fn("decimals", [], ["uint8"]),
    _fn("symbol", [], ["string"]),
    _fn("balanceOf", [("account", "address")], ["uint256"]),
    _fn("allowance", [("owner", "address"), ("spender", "address")], ["uint256"]),
    _fn("approve", [("spender", "address"), ("amount", "uint256")], [], "nonpayable"),
]


@dataclass(frozen=True)
class Token:
    """ETH (``address`` is the zero address, ``contract`` None) or an ERC-20 at ``address``."""

    address: str
    symbol: str
    decimals: int
    contract: Any = None

    @property
    def is_eth(self) -> bool:
        return self.address == ZERO_ADDRESS

    def format(self, amount: int, places: int = 2) -> str:
        """``amount`` (smallest units) as ``"1,000.00 USDC"``."""
        return f"{format_amount(int(amount), self.decimals, places)} {self.symbol}"

    def balance(self, account: object) -> int:
        """What ``account`` holds (ETH or the token)."""
        address = as_address(account, "account")
        if self.is_eth:
            from ape import chain

            return int(chain.provider.get_balance(address))
        return int(self.contract.balanceOf(address))

    def allowance(self, owner: object, spender: object) -> int:
        """How much ``spender`` may pull from ``owner`` (0 for ETH)."""
        if self.is_eth:
            return 0
        return int(self.contract.allowance(as_address(owner, "owner"), as_address(spender, "spender")))


def token_at(address: object) -> Token:
    """The token at ``address`` (ETH for the zero address), with its symbol and decimals read once.

    A contract without ``decimals()`` is refused (:class:`TokenError`): amounts typed in whole
    tokens could not be scaled. A token without a readable ``symbol()`` is named by its address.
    """
    where = as_address(address, "token")
    if where == ZERO_ADDRESS:
        return Token(ZERO_ADDRESS, "ETH", 18)
    from ape import Contract

    try:
        contract = Contract(where, abi=ERC20_ABI)
        decimals = int(contract.decimals())
    except Exception as exc:  # noqa: BLE001 - any failure means "not a usable ERC-20" here
        raise TokenError(f"token {where} does not answer decimals(); is it an ERC-20 on this network?") from exc
    try:
        symbol = str(contract.symbol()).strip() or f"token {where[:10]}…"
    except Exception:  # noqa: BLE001 - symbol() is optional in ERC-20 (and bytes32 in some tokens)
        symbol = f"token {where[:10]}…"
    return Token(where, symbol, decimals, contract)


def approval_steps(current: int, needed: int) -> list[int]:
    """The ``approve`` amounts to send so that ``needed`` can be pulled: exact, USDT-safe.

    ``[]`` when the allowance already covers it; ``[needed]`` from zero; ``[0, needed]`` when a
    smaller allowance is left over (tokens in the style of USDT refuse non-zero to non-zero).
    """
    if current >= needed:
        return []
    return [needed] if current == 0 else [0, needed]


def ensure_allowance(
    token: Token, owner: Any, spender: object, needed: int, *, on_step: Callable[[int, Any], None] | None = None
) -> list[Any]:
    """Send the approvals :func:`approval_steps` asks for, from ``owner``; returns their receipts.

    ``on_step(amount, receipt)`` is called after each one (for progress lines).
    """
    if token.is_eth:
        return []
    spender_address = as_address(spender, "spender")
    receipts = []
    for amount in approval_steps(token.allowance(owner, spender_address), needed):
        receipt = token.contract.approve(spender_address, amount, sender=owner)
        receipts.append(receipt)
        if on_step is not None:
            on_step(amount, receipt)
    if token.allowance(owner, spender_address) < needed:
        raise TokenError(
            f"{token.symbol} did not record the approval: the escrow may pull "
            f"{token.allowance(owner, spender_address)}, not {needed}"
        )
    return receipts
