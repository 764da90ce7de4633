"""Gas benchmark of FactoryChain: what every call costs, against what it must cost.

``bench.floor`` is the pure floor model (docs/gas-floor.md), ``bench.report`` turns measurements
into docs/gas.md, docs/gas.json and docs/gas.png, ``bench.scenarios`` drives the contracts on a
local chain. ``ape run bench`` (scripts/bench.py) ties them together.
"""
