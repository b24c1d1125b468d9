from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import DeleteAccountForm
from accounts.handles import is_valid_handle
from broker.limits import limited


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


@require_http_methods(["GET"])
@limited("handle_lookup")
def handle_lookup(request, handle):
    """Does this handle exist? Answers its canonical spelling, so friends are added by it."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in first."}, status=401)
    if not is_valid_handle(handle):
        return JsonResponse({"error": "That is not a valid handle."}, status=400)
    user = get_user_model().objects.filter(username__iexact=handle).only("username").first()
    if user is None:
        return JsonResponse({"error": f"There is no one called @{handle} on Peerwall."}, status=404)
    return JsonResponse({"handle": user.get_username()})
