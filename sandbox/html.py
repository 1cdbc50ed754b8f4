"""A tiny HTML page helper shared by the stand-ins."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f4f4f6;color:#1d1c1d}
main{max-width:760px;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #bbb;
background:#fff;cursor:pointer}button.primary{background:#007a5a;color:#fff;border-color:#007a5a}
button.danger{background:#e01e5a;color:#fff;border-color:#e01e5a}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee}
.muted{color:#616061;font-size:.9rem}
"""


def page(title: str, body: str, *, extra_style: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{escape(title)}</title>"
        f"<style>{STYLE}{extra_style}</style></head><body>{body}</body></html>"
    )


def mount_url(request: Any) -> str:
    """The absolute URL where this (mounted) stand-in lives, e.g. http://host/sandbox/slack."""
    return str(request.url.replace(path=request.scope.get("root_path", ""), query="", fragment="")).rstrip("/")


def decision_buttons(approve: str = "Approve", deny: str = "Deny") -> str:
    return (
        f"<p><button class='primary' type='submit' name='decision' value='approve'>{approve}</button> "
        f"<button type='submit' name='decision' value='deny'>{deny}</button></p>"
    )


def redirect_to(uri: str, query: dict[str, str]) -> RedirectResponse:
    """303 to `uri` with `query` added to what it already has."""
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{urlencode(query)}", status_code=303)
