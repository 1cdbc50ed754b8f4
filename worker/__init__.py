"""Background and connection jobs: activation, sync, matching, queueing. Never imports Slack or Starlette."""
