"""GraphQL operations counted by name, type and outcome (`linli_graphql_operations`)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.infra import metrics


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        errors = getattr(context.result, "errors", None)
        if not errors:
            outcome = "ok"
        elif any((e.extensions or {}).get("code") == "SERVICE_UNAVAILABLE" for e in errors):
            outcome = "unavailable"
        else:
            outcome = "error"
        try:
            kind = context.operation_type.value
        except Exception:  # the document did not parse: there is no operation
            kind = "unknown"
        metrics.GRAPHQL_OPERATIONS.labels(
            metrics.operation_label(context.operation_name), kind, outcome
        ).inc()
