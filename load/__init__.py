"""Locust load tests of the notification channels (reconnect, keepalive) against the emulated platform.

Layout (only ``users``, ``locustfile*`` import locust; everything else is plain Python that the
runner, the checks, the benchmark and pytest may import without gevent's monkey-patching):

* ``metrics``   samples handed from the SDK's loop thread to the gevent side (a thread-safe deque);
* ``client``    one load user's SDK client: subscribe, hold the channel, turn ChannelEvents into samples;
* ``control``   the platform's control plane (sync, for the fault driver; async, for probes);
* ``scenarios`` fault schedules (storms, keepalive blackouts, refused reconnects, latency) and their driver;
* ``users``     the Locust glue: user classes, the drain greenlet, the fault hook;
* ``checks``    verdicts on a finished run (Locust CSV + samples + fault timeline);
* ``plot``      the PNG of reconnect times over the run;
* ``run``       orchestration: standalone platform, headless or distributed Locust, plot, checks.
"""
