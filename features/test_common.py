"""Scenarios shared by both products: configuration, events, logger, connectivity."""

from pytest_bdd import scenarios

scenarios("common")
