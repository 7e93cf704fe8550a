"""``sdpHandlers`` and the SDP pipeline every local and remote SDP passes through.

The documented handler signature is ``handler(newSdp, info, originalSdp) -> sdp``; ``info`` is the
SdpHandlerInfo: ``type`` ('offer' | 'answer'), ``endpoint`` ('local' | 'remote': who created the
SDP), ``callId`` and ``step`` ('set': about to be applied locally, 'send': about to be sent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kandy_media.sdp import Sdp, as_sdp, remove_codecs

from ..errors import BasicError, Codes
from ..namespace import documented

SdpHandlerFunction = Callable[[Sdp, dict[str, Any], Sdp], Any]


def _selectors(codecs: Iterable[Any]) -> list[tuple[str, tuple[str, ...]]]:
    selectors: list[tuple[str, tuple[str, ...]]] = []
    for codec in codecs:
        if isinstance(codec, str):
            selectors.append((codec, ()))
        elif isinstance(codec, Mapping) and isinstance(codec.get("name"), str):
            params = codec.get("fmtpParams") or []
            if not isinstance(params, list | tuple) or not all(isinstance(p, str) for p in params):
                raise BasicError(Codes.CALL_INVALID_PARAM, f"fmtpParams of {codec!r} must be a list of strings")
            selectors.append((codec["name"], tuple(params)))
        else:
            raise BasicError(Codes.CALL_INVALID_PARAM,
                             f"A codec selector is a codec name or {{name, fmtpParams}}, got {codec!r}")
    return selectors


def createCodecRemover(codecs: Iterable[Any]) -> SdpHandlerFunction:
    """An SDP handler that removes the codecs matching the selectors (names or CodecSelectors)."""
    if isinstance(codecs, str) or not isinstance(codecs, Iterable):
        raise BasicError(Codes.CALL_INVALID_PARAM, "createCodecRemover expects a list of codec selectors")
    selectors = _selectors(codecs)

    def codec_remover(newSdp: Sdp, info: dict[str, Any], originalSdp: Sdp) -> Sdp:
        return remove_codecs(as_sdp(newSdp), selectors)

    return codec_remover


class SdpHandlers:
    """The module export ``sdpHandlers`` (``from sdk.cpaas import sdpHandlers``)."""

    def __init__(self, product: str) -> None:
        self._product = product

    @documented(lambda self: self._product, "sdpHandlers.createCodecRemover")
    def createCodecRemover(self, codecs: Iterable[Any]) -> SdpHandlerFunction:
        return createCodecRemover(codecs)

    create_codec_remover = createCodecRemover


def run_pipeline(text: str, info: dict[str, Any], handlers: Iterable[SdpHandlerFunction]) -> str:
    """Run ``handlers`` in order over ``text``; each gets the result so far and the original."""
    original = Sdp.parse(text)
    current = original.copy()
    for handler in handlers:
        try:
            current = as_sdp(handler(current, dict(info), original.copy()))
        except BasicError:
            raise
        except Exception as exc:
            raise BasicError(Codes.CALL_INVALID_PARAM,
                             f"SDP handler {getattr(handler, '__name__', handler)!r} failed: "
                             f"{type(exc).__name__}: {exc}") from exc
    return str(current)
