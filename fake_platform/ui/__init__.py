"""The dashboard: ``/_platform/ui`` shows users, channels, calls, faults, the push outbox and the
journal live; ``/_platform/calls/{session}/ladder.svg`` draws a call's ladder diagram."""

from ..registry import Service
from .routes import ROUTES
from .service import Dashboard

SERVICES = [Service("dashboard", Dashboard, needs=("calls",), close=Dashboard.close)]
__all__ = ["ROUTES", "SERVICES"]
