"""REST endpoints: a version's quality report, and a dataset's rules."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors as market
from quality import selectors, services
from quality.api.serializers import ReportSerializer, RulesInputSerializer, RulesOutputSerializer


def _rules_payload(dataset: Any, stored: Any) -> dict[str, Any]:
    return {
        "dataset": dataset.pk,
        "revision": stored.revision,
        "rules": stored.rules,
        "declared_schema": dataset.declared_schema,
    }


class VersionQualityApi(APIView):
    @extend_schema(responses=ReportSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        version = market.version_for(request.user, version_id)
        if version is None:
            raise Http404("No such version.")
        report = selectors.report_latest(version)
        if report is None:
            raise Http404(f"Version {version.pk} has not been checked yet ({version.status}).")
        full = request.query_params.get("include") == "gx_result"
        return Response(selectors.report_as_dict(version, report, include_gx_result=full))


class VersionRecheckApi(APIView):
    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, version_id: int) -> Response:
        version = market.version_for(request.user, version_id)
        if version is None:
            raise Http404("No such version.")
        services.check_rerun(user=request.user, version=version)  # type: ignore[arg-type]
        return Response({"detail": "Queued for a new quality check."}, status.HTTP_202_ACCEPTED)


class DatasetRulesApi(APIView):
    @extend_schema(responses=RulesOutputSerializer)
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = market.dataset_for(request.user, dataset_id)
        if dataset is None:
            raise Http404("No such dataset.")
        return Response(_rules_payload(dataset, services.rules_for(dataset)))

    @extend_schema(request=RulesInputSerializer, responses=RulesOutputSerializer)
    def put(self, request: Request, dataset_id: int) -> Response:
        dataset = market.dataset_for(request.user, dataset_id)
        if dataset is None:
            raise Http404("No such dataset.")
        if not isinstance(request.data, dict) or "rules" not in request.data:
            raise ValidationError({"rules": ["Send the complete list of rules as `rules`."]})
        kwargs: dict[str, Any] = {"rules": request.data["rules"]}
        if "declared_schema" in request.data:
            kwargs["declared_schema"] = request.data["declared_schema"]
        stored = services.rules_set(user=request.user, dataset=dataset, **kwargs)  # type: ignore[arg-type]
        return Response(_rules_payload(dataset, stored))
