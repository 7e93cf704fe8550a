"""Calls: routing between parties of both products and scripted endpoints (cpaas-wire §4.2/§5,
link-callme-wire §5)."""

from ..registry import Service
from .routes import ROUTES
from .service import CallService

SERVICES = [
    Service("calls", CallService, needs=("users", "cpaas_channels", "link", "push"),
            dump=lambda calls: {"calls": calls.dump(), "endpoints": calls.endpoints.describe()},
            close=lambda calls: calls.close()),
]
__all__ = ["ROUTES", "SERVICES"]
