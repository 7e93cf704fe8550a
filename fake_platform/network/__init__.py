"""The emulated network between clients and the platform's media: impairment rules (faults of kind
``impairment``), named profiles, and the paths media takes through the relay and the media edge."""

from ..registry import Service
from .conditions import NetworkConditions
from .impairment import Impairment, Shaper
from .profiles import PROFILES
from .rules import ImpairmentRule, Impairments

SERVICES = [Service("network", NetworkConditions.of_platform, needs=("calls",),
                    dump=lambda network: {"network": network.dump()})]
__all__ = ["PROFILES", "SERVICES", "Impairment", "ImpairmentRule", "Impairments", "NetworkConditions", "Shaper"]
