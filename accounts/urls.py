from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/delete/", views.delete_account, name="account_delete"),
]
