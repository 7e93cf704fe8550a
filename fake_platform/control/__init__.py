"""The control plane under ``/_platform/``: how tests, Locust and people steer the platform."""

from .routes import ROUTES

__all__ = ["ROUTES"]
