"""ZKTeco PUSH device simulator (acc and att dialects), written from the protocol reference.

It talks to a server over HTTP only and imports nothing from `gatehouse`, so that the server
and the simulator check each other.
"""

from gatehouse_sim.client import SimDevice
from gatehouse_sim.commands import CommandOutcome
from gatehouse_sim.fleet import DeviceOptions, Fleet
from gatehouse_sim.state import DeviceState

__all__ = ["CommandOutcome", "DeviceOptions", "DeviceState", "Fleet", "SimDevice"]
