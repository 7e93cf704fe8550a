"""CPaaS multimedia store (NMS): chat file uploads and their downloads (cpaas-wire §4.5)."""
