"""Link / CallMe scenarios."""

from pytest_bdd import scenarios

scenarios("link")
