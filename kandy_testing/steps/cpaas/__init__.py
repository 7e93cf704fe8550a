"""Steps for the CPaaS features, one module per capability (as features/cpaas/ is split)."""
