"""The wire contract: OpenAPI 3.1 and AsyncAPI 3 documents of the platform, and their validation.

Documents: ``openapi.yaml`` (REST: CPaaS, OAuth, Link / CallMe, control plane) and
``asyncapi.yaml`` (both notification channels). They live in the package, not in a top-level
folder, because the platform itself serves them (``/_platform/openapi.json``, ``/asyncapi.json``)
and, with ``Platform(contract=True)``, validates every request, response and frame against them
(``middleware.py``, ``monitor.py``; the compiled validators are in ``validator.py``).
"""

from .monitor import ContractMonitor, ContractViolation, Violation
from .routes import ROUTES

__all__ = ["ROUTES", "ContractMonitor", "ContractViolation", "Violation"]
