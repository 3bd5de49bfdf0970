from django.urls import path

from vitals import views

app_name = "vitals"

urlpatterns = [
    path("", views.history, name="history"),
    path("measure/", views.measure, name="measure"),
    path("scans/", views.create_scan, name="create_scan"),
    path("scans/<int:scan_id>/", views.scan_detail, name="scan"),
]
