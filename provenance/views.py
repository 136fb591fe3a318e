"""Web pages: models (list, register, detail with runs), runs, members' provenance, and the
public JSON the lineage picture reads (the same answer as ``GET /api/v1/lineage/``)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from rest_framework.exceptions import APIException

from core.api import exception_handler
from core.errors import ApplicationError
from marketplace import selectors as market
from provenance import selectors, services
from provenance.api.views import lineage_from_query
from provenance.forms import ModelForm
from provenance.models import Model, TrainingRun


def model_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.models_all(), 20).get_page(request.GET.get("page"))
    return render(request, "provenance/model_list.html", {"page": page})


@login_required
def model_new(request: HttpRequest) -> HttpResponse:
    form = ModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and isinstance(request.user, User):
        try:
            model = services.model_create(owner=request.user, **form.cleaned_data)
        except services.ProvenanceRejected as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Model “{model.name}” registered.")
            return redirect("provenance:model", model.pk)
    return render(request, "provenance/model_new.html", {"form": form})


def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    model = Model.objects.select_related("owner").filter(pk=model_id).first()
    if model is None:
        raise Http404("No such model.")
    runs = list(selectors.runs_of(model))
    dataset_ids = {use.version.dataset_id for run in runs for use in run.inputs.all()}
    return render(
        request,
        "provenance/model_detail.html",
        {
            "model": model,
            "runs": runs,
            "contributors": selectors.contributors_by_dataset(dataset_ids),
            "is_owner": request.user.is_authenticated and request.user.pk == model.owner_id,
        },
    )


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = TrainingRun.objects.select_related("model", "recorded_by").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    inputs = list(run.inputs.select_related("version__dataset").order_by("version_id"))
    return render(
        request,
        "provenance/run_detail.html",
        {
            "run": run,
            "inputs": inputs,
            "contributors": selectors.contributors_by_dataset(
                use.version.dataset_id for use in inputs
            ),
        },
    )


def member_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if member is None:
        raise Http404("No such member.")
    datasets = market.catalogue_datasets().filter(memberships__user=member)
    return render(
        request,
        "provenance/member_detail.html",
        {
            "member": member,
            "datasets": datasets[:50],
            "models": Model.objects.filter(owner=member).order_by("-created_at")[:50],
        },
    )


def lineage_json(request: HttpRequest) -> JsonResponse:
    """Lineage is public (the cooperative's promise); the API needs a token, this does not."""
    try:
        answer = lineage_from_query(request.GET, request.user)
    except (APIException, ApplicationError) as exc:
        # The API's own mapping, so the picture reads the same errors as API clients.
        response = exception_handler(exc, {})
        assert response is not None  # noqa: S101 (it maps every error of these kinds)
        return JsonResponse({"detail": response.data["detail"]}, status=response.status_code)
    return JsonResponse(answer)
