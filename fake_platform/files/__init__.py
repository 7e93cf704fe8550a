"""CPaaS multimedia store (NMS): chat file uploads and their downloads (cpaas-wire §4.5)."""

from ..registry import Core, Service
from .models import FileStore
from .routes import ROUTES


def _build(core: Core) -> FileStore:
    store = FileStore(core.ids, core.clock, core.base_url, core.config)
    core.housekeeping.add("files", store.expire)
    return store


SERVICES = [Service("files", _build)]
__all__ = ["ROUTES", "SERVICES"]
