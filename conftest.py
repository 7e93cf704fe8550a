"""The project's own suites (tests/, features/).

The ``kandy_emulator`` plugin (fixtures, the scenario world and the step library) is registered by
its entry point in pyproject.toml, so it is not listed again here; ``pytester`` runs small
scenario files inside the harness's own tests.
"""

pytest_plugins = ["pytester"]
