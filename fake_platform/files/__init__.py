"""CPaaS multimedia store (NMS): chat file uploads and their downloads (cpaas-wire §4.5)."""

from ..registry import Service
from .models import FileStore
from .routes import ROUTES

SERVICES = [Service("files", lambda core: FileStore(core.ids, core.clock, core.base_url))]
__all__ = ["ROUTES", "SERVICES"]
