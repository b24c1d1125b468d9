from django.contrib import admin
from django.urls import include, path

from accounts.views import landing
from broker.health import healthz

urlpatterns = [
    path("", landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("frontend.urls")),
    path("", include("signaling.urls")),
]
