"""API Gateway proxy events as Lambda receives them, for tests and the notebook.

Two payload formats reach a function behind API Gateway: version 1.0 (REST APIs: `httpMethod`,
`path`, `multiValueHeaders`, ...) and version 2.0 (HTTP APIs: `rawPath`, `rawQueryString`,
`requestContext.http`, ...). Binary bodies arrive base64-encoded with `isBase64Encoded: true`.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode


def api_gateway_event(body: bytes, content_type: str, version: str = "2.0", path: str = "/v1/predict",
                      query: dict[str, str] | None = None, base64_body: bool = True,
                      method: str = "POST") -> dict[str, Any]:
    """An API Gateway proxy event carrying `body`, in payload format `version` ("1.0" or "2.0").

    Args:
        body: the request body (an image file, JSON, a multipart form...).
        content_type: its Content-Type header (with any `; boundary=...` parameter).
        version: "2.0" (HTTP API, the one `serverless.yml` deploys) or "1.0" (REST API).
        path: the request path.
        query: query-string parameters, e.g. `{"kind": "line"}`.
        base64_body: send the body base64-encoded (as API Gateway does for binary bodies);
            False sends it as text (it must then be UTF-8).
        method: the HTTP method.
    """
    query = query or {}
    text = base64.b64encode(body).decode("ascii") if base64_body else body.decode("utf-8")
    headers = {"content-type": content_type, "content-length": str(len(body)), "host": "example.execute-api.aws",
               "user-agent": "lab7-test"}
    now = int(time.time() * 1000)
    if version == "2.0":
        return {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": urlencode(query),
            "headers": headers, "queryStringParameters": query or None,
            "requestContext": {"accountId": "123456789012", "apiId": "example", "domainName": "example.execute-api.aws",
                               "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                        "sourceIp": "192.0.2.1", "userAgent": "lab7-test"},
                               "requestId": "test-request", "routeKey": "$default", "stage": "$default",
                               "timeEpoch": now},
            "body": text, "isBase64Encoded": base64_body,
        }
    if version == "1.0":
        return {
            "version": "1.0", "resource": "/{proxy+}", "path": path, "httpMethod": method,
            "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
            "requestContext": {"accountId": "123456789012", "apiId": "example", "httpMethod": method, "path": path,
                               "stage": "prod", "requestId": "test-request", "requestTimeEpoch": now,
                               "identity": {"sourceIp": "192.0.2.1", "userAgent": "lab7-test"}},
            "pathParameters": None, "stageVariables": None, "body": text, "isBase64Encoded": base64_body,
        }
    raise ValueError(f"Unknown payload format version {version!r}: use '1.0' (REST API) or '2.0' (HTTP API).")
