"""The JSON API (django-ninja, OpenAPI 3 at ``/api/docs``): one thin router per domain."""
