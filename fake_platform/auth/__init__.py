"""Users, projects and tokens: the OAuth token endpoint and token checks for every front door."""
