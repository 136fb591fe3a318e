"""Template tags the marketplace pages use to show quality without their views knowing about
it: a report card on the version page and a badge per version on the dataset page."""

from typing import Any

from django import template

from marketplace.models import DatasetVersion
from marketplace.selectors import can_see_unadmitted, is_contributor_of
from quality import selectors

register = template.Library()


@register.inclusion_tag("quality/_report_card.html", takes_context=True)
def quality_report_card(context: dict[str, Any], version: DatasetVersion) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    latest = selectors.report_latest(version)
    return {
        "version": version,
        "report": selectors.report_as_dict(version, latest) if latest else None,
        "is_owner": user is not None and is_contributor_of(user, version.dataset_id),
        "can_see": user is not None and can_see_unadmitted(user, version.dataset_id),
    }


@register.simple_tag
def quality_badges(versions: Any) -> dict[int, dict[str, Any]]:
    """``{% quality_badges versions as qb %}``: one lookup for the whole list."""
    return selectors.badges_for(list(versions))


@register.inclusion_tag("quality/_badge.html")
def quality_badge(badges: dict[int, dict[str, Any]], version: DatasetVersion) -> dict[str, Any]:
    return {"version": version, "badge": badges.get(version.pk)}
