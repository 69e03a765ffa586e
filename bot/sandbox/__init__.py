"""`python -m bot sandbox`: Outpost in the browser, with no Slack workspace and no AWS account.

One process runs a moto server seeded with an organization and IAM Identity Center, a local
stand-in for Slack (the same emulated Web API the tests use) with a web page to use it, and the
real bot in HTTP mode between them. Nothing here is used by Outpost in production.
"""
