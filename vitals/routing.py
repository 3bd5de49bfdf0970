"""WebSocket routes of the vitals app."""

from django.urls import URLPattern, re_path

from vitals.consumers import VitalsConsumer

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/vitals/(?P<scan_id>\d+)/$", VitalsConsumer.as_asgi()),
]
