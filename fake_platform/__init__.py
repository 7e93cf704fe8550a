"""An emulated Kandy platform (CPaaS and Link / CallMe) that speaks the real wire protocols."""

from .platform import Platform, ThreadedPlatform
from .state import PlatformConfig, PlatformState

__all__ = ["Platform", "PlatformConfig", "PlatformState", "ThreadedPlatform"]
