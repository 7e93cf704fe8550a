"""Link / CallMe subscriptions (anonymous and user) and their websockets (link-callme-wire §3, §4)."""
