"""Test harness for apps built on the Kandy SDKs: fixtures, an event recorder, a Gherkin step
library and the conformance coverage check. Installed as the ``kandy_emulator`` pytest plugin."""

from .recorder import EventRecorder

__all__ = ["EventRecorder"]
