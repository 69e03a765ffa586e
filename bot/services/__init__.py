"""The use cases, one module per capability: plain values in, typed results or typed errors out.

Listeners parse what Slack sent, call one of these, and render the answer with bot/ui; nothing
here builds Slack text. `container.Services` is what listeners receive by injection.
"""
