def shell(request):
    """Navigation for the layout (filled by the UI shell)."""
    return {}
