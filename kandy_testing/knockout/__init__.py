"""The knockout gate: does a scenario fail when a documented function or event is broken?

Each documented function and event of both products (``kandy_testing/data/inventory.json``) is
knocked out in turn inside the SDK, the way a real regression would break it (``sdk.knockout``:
the function does nothing but return its documented shape; the event is not emitted, or emitted
with an empty payload). For each, the scenarios whose traces touched it (``sdk.trace``, recorded by
``make test`` with ``KANDY_API_TRACE``) run under the knockout with pytest-xdist; the knockout is
*killed* when one of them fails, and *survived* when all pass: then no scenario notices that
regression.

    python -m kandy_testing.knockout --traces reports/coverage            # every knockout (make knockout)
    python -m kandy_testing.knockout --traces reports/coverage --sample 10  # a seeded sample (make test)
    python -m kandy_testing.knockout --only cpaas:api:contacts.fetch        # one, while writing scenarios

Results: ``reports/conformance/knockout.json`` (``knockout-sample.json`` for a sample) and a
readable table beside it (``.md``). Modules: :mod:`.targets` (what is knocked out), :mod:`.plan`
(which scenarios, in which order), :mod:`.plugin` (the pytest side), :mod:`.run` (the command),
:mod:`.report` (verdicts, figures, table).
"""
