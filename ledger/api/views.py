"""REST endpoints of the books: the signed-in member's roles and balances, and the curators'
credit top-ups."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import acting_user
from accounts.selectors import is_curator, member_by_id
from accounts.services import member_for
from core.api import errors
from ledger import services as ledger
from ledger.api.serializers import CreditInputSerializer, CreditSerializer, MeSerializer
from ledger.models import DEFAULT_CURRENCY
from ledger.selectors import member_balances


class MeView(APIView):
    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer, **errors(401)})
    def get(self, request: Request) -> Response:
        member = member_for(acting_user(request))
        balances = member_balances(acting_user(request))
        return Response(
            {
                "id": acting_user(request).pk,
                "username": acting_user(request).get_username(),
                "roles": member.roles,
                "balance": balances[DEFAULT_CURRENCY],
                "currency": DEFAULT_CURRENCY,
                "balances": balances,
            }
        )


class MemberCreditsView(APIView):
    @extend_schema(
        operation_id="members_credits_create",
        request=CreditInputSerializer,
        responses={201: CreditSerializer, **errors(400, 401, 403, 404)},
        description="Curators top up a member's cooperative credit; recorded in the ledger.",
    )
    def post(self, request: Request, member_id: int) -> Response:
        if not is_curator(acting_user(request)):
            raise PermissionDenied("Only curators can top up credits.")
        member = member_by_id(member_id)
        if member is None:
            raise NotFound("No such member.")
        data = CreditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        top_up = ledger.credits_top_up(
            curator=acting_user(request),
            member=member,
            amount=v["amount"],
            currency=v["currency"],
            note=v["note"],
        )
        return Response(
            {
                "member": member.pk,
                "amount": v["amount"],
                "currency": v["currency"],
                "balance": top_up.balance,
                "transaction": top_up.transaction.pk,
            },
            status=status.HTTP_201_CREATED,
        )
