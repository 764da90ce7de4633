"""`ape console` start-up: the recorded FactoryChain deployment and the SDK, ready to use.

    ape console --network ethereum:sepolia:node
    In [1]: registry.latest_version(part_id("PN-4711"))

    In [2]: escrow.propose_agreement(agreement_terms(supplier=..., part_id=..., version=1,
       ...:     unit_price="0.0125", max_quantity=1_000, valid_until=..., review_period="3d"), sender=oem)
    In [3]: preview_lot_payout(escrow, order_id=1, lot=1)

With a deployment file for the connected network (deployments/<ecosystem>-<network>.json, or
the folder named by $FACTORYCHAIN_DEPLOYMENTS) the namespace holds ``registry``, ``escrow``,
``deployment`` and the role ids; the SDK helpers are there either way: design sharing, the
escrow v2 helpers (agreement terms from human values, payee shares, lot receipts, relay, payout
previews) and the status names. Without a record, or when the file does not match the chain,
one line says so and the console starts normally.
"""

from __future__ import annotations

from typing import Any


def ape_init_extras(project: Any, networks: Any) -> dict[str, Any]:
    import factorychain
    from factorychain.deployment import (
        ROLE_CONTRACTS,
        DeploymentError,
        connect,
        deploy_suite,
        load_deployment,
        role_id,
    )
    from factorychain.orders import (
        AGREEMENT_STATUS,
        LOT_STATUS,
        lot_transfers,
        order_confirmers,
        order_terms,
        penalty_if_shipped,
        preview_lot_payout,
        receive_transfers,
        relay_receipt,
        sign_lot_receipt,
    )
    from factorychain.payouts import late_penalty_bps, lot_payout
    from factorychain.receipts import sign_receipt
    from factorychain.sharing import publish_design
    from factorychain.spec import part_id, spec_hash
    from factorychain.store import LocalStore
    from factorychain.terms import agreement_terms, format_amount, parse_amount, payee_shares

    extras: dict[str, Any] = {
        "factorychain": factorychain,
        "sign_receipt": sign_receipt,
        "spec_hash": spec_hash,
        "part_id": part_id,
        "publish_design": publish_design,
        "LocalStore": LocalStore,
        "deploy_suite": deploy_suite,
        # Escrow v2: agreements, call-offs, lots.
        "agreement_terms": agreement_terms,
        "payee_shares": payee_shares,
        "parse_amount": parse_amount,
        "format_amount": format_amount,
        "order_terms": order_terms,
        "order_confirmers": order_confirmers,
        "sign_lot_receipt": sign_lot_receipt,
        "relay_receipt": relay_receipt,
        "lot_payout": lot_payout,
        "late_penalty_bps": late_penalty_bps,
        "preview_lot_payout": preview_lot_payout,
        "lot_transfers": lot_transfers,
        "receive_transfers": receive_transfers,
        "penalty_if_shipped": penalty_if_shipped,
        "AGREEMENT_STATUS": AGREEMENT_STATUS,
        "LOT_STATUS": LOT_STATUS,
        **{name: role_id(name) for name in ROLE_CONTRACTS},
    }
    try:
        provider = networks.active_provider
        if provider is None or not provider.is_connected:
            print("FactoryChain: not connected to a network; start with `ape console --network <ecosystem:network>`")
            return extras
        deployment = load_deployment(project=project)
        registry, escrow = connect(deployment, project)
    except DeploymentError as exc:
        if provider.network.name == "local" and "no deployment recorded" in str(exc):
            # A local chain is started empty by this very console: nothing can be recorded for it yet.
            print(
                "FactoryChain: this local chain starts empty; "
                "`suite = deploy_suite(project, accounts.test_accounts[0])` deploys one here"
            )
        else:
            print(f"FactoryChain: {exc}")
        return extras
    except Exception as exc:  # noqa: BLE001 - never keep the console from starting
        print(f"FactoryChain: deployment not loaded ({type(exc).__name__}: {exc})".splitlines()[0])
        return extras
    extras.update(deployment=deployment, registry=registry, escrow=escrow)
    print(
        f"FactoryChain on {deployment.network_choice} (chain id {deployment.chain_id}): "
        f"registry {registry.address}, escrow {escrow.address}"
    )
    return extras
