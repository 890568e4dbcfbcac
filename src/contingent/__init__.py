"""Contingent: plan, check and simulate multinational peacekeeping deployments and withdrawals.

The library is the product; the CLI and the service are thin shells over it. Each stage has
one entry function: :func:`load_scenario`, :func:`plan`, :func:`check`.
"""

from contingent.errors import InputError
from contingent.scenario import Scenario, load_scenario

__all__ = ["InputError", "Scenario", "load_scenario"]
__version__ = "0.1.0"
