"""Background work: the durable operation runner and the Slack outbox worker."""
