"""CPaaS user directory search (cpaas-wire §4.9)."""
