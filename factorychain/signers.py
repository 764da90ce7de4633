"""Turn whatever key material the user holds into a canonical signature over a typed message.

A *signer* may be:

* a private key (32 bytes, or hex with or without ``0x``);
* a :class:`~factorychain.keys.Keystore` (encrypted JSON file + password);
* an ``eth_account`` ``LocalAccount``;
* an Ape account, or anything else with ``sign_message(SignableMessage)`` and/or
  ``sign_raw_msghash(bytes)`` (hardware-wallet and keyfile plugins prompt the user here).

Whatever signed, the result is normalised to low-``s``, ``v`` in ``{27, 28}``, and checked to
recover to the signer's own ``address`` when it has one.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from ._hex import as_address
from .errors import FactoryChainError, InvalidInputError, SignerError
from .keys import (
    Keystore,
    address_from_public_key,
    normalize_signature,
    parse_private_key,
    recover_public_key,
)

__all__ = ["SignerLike", "sign_signable", "signable_digest"]

#: Accepted signer types; the last member stands for duck-typed account objects.
SignerLike = bytes | str | Keystore | Any


def signable_digest(message: SignableMessage) -> bytes:
    """The 32-byte hash an EIP-191/EIP-712 ``SignableMessage`` is signed as."""
    return keccak(b"\x19" + message.version + message.header + message.body)


def _signature_bytes(result: object) -> bytes:
    """65 bytes from an eth-account ``SignedMessage``, an Ape ``MessageSignature`` or raw bytes."""
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    v, r, s = (getattr(result, name, None) for name in ("v", "r", "s"))
    if isinstance(v, int) and r is not None and s is not None:
        r_int = r if isinstance(r, int) else int.from_bytes(bytes(r), "big")
        s_int = s if isinstance(s, int) else int.from_bytes(bytes(s), "big")
        if not (0 <= r_int < 2**256 and 0 <= s_int < 2**256 and 0 <= v < 256):
            raise SignerError("signer returned a signature with out-of-range values")
        return r_int.to_bytes(32, "big") + s_int.to_bytes(32, "big") + bytes([v])
    raw = getattr(result, "signature", None)
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    raise SignerError(f"signer returned an unsupported signature type {type(result).__name__}")


def _sign_with_account(signer: Any, message: SignableMessage, digest: bytes) -> bytes:
    result: object = None
    if hasattr(signer, "sign_message"):
        try:
            result = signer.sign_message(message)
        except NotImplementedError:  # Ape's APINotImplementedError derives from it
            result = None
    if result is None and hasattr(signer, "sign_raw_msghash"):
        try:
            result = signer.sign_raw_msghash(HexBytes(digest))
        except NotImplementedError:
            result = None
    if result is None:
        raise SignerError(f"{type(signer).__name__} did not sign (declined or unsupported)")
    return _signature_bytes(result)


def sign_signable(signer: SignerLike, message: SignableMessage) -> tuple[bytes, str]:
    """Sign ``message``; returns ``(canonical 65-byte signature, signer address)``."""
    digest = signable_digest(message)
    claimed: str | None = None
    if isinstance(signer, Keystore):
        signer = signer.private_key()
    if isinstance(signer, (bytes, bytearray, str)):
        try:
            key = parse_private_key(signer)
        except InvalidInputError as exc:
            raise SignerError(str(exc)) from None
        raw = bytes(Account.sign_message(message, private_key=key).signature)
    elif hasattr(signer, "sign_message") or hasattr(signer, "sign_raw_msghash"):
        if getattr(signer, "address", None) is not None:
            claimed = as_address(signer, "signer address")
        raw = _sign_with_account(signer, message, digest)
    else:
        raise SignerError(
            f"cannot sign with a {type(signer).__name__}: give a private key, a Keystore, "
            "or an account object with sign_message"
        )
    try:
        signature = normalize_signature(raw)
        recovered = address_from_public_key(recover_public_key(digest, signature))
    except FactoryChainError as exc:
        raise SignerError(f"signer returned an invalid signature: {exc}") from None
    if claimed is not None and recovered != claimed:
        raise SignerError(f"signature recovers to {recovered}, not to the signer {claimed}")
    return signature, recovered
