"""CPaaS presence: presence lists and their subscriptions (cpaas-wire §2.4, §4.6)."""
