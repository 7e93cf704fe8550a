"""Push: device registrations (link-callme-wire §6) and an emulated APNs / FCM outbox."""
