"""The home page: a dashboard for the role the user acts in now."""

from django.shortcuts import render


def home(request):
    return render(request, "home.html", {})
