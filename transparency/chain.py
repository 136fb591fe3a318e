"""Pure hashing rules of the provenance chain: canonical JSON and the link hash.

Kept free of the database so that anyone can re-implement and check them from the export.
"""

import hashlib
import json
from datetime import datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_body(
    *, seq: int, kind: str, subject: str, payload: Any, created_at: datetime
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": kind,
        "subject": subject,
        "payload": payload,
        "created_at": created_at.isoformat(),
    }


def link_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
