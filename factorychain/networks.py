"""Networks a FactoryChain command may connect to, checked before Ape connects (issue 14, issue 11).

Ape's ``node`` provider, given a live network (``ethereum:sepolia``, ``base:mainnet`` …) and no
URI in any config, silently tries up to eleven random *public* RPC endpoints from ``evmchains``
and, when none answers, ends in a long traceback. A deployment must never go through an endpoint
nobody chose, so :class:`NodeCommand` (a drop-in for Ape's ``ConnectedProviderCommand``) stops
such a command before it connects, with one line naming the setting to make::

    Error: base:sepolia has no node URI: add `node: {base: {sepolia: {uri: https://…}}}` to
    ~/.ape/ape-config.yaml (or set WEB3_PROVIDER_URI, or use --network base:sepolia:https://…);
    public RPC endpoints are never tried

Connection failures (no node at the URI, a node of another chain) become one line too.

Pure: :func:`missing_node_uri`, :func:`node_uri_hint`, :data:`L2_ECOSYSTEMS`. The rest needs Ape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from ape.cli import ConnectedProviderCommand

__all__ = [
    "L2_ECOSYSTEMS",
    "LIVE_NETWORKS",
    "WEB3_URI_ENV",
    "NodeCommand",
    "check_node_uri",
    "missing_node_uri",
    "node_uri_hint",
]

#: The L2 ecosystems whose plugins are pinned in requirements.in (ape-base, -arbitrum, -optimism, -polygon).
L2_ECOSYSTEMS = ("base", "arbitrum", "optimism", "polygon")

#: Every live network FactoryChain documents a deployment for (docs/operations.md, "Networks"):
#: ecosystem -> (testnet, mainnet).
LIVE_NETWORKS: dict[str, tuple[str, str]] = {
    "ethereum": ("sepolia", "mainnet"),
    "base": ("sepolia", "mainnet"),
    "arbitrum": ("sepolia", "mainnet"),
    "optimism": ("sepolia", "mainnet"),
    "polygon": ("amoy", "mainnet"),
}


def node_uri_hint(ecosystem: str, network: str) -> str:
    """The one line telling how to give ``ecosystem:network`` a node URI."""
    return (
        f"{ecosystem}:{network} has no node URI: add `node: {{{ecosystem}: {{{network}: {{uri: https://…}}}}}}` "
        f"to ~/.ape/ape-config.yaml (or set {WEB3_URI_ENV}, or use --network {ecosystem}:{network}:https://…); "
        "public RPC endpoints are never tried"
    )


def missing_node_uri(provider: Any) -> str | None:
    """The hint line if ``provider`` is a JSON-RPC node provider of a live network with no URI, else None.

    Local and fork networks (Ape starts or finds their node itself) and providers that are not
    plain JSON-RPC (plugins such as Alchemy read their own key) are never refused here.
    """
    network = getattr(provider, "network", None)
    if network is None or network.is_dev:
        return None
    if not hasattr(provider, "_configured_rpc") or not hasattr(provider, "_get_random_rpc"):
        return None  # not Ape's Web3 node provider: it has its own way of finding its endpoint
    try:
        configured = provider._configured_rpc
    except Exception:  # noqa: BLE001 - an invalid configured value is Ape's to report at connect
        return None
    if configured:
        return None
    return node_uri_hint(network.ecosystem.name, network.name)


#: web3.py's variable for a node URI. Ape reads it too, but on a chain id mismatch it then falls
#: back to public endpoints; here it is the node's URI, full stop (a mismatch is one line).
WEB3_URI_ENV = "WEB3_PROVIDER_URI"


def check_node_uri(ctx: click.Context | None, param: Any, value: Any) -> Any:
    """``--network`` callback: refuse a live node network without a URI before anything connects.

    ``WEB3_PROVIDER_URI`` counts as the URI (it becomes the provider's ``uri`` setting, so the
    connection goes there or nowhere).
    """
    import os

    from ape.api.providers import ProviderAPI

    if isinstance(value, ProviderAPI) and (problem := missing_node_uri(value)):
        if uri := os.environ.get(WEB3_URI_ENV, "").strip():
            value.provider_settings["uri"] = uri
            return value
        raise click.ClickException(problem)
    return value


class NodeCommand(ConnectedProviderCommand):
    """Ape's ``ConnectedProviderCommand`` that never falls back to public RPCs and fails in one line.

    Use as ``@click.command(cls=NodeCommand)``: the ``--network`` value is checked as soon as it
    is parsed (before any prompt for an account), and an :class:`ape.exceptions.ApeException`
    raised while connecting (no node at the URI, wrong chain id) ends as one ``Error:`` line.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        user_callback: Callable[..., Any] | None = kwargs.pop("network_callback", None)

        def callback(ctx: click.Context | None, param: Any, value: Any) -> Any:
            value = check_node_uri(ctx, param, value)
            return user_callback(ctx, param, value) if user_callback else value

        super().__init__(*args, network_callback=callback, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ApeException

        connected = {"done": False}
        original = self._invoke

        def invoke_connected(inner_ctx: click.Context, provider: Any = None) -> Any:
            connected["done"] = True
            return original(inner_ctx, provider=provider)

        self._invoke = invoke_connected  # type: ignore[method-assign]
        try:
            return super().invoke(ctx)
        except ApeException as exc:
            if connected["done"]:
                raise  # raised by the command itself: its own error handling applies
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise click.ClickException(f"cannot connect: {text}") from None
        finally:
            self._invoke = original  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """``python -m factorychain.networks [ARGS…]``: the no-URI check for commands that are not ours.

    ``make console`` runs it on its ``ARGS`` before ``ape console`` (Ape's own command, which would
    try public RPC endpoints): it finds ``--network CHOICE`` among the arguments and, if that
    network is a live node network with no URI, prints the one line and exits 1.
    """
    import os
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    choice = None
    for index, arg in enumerate(args):
        if arg == "--network" and index + 1 < len(args):
            choice = args[index + 1]
        elif arg.startswith("--network="):
            choice = arg.split("=", 1)[1]
    if not choice or os.environ.get(WEB3_URI_ENV, "").strip():
        return 0
    from ape import networks

    try:
        provider = networks.get_provider_from_choice(choice)
    except Exception:  # noqa: BLE001 - an unknown network is Ape's to report, in its own words
        return 0
    if problem := missing_node_uri(provider):
        print(f"Error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
