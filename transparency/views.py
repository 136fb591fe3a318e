"""The public transparency page: the chain head, its verification, and the latest anchors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from transparency.models import Anchor, ProvenanceRecord
from transparency.services import chain_status


def transparency(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "transparency/transparency.html",
        {
            "status": chain_status(),
            "anchors": Anchor.objects.order_by("-created_at", "-pk")[:20],
            "recent": ProvenanceRecord.objects.order_by("-seq")[:20],
        },
    )
