"""Users, projects and tokens: the OAuth token endpoint and token checks for every front door."""

from ..registry import Core, Service
from .models import Projects, TokenIssuer, UserDirectory
from .routes import ROUTES


def _projects(core: Core, users: UserDirectory) -> Projects:
    projects = Projects(core.ids, users)
    projects.create(core.config.client_id)  # the default OAuth client (README, serve's output)
    return projects


SERVICES = [
    Service("users", lambda core: UserDirectory(core.ids, core.config.domain),
            dump=lambda users: {"users": [u.public() for u in users.all()]}),
    Service("projects", _projects, needs=("users",),
            dump=lambda projects: {"projects": [{"clientId": p.client_id, "userId": p.user_id}
                                                for p in projects.projects.values()]}),
    Service("tokens", lambda core: TokenIssuer(core.ids.secret(32), core.clock, core.config.token_lifetime)),
]
__all__ = ["ROUTES", "SERVICES"]
