"""The step library's documentation: every registered step phrase, grouped by task, with the
values of its closed-set placeholders and an example taken from the features.

    python -m kandy_testing.stepdocs            # rewrite features/README.md
    python -m kandy_testing.stepdocs --check    # exit 1 if it is stale, a feature line has no
                                                # step or two, or a step has no example

Phrases come from pytest-bdd's own registry of step definitions (whatever built the pattern),
after importing the plugin's step modules; examples are the first line of a .feature file that
the phrase matches.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from .plugin import STEP_MODULES
from .steps.values import ENDPOINT, label_of, values_of
from .world import is_setup

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "features"
README = FEATURES / "README.md"
KINDS = ["given", "when", "then"]
GHERKIN_KINDS = {"Context": "given", "Action": "when", "Outcome": "then"}

# Sections by task, in reading order: (title, step modules). Set-up steps (``@sets_up``) of every
# module come first, in their own section.
TASKS: list[tuple[str, list[str]]] = [
    ("Errors and events: what any step may check", ["common"]),
    ("Calls: placing, answering, states, what is heard and seen", ["calls"]),
    ("Mid-call: media changes, DTMF, statistics, codecs and SDP, custom parameters, transfer and join",
     ["midcall"]),
    ("Media: devices, tracks, rendering", ["media"]),
    ("CPaaS messaging: sending, receiving, delivery", ["cpaas.messaging", "cpaas.accounts"]),
    ("CPaaS conversations: history, deletes, typing, subscribers", ["cpaas.conversations"]),
    ("CPaaS message parts and files", ["cpaas.files"]),
    ("CPaaS SMS", ["cpaas.sms"]),
    ("CPaaS offline delivery", ["cpaas.offline"]),
    ("CPaaS presence", ["cpaas.presence"]),
    ("CPaaS groups", ["cpaas.groups"]),
    ("CPaaS contacts", ["cpaas.contacts"]),
    ("CPaaS user directory", ["cpaas.directory"]),
    ("Event payloads: documented fields and shapes", ["payloads", "event_shapes"]),
    ("What must not happen: negative checks", ["negative"]),
    ("Configuration keys taking effect", ["configuration"]),
    ("The wire contract", ["contract"]),
    ("The network: relay, impairment, call quality", ["network"]),
    ("Subscriptions, the websocket, keepalives, faults and reconnects", ["connectivity"]),
    ("Link push notifications and notification channels", ["push"]),
    ("The SDK itself: configuration, events API, logger", ["sdk_core"]),
    ("The platform over HTTP: error bodies, tokens, control plane", ["platform"]),
]

# The set-up steps to reach for first (the rest of the set-up section follows in module order).
SETUP_FIRST = ["platform_running", "platform_running_tls", "cpaas_users", "link_ready"]

HEADER = """# The step library

Scenarios in `features/` are written in plain Gherkin against this step library
(`kandy_testing/steps/`, shipped with the `kandy_emulator` pytest plugin). Names such as Alice and
Bob are platform users created on first mention; each has one SDK client whose microphone plays a
tone of its own (Alice 440 Hz, Bob 660 Hz, Carol 880 Hz, ...) and whose camera shows a colour of its
own, so that steps can check who is heard or seen. Tag a scenario `@virtual_time` to run it on
virtual loop time (long keepalive and reconnect timings take milliseconds).

