"""drf-spectacular extensions: how the OpenAPI schema describes our token scheme."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "b12care.api.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A device token from the Devices page: `Bearer b12_...`."}


ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# Field name -> messages; nested for lists of objects (e.g. one check-in score).
INVALID = {"type": "object", "additionalProperties": {}}
ERRORS = {
    "401": "Not signed in, or the device token is unknown or revoked.",
    "403": "Signed in, but this action is not allowed (e.g. an entry older than 24 hours, or "
           "a write without the session's CSRF token).",
    "404": "No such thing for you: another patient's data or the wrong role look the same.",
    "429": "Too many requests: wait and try again (see Retry-After).",
}
WRITE_METHODS = {"post", "put", "patch"}


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation may answer with the errors above, and writes with a
    400 listing what was refused. Clients (and schemathesis) then know every status code."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["Invalid"] = INVALID
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    invalid = {"application/json": {"schema": {"$ref": "#/components/schemas/Invalid"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": error})
            if method in WRITE_METHODS:
                responses.setdefault("400", {"description": "Refused: see the messages.",
                                             "content": invalid})
    return result
