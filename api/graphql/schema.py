"""The schema: queries, mutations, and the production limits around them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, lexicographic_sort_schema, print_schema
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.base import get_object_definition
from strawberry.types.graphql import OperationType

from api.graphql.compiled.executor import CompiledExecutor
from api.graphql.cost import QueryCostLimiter
from api.graphql.errors import log_errors, should_mask
from api.graphql.metrics import OperationMetrics
from api.graphql.mutations.accounts import AccountMutations
from api.graphql.mutations.admin import AdminMutations
from api.graphql.mutations.api_tokens import ApiTokenMutations
from api.graphql.mutations.appointments import AppointmentMutations
from api.graphql.mutations.attendance import AttendanceMutations
from api.graphql.mutations.certificates import CertificateMutations
from api.graphql.mutations.organizer import OrganizerMutations
from api.graphql.mutations.organizing import OrganizingMutations
from api.graphql.mutations.planning import PlanningMutations
from api.graphql.mutations.signups import SignupMutations
from api.graphql.mutations.team_members import TeamMemberMutations
from api.graphql.query import Query
from api.graphql.scopes import TokenScopes
from api.graphql.subscription import Subscription
from api.graphql.types import (
    Community,
    Event,
    EventSeries,
    Notification,
    Shift,
    Signup,
    Team,
    Volunteer,
)
from api.graphql.types.appointment import Appointment, AppointmentSlot
from api.graphql.types.certificate import Certificate
from api.graphql.unavailable import ServiceUnavailableErrors, log_faults
from api.settings import get_settings

Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        OrganizingMutations,
        SignupMutations,
        OrganizerMutations,
        TeamMemberMutations,
        AttendanceMutations,
        AdminMutations,
        PlanningMutations,
        CertificateMutations,
        ApiTokenMutations,
        AppointmentMutations,
    ),
)


get_object_definition(Mutation, strict=True).description = (
    "Linli (邻里) writes. Every mutation takes one `input` and answers a payload with the "
    "changed object(s) and `userErrors` (expected failures with stable codes, never a 500). "
    "Logged in by session cookie or `Authorization: Bearer <token>` with the needed scope."
)


# Strawberry's own date scalars, with what a caller needs to know about time zones.
SCALARS = {
    dt.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="An instant, ISO 8601 with offset (2026-03-07T09:30:00+08:00); answered "
        "in UTC (+00:00). Send an offset: a value without one is refused.",
    ),
    dt.date: dataclasses.replace(
        DateDefinition,
        description="A calendar day, ISO 8601 (2026-03-07), in Asia/Shanghai.",
    ),
}


class LinliSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # an infrastructure fault is one warning line, not a traceback per field
        log_errors(log_faults(errors, execution_context))

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Executes a query or mutation; a subscription is refused (it lives on the
        WebSocket): over HTTP, 400 "subscriptions are not allowed"."""
        allowed = set(allowed_operation_types or (OperationType.QUERY, OperationType.MUTATION))
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed - {OperationType.SUBSCRIPTION},
            operation_extensions,
        )

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """Streams (the WebSocket) carry subscriptions only: queries and mutations go over
        HTTP, where the response cache, cross-site rules and rate limits apply."""
        kwargs["allowed_operation_types"] = (OperationType.SUBSCRIPTION,)
        return await super().stream(*args, **kwargs)


def build_schema() -> strawberry.Schema:
    settings = get_settings()
    # The limit rules are built once: ValidationCache keys on the rule classes, so a rule
    # class made anew per request would make every request miss the cache.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    return LinliSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALARS,  # type: ignore[arg-type]
        types=[
            Community,
            Team,
            Event,
            EventSeries,
            Shift,
            Signup,
            Volunteer,
            Notification,
            Certificate,
            AppointmentSlot,
            Appointment,
        ],
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            lambda: AddValidationRules(limit_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            TokenScopes,
            QueryCostLimiter,
            OperationMetrics,  # leaves after the two below: it sees the final errors
            lambda: MaskErrors(should_mask_error=should_mask),
            ServiceUnavailableErrors,  # after MaskErrors: it sees the original errors first
        ],
        # queries run from compiled plans (LINLI_COMPILED_EXECUTION), the rest as before
        execution_context_class=CompiledExecutor,
    )


schema = build_schema()


def export_sdl() -> str:
    """The SDL, types and fields sorted, so that diffs show real changes only."""
    return print_schema(lexicographic_sort_schema(schema._schema)).strip() + "\n"
