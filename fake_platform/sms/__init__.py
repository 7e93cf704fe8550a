"""CPaaS SMS: outbound with delivery receipts, inbound, per-number history (cpaas-wire §4.4, §6.3-6.4)."""
