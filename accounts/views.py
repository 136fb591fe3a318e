"""Web views for members: sign-up, profile with roles and API tokens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.auth import AuthenticatedHttpRequest
from accounts.forms import RolesForm, SignupForm, TokenForm
from accounts.models import ApiToken
from accounts.services import member_create, member_for, token_create, token_revoke


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = member_create(
            username=data["username"],
            password=data["password1"],
            email=data.get("email", ""),
            display_name=data.get("display_name", ""),
            is_contributor=data["is_contributor"],
            is_buyer=data["is_buyer"],
        )
        login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to the cooperative, {member}.")
        return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = member_for(request.user)
    roles_form = RolesForm(request.POST or None, instance=member)
    if request.method == "POST" and roles_form.is_valid():
        roles_form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "member": member,
            "roles_form": roles_form,
            "token_form": TokenForm(),
            "tokens": tokens,
            # Shown exactly once: popped from the session on the first render after creation.
            "new_key": request.session.pop("new_api_key", None),
        },
    )


@login_required
@require_POST
def token_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name (at most 100 characters).")
        return redirect("accounts:profile")
    issued = token_create(user=request.user, name=form.cleaned_data["name"])
    request.session["new_api_key"] = issued.key
    return redirect("accounts:profile")


@login_required
@require_POST
def token_delete(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked. Clients using it are refused from now on.")
    else:
        messages.error(request, "No such active token.")
    return redirect("accounts:profile")
