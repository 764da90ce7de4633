"""FactoryChain off-chain SDK.

Pure helpers (no chain access):

* :mod:`~factorychain.spec` — part ids and spec hashes
* :mod:`~factorychain.crypto` — AES-256-GCM encryption of design documents
* :mod:`~factorychain.envelopes` — content keys wrapped to a partner's public key (ECIES)
* :mod:`~factorychain.keys` — secp256k1 keys, addresses, signatures, keystores
* :mod:`~factorychain.store` — where ciphertexts live (``file://``, optional fsspec)
* :mod:`~factorychain.receipts` — EIP-712 delivery receipts for a lot of a call-off order
* :mod:`~factorychain.terms` — framework-agreement terms and subcontractor shares from human values
* :mod:`~factorychain.payouts` — how a lot is split (subcontractors, penalty, supplier, buyer)

Chain workflows, taking Ape contract objects and ``sender`` accounts:

* :mod:`~factorychain.sharing` — publish a design, share its key, fetch it as a partner
* :mod:`~factorychain.orders` — orders and lots: confirmers, signed receipts, relay, payout previews
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
    LotNotShippedError,
    OrderError,
    ReceiptError,
    ReceiptExpiredError,
    RegistryError,
    ShipmentMismatchError,
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
from .orders import (
    check_lot_receipt,
    lot_shipment_hash,
    lot_transfers,
    order_confirmers,
    order_terms,
    penalty_if_shipped,
    preview_lot_payout,
    receive_transfers,
    relay_receipt,
    sign_lot_receipt,
)
from .payouts import LotPayout, late_penalty_bps, lot_payout
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
from .terms import (
    Payee,
    Terms,
    agreement_terms,
    format_amount,
    parse_amount,
    parse_duration,
    parse_percent,
    payee_shares,
)

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
    "LotNotShippedError",
    "OrderError",
    "Payee",
    "LotPayout",
    "PublishedDesign",
    "ReceiptError",
    "ReceiptExpiredError",
    "RegistryError",
    "SharedKey",
    "ShipmentMismatchError",
    "SignatureError",
    "SignedReceipt",
    "SignerError",
    "StoreError",
    "Terms",
    "WrongSignerError",
    "address_from_private_key",
    "address_from_public_key",
    "agreement_terms",
    "build_receipt",
    "check_lot_receipt",
    "check_receipt",
    "decrypt_document",
    "domain_separator",
    "encrypt_document",
    "fetch_design",
    "find_envelopes",
    "format_amount",
    "is_expired",
    "late_penalty_bps",
    "lot_payout",
    "lot_shipment_hash",
    "lot_transfers",
    "new_content_key",
    "normalize_public_key",
    "normalize_signature",
    "open_uri",
    "order_confirmers",
    "order_terms",
    "parse_amount",
    "parse_duration",
    "parse_percent",
    "part_id",
    "part_id_from_hex",
    "payee_shares",
    "penalty_if_shipped",
    "preview_lot_payout",
    "receive_transfers",
    "public_key_from_private",
    "publish_design",
    "receipt_digest",
    "recover_public_key_from_message",
    "recover_public_key_from_transaction",
    "relay_receipt",
    "share_design_key",
    "sign_lot_receipt",
    "sign_receipt",
    "spec_hash",
    "unwrap_key",
    "verify_receipt",
    "verify_spec_hash",
    "wrap_key",
]
