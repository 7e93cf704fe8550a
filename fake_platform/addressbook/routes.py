"""Route table of the address book."""

from aiohttp import web

from . import handlers

_A = "/cpaas/addressbook/{ver}/{user}/{book}/contacts"

ROUTES = [
    web.post(_A, handlers.add),
    web.get(_A, handlers.listing),
    web.get(_A + "/{contact}", handlers.get),
    web.put(_A + "/{contact}", handlers.update),
    web.delete(_A + "/{contact}", handlers.remove),
]
