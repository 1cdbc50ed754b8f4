"""Plain HTML pages shown to a browser coming back from Ponto."""

from __future__ import annotations

from html import escape

from bot.formatting import iban
from worker.activation import Activation, ActivationError, Problem

STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0}main{max-width:640px;margin:3rem auto;"
    "background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #eee}a.button{display:inline-block;"
    "background:#4a154b;color:#fff;padding:.6rem 1rem;border-radius:4px;text-decoration:none}"
)

AGAIN = "Go back to Slack and type <code>/ponto activate</code> to get a new link."
PROBLEMS = {
    Problem.DENIED: ("Nothing was connected", "The request was declined at Ponto, so no account was linked. " + AGAIN),
    Problem.MISSING: (
        "This link is incomplete",
        "The address has no authorization code or state, so it cannot "
        "be used; it may have been cut when copied. " + AGAIN,
    ),
    Problem.UNKNOWN_STATE: (
        "This link is not valid",
        "We do not know this connection request: the address may "
        "have been altered or copied incompletely. Nothing was connected. " + AGAIN,
    ),
    Problem.USED_STATE: (
        "This link was already used",
        "Each connection link works once. If the first attempt "
        "succeeded, the accounts are already in your finance channel; otherwise: " + AGAIN,
    ),
    Problem.EXPIRED_STATE: (
        "This link has expired",
        "Connection links work for 10 minutes. Nothing was connected. " + AGAIN,
    ),
    Problem.PONTO_FAILED: (
        "Ponto did not complete the connection",
        "Ponto could not be reached or refused the "
        "request, so nothing was stored. Wait a minute, then " + AGAIN[0].lower() + AGAIN[1:],
    ),
}


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width'><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def activation_failed(error: ActivationError) -> str:
    title, text = PROBLEMS[error.problem]
    return page(title, f"<p>{text}</p>")


def activation_done(activation: Activation, slack_url: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(a.name)}</td><td>{escape(iban(a.iban))}</td><td>{escape(a.currency)}</td></tr>"
        for a in activation.accounts
    )
    organization = escape(activation.organization_name or "your organization")
    table = (
        f"<table><tr><th>Account</th><th>IBAN</th><th>Currency</th></tr>{rows}</table>"
        if rows
        else "<p>No account was shared. Run <code>/ponto activate</code> again to choose accounts.</p>"
    )
    return page(
        "Ponto is connected",
        f"<p>{len(activation.accounts)} account(s) of <b>{organization}</b> are now linked:</p>{table}"
        f"<p>An overview is being posted to <b>{escape(activation.channel)}</b> in Slack.</p>"
        f"<p><a class='button' href='{escape(slack_url, quote=True)}'>Back to Slack</a></p>",
    )
