"""Web pages: contributors set their datasets' offers; curators top up members' credits."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.auth import AuthenticatedHttpRequest
from accounts.selectors import is_curator
from ledger import services as ledger
from ledger.models import Currency, LedgerTransaction, TransactionKind
from ledger.selectors import treasury_balance
from licensing import selectors, services
from licensing.forms import CreditForm, OfferForm
from licensing.models import LicenseOffer
from marketplace.models import VersionStatus
from marketplace.selectors import datasets_of, is_contributor_of


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    datasets = datasets_of(request.user).prefetch_related("offers")
    return render(
        request,
        "licensing/index.html",
        {"datasets": datasets, "is_curator": is_curator(request.user)},
    )


@login_required
def offers(request: AuthenticatedHttpRequest, dataset_id: int) -> HttpResponse:
    dataset = selectors.owned_dataset(request.user, dataset_id)
    if dataset is None:
        raise Http404("No such dataset of yours.")
    form = OfferForm(request.POST or None, dataset=dataset)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.offer_create(
                    user=request.user,
                    dataset=dataset,
                    license=data["license"],
                    use=data["use"],
                    price=data["price"],
                    currency=data["currency"],
                    duration_days=data["duration_days"],
                    version_ids=[v.pk for v in data["versions"]],
                )
            except services.OfferRejected as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                messages.success(request, "Offer published.")
                return redirect("licensing:offers", dataset_id=dataset.pk)
        status = 400
    return render(
        request,
        "licensing/offers.html",
        {
            "dataset": dataset,
            "offers": selectors.dataset_offers(dataset),
            "form": form,
            "has_admitted": dataset.versions.filter(status=VersionStatus.ADMITTED).exists(),
        },
        status=status,
    )


@login_required
@require_POST
def offer_withdraw(request: AuthenticatedHttpRequest, offer_id: int) -> HttpResponse:
    offer = get_object_or_404(LicenseOffer, pk=offer_id)
    if not is_contributor_of(request.user, offer.dataset_id):
        raise Http404("No such offer of yours.")
    services.offer_withdraw(user=request.user, offer=offer)
    messages.info(request, "Offer withdrawn. Grants already bought stay valid.")
    return redirect("licensing:offers", dataset_id=offer.dataset_id)


@login_required
def credits(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not is_curator(request.user):
        raise PermissionDenied("Only curators can top up credits.")
    form = CreditForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            top_up = ledger.credits_top_up(
                curator=request.user,
                member=data["username"],
                amount=data["amount"],
                currency=data["currency"],
                note=data["note"],
            )
            messages.success(
                request,
                f"Added {data['amount']} {data['currency']} minor units to "
                f"{data['username'].get_username()}; balance now {top_up.balance}.",
            )
            return redirect("licensing:credits")
        status = 400
    recent = (
        LedgerTransaction.objects.filter(kind=TransactionKind.TOP_UP)
        .select_related("created_by")
        .prefetch_related("entries__account__user")
        .order_by("-id")[:20]
    )
    return render(
        request,
        "licensing/credits.html",
        {
            "form": form,
            "recent": recent,
            "treasury": {c: treasury_balance(c) for c in Currency.values},
        },
        status=status,
    )
