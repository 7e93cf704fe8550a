"""A Python implementation of the Kandy.js SDK, both products.

``from sdk.cpaas import create`` for CPaaS, ``from sdk.link import create`` for Link / CallMe.
"""

from .errors import BasicError
from .version import __version__

__all__ = ["BasicError", "__version__"]
