"""Every error the SDK raises on purpose.

All of them derive from :class:`FactoryChainError`, so a caller (and the CLI) can tell "the user
gave us something wrong" apart from a bug: catch ``FactoryChainError`` and show ``str(error)``,
which is always one line that names what went wrong.
"""

from __future__ import annotations

__all__ = [
    "DecryptionError",
    "DomainMismatchError",
    "EnvelopeError",
    "EnvelopeNotFoundError",
    "FactoryChainError",
    "HashMismatchError",
    "InvalidInputError",
    "LotNotShippedError",
    "OrderError",
    "ReceiptError",
    "ReceiptExpiredError",
    "RegistryError",
    "ShipmentMismatchError",
    "SignatureError",
    "SignerError",
    "StoreError",
    "WrongSignerError",
]


class FactoryChainError(Exception):
    """Base class: a problem the caller can fix (bad input, wrong key, tampered data)."""


class InvalidInputError(FactoryChainError, ValueError):
    """A malformed value: bad hex, wrong length, out-of-range number, unusable key."""


class DecryptionError(FactoryChainError):
    """A design document could not be decrypted: wrong key, wrong part/version, or tampered."""


class EnvelopeError(FactoryChainError):
    """A key envelope could not be opened: wrong private key, wrong part/version, or tampered."""


class EnvelopeNotFoundError(EnvelopeError):
    """No ``KeyShared`` envelope exists for this partner, part and version."""


class HashMismatchError(FactoryChainError):
    """A decrypted document does not hash to the ``spec_hash`` recorded on chain."""


class StoreError(FactoryChainError):
    """A document could not be written to or read from its store (missing file, bad URI)."""


class SignerError(FactoryChainError):
    """A signer could not produce a signature (bad key, wrong keystore password, declined)."""


class RegistryError(FactoryChainError):
    """The registry's state forbids the workflow step (unknown part, not owner, no access)."""


class OrderError(FactoryChainError):
    """The escrow has no such agreement, order or lot, or its state forbids the step."""


class ReceiptError(FactoryChainError):
    """A signed delivery receipt would be refused by the escrow."""


class SignatureError(ReceiptError):
    """A receipt signature is malformed, non-canonical or unrecoverable."""


class WrongSignerError(ReceiptError):
    """A receipt was signed by an address that is not allowed to confirm the order."""


class ReceiptExpiredError(ReceiptError):
    """A receipt's deadline has passed: the escrow accepts it only while ``now <= deadline``."""


class DomainMismatchError(ReceiptError):
    """A receipt was signed for another chain id or another escrow contract."""


class ShipmentMismatchError(ReceiptError):
    """A receipt names another shipment than the one the supplier recorded for the lot."""


class LotNotShippedError(ReceiptError):
    """The lot a receipt confirms is not SHIPPED (already paid, disputed, or never shipped)."""
