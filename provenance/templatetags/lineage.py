"""``{% lineage_graph "dataset" dataset.pk %}``: the interactive lineage picture of a node.

Other apps' pages (the dataset page) include it with one line, without importing this app.
"""

from typing import Any

from django import template
from django.urls import reverse

from provenance.selectors import DEFAULT_DEPTH, max_depth

register = template.Library()


@register.inclusion_tag("provenance/_lineage.html")
def lineage_graph(node_type: str, node_id: int, depth: int = 3) -> dict[str, Any]:
    limit = max_depth()
    return {
        "node": f"{node_type}:{node_id}",
        "depth": min(depth, limit),
        "max_depth": min(limit, DEFAULT_DEPTH),
        "json_url": reverse("provenance:lineage-json"),
    }


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    """``{{ by_dataset|get_item:id }}``: a dict lookup by a variable key."""
    return mapping.get(key, [])
