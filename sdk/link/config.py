"""The Link / CallMe configuration: every documented key with its default (link-sdk-api.md)."""

from __future__ import annotations

from ..config import (
    RUNTIME_SCHEMA,
    Option,
    is_bool,
    is_callable,
    is_ice_server,
    is_list_of,
    is_non_empty_str,
    is_number,
    is_optional,
    is_port,
    is_str,
    one_of,
)
from ..logger import levels

LEVELS = (levels.SILENT, levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG)


def is_handler(value: object) -> bool:
    return value is None or callable(value)


LOG_ACTIONS = {
    "handler": Option(None, is_handler, "a LogHandler function"),
    "actionOnly": Option(False, is_bool, "a boolean"),
    "collapsed": Option(False, is_bool, "a boolean"),
    "diff": Option(False, is_bool, "a boolean"),
    "level": Option(levels.DEBUG, one_of(*LEVELS), f"one of {LEVELS}"),
    "exposePayloads": Option(True, is_bool, "a boolean"),
}

SCHEMA = {
    "logs": {
        "logLevel": Option(levels.DEBUG, one_of(*LEVELS), f"one of {LEVELS}"),
        "handler": Option(None, is_handler, "a LogHandler function"),
        "enableFcsLogs": Option(True, is_bool, "a boolean"),
        "logActions": Option(False, section=LOG_ACTIONS, expects="an object or a boolean"),
    },
    "authentication": {
        "subscription": {
            "protocol": Option("https", one_of("https", "http"), "'https' or 'http'"),
            "server": Option(None, is_non_empty_str, "a host name"),
            "port": Option(443, is_port, "a port number"),
            "service": Option(None, is_optional(is_list_of(is_str)), "a list of service names"),
        },
        "websocket": {
            "protocol": Option("wss", one_of("wss", "ws"), "'wss' or 'ws'"),
            "server": Option(None, is_non_empty_str, "a host name"),
            "port": Option(443, is_port, "a port number"),
        },
    },
    "call": {
        # Documented default 'plan-b' although the text calls it deprecated (LINK-13): kept.
        "sdpSemantics": Option("plan-b", one_of("unified-plan", "plan-b"), "'unified-plan' or 'plan-b'"),
        "iceServers": Option(None, is_list_of(is_ice_server), "a list of IceServer objects"),
        # Not in the documents: RTCConfiguration's policy, 'relay' to use TURN candidates only.
        "iceTransportPolicy": Option("all", one_of("all", "relay"), "'all' or 'relay'"),
        "iceCollectionDelay": Option(1000, is_number(0), "a number of milliseconds >= 0"),
        "maxIceTimeout": Option(3000, is_number(0), "a number of milliseconds >= 0"),
        "iceCollectionCheck": Option(None, lambda v: v is None or callable(v), "a function"),
        "serverTurnCredentials": Option(True, is_bool, "a boolean"),
        "sdpHandlers": Option(None, is_list_of(is_callable), "a list of SdpHandlerFunction"),
        "removeH264Codecs": Option(True, is_bool, "a boolean"),
        "earlyMedia": Option(False, is_bool, "a boolean"),
        "resyncOnConnect": Option(False, is_bool, "a boolean"),
        "mediaBrokerOnly": Option(False, is_bool, "a boolean"),
        "removeBundling": Option(False, is_bool, "a boolean"),
    },
    "connectivity": {
        "pingInterval": Option(30000, is_number(1), "a positive number of milliseconds"),
        "reconnectLimit": Option(5, is_number(0), "a number >= 0"),
        "reconnectDelay": Option(5000, is_number(0), "a number of milliseconds >= 0"),
        "reconnectTimeMultiplier": Option(1, is_number(0), "a number >= 0"),
        "reconnectTimeLimit": Option(640000, is_number(0), "a number of milliseconds >= 0"),
        "autoReconnect": Option(True, is_bool, "a boolean"),
        "maxMissedPings": Option(3, is_number(1), "a number >= 1"),
        "checkConnectivity": Option(True, is_bool, "a boolean"),
        "webSocketOAuthMode": Option("query", one_of("query", "none"), "'query' or 'none'"),
    },
    "notifications": {
        "idCacheLength": Option(100, is_number(0), "a number >= 0"),
        "incomingCallNotificationMode": Option("any-channel", one_of("any-channel", "push-channel-only"),
                                               "'any-channel' or 'push-channel-only'"),
        "pushRegistration": {
            "server": Option(None, is_optional(is_str), "a host name"),
            "port": Option(None, lambda v: v is None or is_port(v), "a port"),
            "protocol": Option(None, is_optional(is_str), "a protocol such as 'https'"),
            "version": Option(None, lambda v: v is None or isinstance(v, str | int), "a version"),
        },
    },
    "runtime": RUNTIME_SCHEMA,
}
