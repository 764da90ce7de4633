"""FactoryChain off-chain SDK.

Pure helpers (no chain access):

* :mod:`~factorychain.spec` — part ids and spec hashes
* :mod:`~factorychain.crypto` — AES-256-GCM encryption of design documents
* :mod:`~factorychain.envelopes` — content keys wrapped to a partner's public key (ECIES)
* :mod:`~factorychain.keys` — secp256k1 keys, addresses, signatures, keystores
* :mod:`~factorychain.store` — where ciphertexts live (``file://``, optional fsspec)
* :mod:`~factorychain.receipts` — EIP-712 delivery receipts

Chain workflows, taking Ape contract objects and ``sender`` accounts:

* :mod:`~factorychain.sharing` — publish a design, share its key, fetch it as a partner
* :mod:`~factorychain.orders` — relay a signed delivery receipt to the escrow
"""

from __future__ import annotations

from .crypto import decrypt_document, encrypt_document, new_content_key
from .deployment import (
    Deployment,
    DeploymentError,
    DeployResult,
    deploy_suite,
    load_deployment,
    read_deployment,
    role_holders,
)
from .envelopes import MAX_ENVELOPE_SIZE, unwrap_key, wrap_key
from .errors import (
    DecryptionError,
    DomainMismatchError,
    EnvelopeError,
    EnvelopeNotFoundError,
    FactoryChainError,
    HashMismatchError,
    InvalidInputError,
    ReceiptError,
    ReceiptExpiredError,
    RegistryError,
    SignatureError,
    SignerError,
    StoreError,
    WrongSignerError,
)
from .keys import (
    Keystore,
    address_from_private_key,
    address_from_public_key,
    normalize_public_key,
    normalize_signature,
    public_key_from_private,
    recover_public_key_from_message,
    recover_public_key_from_transaction,
)
from .orders import order_confirmers, relay_receipt
from .receipts import (
    SignedReceipt,
    build_receipt,
    check_receipt,
    domain_separator,
    is_expired,
    receipt_digest,
    sign_receipt,
    verify_receipt,
)
from .sharing import (
    KeyEnvelope,
    PublishedDesign,
    SharedKey,
    fetch_design,
    find_envelopes,
    publish_design,
    share_design_key,
)
from .spec import part_id, part_id_from_hex, spec_hash, verify_spec_hash
from .store import DocumentStore, LocalStore, open_uri

__all__ = [
    "Deployment",
    "DeploymentError",
    "DeployResult",
    "deploy_suite",
    "load_deployment",
    "read_deployment",
    "role_holders",
    "MAX_ENVELOPE_SIZE",
    "DecryptionError",
    "DocumentStore",
    "DomainMismatchError",
    "EnvelopeError",
    "EnvelopeNotFoundError",
    "FactoryChainError",
    "HashMismatchError",
    "InvalidInputError",
    "KeyEnvelope",
    "Keystore",
    "LocalStore",
    "PublishedDesign",
    "ReceiptError",
    "ReceiptExpiredError",
    "RegistryError",
    "SharedKey",
    "SignatureError",
    "SignedReceipt",
    "SignerError",
    "StoreError",
    "WrongSignerError",
    "address_from_private_key",
    "address_from_public_key",
    "build_receipt",
    "check_receipt",
    "decrypt_document",
    "domain_separator",
    "encrypt_document",
    "fetch_design",
    "find_envelopes",
    "is_expired",
    "new_content_key",
    "normalize_public_key",
    "normalize_signature",
    "open_uri",
    "order_confirmers",
    "part_id",
    "part_id_from_hex",
    "public_key_from_private",
    "publish_design",
    "receipt_digest",
    "recover_public_key_from_message",
    "recover_public_key_from_transaction",
    "relay_receipt",
    "share_design_key",
    "sign_receipt",
    "spec_hash",
    "unwrap_key",
    "verify_receipt",
    "verify_spec_hash",
    "wrap_key",
]
