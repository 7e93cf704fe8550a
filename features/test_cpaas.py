"""CPaaS scenarios."""

from pytest_bdd import scenarios

scenarios("cpaas")
