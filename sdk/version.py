"""Versions: this package, and the Kandy.js releases whose documented API it implements."""

__version__ = "0.1.0"

#: The Kandy.js builds the documents and protocol notes describe (spec/README.md).
API_LEVELS = {"cpaas": "4.9.0", "link": "4.21.0"}
