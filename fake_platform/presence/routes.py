"""Route table of the presence service."""

from aiohttp import web

from . import handlers

_P = "/cpaas/presence/{ver}/{user}"

ROUTES = [
    web.get(_P + "/presenceLists", handlers.get_lists),
    web.post(_P + "/presenceLists", handlers.create_list),
    web.get(_P + "/presenceLists/{list}", handlers.get_list),
    web.delete(_P + "/presenceLists/{list}", handlers.delete_list),
    web.post(_P + "/subscriptions/presenceListSubscriptions/{list}", handlers.subscribe_list),
    web.delete(_P + "/subscriptions/presenceListSubscriptions/{list}/{sub}", handlers.unsubscribe_list),
    web.post(_P + "/presenceSources", handlers.publish),
    web.post(_P + "/adhocPresenceList", handlers.adhoc_fetch),
    web.put(_P + "/presenceLists/{list}/presenceContacts/{users}", handlers.add_contacts),
    web.delete(_P + "/presenceLists/{list}/presenceContacts/{users}", handlers.remove_contacts),
]
