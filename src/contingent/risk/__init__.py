"""Risk: Monte Carlo execution of a plan under weather, faults and handover slips.

``simulate(scenario, plan, runs=..., seed=...) -> RiskResult``; see ``docs/risk.md``.
"""

from contingent.risk.draws import Realization, Sampler
from contingent.risk.model import Event, ExecModel, PlanNotExecutable, compile_model
from contingent.risk.policy import Asap, DispatchPolicy, PlanOrder, get_policy
from contingent.risk.simulate import Driver, NationRisk, RiskResult, simulate, wilson

__all__ = [
    "Asap",
    "DispatchPolicy",
    "Driver",
    "Event",
    "ExecModel",
    "NationRisk",
    "PlanNotExecutable",
    "PlanOrder",
    "Realization",
    "RiskResult",
    "Sampler",
    "compile_model",
    "get_policy",
    "simulate",
    "wilson",
]
