"""Route table of the control plane."""

from ..routing import control
from . import handlers, messaging, push

_C = "/_platform"

ROUTES = [
    control.get(_C + "/health", handlers.health),
    control.get(_C + "/diagnostics", handlers.diagnostics),
    control.post(_C + "/reset", handlers.reset),
    control.post(_C + "/seed", handlers.reset),
    control.get(_C + "/users", handlers.list_users),
    control.post(_C + "/users", handlers.create_users),
    control.get(_C + "/users/{user}", handlers.get_user),
    control.post(_C + "/tokens", handlers.tokens),
    control.get(_C + "/projects", handlers.projects),
    control.get(_C + "/realms", handlers.realms),
    control.post(_C + "/realms", handlers.add_realm),
    control.post(_C + "/realms/{realm}/tokens", handlers.realm_tokens),
    control.get(_C + "/state", handlers.dump),
    control.get(_C + "/journal", handlers.journal),
    control.delete(_C + "/journal", handlers.clear_journal),
    control.get(_C + "/faults", handlers.list_faults),
    control.post(_C + "/faults", handlers.add_fault),
    control.delete(_C + "/faults", handlers.clear_faults),
    control.delete(_C + "/faults/{fault}", handlers.remove_fault),
    control.get(_C + "/sockets", handlers.sockets),
    control.post(_C + "/sockets/drop", handlers.drop_sockets),
    control.post(_C + "/notify", handlers.notify),
    control.get(_C + "/push/outbox", push.outbox),
    control.delete(_C + "/push/outbox", push.clear_outbox),
    control.get(_C + "/push/registrations", push.registrations),
    control.post(_C + "/push/expire", push.expire),
    control.get(_C + "/calls", handlers.calls),
    control.post(_C + "/calls/{session}/forget", handlers.forget_call),
    control.get(_C + "/endpoints", handlers.endpoints),
    control.get(_C + "/endpoints/calls", handlers.endpoint_calls),
    control.post(_C + "/sms/inbound", messaging.inbound_sms),
    control.get(_C + "/sms/outbox", messaging.sms_outbox),
    control.post(_C + "/notify/batch", handlers.notify_batch),
    control.get(_C + "/progress", handlers.progress),
    control.post(_C + "/progress", handlers.advance),
    control.put(_C + "/progress", handlers.set_timings),
]
