from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.search, name="search"),
    path("topic/<int:pk>/", views.topic, name="topic"),
]
