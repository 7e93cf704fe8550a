"""CPaaS chat: 1:1 and group messages, typing, conversation lists, history (cpaas-wire §4.3, §6.1-6.2)."""
