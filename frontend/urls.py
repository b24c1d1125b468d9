from django.urls import path

from frontend import views

urlpatterns = [
    path("app/", views.app_shell, name="app"),
]
