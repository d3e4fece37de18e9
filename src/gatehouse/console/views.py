"""Login (with throttling and optional TOTP), logout, password change, dashboard and profile."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

import gatehouse
from gatehouse.audit.services import record, record_failure
from gatehouse.console import navigation
from gatehouse.console.forms import LoginForm, PasswordChangeForm, TotpForm, TotpSetupForm
from gatehouse.core.actors import Actor, client_address
from gatehouse.core.errors import ServiceError
from gatehouse.core.scoping import platform_scope
from gatehouse.core.views import PermissionRequiredMixin
from gatehouse.tenancy import selectors, services
from gatehouse.tenancy.models import User


def as_user(user: object) -> User:
    """The logged-in user as our model (login_required views only ever see one)."""
    if not isinstance(user, User):
        raise TypeError("expected an authenticated Gatehouse user")
    return user


PENDING_2FA_KEY = "gatehouse_pending_2fa_user"
PENDING_NEXT_KEY = "gatehouse_pending_next"


def _locked_message(until: Any) -> str:
    return _(
        "Too many failed logins for this account from your address. Try again after %(time)s."
    ) % {"time": formats.time_format(timezone.localtime(until), "H:i")}


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("console:dashboard")


def _log_login_failure(username: str, address: str, reason: str) -> None:
    with platform_scope():
        user = User.global_objects.filter(username__iexact=username).first()
        record_failure(
            "tenancy.user.login_failed",
            actor=Actor.system("login"),
            enterprise_id=user.enterprise_id if user else None,
            obj=user,
            message=f"{reason} ({username}@{address})",
            group_path=user.group_path if user else "",
        )


def _complete_login(request: HttpRequest, user: User, address: str) -> HttpResponse:
    login(request, user, backend="gatehouse.tenancy.auth.GatehouseBackend")
    with platform_scope():
        services.clear_login_failures(user.username, address)
        record(
            "tenancy.user.logged_in",
            actor=Actor.for_user(user, address),
            enterprise_id=user.enterprise_id,
            obj=user,
            group_path=user.group_path,
            publish_event=False,
        )
    next_url = request.session.pop(PENDING_NEXT_KEY, None) or request.GET.get("next")
    if user.must_change_password:
        messages.warning(request, _("Please choose your own password before you continue."))
        response: HttpResponse = redirect("console:password_change")
    else:
        response = HttpResponseRedirect(_safe_next(request, next_url))
    if user.language:
        # Django reads the language from this cookie (not from the session since 4.0)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


class LoginView(View):
    template_name = "console/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("console:dashboard")
        return render(request, self.template_name, {"form": LoginForm(), "title": _("Log in")})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LoginForm(request.POST)
        address = client_address(request)
        context = {"form": form, "title": _("Log in")}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        username = form.cleaned_data["username"].strip()
        with platform_scope():
            locked = services.login_locked_until(username, address)
        if locked is not None:
            form.add_error(None, _locked_message(locked))
            return render(request, self.template_name, context, status=429)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            with platform_scope():
                locked = services.note_login_failure(username, address)
            _log_login_failure(username, address, "wrong username or password")
            form.add_error(
                None,
                _locked_message(locked)
                if locked
                else _("The username or password is not correct, or the account is disabled."),
            )
            return render(request, self.template_name, context, status=429 if locked else 400)
        user = as_user(user)
        if user.totp_enabled:
            request.session.cycle_key()
            request.session[PENDING_2FA_KEY] = user.pk
            request.session[PENDING_NEXT_KEY] = request.GET.get("next", "")
            return redirect("console:login_verify")
        return _complete_login(request, user, address)


class LoginVerifyView(View):
    """Second step for users with two-factor login: the TOTP code."""

    template_name = "console/login_verify.html"

    def _pending_user(self, request: HttpRequest) -> User | None:
        user_id = request.session.get(PENDING_2FA_KEY)
        if not user_id:
            return None
        with platform_scope():
            return User.global_objects.filter(pk=user_id, is_active=True).first()

    def get(self, request: HttpRequest) -> HttpResponse:
        if self._pending_user(request) is None:
            return redirect("console:login")
        return render(
            request, self.template_name, {"form": TotpForm(), "title": _("Two-factor login")}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self._pending_user(request)
        if user is None:
            return redirect("console:login")
        form = TotpForm(request.POST)
        address = client_address(request)
        context = {"form": form, "title": _("Two-factor login")}
        with platform_scope():
            locked = services.login_locked_until(user.username, address)
        if locked is not None:
            request.session.pop(PENDING_2FA_KEY, None)
            form.add_error(None, _locked_message(locked))
            return render(request, self.template_name, context, status=429)
        if form.is_valid() and services.totp_is_valid(user.totp_secret, form.cleaned_data["code"]):
            request.session.pop(PENDING_2FA_KEY, None)
            return _complete_login(request, user, address)
        with platform_scope():
            locked = services.note_login_failure(user.username, address)
        _log_login_failure(user.username, address, "wrong two-factor code")
        form.add_error(None, _locked_message(locked) if locked else _("That code is not valid."))
        return render(request, self.template_name, context, status=400)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have been logged out."))
    return redirect("console:login")


class PasswordChangeView(LoginRequiredMixin, View):
    template_name = "console/password_change.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {"form": PasswordChangeForm(), "title": _("Change password")},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.POST)
        context = {"form": form, "title": _("Change password")}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        user = request.user
        user = as_user(user)
        try:
            services.change_own_password(
                user,
                actor=Actor.from_request(request),
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["password"],
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return render(request, self.template_name, context, status=400)
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("console:dashboard")


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        user = as_user(user)
        context["title"] = _("Dashboard")
        context["cards"] = [
            *selectors.dashboard_counts(user),
            *navigation.dashboard_cards(user),
        ]
        context["recent_log"] = selectors.recent_log_entries(user, limit=10)
        return context


class ProfileView(LoginRequiredMixin, TemplateView):
    """My account: two-factor login setup and personal API tokens."""

    template_name = "console/profile.html"
    SETUP_KEY = "gatehouse_totp_setup_secret"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        user = as_user(user)
        context["title"] = _("My account")
        if not user.totp_enabled:
            secret = self.request.session.get(self.SETUP_KEY) or services.new_totp_secret()
            self.request.session[self.SETUP_KEY] = secret
            uri = services.totp_uri(user, secret)
            context["totp_secret"] = secret
            context["totp_qr"] = segno.make(uri, error="m").svg_data_uri(scale=4)
            context.setdefault("totp_form", TotpSetupForm())
        context["tokens"] = user.api_tokens.all()
        context["new_token"] = self.request.session.pop("gatehouse_new_token", None)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        user = as_user(user)
        actor = Actor.from_request(request)
        action = request.POST.get("action")
        try:
            with transaction.atomic():
                if action == "enable_totp":
                    form = TotpSetupForm(request.POST)
                    if not form.is_valid():
                        raise ServiceError(_("Enter the code from your authenticator app."))
                    services.enable_totp(
                        user,
                        actor=actor,
                        secret=request.session.get(self.SETUP_KEY, ""),
                        code=form.cleaned_data["code"],
                    )
                    request.session.pop(self.SETUP_KEY, None)
                    messages.success(request, _("Two-factor login is on."))
                elif action == "disable_totp":
                    services.disable_totp(user, actor=actor)
                    messages.success(request, _("Two-factor login is off."))
                elif action == "create_token":
                    expires = services.parse_expiry_days(request.POST.get("expires_days", ""))
                    _token, secret = services.create_token(
                        user, actor=actor, name=request.POST.get("name", ""), expires_at=expires
                    )
                    request.session["gatehouse_new_token"] = secret
                elif action == "revoke_token":
                    token = user.api_tokens.filter(pk=request.POST.get("token_id") or 0).first()
                    if token is None:
                        raise ServiceError(_("That token does not exist."))
                    services.revoke_token(token, actor=actor)
                    messages.success(request, _("The token has been revoked."))
                else:
                    raise ServiceError(_("Unknown action."))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("console:profile")


class SystemSettingsView(PermissionRequiredMixin, TemplateView):
    """Platform facts for the super administrator (Smart Pass 6.5): server time, version and
    how this installation runs. Deployment settings come from the environment, so they are
    shown here, not edited."""

    template_name = "console/system_settings.html"
    permission_app = "platform"
    permission_action = "view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        database = settings.DATABASES["default"]
        context.update(
            title=_("System settings"),
            server_time=timezone.localtime(),
            time_zone=settings.TIME_ZONE,
            version=gatehouse.__version__,
            mode=_("Embedded (one process, in-process worker)")
            if settings.EMBEDDED
            else _("Production (separate server and worker processes)"),
            database=_("PostgreSQL") if "postgresql" in str(database["ENGINE"]) else _("SQLite"),
            channel_layer=_("Redis") if settings.REDIS_URL else _("In memory"),
            session_hours=settings.SESSION_COOKIE_AGE / 3600,
            login_failure_limit=settings.LOGIN_FAILURE_LIMIT,
            login_lock_minutes=settings.LOGIN_LOCK_SECONDS // 60,
            api_rate=settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["principal"],  # type: ignore[index]
            max_request_mb=settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024),
        )
        return context


class TableColumnsView(LoginRequiredMixin, View):
    """POST: keep the columns a user chose for a list ("Columns" menu), then go back."""

    def post(self, request: HttpRequest) -> HttpResponse:
        from gatehouse.core import tables

        key = request.POST.get("table", "")
        try:
            if request.POST.get("reset"):
                tables.reset_choice(request.user, key)
            else:
                tables.save_choice(request.user, key, request.POST.getlist("columns"))
        except ValueError:
            messages.error(request, _("That list cannot be personalized."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("console:dashboard")
        return HttpResponseRedirect(target)
