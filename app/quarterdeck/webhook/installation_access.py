"""What one installation may reach beyond GitHub: its own Slack bot and its own figure
sources, as the operator mapped them (QUARTERDECK_SLACK_TOKENS, QUARTERDECK_POSTHOG_KEYS,
QUARTERDECK_WAREHOUSE_URLS). Apart from the jobs that use them, so the runtime (a
delivery's Slack thread) and the scheduled jobs (a month's reviews) share one rule
without importing each other."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from quarterdeck.webhook.settings import POSTHOG_KEYS_ENV, WAREHOUSE_URLS_ENV, Settings

if TYPE_CHECKING:
    from quarterdeck.services.team_figures import FigureSources
    from quarterdeck.sources.slack import SlackClient


def installation_slack(settings: Settings, installation_id: int) -> SlackClient | None:
    """The Slack client of one installation's reviews: the bot token the operator mapped
    to it (QUARTERDECK_SLACK_TOKENS), or None (a team's channel then gets a note, not a
    post); never the CLI's QUARTERDECK_SLACK_TOKEN nor another installation's token."""
    _, token = settings.slack_tokens.get(installation_id, ("", None))
    if token is None:
        return None
    from quarterdeck.sources.slack import API_URL_ENV, slack_from_env

    return slack_from_env(
        {
            "QUARTERDECK_SLACK_TOKEN": token.get_secret_value(),
            API_URL_ENV: os.environ.get(API_URL_ENV, ""),
        }
    )


def installation_figures(settings: Settings, installation_id: int) -> FigureSources:
    """The metric sources of one installation's reviews: PostHog with the key the
    operator mapped to it (QUARTERDECK_POSTHOG_KEYS), or none, so its PostHog figures
    are unavailable; never the operator's POSTHOG_PERSONAL_API_KEY nor another
    installation's key. Queries go only where the operator's host settings allow.
    `sql:` metrics likewise query only the warehouse URL mapped to the installation
    (QUARTERDECK_WAREHOUSE_URLS), whatever variable its config's `url_env` names."""
    from quarterdeck.core.outbound_policy import PostHogAccess
    from quarterdeck.services.team_figures import FigureSources, WarehouseAccess

    variable, key = settings.posthog_keys.get(installation_id, ("", None))
    access = PostHogAccess(
        key.get_secret_value() if key is not None else None,
        key_source=variable,
        no_key=(
            f"PostHog figures are off for this installation ({installation_id}): the App's "
            f"operator gives each installation its own key in {POSTHOG_KEYS_ENV}"
        ),
        policy=settings.posthog_policy,
    )
    variable, url = settings.warehouse_urls.get(installation_id, ("", None))
    database = WarehouseAccess(
        url.get_secret_value() if url is not None else None,
        url_source=variable,
        no_url=(
            f"SQL figures are off for this installation ({installation_id}): the App's "
            f"operator gives each installation its own warehouse URL in {WAREHOUSE_URLS_ENV}"
        ),
    )
    # Nothing of the App's own environment: only what the operator mapped to this one.
    return FigureSources(env={}, posthog=access, warehouse=database)
