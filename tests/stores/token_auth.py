"""A custom `authorization_function` for MLflow's basic-auth app: a bearer token or basic.

MLflow's auth ini takes `authorization_function = module:function`; the server imports it
(the test puts this directory on the server's PYTHONPATH). `Authorization: Bearer TOKEN`
is the admin user, as behind a gateway that swaps SSO tokens for users; any other bearer
token gets a 401; everything else goes to MLflow's own basic auth. Imported by the server
process only, never by tuiflow.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.datastructures import Authorization

TOKEN = "tok-7Hq2-tuiflow-bearer-XyZ"
ADMIN = "admin"


def authenticate() -> Authorization | Response:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        from mlflow.server.auth import authenticate_request_basic_auth

        return authenticate_request_basic_auth()
    if value == TOKEN:
        return Authorization("bearer", {"username": ADMIN})
    response = Response("You are not authenticated.", status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="mlflow"'
    return response
