from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/delete/", views.delete_account, name="account_delete"),
    path("api/handles/<str:handle>", views.handle_lookup, name="handle_lookup"),
]
