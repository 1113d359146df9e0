"""What module (e) shows the public: the online application (form, status, result).

Each route's name is listed in ``sms.portal.public.PUBLIC_ROUTE_NAMES``.
"""

portal_urlpatterns: list = []
