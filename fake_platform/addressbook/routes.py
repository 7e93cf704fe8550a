"""Route table of the address book."""

from ..routing import cpaas
from . import handlers

_A = "/cpaas/addressbook/{ver}/{user}/{book}/contacts"

ROUTES = [
    cpaas.post(_A, handlers.add),
    cpaas.get(_A, handlers.listing),
    cpaas.get(_A + "/{contact}", handlers.get),
    cpaas.put(_A + "/{contact}", handlers.update),
    cpaas.delete(_A + "/{contact}", handlers.remove),
]
