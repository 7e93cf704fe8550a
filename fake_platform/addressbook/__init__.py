"""CPaaS personal address book (contacts, cpaas-wire §4.8)."""
