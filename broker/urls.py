from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.views import landing
from broker.health import healthz

# Staff log in where everyone does, under allauth's limits; the admin's own form is never shown.
admin.site.login = secure_admin_login(admin.site.login)

# Only the allauth pages Peerwall uses: its e-mail, password-reset and re-authentication pages
# would store e-mail addresses or try to send mail, against "the server holds only accounts".
allauth_urls = [
    path("login/", allauth_views.login, name="account_login"),
    path("logout/", allauth_views.logout, name="account_logout"),
    path("signup/", allauth_views.signup, name="account_signup"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
]


def favicon(request):
    """Browsers ask for /favicon.ico on every page without an icon link (JSON, say)."""
    return redirect(static("peerwall/icon.svg"))


urlpatterns = [
    path("", landing, name="landing"),
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("accounts/", include(allauth_urls)),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("frontend.urls")),
    path("", include("signaling.urls")),
]
