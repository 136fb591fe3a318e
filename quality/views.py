"""Web pages: the quality report, the rule editor, suggested rules and the default policy."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import is_curator
from ipfs.client import IpfsError
from marketplace import selectors as market
from marketplace.models import DatasetVersion
from quality import selectors, services
from quality.checks import describe
from quality.forms import (
    OverrideForm,
    PolicyForm,
    RuleForm,
    RulesJsonForm,
    SchemaForm,
    rules_text,
)
from quality.models import QualityPolicy
from quality.rules import RuleError, schema_text


def _version(request: HttpRequest, version_id: int) -> DatasetVersion:
    version = market.version_for(request.user, version_id)
    if version is None:
        raise Http404("No such version.")
    return version


def report(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    latest = selectors.report_latest(version)
    data = selectors.report_as_dict(version, latest) if latest else None
    return render(
        request,
        "quality/report.html",
        {
            "version": version,
            "dataset": version.dataset,
            "report": data,
            "is_owner": market.is_contributor_of(request.user, version.dataset),
            "is_curator": is_curator(request.user),
            "override_form": OverrideForm(),
            "can_rerun": version.status in services.RECHECKABLE,
        },
    )


@login_required
@require_POST
def rerun(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    services.check_rerun(user=request.user, version=version)  # type: ignore[arg-type]
    messages.info(request, "The checks run again with the current rules.")
    return redirect("marketplace:version", version_id=version.pk)


@login_required
@require_POST
def override(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    if not is_curator(request.user):
        raise PermissionDenied("Only curators can override a quality decision.")
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_create(
                user=request.user,  # type: ignore[arg-type]
                version=version,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except RuleError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Override recorded.")
            return redirect("quality:report", version_id=version.pk)
    latest = selectors.report_latest(version)
    return render(
        request,
        "quality/report.html",
        {
            "version": version,
            "dataset": version.dataset,
            "report": selectors.report_as_dict(version, latest) if latest else None,
            "is_owner": market.is_contributor_of(request.user, version.dataset),
            "is_curator": True,
            "override_form": form,
            "can_rerun": version.status in services.RECHECKABLE,
        },
        status=400,
    )


def _rules_context(dataset: Any, stored: Any, **forms: Any) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "stored": stored,
        "rule_rows": [
            {"index": n, "rule": r, "expected": describe(r["type"], r.get("kwargs", {}))}
            for n, r in enumerate(stored.rules)
        ],
        "rule_form": forms.get("rule_form") or RuleForm(),
        "json_form": forms.get("json_form")
        or RulesJsonForm(initial={"rules_json": rules_text(stored.rules)}),
        "schema_form": forms.get("schema_form")
        or SchemaForm(initial={"schema": schema_text(dataset.declared_schema)}),
        "versions": dataset.versions.order_by("-number")[:10],
    }


def rules(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = market.dataset_for(request.user, dataset_id)
    if dataset is None:
        raise Http404("No such dataset.")
    stored = services.rules_for(dataset)
    is_owner = market.is_contributor_of(request.user, dataset)
    if request.method != "POST":
        return render(
            request, "quality/rules.html", {**_rules_context(dataset, stored), "is_owner": is_owner}
        )
    if not is_owner:
        raise PermissionDenied("Only the dataset's contributors can change its rules.")
    action = request.POST.get("action", "")
    forms: dict[str, Any] = {}
    try:
        if action == "add":
            forms["rule_form"] = form = RuleForm(request.POST)
            if form.is_valid():
                services.rules_add(
                    user=request.user,  # type: ignore[arg-type]
                    dataset=dataset,
                    new_rules=[form.cleaned_data["rule"]],
                )
                messages.success(request, "Rule added. Re-run the checks to apply it.")
                return redirect("quality:rules", dataset_id=dataset.pk)
        elif action == "json":
            forms["json_form"] = jform = RulesJsonForm(request.POST)
            if jform.is_valid():
                services.rules_set(
                    user=request.user,  # type: ignore[arg-type]
                    dataset=dataset,
                    rules=jform.cleaned_data["rules_json"],
                )
                messages.success(request, "Rules saved. Re-run the checks to apply them.")
                return redirect("quality:rules", dataset_id=dataset.pk)
        elif action == "schema":
            forms["schema_form"] = sform = SchemaForm(request.POST)
            if sform.is_valid():
                services.rules_set(
                    user=request.user,  # type: ignore[arg-type]
                    dataset=dataset,
                    declared_schema=sform.cleaned_data["schema"],
                )
                messages.success(request, "Declared columns saved.")
                return redirect("quality:rules", dataset_id=dataset.pk)
        elif action == "delete":
            raw_index = request.POST.get("index", "")
            index = int(raw_index) if raw_index.isdigit() else -1
            remaining = [r for n, r in enumerate(stored.rules) if n != index]
            services.rules_set(user=request.user, dataset=dataset, rules=remaining)  # type: ignore[arg-type]
            messages.success(request, "Rule removed.")
            return redirect("quality:rules", dataset_id=dataset.pk)
        else:
            messages.error(request, "Unknown action.")
    except (RuleError, ValueError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    return render(
        request,
        "quality/rules.html",
        {**_rules_context(dataset, stored, **forms), "is_owner": is_owner},
        status=400,
    )


@login_required
def suggest(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    if not market.is_contributor_of(request.user, version.dataset):
        raise Http404("No such version of yours.")
    errors: list[str] = []
    try:
        suggestions = services.suggestions_for(user=request.user, version=version)
    except RuleError as exc:
        suggestions, errors = [], exc.messages
    except IpfsError as exc:
        suggestions, errors = [], [f"The file could not be fetched from IPFS: {exc}"]
    rows = [
        {
            "index": n,
            "expected": describe(s["type"], s["kwargs"]),
            "json": json.dumps(s),
            "severity": s["severity"],
            "checked": True,
        }
        for n, s in enumerate(suggestions)
    ]
    if request.method == "POST":
        accepted = set(request.POST.getlist("accept"))
        chosen: list[Any] = []
        for row in rows:
            row["checked"] = str(row["index"]) in accepted
            text = request.POST.get(f"rule_{row['index']}", row["json"])
            row["json"] = text
            if not row["checked"]:
                continue
            try:
                chosen.append(json.loads(text))
            except json.JSONDecodeError as exc:
                errors.append(f"Suggestion {row['index'] + 1}: not valid JSON ({exc.msg}).")
        if not errors:
            try:
                services.suggestions_accept(
                    user=request.user,  # type: ignore[arg-type]
                    version=version,
                    rules=chosen,
                    rerun=request.POST.get("rerun") == "1",
                )
            except RuleError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request, f"{len(chosen)} rule(s) added; the checks run again on this version."
                )
                return redirect("quality:report", version_id=version.pk)
    return render(
        request,
        "quality/suggest.html",
        {"version": version, "dataset": version.dataset, "rows": rows, "errors": errors},
        status=400 if errors and request.method == "POST" else 200,
    )


def policy(request: HttpRequest) -> HttpResponse:
    current = services.policy_current()
    curator = is_curator(request.user)
    form = PolicyForm(initial={"rules_json": rules_text(current.rules)})
    if request.method == "POST":
        if not curator:
            raise PermissionDenied("Only curators can change the default quality policy.")
        form = PolicyForm(request.POST)
        if form.is_valid():
            new = services.policy_update(
                decided_by=f"curator:{request.user.pk}",
                rules=form.cleaned_data["rules_json"],
                note=form.cleaned_data.get("note", ""),
            )
            messages.success(request, f"Policy v{new.number} is now in force for new checks.")
            return redirect("quality:policy")
    return render(
        request,
        "quality/policy.html",
        {
            "policy": current,
            "rule_rows": [
                {"rule": r, "expected": describe(r["type"], r.get("kwargs", {}))}
                for r in current.rules
            ],
            "history": QualityPolicy.objects.all()[:20],
            "is_curator": curator,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
