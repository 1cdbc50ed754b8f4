"""Invoice messages: marked paid (with Undo), the question with a button per candidate, lists."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..formatting import escape_mrkdwn, money

Message = tuple[str, list[dict[str, Any]]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _line(line: dict[str, Any], locale: str) -> str:
    when = date.fromisoformat(line["execution_date"]).strftime("%d %b %Y") if line.get("execution_date") else ""
    who = escape_mrkdwn(line.get("counterpart") or "unknown")
    text = escape_mrkdwn((line.get("remittance") or "")[:140])
    return f"{money(line['amount'], line['currency'], locale)} from {who} on {when}" + (f" · _{text}_" if text else "")


def invoice_paid(payload: dict[str, Any], locale: str) -> Message:
    invoices = payload["invoices"]
    numbers = ", ".join(i["number"] for i in invoices)
    title = f"Invoice {numbers} marked paid" if len(invoices) == 1 else f"Invoices {numbers} marked paid"
    rows = []
    for i in invoices:
        rest = f" · *{money(i['remaining'], i['currency'], locale)} remains open*" if i["remaining"] else ""
        rows.append(
            f"*{escape_mrkdwn(i['number'])}* {escape_mrkdwn(i.get('customer') or '')}: "
            f"{money(i['applied'] or i['amount'], i['currency'], locale)} of "
            f"{money(i['amount'], i['currency'], locale)}{rest}"
        )
    how = "; ".join(payload.get("how") or [])
    text = f"{title}: {_line(payload['line'], locale)}"
    blocks = [
        _section(f":white_check_mark: *{escape_mrkdwn(title)}*\n" + "\n".join(rows)),
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Bank line: {_line(payload['line'], locale)}"},
                {"type": "mrkdwn", "text": f"How: {escape_mrkdwn(how)[:500]}"},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "match_undo",
                    "value": str(payload["match_id"]),
                    "text": {"type": "plain_text", "text": "Undo"},
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Undo this?"},
                        "text": {
                            "type": "plain_text",
                            "text": f"{numbers[:200]} will be open again and the payment asked about.",
                        },
                        "confirm": {"type": "plain_text", "text": "Undo"},
                        "deny": {"type": "plain_text", "text": "Keep"},
                    },
                }
            ],
        },
    ]
    return text, blocks


def match_question(payload: dict[str, Any], locale: str) -> Message:
    line = _line(payload["line"], locale)
    if payload.get("settled"):
        text = f"Payment {line}: {payload['settled']}"
        return text, [_section(f":ballot_box_with_check: {escape_mrkdwn(text)}")]
    buttons = []
    listing = []
    for n, c in enumerate(payload["candidates"][:3]):
        label = f"{c['number']} ({money(c['remaining'], c['currency'], locale)})"[:75]
        listing.append(
            f"• *{escape_mrkdwn(c['number'])}* {escape_mrkdwn(c.get('customer') or '')}: "
            f"{money(c['remaining'], c['currency'], locale)} open"
        )
        buttons.append(
            {
                "type": "button",
                "action_id": f"match_pick_{n}",
                "value": f"{payload['match_id']}:{c['number']}"[:2000],
                "text": {"type": "plain_text", "text": label},
                **({"style": "primary"} if n == 0 else {}),
                "confirm": {
                    "title": {"type": "plain_text", "text": "Mark paid?"},
                    "text": {
                        "type": "plain_text",
                        "text": f"Invoice {c['number']} will be marked paid with this payment."[:300],
                    },
                    "confirm": {"type": "plain_text", "text": "Mark paid"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        )
    buttons.append(
        {
            "type": "button",
            "action_id": "match_pick_none",
            "value": f"{payload['match_id']}:none",
            "text": {"type": "plain_text", "text": "Not an invoice payment"},
            "confirm": {
                "title": {"type": "plain_text", "text": "Not an invoice payment?"},
                "text": {"type": "plain_text", "text": "No invoice will be marked paid for this payment."},
                "confirm": {"type": "plain_text", "text": "Confirm"},
                "deny": {"type": "plain_text", "text": "Cancel"},
            },
        }
    )
    text = f"Which invoice does this pay? {line}"
    why = "; ".join(payload.get("reasons") or [])[:500]
    return text, [
        _section(f":question: *Which invoice does this payment settle?*\n{line}"),
        _section("\n".join(listing) or "No open invoice fits well."),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Why asked: {escape_mrkdwn(why) or '-'}"}]},
        {"type": "actions", "block_id": f"match:{payload['match_id']}", "elements": buttons},
    ]


def open_invoices(rows: list[dict[str, Any]], locale: str) -> Message:
    if not rows:
        return "No open invoices.", [_section("No open invoices.")]
    totals: dict[str, int] = {}
    lines = []
    for r in rows[:40]:
        totals[r["currency"]] = totals.get(r["currency"], 0) + r["remaining"]
        due = f" due {date.fromisoformat(r['due_date']).strftime('%d %b')}" if r.get("due_date") else ""
        lines.append(
            f"• *{escape_mrkdwn(r['number'])}* {escape_mrkdwn(r.get('customer') or '')}: "
            f"{money(r['remaining'], r['currency'], locale)}{due}"
        )
    for r in rows[40:]:
        totals[r["currency"]] = totals.get(r["currency"], 0) + r["remaining"]
    total = " · ".join(money(v, c, locale) for c, v in sorted(totals.items()))
    more = f"\n…and {len(rows) - 40} more" if len(rows) > 40 else ""
    text = f"{len(rows)} open invoices, total {total}"
    return text, [_section(f"*{text}*"), _section("\n".join(lines)[:2900] + more)]


def unmatched(rows: list[dict[str, Any]], locale: str) -> Message:
    if not rows:
        return "No payment waits for a decision.", [_section("No payment waits for a decision.")]
    lines = [f"• {_line(r, locale)} → {', '.join(r['candidates']) or 'no candidate'}" for r in rows[:30]]
    text = f"{len(rows)} payments wait for a decision (answer the questions in the channel)"
    return text, [_section(f"*{text}*"), _section("\n".join(lines)[:2900])]
