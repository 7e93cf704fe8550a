"""Media parts shared by the SDK and the emulated platform, and owned by neither.

The platform is the test oracle: it must not run the SDK's code. What both sides need to speak
WebRTC on loopback lives here: the clock, synthetic sources, SDP, DTMF codecs, ICE gathering
bounds and the aiortc peer wrapper. Everything that touches aiortc's or aioice's private internals
goes through :mod:`kandy_media.compat`, whose :func:`install` both sides call once.
"""

from .compat import install
from .errors import MediaError

__all__ = ["MediaError", "install"]
