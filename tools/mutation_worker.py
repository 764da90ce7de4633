"""pytest plugin of tools/mutate.py: one long-lived ``ape test`` session (and its Anvil) runs many mutants.

Loaded with ``ape test -p tools.mutation_worker <suites>`` by tools/mutate.py, never by hand. The
session collects every test once, connects to the orchestrator (``MUTATE_SOCKET``) and replaces
pytest's run loop with a job loop:

- ``map``: run the given tests on the unmutated bytecode; per test report the outcome, the
  duration and the ``(contract, function)`` pairs it called (deployments as ``__init__``), from
  the provider's ``send_transaction``/``send_call``/``estimate_gas_cost`` and the ABI selectors.
- ``mutant``: make the fixtures deploy the mutant's bytecode (``ContractType.
  get_deployment_bytecode`` answers from an override table), run the given tests in the given
  order until the first failure, then tear every fixture down (session ones included) so that the
  next job deploys afresh; report killed (and by which test) or survived.

Hypothesis runs under the ``mutate`` profile registered here: the ``dev`` sizes, derandomized
and without the example database, so a mutant's result does not depend on the run.
"""

from __future__ import annotations

import os
import time
from multiprocessing.connection import Client

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutate", max_examples=8, stateful_step_count=10, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OVERRIDE: dict[str, str] = {}  # contract name -> deployment bytecode (0x hex) of the job
WATCHED = set(filter(None, os.environ.get("MUTATE_CONTRACTS", "PartRegistry,OrderEscrow,DataAnchor").split(",")))


class _Recorder:
    def __init__(self) -> None:
        self.addresses: dict[str, tuple[str, dict[bytes, str]]] = {}  # lower-case address -> (name, selectors)
        self.calls: set[tuple[str, str]] = set()

    def deployed(self, name: str, address: str, contract_type) -> None:
        selectors: dict[bytes, str] = {}
        from eth_utils import function_signature_to_4byte_selector

        for abi in contract_type.methods:
            selectors[function_signature_to_4byte_selector(abi.selector)] = abi.name
        self.addresses[address.lower()] = (name, selectors)

    def saw(self, txn) -> None:
        try:
            receiver = getattr(txn, "receiver", None)
            if not receiver:
                return
            known = self.addresses.get(str(receiver).lower())
            if known is None:
                return
            name, selectors = known
            data = bytes(getattr(txn, "data", b"") or b"")
            self.calls.add((name, selectors.get(data[:4], "__default__") if data else "__default__"))
        except Exception:  # noqa: BLE001 - recording must never change a test's outcome
            pass


RECORDER = _Recorder()


def _install_patches() -> None:
    from ape.contracts.base import ContractContainer
    from ape_foundry.provider import FoundryProvider
    from ethpm_types import ContractType
    from hexbytes import HexBytes

    original_get = ContractType.get_deployment_bytecode

    def get_deployment_bytecode(self):
        code = OVERRIDE.get(self.name)
        return HexBytes(code) if code is not None else original_get(self)

    ContractType.get_deployment_bytecode = get_deployment_bytecode

    original_deploy = ContractContainer.deploy

    def deploy(self, *args, **kwargs):
        name = self.contract_type.name
        if name in WATCHED:
            RECORDER.calls.add((name, "__init__"))  # before: a constructor that reverts counts too
        instance = original_deploy(self, *args, **kwargs)
        if name in WATCHED:
            RECORDER.deployed(name, instance.address, self.contract_type)
        return instance

    ContractContainer.deploy = deploy

    from ape.contracts.base import ContractMethodHandler

    original_encode = ContractMethodHandler.encode_input

    def encode_input(self, *args):
        # Tests that send raw RPC (the access matrix) still encode through the contract's ABI.
        try:
            name = self.contract.contract_type.name
            if name in WATCHED and self.abis:
                RECORDER.calls.add((name, self.abis[0].name))
        except Exception:  # noqa: BLE001
            pass
        return original_encode(self, *args)

    ContractMethodHandler.encode_input = encode_input

    for method in ("send_transaction", "send_call", "estimate_gas_cost"):
        original = getattr(FoundryProvider, method)

        def wrapper(self, txn, *args, __original=original, **kwargs):
            RECORDER.saw(txn)
            return __original(self, txn, *args, **kwargs)

        setattr(FoundryProvider, method, wrapper)

    if os.environ.get("MUTATE_NO_SIZE_LIMIT") == "1":
        original_cmd = FoundryProvider.build_command

        def build_command(self):
            return [*original_cmd(self), "--disable-code-size-limit"]

        FoundryProvider.build_command = build_command


def pytest_configure(config):
    if os.environ.get("MUTATE_SOCKET"):
        _install_patches()


