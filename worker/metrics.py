"""What the processes count and time, for Prometheus (served at /metrics by `web.metrics`).

With PROMETHEUS_MULTIPROC_DIR set (before start), every process of the host writes its figures there
and /metrics adds them up; without it, each process reports its own.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from ponto import PontoError, PontoRateLimited, PontoServerError, PontoTransportError, ReconnectRequired

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

SYNCS = Counter("ponto_slack_syncs", "Syncs of a Ponto connection, by result", ["result"])
SYNC_SECONDS = Histogram("ponto_slack_sync_seconds", "How long a sync of one connection took", buckets=SECONDS)
TRANSACTIONS = Counter("ponto_slack_transactions_stored", "New bank lines stored")
MATCHES = Counter("ponto_slack_matches", "What the matcher decided for new lines, by decision", ["decision"])
PONTO_ERRORS = Counter("ponto_slack_ponto_errors", "Syncs that Ponto failed, by kind", ["kind"])
SLACK_ERRORS = Counter("ponto_slack_slack_errors", "Slack calls of the notifier that failed, by error", ["kind"])
DELIVERY_SECONDS = Histogram(
    "ponto_slack_delivery_seconds", "From a message queued to it posted in Slack", buckets=SECONDS
)
ACK_SECONDS = Histogram("ponto_slack_ack_seconds", "How long Slack waited for our answer", buckets=SECONDS)


def ponto_error_kind(error: PontoError) -> str:
    if isinstance(error, ReconnectRequired):
        return "reconnect_required"
    if isinstance(error, PontoRateLimited):
        return "rate_limited"
    if isinstance(error, PontoServerError):
        return "server_error"
    if isinstance(error, PontoTransportError):
        return "network"
    return type(error).__name__
