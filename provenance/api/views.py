"""REST endpoints: models, training runs, lineage, OpenLineage ingestion and the PROV export.
Each view checks its input, calls one service or selector, and shapes the answer."""

import json
from typing import Any

from django.db.models import Prefetch
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, renderers, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import acting_user
from accounts.authentication import HashedTokenAuthentication
from core.api import FirstRendererNegotiation
from marketplace.models import DatasetVersion
from provenance import selectors, services
from provenance.api.serializers import (
    LineageQuerySerializer,
    LineageSerializer,
    ModelInputSerializer,
    ModelSerializer,
    OpenLineageResultSerializer,
    RunInputSerializer,
    RunSerializer,
)
from provenance.export import prov_json
from provenance.lineage import Node
from provenance.models import Model, TrainingRun, TrainingRunInput
from provenance.openlineage import parse_run_event


def _model_with_runs(model_id: int) -> Model:
    inputs = TrainingRunInput.objects.select_related("version").order_by("version_id")
    runs = TrainingRun.objects.prefetch_related(Prefetch("inputs", queryset=inputs)).order_by(
        "-started_at", "-pk"
    )
    model = (
        Model.objects.select_related("owner")
        .prefetch_related(Prefetch("runs", queryset=runs))
        .filter(pk=model_id)
        .first()
    )
    if model is None:
        raise NotFound(f"No model {model_id}.")
    return model


class ModelCreateView(APIView):
    @extend_schema(
        operation_id="models_create", request=ModelInputSerializer, responses={201: ModelSerializer}
    )
    def post(self, request: Request) -> Response:
        data = ModelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = services.model_create(owner=acting_user(request), **data.validated_data)
        return Response(
            ModelSerializer(_model_with_runs(model.pk)).data, status=status.HTTP_201_CREATED
        )


class ModelDetailView(APIView):
    @extend_schema(operation_id="models_retrieve", responses={200: ModelSerializer})
    def get(self, request: Request, model_id: int) -> Response:
        return Response(ModelSerializer(_model_with_runs(model_id)).data)


class TrainingRunCreateView(APIView):
    @extend_schema(
        operation_id="models_training_runs_create",
        request=RunInputSerializer,
        responses={201: RunSerializer},
    )
    def post(self, request: Request, model_id: int) -> Response:
        model = Model.objects.filter(pk=model_id).first()
        if model is None:
            raise NotFound(f"No model {model_id}.")
        data = RunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        ids = [item["version"] for item in v["used"]]
        found = DatasetVersion.objects.select_related("dataset").in_bulk(ids)
        unknown = [str(i) for i in ids if i not in found]
        if unknown:
            raise services.ProvenanceRejected(
                f"Unknown version(s): {', '.join(unknown)}.", field="used"
            )
        run = services.training_run_record(
            user=acting_user(request),
            model=model,
            started_at=v["started_at"],
            ended_at=v["ended_at"],
            parameters=v["parameters"],
            used=[
                services.RunInputSpec(
                    found[item["version"]],
                    weight=item.get("weight"),
                    rows_used=item.get("rows_used"),
                )
                for item in v["used"]
            ],
        )
        run = TrainingRun.objects.prefetch_related("inputs__version").filter(pk=run.pk).get()
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


def lineage_from_query(query: Any, user: Any) -> dict[str, Any]:
    """Shared by the API and the public page's JSON: validate, clamp, walk."""
    params = LineageQuerySerializer(data=query)
    params.is_valid(raise_exception=True)
    v = params.validated_data
    node_type, node_id = selectors.parse_node(v["node"])
    if not selectors.node_exists(user, node_type, node_id):
        raise selectors.NodeInvalid(
            f"No {node_type} {node_id} in the provenance graph.", missing=True
        )
    limit = selectors.max_depth()
    depth = v.get("depth", min(selectors.DEFAULT_DEPTH, limit))
    notice = None
    if depth > limit:
        notice = f"depth {depth} is above the maximum of {limit}; the answer goes {limit} deep."
        depth = limit
    return selectors.lineage_answer(
        root_type=node_type,
        root_id=node_id,
        direction=v["direction"],
        depth=depth,
        as_of=v.get("as_of"),
        notice=notice,
        visibility=selectors.visibility_for(user),
    )


class LineageView(APIView):
    @extend_schema(
        operation_id="lineage_retrieve",
        parameters=[LineageQuerySerializer],
        responses={200: LineageSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(lineage_from_query(request.query_params, request.user))


class BearerTokenAuthentication(HashedTokenAuthentication):
    """OpenLineage clients send their API key as ``Authorization: Bearer <key>`` (the
    ``api_key`` auth of the HTTP transport); accept the cooperative's tokens that way too."""

    keyword = "Bearer"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerTokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The same API token, sent as OpenLineage clients do: "
            '"Authorization: Bearer <key>".',
        }


class OpenLineageView(APIView):
    parser_classes = [parsers.JSONParser]
    authentication_classes = [
        HashedTokenAuthentication,
        BearerTokenAuthentication,
        SessionAuthentication,
    ]

    @extend_schema(
        operation_id="lineage_openlineage_create",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenLineageResultSerializer, 200: OpenLineageResultSerializer},
        description="Accepts an OpenLineage RunEvent. COMPLETE events record training runs "
        "(output namespace `model`) and derivations (output namespace `ipfs`).",
    )
    def post(self, request: Request) -> Response:
        event = parse_run_event(request.data)
        result = services.openlineage_ingest(user=acting_user(request), event=event)
        body = {
            "event_type": result.event_type,
            "recorded": result.recorded,
            "runs": [run.pk for run in result.runs],
            "derivations": result.derivations,
        }
        return Response(
            OpenLineageResultSerializer(body).data,
            status=status.HTTP_201_CREATED if result.recorded else status.HTTP_200_OK,
        )


class ProvJsonRenderer(renderers.BaseRenderer):
    """Passes the PROV-JSON text through; errors (dicts) are rendered as JSON."""

    media_type = "application/json"
    format = "prov-json"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["prov-json"], default="prov-json")
    root = serializers.CharField(required=False, max_length=60)  # type: ignore[assignment]  # the JSON key shadows a Field attribute in the stubs
    depth = serializers.IntegerField(required=False, min_value=0)


class ProvExportView(APIView):
    renderer_classes = [ProvJsonRenderer]
    # ``?format=`` names the export format here, not a DRF renderer: always use ours.
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="provenance_export",
        parameters=[
            OpenApiParameter("format", str, enum=["prov-json"]),
            OpenApiParameter("root", str, description="<type>:<id>; omit for the whole graph"),
            OpenApiParameter("depth", int, description="hops around the root (default 20)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        params = ExportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        nodes: set[Node] | None = None
        if "root" in params.validated_data:
            query = {"node": params.validated_data["root"], "direction": "both"}
            if "depth" in params.validated_data:
                query["depth"] = params.validated_data["depth"]
            answer = lineage_from_query(query, request.user)
            nodes = {selectors.parse_node(node["id"]) for node in answer["nodes"]}
        return Response(
            prov_json(nodes=nodes, visibility=selectors.visibility_for(request.user)),
            content_type="application/json",
        )
