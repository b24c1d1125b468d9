from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import DeleteAccountForm


def landing(request):
    return render(request, "landing.html")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Deletes the account for good: the handle becomes free and every session ends."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        handle = user.get_username()
        logout(request)
        user.delete()
        messages.success(request, f"@{handle} has been deleted. Your posts remain only in your friends' browsers.")
        return redirect("landing")
    return render(request, "account/delete.html", {"form": form})