**Events after their cause.** Every Given or When step that acts marks a cause; a Then step (and a
wait inside a step) looks only at what happened after the latest cause. So put each Then right
after the step that causes what it checks. A negative check ("... receives no ... within N
seconds") fails on a matching event from the cause on, and waits until N seconds after the cause.

**Creating users.** Start with `Given the platform is running`, then, for CPaaS,
`Given Alice is a cpaas user subscribed to "call, chat"` (or `Given Alice and Bob are cpaas users
subscribed to "chat, presence"`): signed in, subscribed to exactly the services named (any of
`call`, `chat`, `presence`, `smsinbound`). For Link, `Given Bob is connected to link`
(connected with his password, subscribed to the Link services). The other set-up phrases below say
which services they subscribe to; use them only for what they add (a connectivity configuration,
every codec, a client without a user).

**Placeholders.** `{name}` and the like are free text; a placeholder with a closed set of values
lists them in the table's last column (or in the phrase: `{is/becomes}` takes one of the words),
and a value outside the set fails at once, listing them. `her/his` means either word; `[ ... ]` is
an optional part; `a(n)` is "a" or "an".

To add a scenario, write a `.feature` file under `features/<product>/` with the phrases below; it
is picked up by `features/test_<product>.py`. This file is generated by
`python -m kandy_testing.stepdocs`; `make test` checks that it is current, that every line of every
feature matches exactly one phrase, and that every phrase has an example.
"""


@dataclass
class Step:
    module: str  # relative to kandy_testing.steps, e.g. "cpaas.messaging"
    line: int
    function: str
    kinds: list[str]
    contexts: list[StepFunctionContext]
    doc: str
    setup: bool
    examples: list[str] = field(default_factory=list)

    @property
    def pattern(self) -> str:
        return self.contexts[0].parser.name

    @property
    def style(self) -> str:
        return type(self.contexts[0].parser).__name__

    def matches(self, text: str, kind: str | None = None) -> bool:
        return any((kind is None or c.type in (None, kind)) and c.parser.is_matching(text) for c in self.contexts)

    @property
    def readable(self) -> str:
        if self.style == "re":
            return readable_regex(self.pattern)
        return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", self.pattern)

    def closed_values(self) -> list[str]:
        """``placeholder: values`` for every placeholder with a closed set of values."""
        found: list[str] = []
        converters = self.contexts[0].converters
        for name, parser in converters.items():
            values = values_of(parser)
            if values:
                label = label_of(parser)
                found.append(f"{name}{'' if label == name else f' ({label})'}: {', '.join(values)}")
        if "{callee}" in self.readable and "_address(" in inspect.getsource(self.contexts[0].step_func):
            found.append("callee: a user of the scenario, an address with @ or +, or a scripted endpoint: "
                         + ", ".join(ENDPOINT.values))
        return found


def collect_steps() -> list[Step]:
    """Every step definition of the plugin's step modules, from pytest-bdd's registry."""
    for module in STEP_MODULES:
        importlib.import_module(module)
    by_function: dict[tuple[str, str], Step] = {}
    prefix = "kandy_testing.steps."
    for context in list(step_function_context_registry.values()):
        func = context.step_func
        if not func.__module__.startswith(prefix):
            continue
        module = func.__module__[len(prefix):]
        key = (module, context.parser.name)
        step = by_function.get(key)
        if step is None:
            step = by_function[key] = Step(module, inspect.getsourcelines(func)[1], func.__name__, [], [],
                                           inspect.getdoc(func) or "", is_setup(func))
        step.contexts.append(context)
        step.kinds.append(context.type or "given")
    return sorted(by_function.values(), key=lambda s: (s.module, s.line, s.pattern))


def feature_lines() -> list[tuple[str, str, str]]:
    """``(kind, text, where)`` of every step of every scenario (outlines expanded)."""
    from gherkin.parser import Parser
    from gherkin.pickles.compiler import Compiler

    lines = []
    for path in sorted(FEATURES.rglob("*.feature")):
        document = Parser().parse(path.read_text())
        document["uri"] = str(path.relative_to(ROOT))
        for pickle in Compiler().compile(document):
            for step in pickle["steps"]:
                kind = GHERKIN_KINDS.get(step.get("type", ""), "")
                lines.append((kind, step["text"], str(path.relative_to(ROOT))))
    return lines


def match_features(steps: list[Step]) -> list[str]:
    """Attach an example to each step; return the problems (a line no step or two steps match)."""
    problems: list[str] = []
    for kind, text, where in feature_lines():
        matching = [s for s in steps if s.matches(text, kind or None)]
        if not matching:
            problems.append(f"{where}: no step phrase matches '{kind} {text}' (is it in features/README.md?)")
        elif len(matching) > 1:
            patterns = "; ".join(f"{s.module}.{s.function}" for s in matching)
            problems.append(f"{where}: '{text}' matches several steps: {patterns}")
        for step in matching:
            if not step.examples:
                step.examples.append(f"{text}  ({where})")
    return problems


def sections(steps: list[Step]) -> Iterator[tuple[str, list[Step]]]:
    setup = sorted((s for s in steps if s.setup),
                   key=lambda s: SETUP_FIRST.index(s.function) if s.function in SETUP_FIRST else len(SETUP_FIRST))
    yield "Set-up: the platform, users and their clients", setup
    placed = {id(s) for s in setup}
    for title, modules in TASKS:
        rows = [s for m in modules for s in steps if s.module == m and id(s) not in placed]
        placed |= {id(s) for s in rows}
        yield title, rows
    rest = [s for s in steps if id(s) not in placed]
    if rest:
        yield "Other steps", rest


def render(steps: list[Step]) -> str:
    parts = [HEADER]
    for title, rows in sections(steps):
        if not rows:
            continue
        parts.append(f"\n## {title}\n")
        parts.append("| step | phrase | example | what it does; closed values |\n|---|---|---|---|")
        for step in rows:
            kinds = "/".join(sorted(set(step.kinds), key=KINDS.index))
            example = step.examples[0] if step.examples else "—"
            notes = [step.doc.splitlines()[0].rstrip(".")] if step.doc else []
            notes += step.closed_values()
            cells = [kinds, f"`{step.readable}`", example, "; ".join(notes)]
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(parts) + "\n"


# -- regex patterns as a reader sees them ------------------------------------------------------
def readable_regex(pattern: str) -> str:
    """``(?P<name>\\w+) hears (?:her|his) own tone$`` -> ``{name} hears her/his own tone``."""
    text, _ = _render(pattern, 0)
    return text.strip()


def _render(pattern: str, i: int) -> tuple[str, int]:
    """Render from ``i`` up to the closing parenthesis of the current group (or the end)."""
    out: list[str] = []
    alternatives: list[str] = []
    while i < len(pattern):
        char = pattern[i]
        if char == ")":
            break
        if char == "|":
            alternatives.append("".join(out))
            out = []
            i += 1
            continue
        if char == "(":
            name_match = re.match(r"\(\?P<(\w+)>", pattern[i:])
            lookaround = re.match(r"\(\?<?[=!]", pattern[i:])
            start = i + (name_match.end() if name_match else lookaround.end() if lookaround
                         else 3 if pattern.startswith("(?:", i) else 1)
            inner, end = _render(pattern, start)
            i = end + 1
            if lookaround:  # a condition on the text around, not text to write
                continue
            choices = re.fullmatch(r"[\w ]+(?:\|[\w ]+)+", inner.replace("/", "|")) if name_match else None
            piece = ("{" + inner + "}" if choices else "{" + name_match.group(1) + "}") if name_match else inner
        elif char == "\\":
            piece = {"w": "…", "d": "…", "s": " "}.get(pattern[i + 1], pattern[i + 1])
            i += 2
        elif char == "[":
            end = pattern.index("]", i + 1 if pattern[i + 1] != "]" else i + 2)
            piece, i = "…", end + 1
        elif char in "$^":
            piece, i = "", i + 1
        else:
            piece, i = char, i + 1
        quantifier = re.match(r"[?*+]\??|\{\d*,?\d*\}", pattern[i:])
        if quantifier:
            i += quantifier.end()
            if quantifier.group().startswith("?"):
                piece = f"({piece})" if len(piece) == 1 else f"[{piece}]"
        out.append(piece)
    alternatives.append("".join(out))
    return "/".join(alternatives), i


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    steps = collect_steps()
    problems = match_features(steps)
    text = render(steps)
    if args.check:
        problems += [f"step with no example in features/: {s.readable} ({s.module}.{s.function})"
                     for s in steps if not s.examples]
        if not README.exists() or README.read_text() != text:
            problems.append("features/README.md is stale: run python -m kandy_testing.stepdocs")
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    README.write_text(text)
    print(f"wrote {README.relative_to(ROOT)}: {len(steps)} phrases")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
