"""Calls: routing between parties of both products and scripted endpoints (cpaas-wire §4.2/§5,
link-callme-wire §5)."""
