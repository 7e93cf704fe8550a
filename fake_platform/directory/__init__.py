"""CPaaS user directory search (cpaas-wire §4.9)."""

from ..registry import Service
from .models import Directory
from .routes import ROUTES

SERVICES = [Service("directory", lambda core, users, addressbook: Directory(users, addressbook.buddies),
                    needs=("users", "addressbook"))]
__all__ = ["ROUTES", "SERVICES"]
