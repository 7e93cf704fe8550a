"""Route table of the presence service."""

from ..routing import cpaas
from . import handlers

_P = "/cpaas/presence/{ver}/{user}"

ROUTES = [
    cpaas.get(_P + "/presenceLists", handlers.get_lists),
    cpaas.post(_P + "/presenceLists", handlers.create_list),
    cpaas.get(_P + "/presenceLists/{list}", handlers.get_list),
    cpaas.delete(_P + "/presenceLists/{list}", handlers.delete_list),
    cpaas.post(_P + "/subscriptions/presenceListSubscriptions/{list}", handlers.subscribe_list),
    cpaas.delete(_P + "/subscriptions/presenceListSubscriptions/{list}/{sub}", handlers.unsubscribe_list),
    cpaas.post(_P + "/presenceSources", handlers.publish),
    cpaas.post(_P + "/adhocPresenceList", handlers.adhoc_fetch),
    cpaas.put(_P + "/presenceLists/{list}/presenceContacts/{users}", handlers.add_contacts),
    cpaas.delete(_P + "/presenceLists/{list}/presenceContacts/{users}", handlers.remove_contacts),
]
