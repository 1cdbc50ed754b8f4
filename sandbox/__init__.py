"""Local stand-ins for Ponto Connect and for a Slack workspace.

They import nothing of the app, so they are an honest double: the app talks to them over
HTTP exactly as it talks to the real services.
"""
