from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.signup import signed_up_in


@login_required
@ensure_csrf_cookie
def app_shell(request):
    """The single page of the browser app; everything else happens in the browser."""
    context = {"handle": request.user.get_username(), "new_account": signed_up_in(request)}
    return render(request, "frontend/app.html", context)
