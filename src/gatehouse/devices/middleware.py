"""Device protocol endpoints live at fixed paths at the host root (`/iclock/...`: devices
cannot add a prefix). This middleware, first in the chain, hands those paths straight to the
driver's URLconf: no session, CSRF, locale or HTTPS redirect applies to a device, and a
device poll costs one URL match instead of the whole console stack."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve

from gatehouse.devices import endpoints


class DeviceEndpointMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        urlconf = endpoints.urlconf_for(request.path_info)
        if urlconf is None:
            return self.get_response(request)
        try:
            match = resolve(request.path_info, urlconf=urlconf)
        except Resolver404:
            return HttpResponse("not found", status=404, content_type="text/plain; charset=utf-8")
        response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
        return response
