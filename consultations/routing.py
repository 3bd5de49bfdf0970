from django.urls import re_path

from consultations.consumers import ConsultationConsumer

websocket_urlpatterns = [
    re_path(r"^ws/consultations/(?P<consultation_id>\d+)/$", ConsultationConsumer.as_asgi()),
]
