"""`/iclock/<endpoint>`, with or without `.aspx` and a trailing slash (reference §1: firmware
varies). Served by `DeviceEndpointMiddleware`, not the site's URLconf."""

from __future__ import annotations

from django.urls import re_path

from gatehouse.drivers.zkpush import views

ENDPOINTS = {
    "cdata": views.cdata,
    "registry": views.registry,
    "push": views.push,
    "getrequest": views.getrequest,
    "devicecmd": views.devicecmd,
    "querydata": views.querydata,
    "ping": views.ping,
    "rtdata": views.rtdata,
    "file": views.file,
    "fdata": views.fdata,
    "exchange": views.exchange,
}

urlpatterns = [
    re_path(rf"^iclock/{name}(?:\.aspx)?/?$", view, name=f"iclock-{name}")
    for name, view in ENDPOINTS.items()
]
