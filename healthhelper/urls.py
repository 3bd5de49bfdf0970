from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from healthhelper import views

urlpatterns = [
    path("", account_views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("home/", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("portal/", account_views.portal, name="portal"),
    path("portal/profile/", account_views.profile, name="profile"),
    path("portal/access-log/", account_views.access_log, name="access_log"),
    path("clinician/", account_views.clinician_home, name="clinician_home"),
    path("clinician/patients/<int:patient_id>/", account_views.clinician_patient, name="clinician_patient"),
    path("consultations/", include("consultations.urls")),
    path("reports/", include("reports.urls")),
    path("vitals/", include("vitals.urls")),
    path("library/", include("knowledge.urls")),
    path("admin/", admin.site.urls),
]
