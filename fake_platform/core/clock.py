"""The platform's clock: loop time for timers and fault windows, wall time for tokens and stamps.

The same injectable source as the SDK's, so virtual loop time and frozen wall time move both.
"""

from __future__ import annotations

from kandy_media.clock import Clock


class PlatformClock(Clock):
    """The clock the platform's services share (one per :class:`PlatformState`)."""
