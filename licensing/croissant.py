"""A dataset's metadata as MLCommons Croissant 1.0 JSON-LD (no database access here).

Each admitted version is one ``cr:FileObject`` whose ``contentUrl`` is its API download, with
its sha256 and its IPFS CID (as ``sameAs: ipfs://<cid>``, the address anyone can fetch and
verify). The newest version's columns become the fields of one ``cr:RecordSet``.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

from marketplace.downloads import download_filename
from marketplace.models import Dataset, DatasetVersion

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
ENCODING = {"csv": "text/csv", "parquet": "application/x-parquet", "jsonl": "application/jsonlines"}
SPDX_URL = "https://spdx.org/licenses/{}.html"


def _data_type(declared: str) -> str:
    kind = declared.lower()
    if re.search(r"int", kind):
        return "sc:Integer"
    if re.search(r"float|double|decimal|number|real", kind):
        return "sc:Float"
    if "bool" in kind:
        return "sc:Boolean"
    if re.search(r"datetime|timestamp", kind):
        return "sc:DateTime"
    if "date" in kind:
        return "sc:Date"
    return "sc:Text"


def columns_of(version: DatasetVersion, dataset: Dataset) -> list[tuple[str, str]]:
    """(name, type) pairs from the version's inferred schema, else the declared one.

    Accepts the shapes a schema is stored in: a list of ``{"name", "type"}``, a dict with a
    ``"columns"`` list of those, or a plain ``{name: type}`` mapping.
    """
    for schema in (version.schema, dataset.declared_schema):
        if isinstance(schema, dict) and isinstance(schema.get("columns"), list):
            schema = schema["columns"]
        if isinstance(schema, list):
            cols = [
                (str(c["name"]), str(c.get("type") or c.get("dtype") or "string"))
                for c in schema
                if isinstance(c, dict) and c.get("name")
            ]
            if cols:
                return cols
        if isinstance(schema, dict) and schema:
            return [(str(name), str(kind)) for name, kind in schema.items()]
    return []


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "column"


def croissant_document(
    *,
    dataset: Dataset,
    versions: Sequence[DatasetVersion],
    creators: Sequence[str],
    dataset_url: str,
    download_url: Callable[[DatasetVersion], str],
) -> dict[str, Any]:
    """``versions`` are the admitted ones, newest first (at least one)."""
    latest = versions[0]
    files = [
        {
            "@type": "cr:FileObject",
            "@id": f"version-{v.number}",
            "name": download_filename(v),
            "description": f"Version {v.number}, IPFS CID {v.cid}",
            "contentUrl": download_url(v),
            "contentSize": f"{v.size} B",
            "encodingFormat": ENCODING[v.format],
            "sha256": v.sha256,
            "sameAs": [f"ipfs://{v.cid}"],
        }
        for v in versions
    ]
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"records/{_slug(name)}",
            "name": name,
            "dataType": _data_type(kind),
            "source": {
                "fileObject": {"@id": f"version-{latest.number}"},
                "extract": {"column": name},
            },
        }
        for name, kind in columns_of(latest, dataset)
    ]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": dataset.title,
        "description": dataset.description or dataset.title,
        "url": dataset_url,
        "license": SPDX_URL.format(latest.license),
        "version": f"{latest.number}.0.0",
        "datePublished": latest.created_at.date().isoformat(),
        "creator": [{"@type": "sc:Person", "name": name} for name in creators],
        "identifier": latest.cid,
        "distribution": files,
    }
    if fields:
        document["recordSet"] = [
            {
                "@type": "cr:RecordSet",
                "@id": "records",
                "name": "records",
                "description": f"The rows of version {latest.number}.",
                "field": fields,
            }
        ]
    return document
