"""CPaaS notification channels and per-service subscriptions (cpaas-wire §2)."""
