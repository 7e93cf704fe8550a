"""Push registration requests (link-callme-wire §6).

``POST {p}://{host}:{port}/rest/version/{v}/user/{username}/push/{apple|google}/devices/`` with the
connection's credentials; the answer's ``registration`` (a server-relative path) is what the app
keeps and later hands to ``unregister…Push``, which DELETEs it. Protocol, host, port and version
default to the subscription server (version 1) and are overridden one by one by
``notifications.pushRegistration``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import BasicError, Codes
from .rest import status_code_of

if TYPE_CHECKING:
    from .. import LinkClient

APPLE, GOOGLE = "apple", "google"
LABELS = {APPLE: "Apple", GOOGLE: "Android"}
WRAPPERS = {APPLE: "appleDeviceRegistrationResponse", GOOGLE: "googleDeviceRegistrationResponse"}


def _failure(code: str, what: str, error: BasicError) -> BasicError:
    if error.code == code:  # already says what failed (no answer, or no Link status in the answer)
        return error
    detail = f" (statusCode {error.code})" if isinstance(error.code, int) else ""
    return BasicError(code, f"{what} failed: {error.message}{detail}")


class PushProtocol:
    def __init__(self, client: LinkClient) -> None:
        self._client = client

    def server(self) -> dict[str, str]:
        """Where push registrations go: ``pushRegistration`` fields over the subscription server's."""
        config = self._client.config
        override = config["notifications"].get("pushRegistration") or {}
        sub = config["authentication"]["subscription"]
        server = override.get("server") or sub.get("server")
        if not server:
            raise BasicError(Codes.NOTIF_INVALID, "No push registration server: set notifications.pushRegistration"
                             ".server or authentication.subscription.server")
        return {"protocol": str(override.get("protocol") or sub["protocol"]), "server": str(server),
                "port": str(override.get("port") or sub["port"]), "version": str(override.get("version") or 1)}

    def base_url(self) -> str:
        where = self.server()
        return f"{where['protocol']}://{where['server']}:{where['port']}"

    def _username(self, what: str) -> str:
        info = self._client.session.info
        if info is None or info.mode != "user":
            raise BasicError(Codes.AUTH_NOT_CONNECTED, f"{what} needs a Link user connection: call connect() first")
        return info.account

    async def register(self, provider: str, body: dict[str, Any]) -> str:
        what = f"{LABELS[provider]} push registration"
        username = self._username(what)
        url = (f"{self.base_url()}/rest/version/{self.server()['version']}/user/{username}"
               f"/push/{provider}/devices/")
        try:
            reply = await self._client.rest.request("POST", url, body, operation=what,
                                                    error_code=Codes.NOTIF_REGISTER_FAILED)
        except BasicError as error:
            raise _failure(Codes.NOTIF_REGISTER_FAILED, what, error) from error
        code, reason = status_code_of(reply)
        response = reply.get(WRAPPERS[provider]) if isinstance(reply, dict) else None
        registration = response.get("registration") if isinstance(response, dict) else None
        if code not in (0, None):
            raise _failure(Codes.NOTIF_REGISTER_FAILED, what, BasicError(code, reason or "refused"))
        if not isinstance(registration, str) or not registration.startswith("/"):
            raise BasicError(Codes.NOTIF_REGISTER_FAILED, f"{what} failed: malformed response (no registration)")
        return registration

    async def unregister(self, provider: str, registration: str) -> None:
        what = f"{LABELS[provider]} push unregistration"
        self._username(what)
        try:
            await self._client.rest.request("DELETE", f"{self.base_url()}{registration}", operation=what,
                                            error_code=Codes.NOTIF_UNREGISTER_FAILED, response_type="none")
        except BasicError as error:
            raise _failure(Codes.NOTIF_UNREGISTER_FAILED, what, error) from error
