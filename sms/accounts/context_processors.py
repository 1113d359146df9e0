def actor(request):
    """The actor (or None) and the user's memberships for the unit switcher."""
    get = getattr(request, "get_actor", None)
    current = get() if get else None
    if current is None:
        return {"actor": None}

    def memberships():
        return list(current.user.memberships.active().select_related("unit").order_by("unit__depth", "unit__name"))

    return {"actor": current, "my_memberships": memberships}
