"""``python -m fake_platform serve --port 8080 [--tls]``: the platform as a standalone server."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import sys
import threading
from typing import Any

from .core.heap import DEFAULT_FREEZE_EVERY, freeze_heap_every
from .platform import Platform
from .state import PlatformConfig

CONTROL_TOKEN_ENV = "KANDY_CONTROL_TOKEN"  # also read by load/control.py
STOP_GRACE = 10.0  # seconds a stop may take after SIGTERM before the process leaves anyway


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fake_platform", description="The emulated Kandy platform")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the platform until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--tls", action="store_true", help="https/wss with a throw-away CA (its file is printed)")
    serve.add_argument("--turn-port", type=int, default=0,
                       help="UDP and TCP port of the TURN relay (0 picks a free one; -1: no relay)")
    serve.add_argument("--seed", type=int, default=None, help="seed every id, token and Faker user")
    serve.add_argument("--domain", default="example.com")
    serve.add_argument("--users", type=int, default=0, help="create N users at start and print them")
    serve.add_argument("--server-ping-interval", type=float, default=30.0)
    serve.add_argument("--no-journal", action="store_true",
                       help="record no requests or frames (the journal costs a little CPU per keepalive)")
    serve.add_argument("--gc-freeze", type=float, default=DEFAULT_FREEZE_EVERY, metavar="SECONDS",
                       help=f"freeze the heap every SECONDS, 0 never (default {DEFAULT_FREEZE_EVERY:g}: full "
                            "collections only when the frozen heap has grown by a quarter; core/heap.py)")
    serve.add_argument("--control-token", default=os.environ.get(CONTROL_TOKEN_ENV),
                       help=f"token the control plane requires (default ${CONTROL_TOKEN_ENV}; made up and printed "
                            "when --host is not loopback)")
    serve.add_argument("--control-origin", action="append", default=[], metavar="ORIGIN",
                       help="a web origin (scheme://host:port) besides its own that may use the control plane")
    serve.add_argument("--control-host", action="append", default=[], metavar="NAME",
                       help="a Host name besides 127.0.0.1/localhost/--host under which the control plane answers")
    serve.add_argument("--contract", action="store_true",
                       help="validate all traffic against the contract; GET /_platform/contract lists violations")
    serve.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help="set a limit of PlatformConfig (README 'Bad input and limits'), e.g. max_history=100")
    serve.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                       help="the event loop (uvloop: pip install 'kandy-emulator[uvloop]')")
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            parser.error("--loop uvloop needs uvloop: pip install 'kandy-emulator[uvloop]'")
        return uvloop.run(_serve(args))
    return asyncio.run(_serve(args))


def _limits(given: list[str]) -> dict[str, Any]:
    """``--limit name=value`` pairs as PlatformConfig fields (numbers only; unknown names refused)."""
    known = {f.name: f.type for f in dataclasses.fields(PlatformConfig)}
    limits: dict[str, Any] = {}
    for item in given:
        name, _, value = item.partition("=")
        if known.get(name) not in ("int", "float"):
            raise SystemExit(f"--limit {item!r}: not a numeric PlatformConfig field")
        try:
            limits[name] = int(value) if known[name] == "int" else float(value)
        except ValueError:
            raise SystemExit(f"--limit {item!r}: {value!r} is not a number") from None
    return limits


def stop_on_signals(stop: asyncio.Event, grace: float = STOP_GRACE) -> None:
    """SIGTERM and SIGINT stop the server, always. The first signal asks the loop to stop (a
    graceful shutdown: sockets closed with 1001); if the process is still there ``grace`` seconds
    later (a handler stuck in a loop, a shutdown that hangs) or a second signal comes, it exits.
    Python-level handlers run between bytecodes even while the loop is busy, where the callbacks of
    ``loop.add_signal_handler`` would wait for a loop that never gets back to them."""
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if received:  # asked twice: leave now
            os._exit(128 + signum)
        received.append(signum)
        loop.call_soon_threadsafe(stop.set)
        watchdog = threading.Timer(grace, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


async def _serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)  # before anything that could take a while: SIGTERM works from the start
    platform = Platform(**_limits(args.limit), host=args.host, port=args.port, tls=args.tls, seed=args.seed,
                        domain=args.domain,
                        turn_port=None if args.turn_port < 0 else args.turn_port,
                        server_ping_interval=args.server_ping_interval, journal=not args.no_journal,
                        control_token=args.control_token or None, control_origins=args.control_origin,
                        control_hosts=args.control_host, contract=args.contract)
    await platform.start()
    freezer = asyncio.create_task(freeze_heap_every(args.gc_freeze)) if args.gc_freeze > 0 else None
    users = [await platform.users.create() for _ in range(args.users)]
    print(json.dumps({
        "url": platform.url, "ws": platform.ws_url, "caFile": platform.ca_file,
        "certificateSpki": platform.certificate_spki,
        "controlPlane": f"{platform.url}/_platform/",
        "controlToken": platform.control_token,
        "turn": platform.relay.urls if platform.relay is not None else [],
        "dashboard": f"{platform.url}/_platform/ui/login?token={platform.control_token}" if platform.control_token
                     else f"{platform.url}/_platform/ui",
        "clientId": platform.state.config.client_id,
        "users": [{"userId": u.user_id, "password": u.password} for u in users],
    }, indent=2), flush=True)
    await stop.wait()
    if freezer is not None:
        freezer.cancel()
    await platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
