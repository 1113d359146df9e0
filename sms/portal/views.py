from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from sms.accounts.middleware import sessionless


@sessionless
@never_cache
def health(request):
    """For the load balancer: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