class _Outcome:
    def __init__(self) -> None:
        self.failed: dict[str, str] = {}
        self.unconfirmed: dict[str, str] = {}  # failed after other tests, passed alone

    def pytest_runtest_logreport(self, report):
        if report.failed and report.nodeid not in self.failed:
            text = str(report.longreprtext or "").strip().splitlines()
            self.failed[report.nodeid] = f"{report.when}: {text[-1] if text else ''}"[:300]


def _run_items(session, items, stop_at_first_failure: bool, outcome: _Outcome, per_test=None, budget=None,
               rewind=None):
    """Runs `items` in order until the first failure (if asked) or until `budget` seconds have
    gone; the last one run tears everything down (nextitem=None).

    With `rewind` (a mutant job), a test that fails after other tests ran in the same fixtures is
    run again alone, from the rewound chain: only a failure that repeats there counts. A failure
    that needs the tests before it (a clock or a session fixture they left behind) is not the
    mutant's doing; it is noted in ``outcome.unconfirmed`` and the run goes on."""
    ran = 0
    started_all = time.time()
    for k, item in enumerate(items):
        nxt = items[k + 1] if k + 1 < len(items) else None
        if nxt is not None and budget is not None and time.time() - started_all > budget:
            nxt = None  # this is the last one: tear down after it
        before = set(outcome.failed)
        RECORDER.calls = set()
        started = time.time()
        try:
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nxt)
        except Exception as err:  # noqa: BLE001
            outcome.failed.setdefault(item.nodeid, f"runner: {type(err).__name__}: {err}"[:300])
        ran += 1
        failed = item.nodeid in outcome.failed and item.nodeid not in before
        if failed and rewind is not None and k > 0:
            first_detail = outcome.failed.pop(item.nodeid)
            session._setupstate.teardown_exact(None)
            rewind()
            try:
                item.ihook.pytest_runtest_protocol(item=item, nextitem=None)
            except Exception as err:  # noqa: BLE001
                outcome.failed.setdefault(item.nodeid, f"runner: {type(err).__name__}: {err}"[:300])
            if item.nodeid in outcome.failed:
                outcome.failed[item.nodeid] = f"{outcome.failed[item.nodeid]} (again when run alone)"[:300]
            else:
                outcome.unconfirmed[item.nodeid] = first_detail
                failed = False
                if nxt is None:
                    break
                continue  # fixtures were torn down: the next test sets them up afresh
        if per_test is not None:
            per_test[item.nodeid] = {
                "outcome": "failed" if failed else "passed", "seconds": round(time.time() - started, 3),
                "calls": sorted(RECORDER.calls),
            }
        if failed and stop_at_first_failure and nxt is not None:
            session._setupstate.teardown_exact(None)
            break
        if nxt is None:
            break
    return ran


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    address = os.environ.get("MUTATE_SOCKET")
    if not address:
        return None
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
    by_node = {item.nodeid: item for item in session.items}
    conn = Client(address, authkey=bytes.fromhex(os.environ["MUTATE_AUTHKEY"]))
    conn.send({"kind": "hello", "worker": os.environ.get("MUTATE_WORKER", "?"), "tests": list(by_node)})
    outcome = _Outcome()
    session.config.pluginmanager.register(outcome, "mutate-outcome")
    from ape import chain

    # Every job starts from the chain as it was before the first test: tearing the fixtures down
    # does not rewind the node (balances, nonces and, above all, the clock that tests move by
    # years), so without this the later jobs' fixtures fail on a drifted chain.
    base = chain.snapshot()

    def rewind() -> None:
        nonlocal base
        chain.restore(base)
        base = chain.snapshot()
        chain.provider.make_request("evm_setNextBlockTimestamp", [int(time.time())])

    while True:
        job = conn.recv()
        if job["kind"] == "stop":
            break
        rewind()
        OVERRIDE.clear()
        OVERRIDE.update(job.get("override", {}))
        items = [by_node[n] for n in job["tests"] if n in by_node]
        outcome.failed.clear()
        outcome.unconfirmed.clear()
        started = time.time()
        if job["kind"] == "map":
            per_test: dict[str, dict] = {}
            _run_items(session, items, False, outcome, per_test)
            for node, detail in outcome.failed.items():
                if node in per_test:
                    per_test[node]["detail"] = detail
            conn.send({"kind": "map", "tests": per_test, "seconds": time.time() - started})
        else:
            ran = _run_items(session, items, True, outcome, budget=job.get("budget"), rewind=rewind)
            first = next(iter(outcome.failed.items()), None)
            unconfirmed = "; ".join(f"{n} failed after other tests, passed alone" for n in outcome.unconfirmed)
            conn.send({
                "kind": "result", "id": job["id"], "status": "killed" if first else "survived",
                "killer": first[0] if first else "", "detail": first[1] if first else unconfirmed[:300],
                "ran": ran, "selected": len(items), "seconds": time.time() - started, "cpu": time.process_time(),
            })
    conn.close()
    return True
