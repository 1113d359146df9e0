from django.utils.functional import SimpleLazyObject


def shell(request):
    """The navigation for the layout, built only when a template uses it."""

    def build():
        from .nav import navigation

        get = getattr(request, "get_actor", None)
        return navigation(get() if get else None, request.path)

    return {"nav": SimpleLazyObject(build)}
