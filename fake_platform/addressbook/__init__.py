"""CPaaS personal address book (contacts, cpaas-wire §4.8)."""

from ..registry import Service
from .models import AddressBook
from .routes import ROUTES

SERVICES = [Service("addressbook", lambda core: AddressBook())]
__all__ = ["ROUTES", "SERVICES"]
