"""Endpoints that belong to no stage of the flow: the liveness probe."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()


class HealthView(APIView):
    """A trivial endpoint: the baseline in the API benchmark, and a liveness probe."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="health_retrieve", responses={200: HealthSerializer})
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
