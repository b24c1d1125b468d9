"""The admin sees handles and when they last logged in; there is nothing else to see."""

from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

User = get_user_model()


class HandleAdmin(UserAdmin):
    list_display = ("username", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("username",)
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)


admin.site.unregister(User)
# Peerwall accounts have no e-mail address: allauth's table stays empty, so no page for it.
admin.site.unregister(EmailAddress)
admin.site.register(User, HandleAdmin)
admin.site.site_header = "Peerwall administration"
