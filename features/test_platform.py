"""Scenarios about the emulated platform itself."""

from pytest_bdd import scenarios

scenarios("platform")
