"""Route table of push registration (with and without the trailing slash the SDK sends)."""

from ..routing import Route, link
from . import handlers

_USER = "/rest/version/{ver}/user/{account}/push"
# Each provider's errors come in its own response wrapper (link-callme-wire §6).
_WRAPPERS = {"apple": "appleDeviceRegistrationResponse", "google": "googleDeviceRegistrationResponse"}


def _provider_routes(provider: str, wrapper: str) -> list[Route]:
    devices = f"{_USER}/{{provider:{provider}}}/devices"
    return [
        link.post(devices + "/", handlers.register, error_wrapper=wrapper),
        link.post(devices, handlers.register, error_wrapper=wrapper),
        link.delete(devices + "/{registration}", handlers.unregister, error_wrapper=wrapper),
    ]


ROUTES = [route for provider, wrapper in _WRAPPERS.items() for route in _provider_routes(provider, wrapper)]
