"""``call.sendDTMF`` input rules (the codecs themselves are in :mod:`kandy_media.dtmf`)."""

from __future__ import annotations

from typing import Any

from ..errors import BasicError, Codes

VALID = set("0123456789#*,")
MIN_DURATION, MAX_DURATION = 40, 6000
MIN_GAP = 30


def validate(tone: Any, duration: Any, gap: Any) -> tuple[str, int, int]:
    """The tone string and timings, or a BasicError naming what is wrong."""
    if not isinstance(tone, str) or not tone:
        raise BasicError(Codes.CALL_INVALID_PARAM, "tone must be a non-empty string of DTMF characters")
    bad = sorted(set(tone.upper()) - VALID)
    if bad:
        raise BasicError(Codes.CALL_INVALID_PARAM,
                         f"Invalid DTMF characters {bad}; valid are 0-9, #, * and ','")
    for name, value, low in (("duration", duration, MIN_DURATION), ("intertoneGap", gap, MIN_GAP)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= MAX_DURATION:
            raise BasicError(Codes.CALL_INVALID_PARAM, f"{name} must be a number of milliseconds in "
                             f"[{low}, {MAX_DURATION}], got {value!r}")
    return tone.upper(), int(duration), int(gap)
