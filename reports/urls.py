from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("patients/<int:patient_id>/upload/", views.upload, name="upload"),
    path("<int:report_id>/", views.detail, name="detail"),
    path("<int:report_id>/status/", views.status, name="status"),
    path("<int:report_id>/download/", views.download, name="download"),
]
