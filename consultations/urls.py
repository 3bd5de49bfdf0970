from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("<int:consultation_id>/", views.detail, name="detail"),
    path("<int:consultation_id>/summary/", views.summary, name="summary"),
]
