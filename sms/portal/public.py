"""The explicit allow-list of routes anyone may open without logging in.

Every other HTML route requires login (Django's LoginRequiredMiddleware) and every API
route an actor (``sms.api.permissions.HasActor``). The test suite walks all routes and fails
when a route is public without being listed here. Each portal lookup (a module's
``portal_urlpatterns``, built on ``sms.portal.lookups.LookupView``) is listed here by its
namespaced name, e.g. "portal:student-results".
"""

PUBLIC_ROUTE_NAMES: frozenset[str] = frozenset(
    {
        "login",
        "health",
        # the portal's announcements (Art. 17.5; sms/portal/feeds.py)
        "portal:announcements",
        "portal:announcements-feed",
        # the check page a printed QR code opens (sms/portal/documents.py)
        "portal:document-check",
        # module (e): the public online application (exams/portal.py)
        "portal:exam-application-list",
        "portal:exam-application-form",
        "portal:exam-application-status",
        "portal:exam-application-edit",
        # module (e): revoked diplomas, published (TT21/2019; exams/portal.py)
        "portal:diploma-revocations",
        # the three lookups of Art. 14.7–14.9, each answered from the precomputed store
        "portal:student-results",  # students/portal.py
        "portal:exam-scores",  # exams/portal_scores.py
        "portal:diploma-lookup",  # exams/portal_diplomas.py
    }
)
#: route namespaces that handle their own authentication (the operators' Django admin)
PUBLIC_NAMESPACES: frozenset[str] = frozenset({"admin"})
