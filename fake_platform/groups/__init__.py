"""CPaaS group chat sessions: groups, their participants and admin rights (cpaas-wire §4.7, §6.6-6.8)."""
