"""Errors of the data vault; all derive from :class:`~factorychain.errors.FactoryChainError`."""

from __future__ import annotations

from ..errors import FactoryChainError

__all__ = ["RecordFormatError", "VaultError", "VerificationError"]


class VaultError(FactoryChainError):
    """A vault operation cannot proceed: missing vault, unknown batch, unreadable batch file."""


class RecordFormatError(VaultError):
    """An input record is malformed (bad CSV row, invalid JSON line, not UTF-8, too long)."""


class VerificationError(FactoryChainError):
    """A disclosure does not hold. ``check`` names the check that failed.

    ``check`` is one of ``"format"`` (the file itself), ``"record"`` (the record is not the one
    whose hash was disclosed), ``"salt"`` (salt, index and schema do not give the disclosed leaf),
    ``"proof"`` (the proof does not lead from the leaf to the disclosed root) and ``"root"`` (the
    root is not the one anchored on chain).
    """

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check} check failed: {message}")
        self.check = check
        self.detail = message
