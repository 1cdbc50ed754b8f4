"""manifest.yml is valid for Slack and agrees with the routes and scopes the code uses."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.app import BOT_SCOPES
from tests.conftest import ROOT, SHARED_FIXTURES


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def _validator() -> jsonschema.Draft7Validator:
    """Slack's dispatcher schema, its remote v1 reference resolved to our local copy (no network)."""
    dispatcher = json.loads((SHARED_FIXTURES / "slack" / "manifest.schema.json").read_text(encoding="utf-8"))
    v1 = json.loads((ROOT / "tests" / "data" / "slack-manifest.schema.1.0.0.json").read_text(encoding="utf-8"))
    v1_url = next(
        part["$ref"] for branch in dispatcher["oneOf"] for part in branch["allOf"] if "1.0.0" in part.get("$ref", "")
    )

    def retrieve(uri: str) -> Resource:
        if uri == v1_url:
            return Resource.from_contents(v1, default_specification=DRAFT7)
        if "2.0.0" in uri:  # no local copy: our manifest is v1, so the v2 branch must not match anyway
            return Resource.from_contents(False, default_specification=DRAFT7)
        raise LookupError(f"no local copy of {uri}")

    return jsonschema.Draft7Validator(dispatcher, registry=Registry(retrieve=retrieve))


def test_manifest_validates_against_slacks_schema() -> None:
    _validator().validate(_manifest())


@pytest.mark.parametrize(
    "breakage",
    ["unknown_key", "long_name", "command_without_slash"],
)
def test_a_broken_manifest_is_caught(breakage: str) -> None:
    """The schema check can fail."""
    broken = _manifest()
    if breakage == "unknown_key":
        broken["settings"]["interactivity"]["is_enabledd"] = True
    elif breakage == "long_name":
        broken["display_information"]["name"] = "x" * 36
    else:
        broken["features"]["slash_commands"][0]["command"] = "ponto"
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(broken)


def test_manifest_points_everything_at_our_routes_and_asks_our_scopes() -> None:
    manifest = _manifest()
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/ponto" and command["url"].endswith("/slack/events")
    settings = manifest["settings"]
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_usage_hint_names_every_command() -> None:
    from bot.handlers import KNOWN

    (command,) = _manifest()["features"]["slash_commands"]
    named = {part.strip().split(" ")[0] for part in command["usage_hint"].split("|")}
    assert named == set(KNOWN)
