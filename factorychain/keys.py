"""secp256k1 primitives: private and public keys, addresses, raw 65-byte signatures.

Public keys are handled in their 65-byte uncompressed SEC1 form (``0x04 || X || Y``); the
33-byte compressed form and the 64-byte form Ethereum tools print (no ``0x04`` prefix) are
accepted everywhere as input. Signatures are ``r || s || v`` with ``v`` in ``{27, 28}``, the
form ``OrderEscrow.confirm_delivery_signed`` takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import coincurve
from eth_account import Account
from eth_account.messages import defunct_hash_message
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from ._hex import BytesLike, as_bytes
from .errors import InvalidInputError, SignerError

__all__ = [
    "SECP256K1_N",
    "Keystore",
    "address_from_private_key",
    "address_from_public_key",
    "normalize_public_key",
    "normalize_signature",
    "parse_private_key",
    "public_key_from_private",
    "recover_public_key",
    "recover_public_key_from_message",
    "recover_public_key_from_transaction",
    "split_signature",
]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def parse_private_key(value: BytesLike, what: str = "private key") -> bytes:
    """A 32-byte secp256k1 private key from bytes or hex; must be in ``[1, n-1]``."""
    raw = as_bytes(value, what, 32)
    if not 0 < int.from_bytes(raw, "big") < SECP256K1_N:
        raise InvalidInputError(f"{what}: not a valid secp256k1 private key")
    return raw


def public_key_from_private(private_key: BytesLike) -> bytes:
    """The 65-byte uncompressed public key of ``private_key``."""
    secret = parse_private_key(private_key)
    return coincurve.PrivateKey(secret).public_key.format(compressed=False)


def normalize_public_key(value: BytesLike) -> bytes:
    """Any accepted public key encoding (33, 64 or 65 bytes, or hex) -> 65 bytes uncompressed."""
    raw = as_bytes(value, "public key")
    if len(raw) == 64:
        raw = b"\x04" + raw
    if len(raw) not in (33, 65):
        raise InvalidInputError(f"public key: expected 33, 64 or 65 bytes, got {len(raw)}")
    try:
        return coincurve.PublicKey(raw).format(compressed=False)
    except (ValueError, TypeError):
        raise InvalidInputError("public key: not a point on secp256k1") from None


def address_from_public_key(public_key: BytesLike) -> str:
    """The checksummed Ethereum address controlled by ``public_key``."""
    point = normalize_public_key(public_key)
    return to_checksum_address(keccak(point[1:])[-20:])


def address_from_private_key(private_key: BytesLike) -> str:
    """The checksummed Ethereum address of ``private_key``."""
    return address_from_public_key(public_key_from_private(private_key))


def split_signature(signature: BytesLike) -> tuple[int, int, int]:
    """``(r, s, v)`` of a 65-byte ``r || s || v`` signature, ``v`` reported as 27 or 28.

    ``v`` may be given as 0/1 or 27/28. ``r`` and ``s`` must be in ``[1, n-1]``; ``s`` is not
    required to be low here (see :func:`normalize_signature`).
    """
    raw = as_bytes(signature, "signature", 65)
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:64], "big")
    v = raw[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise InvalidInputError(f"signature: v must be 27 or 28 (or 0/1), got {raw[64]}")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise InvalidInputError("signature: r or s is out of range")
    return r, s, v


def normalize_signature(signature: BytesLike) -> bytes:
    """The canonical form of a signature: low ``s`` (``s <= n/2``) and ``v`` in ``{27, 28}``.

    ``(r, s, v)`` and ``(r, n - s, v ^ 1)`` are the same signature; contracts built on
    OpenZeppelin/snekmate ECDSA accept only the low-``s`` one, so signers that may return the
    other (some hardware wallets, hand-rolled code) are normalised here.
    """
    r, s, v = split_signature(signature)
    if s > SECP256K1_N // 2:
        s = SECP256K1_N - s
        v = 55 - v  # 27 <-> 28
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def recover_public_key(msg_hash: BytesLike, signature: BytesLike) -> bytes:
    """The 65-byte public key that produced ``signature`` over the 32-byte ``msg_hash``."""
    digest = as_bytes(msg_hash, "message hash", 32)
    r, s, v = split_signature(signature)
    compact = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27])
    try:
        key = coincurve.PublicKey.from_signature_and_message(compact, digest, hasher=None)
    except (ValueError, TypeError):
        raise InvalidInputError("signature: no public key recovers from it") from None
    return key.format(compressed=False)


def recover_public_key_from_message(message: bytes | str, signature: BytesLike) -> bytes:
    """The public key behind an EIP-191 ``personal_sign`` signature of ``message``.

    A partner proves its key by signing any text (``ape`` ``account.sign_message("...")``,
    MetaMask, ``cast wallet sign``); the OEM recovers the public key to encrypt envelopes to,
    and checks :func:`address_from_public_key` against the partner's known address.
    """
    if isinstance(message, str):
        digest = defunct_hash_message(text=message)
    else:
        digest = defunct_hash_message(primitive=bytes(message))
    return recover_public_key(bytes(digest), signature)


def recover_public_key_from_transaction(raw_transaction: BytesLike) -> bytes:
    """The public key of the sender of a signed typed (EIP-2718) transaction.

    Every transaction an account has sent reveals its public key; get the raw bytes with
    ``eth_getRawTransactionByHash``. Legacy (untyped) transactions are refused.
    """
    raw = as_bytes(raw_transaction, "raw transaction")
    if not raw or raw[0] > 0x7F:
        raise InvalidInputError("raw transaction: only typed (EIP-2718) transactions are supported")
    try:
        tx = TypedTransaction.from_bytes(HexBytes(raw))
        y_parity, r, s = tx.vrs()
        msg_hash = tx.hash()
    except Exception as exc:  # the RLP/ssz decoders raise many unrelated types
        raise InvalidInputError(f"raw transaction: cannot decode ({exc})") from None
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + y_parity])
    return recover_public_key(msg_hash, signature)


@dataclass(frozen=True)
class Keystore:
    """An encrypted JSON keystore (``geth``/``ape accounts``/``cast wallet`` format) and its password."""

    path: Path
    password: str = field(repr=False)

    def private_key(self) -> bytes:
        """Decrypt the keystore; :class:`SignerError` on a missing file or wrong password."""
        try:
            document = json.loads(Path(self.path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SignerError(f"cannot read keystore {self.path}: {exc.strerror}") from None
        except ValueError:
            raise SignerError(f"keystore {self.path} is not valid JSON") from None
        try:
            return bytes(Account.decrypt(document, self.password))
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise SignerError(f"wrong password for keystore {self.path}") from None
            raise SignerError(f"cannot decrypt keystore {self.path}: {exc}") from None
        except (KeyError, TypeError) as exc:
            raise SignerError(f"keystore {self.path} is malformed (missing {exc})") from None

    def address(self) -> str:
        """The checksummed address the keystore holds (decrypts it)."""
        return address_from_private_key(self.private_key())
