"""TURN credentials (the TURN REST API form: ``<expiry>:<user>`` + HMAC-SHA1 password)."""
