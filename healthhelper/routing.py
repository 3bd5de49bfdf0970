"""WebSocket routes of every app."""

from django.urls import URLPattern, URLResolver

from consultations.routing import websocket_urlpatterns as consultation_routes
from vitals.routing import websocket_urlpatterns as vitals_routes

websocket_urlpatterns: list[URLPattern | URLResolver] = [*consultation_routes, *vitals_routes]
