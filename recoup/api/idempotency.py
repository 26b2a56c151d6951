"""Idempotency keys on every POST: a replay answers what the first request answered and writes nothing.

A POST with ``Idempotency-Key: K`` stores (organization, K) with a fingerprint of the request
(method, path, body) in the same transaction as whatever the request writes, then the
response (status, body) once it is known. A later POST with the same key and the same
request gets the stored response (header ``Idempotent-Replayed: true``); the same key with
a different request is refused (422); a key whose first request is still running answers 409.
Server errors (5xx) are not stored: the transaction rolls back and the key may be used again.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from recoup.api.auth import find_token
from recoup.api.models import IdempotencyRecord
from recoup.api.problems import problem_response

HEADER = "Idempotency-Key"


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.body):
        digest.update(part)
        digest.update(b"\n")
    return digest.hexdigest()


def _replay(request, record: IdempotencyRecord, fp: str) -> HttpResponse:
    if record.fingerprint != fp:
        return problem_response(422, f"Idempotency-Key {record.key!r} was used for a different request "
                                     f"({record.method} {record.path}); use a new key", instance=request.path,
                                title="Idempotency key reused")
    if record.status_code is None:
        return problem_response(409, f"the request with Idempotency-Key {record.key!r} is still running",
                                instance=request.path)
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    response[HEADER] = record.key
    return response


class _Failed(Exception):
    def __init__(self, response):
        self.response = response


def idempotent(run):
    """Wrap a ninja operation's ``run`` (via ``decorate_view``)."""

    @wraps(run)
    def wrapped(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        auth = request.headers.get("Authorization", "")
        token = find_token(auth.partition(" ")[2].strip()) if auth.lower().startswith("bearer ") else None
        if token is None or not token.can_write:
            return run(request, *args, **kwargs)  # authentication answers
        if not 1 <= len(key) <= 255 or any(ord(c) < 32 or ord(c) == 127 for c in key):
            return problem_response(422, "Idempotency-Key must be 1 to 255 characters, none of them control "
                                    "characters", instance=request.path)
        fp = fingerprint(request)
        existing = IdempotencyRecord.objects.filter(org=token.org, key=key).first()
        if existing is not None:
            return _replay(request, existing, fp)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(org=token.org, key=key, fingerprint=fp,
                                                          method=request.method, path=request.path[:500],
                                                          created_at=timezone.now())
                response = run(request, *args, **kwargs)
                if response.status_code >= 500:
                    raise _Failed(response)
                record.status_code, record.body = response.status_code, response.content
                record.content_type = response.get("Content-Type", "")[:100]
                record.save(update_fields=["status_code", "body", "content_type"])
        except _Failed as failed:
            return failed.response
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(org=token.org, key=key).first()
            if existing is None:
                raise
            return _replay(request, existing, fp)
        response[HEADER] = key
        return response

    return wrapped
