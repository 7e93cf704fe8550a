"""Route table of the control plane."""

from aiohttp import web

from . import handlers, messaging, push

_C = "/_platform"

ROUTES = [
    web.get(_C + "/health", handlers.health),
    web.post(_C + "/reset", handlers.reset),
    web.post(_C + "/seed", handlers.reset),
    web.get(_C + "/users", handlers.list_users),
    web.post(_C + "/users", handlers.create_users),
    web.get(_C + "/users/{user}", handlers.get_user),
    web.post(_C + "/tokens", handlers.tokens),
    web.get(_C + "/projects", handlers.projects),
    web.get(_C + "/realms", handlers.realms),
    web.post(_C + "/realms", handlers.add_realm),
    web.post(_C + "/realms/{realm}/tokens", handlers.realm_tokens),
    web.get(_C + "/state", handlers.dump),
    web.get(_C + "/journal", handlers.journal),
    web.delete(_C + "/journal", handlers.clear_journal),
    web.get(_C + "/faults", handlers.list_faults),
    web.post(_C + "/faults", handlers.add_fault),
    web.delete(_C + "/faults", handlers.clear_faults),
    web.delete(_C + "/faults/{fault}", handlers.remove_fault),
    web.get(_C + "/sockets", handlers.sockets),
    web.post(_C + "/sockets/drop", handlers.drop_sockets),
    web.post(_C + "/notify", handlers.notify),
    web.get(_C + "/push/outbox", push.outbox),
    web.delete(_C + "/push/outbox", push.clear_outbox),
    web.get(_C + "/push/registrations", push.registrations),
    web.post(_C + "/push/expire", push.expire),
    web.get(_C + "/calls", handlers.calls),
    web.post(_C + "/calls/{session}/forget", handlers.forget_call),
    web.get(_C + "/endpoints", handlers.endpoints),
    web.get(_C + "/endpoints/calls", handlers.endpoint_calls),
    web.post(_C + "/sms/inbound", messaging.inbound_sms),
    web.get(_C + "/sms/outbox", messaging.sms_outbox),
    web.post(_C + "/notify/batch", handlers.notify_batch),
]
