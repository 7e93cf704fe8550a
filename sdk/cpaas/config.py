"""The CPaaS configuration: every documented key with its documented default (cpaas-sdk-api.md)."""

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
    is_port,
    is_str,
    one_of,
)
from ..logger import levels

LEVELS = (levels.SILENT, levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG)

LOG_ACTIONS = {
    "actionOnly": Option(True, is_bool, "a boolean"),
    "collapsed": Option(False, is_bool, "a boolean"),
    "diff": Option(False, is_bool, "a boolean"),
    "exposePayloads": Option(False, is_bool, "a boolean"),
}

SCHEMA = {
    "logs": {
        "logLevel": Option(levels.DEBUG, one_of(*LEVELS), f"one of {LEVELS}"),
        "flatten": Option(False, is_bool, "a boolean"),
        # Documented as `Object?` with sub-defaults, "set this to false to not output action logs"
        # (ambiguity CPAAS-14): an object (or true) enables them with these defaults.
        "logActions": Option({k: v.default for k, v in LOG_ACTIONS.items()}, section=LOG_ACTIONS,
                             expects="an object or false"),
        "enableFcsLogs": Option(True, is_bool, "a boolean"),
        "enableGrouping": Option(True, is_bool, "a boolean"),
        # Not in the CPaaS document (Link has it); accepted so a LogHandler can be given here too.
        "handler": Option(None, lambda v: v is None or callable(v), "a function"),
    },
    "authentication": {
        "server": {
            "base": Option(None, is_non_empty_str, "a host name"),
            "protocol": Option("https", one_of("https", "http"), "'https' or 'http'"),
            "port": Option(443, is_port, "a port number"),
            "version": Option("v1", is_non_empty_str, "a version string such as 'v1'"),
        },
        "clientCorrelator": Option(None, is_str, "a string"),
    },
    "call": {
        "sdpSemantics": Option("unified-plan", one_of("unified-plan", "plan-b"), "'unified-plan' or 'plan-b'"),
        "iceServers": Option(None, is_list_of(is_ice_server), "a list of IceServer objects"),
        # Not in the documents: RTCConfiguration's policy, 'relay' to use TURN candidates only.
        "iceTransportPolicy": Option("all", one_of("all", "relay"), "'all' or 'relay'"),
        "serverTurnCredentials": Option(True, is_bool, "a boolean"),
        "sdpHandlers": Option(None, is_list_of(is_callable), "a list of SdpHandlerFunction"),
        "removeH264Codecs": Option(True, is_bool, "a boolean"),
    },
    "connectivity": {
        "method": {
            "type": Option("keepAlive", one_of("keepAlive", "pingPong"), "'keepAlive' or 'pingPong'"),
            "responsibleParty": Option("client", one_of("client", "server"), "'client' or 'server'"),
        },
        "pingInterval": Option(30000, is_number(1), "a positive number of milliseconds"),
        "reconnectLimit": Option(5, is_number(0), "a number >= 0"),
        "reconnectDelay": Option(5000, is_number(0), "a number of milliseconds >= 0"),
        "reconnectTimeMultiplier": Option(1, is_number(0), "a number >= 0"),
        "reconnectTimeLimit": Option(640000, is_number(0), "a number of milliseconds >= 0"),
        "autoReconnect": Option(True, is_bool, "a boolean"),
        "maxMissedPings": Option(3, is_number(1), "a number >= 1"),
        "checkConnectivity": Option(False, is_bool, "a boolean"),
    },
    "notifications": {
        "idCacheLength": Option(100, is_number(0), "a number >= 0"),
    },
    "subscription": {
        "channelLifetime": Option(3600, is_number(1), "a positive number of seconds"),
        "timeout": Option(20, is_number(0.001), "a positive number of seconds"),
    },
    "runtime": RUNTIME_SCHEMA,
}
