"""Cross-service machinery of the emulated platform: ids, clock, errors, journal, faults, hub."""
