"""Slack-facing plumbing of the bot: the outbox delivery worker and the narrator."""
