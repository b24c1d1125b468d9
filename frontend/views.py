from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
@ensure_csrf_cookie
def app_shell(request):
    """The single page of the browser app; everything else happens in the browser."""
    return render(request, "frontend/app.html", {"handle": request.user.get_username()})
