"""The operations service: a REST API under ``/api`` and the web console at ``/``.

Every request but ``/api/health`` carries ``Authorization: Bearer TOKEN``. Without a valid
token: 401; a viewer asking to write: 403. Errors are JSON: ``{"detail": message, "field":
field-or-null, "errors": [{"message", "field", "line"}...]}``. Every write is one transaction.
See ``docs/service.md``.
"""

from __future__ import annotations

import json
import logging
import pathlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contingent import __version__
from contingent.errors import InputError
from contingent.service.auth import (
    Caller,
    add_user,
    caller_for,
    find_user,
    issue_token,
    revoke_tokens,
)
from contingent.service.db import Database
from contingent.service.jobs import JobRunner, applicable_events
from contingent.service.models import (
    Announcement,
    EventRecord,
    Job,
    Operation,
    PlanRecord,
    Revision,
    RiskRecord,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
IDENT = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
PhaseName = Literal["deployment", "withdrawal"]
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


# --- errors -----------------------------------------------------------------------------


class ApiError(Exception):
    """An error for the client: status, message and the field it is about."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.errors = errors or [{"message": message, "field": field, "line": None}]


def _body(message: str, field: str | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": message, "field": field, "errors": errors}


def _input_error(exc: InputError, status: int = 422) -> ApiError:
    errs = [{"message": e.message, "field": e.field, "line": e.line, "file": e.file,
             "text": str(e)} for e in exc.all()]
    return ApiError(status, str(exc) if exc.file not in ("<string>", "<request>")
                    else exc.message, exc.field, errs)


class ErrorOut(BaseModel):
    """An error."""

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] = []


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422)
}


# --- request size -----------------------------------------------------------------------


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooBig
            return msg

        try:
            await self.app(scope, counted, send)
        except _TooBig:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(_body(f"request body over {self.limit} bytes", None, [])).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooBig(Exception):
    pass


# --- schemas ----------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(_In):
    """A new user."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\-]*$")
    role: Literal["viewer", "planner", "admin"]


class UserOut(BaseModel):
    """A user."""

    name: str
    role: str
    created_at: datetime


class TokenOut(BaseModel):
    """A token: shown once, only its hash is kept."""

    name: str
    role: str
    token: str


class MeOut(BaseModel):
    """Who the token belongs to."""

    name: str
    role: str


class RevisionIn(_In):
    """A scenario upload: YAML text, or the name of a bundled scenario."""

    source: str | None = Field(default=None, max_length=MAX_BODY)
    bundled: str | None = Field(default=None, max_length=64)


class OperationIn(_In):
    """A new operation, optionally with its first scenario revision."""

    name: str = Field(min_length=1, max_length=64, pattern=IDENT)
    title: str = Field(default="", max_length=200)
    scenario: RevisionIn | None = None


class RevisionOut(BaseModel):
    """A scenario revision (immutable)."""

    id: int
    operation_id: int
    number: int
    scenario: str
    title: str
    summary: str
    phases: list[str]
    time_zone: str
    created_at: datetime
    created_by: str


class RevisionDetail(RevisionOut):
    """A scenario revision with its YAML."""

    source: str


class OperationOut(BaseModel):
    """An operation."""

    id: int
    name: str
    title: str
    created_at: datetime
    created_by: str
    revisions: int
    latest_revision: RevisionOut | None
    announced: dict[str, int]


class PlanJobIn(_In):
    """Plan a phase of a revision (default: the latest)."""

    kind: Literal["plan"]
    phase: PhaseName
    revision_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    time_limit: float = Field(default=30.0, gt=0, le=3600)
    workers: int = Field(default=1, ge=1, le=8)


class RiskJobIn(_In):
    """Simulate a plan under its scenario's disruptions."""

    kind: Literal["risk"]
    plan_id: int = Field(ge=1, le=MAX_ID)
    runs: int = Field(default=1000, ge=1, le=200_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class ReplanJobIn(_In):
    """Re-plan a phase from its announced plan (or ``plan_id``) and the events so far."""

    kind: Literal["replan"]
    phase: PhaseName
    plan_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    now: str | None = Field(default=None, max_length=64,
                            description="ISO 8601 with offset; default: the latest event time")
    move_cost: int = Field(default=60, ge=0, le=100_000)
    time_limit: float = Field(default=10.0, gt=0, le=3600)
    workers: int = Field(default=1, ge=1, le=8)
    assume_flown: bool = True


JobIn = Annotated[PlanJobIn | RiskJobIn | ReplanJobIn, Field(discriminator="kind")]


class JobOut(BaseModel):
    """A background job."""

    id: int
    operation_id: int
    kind: str
    params: dict[str, Any]
    status: str
    progress: str
    error: str
    cancel_requested: bool
    rerun_of: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str
    plan_id: int | None = None
    risk_id: int | None = None


class PlanOut(BaseModel):
    """A plan or re-plan."""

    id: int
    operation_id: int
    revision_id: int
    phase: str
    kind: str
    status: str
    completion: datetime | None
    based_on_id: int | None
    now: datetime | None
    announced: bool
    sorties: int
    created_at: datetime
    created_by: str
    job_id: int | None


class PlanDetail(PlanOut):
    """A plan with its plan file; a re-plan also with its diff and check."""

    plan: dict[str, Any]
    diff: dict[str, Any] | None = None
    check: list[str] | None = None


class LoadIn(_In):
    """What one unit had on board."""

    unit: str = Field(min_length=1, max_length=64)
    pax: int = Field(default=0, ge=0, le=1_000_000)
    vehicles: dict[str, int] = Field(default_factory=dict)
    cargo_kg: int = Field(default=0, ge=0, le=10**9)


class EventIn(_In):
    """One reported event (see docs/events.md); ``reporter`` defaults to the caller."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = Field(max_length=32)
    time: str = Field(max_length=64)
    reporter: str | None = Field(default=None, max_length=200)
    sortie: str | None = Field(default=None, max_length=64)
    airfield: str | None = Field(default=None, max_length=64)
    tail: str | None = Field(default=None, max_length=64)
    facility: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=64)
    from_: str | None = Field(default=None, alias="from", max_length=64)
    to: str | None = Field(default=None, max_length=64)
    units: list[LoadIn] | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=200)


class EventsIn(_In):
    """Events to record, in order, for one phase."""

    phase: PhaseName
    events: list[EventIn] = Field(min_length=1, max_length=200)


class EventOut(BaseModel):
    """A recorded event."""

    id: int
    seq: int
    phase: str
    plan_id: int
    type: str
    time: datetime
    reporter: str
    event: dict[str, Any]
    description: str
    created_at: datetime
    created_by: str


class RiskOut(BaseModel):
    """A risk result."""

    id: int
    operation_id: int
    plan_id: int
    job_id: int | None
    runs: int
    created_at: datetime
    created_by: str
    result: dict[str, Any]


class HealthOut(BaseModel):
    """Service health."""

    status: str
    version: str
    database: str


# --- the app ----------------------------------------------------------------------------


def _static_dir() -> pathlib.Path:
    return pathlib.Path(str(resources.files("contingent.service") / "static"))


def create_app(db: Database | str, *, run_jobs: bool = True, job_slots: int = 1,
               migrate: bool = True, max_body: int = MAX_BODY) -> FastAPI:
    """The service as an ASGI app.

    Parameters
    ----------
    db
        The database (or its URL).
    run_jobs
        Start the job runner (tests of the API alone may leave it off).
    job_slots
        Jobs run at once.
    migrate
        Bring the schema up to date first.
    max_body
        Largest request body, bytes.
    """
    database = db if isinstance(db, Database) else Database(db)
    if migrate:
        database.migrate()
    runner = JobRunner(database, job_slots)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            runner.start()
        try:
            yield
        finally:
            if run_jobs:
                runner.stop()

    app = FastAPI(title="Contingent operations service", version=__version__,
                  lifespan=lifespan, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Operations, scenario revisions, plans, events, re-plans, jobs "
                              "and risk for multinational airlift deployments and withdrawals.")
    app.state.db = database
    app.state.runner = runner
    app.add_middleware(BodyLimit, limit=max_body)

    @app.exception_handler(ApiError)
    async def _api_error(_r: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(_body(exc.message, exc.field, exc.errors), exc.status, headers)

    @app.exception_handler(InputError)
    async def _input(_r: Request, exc: InputError) -> JSONResponse:
        e = _input_error(exc)
        return JSONResponse(_body(e.message, e.field, e.errors), e.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errs = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body",)]
            field = ".".join(loc) or None
            errs.append({"message": str(err.get("msg", "invalid")), "field": field,
                         "line": None})
        first = errs[0] if errs else {"message": "invalid request", "field": None}
        msg = str(first["message"])
        if first["field"]:
            msg = f"{first['field']}: {msg}"
        return JSONResponse(_body(msg, first["field"], errs), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body(str(exc.detail), None, []), exc.status_code,
                            getattr(exc, "headers", None))

    _routes(app, database, runner)
    static = _static_dir()
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")

        @app.get("/", include_in_schema=False)
        def index() -> FileResponse:
            return FileResponse(static / "index.html", media_type="text/html")

    @app.get("/assets/world.json", include_in_schema=False)
    def world() -> FileResponse:
        # The country outlines another stage vendors (world-atlas TopoJSON); public data.
        path = pathlib.Path(str(resources.files("contingent") / "data" / "world"
                                / "countries-50m.json"))
        if not path.exists():
            raise ApiError(404, "no country outlines installed")
        return FileResponse(path, media_type="application/json")

    return app


_bearer = HTTPBearer(auto_error=False, description="A token from `contingent users add`.")


def _caller(request: Request,
            creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiError(401, "a bearer token is required (Authorization: Bearer TOKEN)")
    if len(creds.credentials) > 200:
        raise ApiError(401, "invalid token")
    database: Database = request.app.state.db
    with database.read() as s:
        who = caller_for(s, creds.credentials)
    if who is None:
        raise ApiError(401, "invalid token")
    return who


def _role(needed: str) -> Callable[[Caller], Caller]:
    def check(who: Annotated[Caller, Depends(_caller)]) -> Caller:
        if not who.can(needed):
            raise ApiError(403, f"role {who.role} may not do this (needs {needed})")
        return who
    return check


IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Viewer = Annotated[Caller, Depends(_caller)]
Planner = Annotated[Caller, Depends(_role("planner"))]
Admin = Annotated[Caller, Depends(_role("admin"))]


def _routes(app: FastAPI, database: Database, runner: JobRunner) -> None:
    def names(s: Session, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        return {uid: name for uid, name in
                s.execute(select(User.id, User.name).where(User.id.in_(ids))).all()}

    def get_op(s: Session, op_id: int) -> Operation:
        op = s.get(Operation, op_id)
        if op is None:
            raise ApiError(404, f"no operation {op_id}", "operation_id")
        return op

    # -- health and users ---------------------------------------------------------------

    @app.get("/api/health", response_model=HealthOut, tags=["service"])
    def health() -> HealthOut:
        """Whether the service and its database answer (no token needed)."""
        with database.read() as s:
            s.execute(select(1))
        return HealthOut(status="ok", version=__version__, database=database.backend)

    @app.get("/api/me", response_model=MeOut, responses=ERRORS, tags=["users"])
    def me(who: Viewer) -> MeOut:
        """The caller's name and role."""
        return MeOut(name=who.name, role=who.role)

    @app.get("/api/users", response_model=list[UserOut], responses=ERRORS, tags=["users"])
    def list_users(who: Admin) -> list[UserOut]:
        """Every user (admin)."""
        with database.read() as s:
            return [UserOut(name=u.name, role=u.role, created_at=u.created_at)
                    for u in s.scalars(select(User).order_by(User.id))]

    @app.post("/api/users", response_model=TokenOut, status_code=201, responses=ERRORS,
              tags=["users"])
    def create_user(body: UserIn, who: Admin) -> TokenOut:
        """Add a user (admin); the response holds their token, shown this once."""
        try:
            with database.write() as s:
                user, token = add_user(s, body.name, body.role)
        except InputError as exc:
            raise _input_error(exc, 409 if "exists" in exc.message else 422) from None
        return TokenOut(name=user.name, role=user.role, token=token)

    def user_named(s: Session, name: str) -> User:
        user = find_user(s, name)
        if user is None:
            raise ApiError(404, f"no user {name!r}", "name")
        return user

    @app.post("/api/users/{name}/tokens", response_model=TokenOut, status_code=201,
              responses=ERRORS, tags=["users"])
    def create_token(name: Annotated[str, Path(max_length=64)], who: Admin) -> TokenOut:
        """A further token for a user (admin)."""
        with database.write() as s:
            user = user_named(s, name)
            return TokenOut(name=user.name, role=user.role, token=issue_token(s, user))

    @app.post("/api/users/{name}/revoke", response_model=dict[str, int], responses=ERRORS,
              tags=["users"])
    def revoke(name: Annotated[str, Path(max_length=64)], who: Admin) -> dict[str, int]:
        """Revoke every token of a user (admin); returns how many were live."""
        with database.write() as s:
            return {"revoked": revoke_tokens(s, user_named(s, name))}

    # -- operations and revisions -------------------------------------------------------

    def rev_out(r: Revision, who: dict[int, str]) -> RevisionOut:
        meta = json.loads(r.summary)
        return RevisionOut(id=r.id, operation_id=r.operation_id, number=r.number,
                           scenario=r.scenario_name, title=r.title, summary=meta["text"],
                           phases=meta["phases"], time_zone=meta["time_zone"],
                           created_at=r.created_at, created_by=who.get(r.created_by, "?"))

    def op_out(s: Session, op: Operation) -> OperationOut:
        revs = list(s.scalars(select(Revision).where(Revision.operation_id == op.id)
                              .order_by(Revision.number)))
        who = names(s, {op.created_by, *(r.created_by for r in revs)})
        return OperationOut(
            id=op.id, name=op.name, title=op.title, created_at=op.created_at,
            created_by=who.get(op.created_by, "?"), revisions=len(revs),
            latest_revision=rev_out(revs[-1], who) if revs else None,
            announced=announced_ids(s, op.id))

    def announced_ids(s: Session, op_id: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in s.scalars(select(Announcement).where(Announcement.operation_id == op_id)
                           .order_by(Announcement.id)):
            out[a.phase] = a.plan_id
        return out

    def add_revision(s: Session, op: Operation, body: RevisionIn, who: Caller) -> Revision:
        from contingent.cli import scenario_summary
        from contingent.scenario import bundled_scenarios, loads_scenario

        if (body.source is None) == (body.bundled is None):
            raise ApiError(422, "give either 'source' (scenario YAML) or 'bundled' (a "
                                "bundled scenario name)", "source")
        if body.bundled is not None:
            found = bundled_scenarios()
            if body.bundled not in found:
                raise ApiError(422, f"no bundled scenario {body.bundled!r} (bundled: "
                                    f"{', '.join(sorted(found))})", "bundled")
            text = found[body.bundled].read_text(encoding="utf-8")
        else:
            text = body.source or ""
        number = (s.scalar(select(func.max(Revision.number))
                           .where(Revision.operation_id == op.id)) or 0) + 1
        try:
            sc = loads_scenario(text, file=f"revision {number}")
        except InputError as exc:
            raise _input_error(exc) from None
        except Exception as exc:  # the loader's own bug must still answer the client
            log.exception("scenario loader failed")
            raise ApiError(422, f"cannot read the scenario: {exc}", "source") from None
        rev = Revision(operation_id=op.id, number=number, scenario_name=sc.scenario,
                       title=sc.title, source=text, created_at=utcnow(), created_by=who.id,
                       summary=json.dumps({"text": scenario_summary(sc),
                                           "phases": list(sc.operation.phases),
                                           "time_zone": sc.operation.time_zone}))
        s.add(rev)
        s.flush()
        return rev

    @app.get("/api/operations", response_model=list[OperationOut], responses=ERRORS,
             tags=["operations"])
    def list_operations(who: Viewer) -> list[OperationOut]:
        """Every operation, newest first."""
        with database.read() as s:
            return [op_out(s, op) for op in s.scalars(select(Operation)
                                                       .order_by(Operation.id.desc()))]

    @app.post("/api/operations", response_model=OperationOut, status_code=201,
              responses=ERRORS, tags=["operations"])
    def create_operation(body: OperationIn, who: Planner) -> OperationOut:
        """Create an operation, with its first scenario revision if one is given."""
        with database.write() as s:
            if s.scalar(select(Operation.id).where(Operation.name == body.name)) is not None:
                raise ApiError(409, f"operation {body.name!r} exists already", "name")
            op = Operation(name=body.name, title=body.title, created_at=utcnow(),
                           created_by=who.id, lock_version=0)
            s.add(op)
            s.flush()
            if body.scenario is not None:
                add_revision(s, op, body.scenario, who)
            return op_out(s, op)

    @app.get("/api/operations/{operation_id}", response_model=OperationOut, responses=ERRORS,
             tags=["operations"])
    def get_operation(operation_id: IdPath, who: Viewer) -> OperationOut:
        """One operation."""
        with database.read() as s:
            return op_out(s, get_op(s, operation_id))

    @app.get("/api/operations/{operation_id}/revisions", response_model=list[RevisionOut],
             responses=ERRORS, tags=["operations"])
    def list_revisions(operation_id: IdPath, who: Viewer) -> list[RevisionOut]:
        """The scenario revisions of an operation, oldest first."""
        with database.read() as s:
            get_op(s, operation_id)
            revs = list(s.scalars(select(Revision).where(Revision.operation_id == operation_id)
                                  .order_by(Revision.number)))
            who_ = names(s, {r.created_by for r in revs})
            return [rev_out(r, who_) for r in revs]

    @app.post("/api/operations/{operation_id}/revisions", response_model=RevisionOut,
              status_code=201, responses=ERRORS, tags=["operations"])
    def create_revision(operation_id: IdPath, body: RevisionIn, who: Planner) -> RevisionOut:
        """Upload a scenario: a new immutable revision (bad YAML: 422 with file, line, field)."""
        with database.write() as s:
            op = get_op(s, operation_id)
            # Serialise revision numbering per operation.
            s.execute(update(Operation).where(Operation.id == op.id)
                      .values(lock_version=Operation.lock_version + 1))
            rev = add_revision(s, op, body, who)
            return rev_out(rev, {who.id: who.name})

    @app.get("/api/revisions/{revision_id}", response_model=RevisionDetail, responses=ERRORS,
             tags=["operations"])
    def get_revision(revision_id: IdPath, who: Viewer) -> RevisionDetail:
        """A revision with its scenario YAML."""
        with database.read() as s:
            r = s.get(Revision, revision_id)
            if r is None:
                raise ApiError(404, f"no revision {revision_id}", "revision_id")
            out = rev_out(r, names(s, {r.created_by}))
            return RevisionDetail(**out.model_dump(), source=r.source)

    # -- plans --------------------------------------------------------------------------

    def plan_out(s: Session, p: PlanRecord, who: dict[int, str] | None = None) -> PlanOut:
        who = who if who is not None else names(s, {p.created_by})
        body = json.loads(p.body)
        return PlanOut(
            id=p.id, operation_id=p.operation_id, revision_id=p.revision_id, phase=p.phase,
            kind=p.kind, status=p.status, completion=p.completion, based_on_id=p.based_on_id,
            now=p.replan_now, announced=announced_ids(s, p.operation_id).get(p.phase) == p.id,
            sorties=len(body.get("sorties", [])), created_at=p.created_at,
            created_by=who.get(p.created_by, "?"), job_id=p.job_id)

    def get_plan(s: Session, plan_id: int) -> PlanRecord:
        p = s.get(PlanRecord, plan_id)
        if p is None:
            raise ApiError(404, f"no plan {plan_id}", "plan_id")
        return p

    def scenario_of(s: Session, p: PlanRecord) -> Any:
        from contingent.scenario import loads_scenario

        rev = s.get(Revision, p.revision_id)
        assert rev is not None
        return loads_scenario(rev.source, file=f"revision {rev.number}")

    @app.get("/api/operations/{operation_id}/plans", response_model=list[PlanOut],
             responses=ERRORS, tags=["plans"])
    def list_plans(operation_id: IdPath, who: Viewer,
                   phase: PhaseName | None = None) -> list[PlanOut]:
        """Plans and re-plans of an operation, newest first."""
        with database.read() as s:
            get_op(s, operation_id)
            q = select(PlanRecord).where(PlanRecord.operation_id == operation_id)
            if phase is not None:
                q = q.where(PlanRecord.phase == phase)
            rows = list(s.scalars(q.order_by(PlanRecord.id.desc())))
            who_ = names(s, {p.created_by for p in rows})
            return [plan_out(s, p, who_) for p in rows]

    @app.get("/api/plans/{plan_id}", response_model=PlanDetail, responses=ERRORS,
             tags=["plans"])
    def get_plan_detail(plan_id: IdPath, who: Viewer) -> PlanDetail:
        """A plan with its plan file (and, for a re-plan, its diff and check)."""
        with database.read() as s:
            p = get_plan(s, plan_id)
            extra = json.loads(p.diff) if p.diff else {}
            return PlanDetail(**plan_out(s, p).model_dump(), plan=json.loads(p.body),
                              diff=extra.get("diff"), check=extra.get("check"))

    @app.post("/api/plans/{plan_id}/announce", response_model=PlanOut, responses=ERRORS,
              tags=["plans"])
    def announce(plan_id: IdPath, who: Planner) -> PlanOut:
        """Announce a plan for its phase: new events report against it."""
        with database.write() as s:
            p = get_plan(s, plan_id)
            if p.status not in ("optimal", "feasible", "given"):
                raise ApiError(409, f"plan {plan_id} is {p.status}: there is nothing to "
                                    "announce", "plan_id")
            s.execute(update(Operation).where(Operation.id == p.operation_id)
                      .values(lock_version=Operation.lock_version + 1))
            s.add(Announcement(operation_id=p.operation_id, phase=p.phase, plan_id=p.id,
                               created_at=utcnow(), created_by=who.id))
            s.flush()
            return plan_out(s, p)

    @app.get("/api/plans/{plan_id}/views", response_model=dict[str, Any], responses=ERRORS,
             tags=["plans"])
    def plan_views(plan_id: IdPath, who: Viewer) -> dict[str, Any]:
        """What the console draws: map, timeline, departures against caps, facility board."""
        from contingent.planfile import loads_plan
        from contingent.service.views import plan_views as views

        with database.read() as s:
            p = get_plan(s, plan_id)
            sc = scenario_of(s, p)
            return views(sc, loads_plan(p.body, file=f"plan {p.id}"))

    @app.get("/api/plans/{plan_id}/check", response_model=dict[str, Any], responses=ERRORS,
             tags=["plans"])
    def plan_check(plan_id: IdPath, who: Viewer) -> dict[str, Any]:
        """The checker on a plan against its scenario revision."""
        from contingent.check import check
        from contingent.planfile import loads_plan

        with database.read() as s:
            p = get_plan(s, plan_id)
            vs = check(scenario_of(s, p), loads_plan(p.body, file=f"plan {p.id}"))
            return {"plan_id": p.id, "violations": [str(v) for v in vs]}

    @app.get("/api/plans/{plan_id}/export/{fmt}", responses={**ERRORS, 200: {
        "content": {"text/html": {}, "text/csv": {}, "application/geo+json": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        "description": "The report or export file"}}, tags=["plans"])
    def export(plan_id: IdPath, fmt: Literal["html", "csv", "xlsx", "geojson"],
               who: Viewer) -> Response:
        """Download the plan as an HTML report, CSV, XLSX or GeoJSON."""
        from contingent.planfile import loads_plan

        with database.read() as s:
            p = get_plan(s, plan_id)
            sc = scenario_of(s, p)
            plan = loads_plan(p.body, file=f"plan {p.id}")
            risk_row = s.scalars(select(RiskRecord).where(RiskRecord.plan_id == p.id)
                                 .order_by(RiskRecord.id.desc())).first()
            risk_data = json.loads(risk_row.body) if risk_row is not None else None
        if plan.completion is None:
            raise ApiError(409, f"plan {plan_id} has no sorties to export ({plan.status})",
                           "plan_id")
        name = f"{sc.scenario}-{plan.phase}-plan{plan_id}"
        if fmt == "html":
            from contingent.report.html import build_html, render_pictures

            risk = None
            if risk_data is not None:
                from contingent.report.riskfile import parse_risk

                try:
                    risk = parse_risk(risk_data, file=f"risk of plan {plan_id}")
                except InputError:
                    risk = None
            page = build_html(sc, plan, render_pictures(sc, plan, risk), risk)
            return Response(page, media_type="text/html; charset=utf-8")
        from contingent.report import export as ex

        if fmt == "csv":
            return Response(ex.to_csv(sc, plan), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        if fmt == "xlsx":
            return Response(
                ex.to_xlsx(sc, plan),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
        return Response(json.dumps(ex.to_geojson(sc, plan)), media_type="application/geo+json")

    # -- events -------------------------------------------------------------------------

    def event_out(e: EventRecord, who: dict[int, str], tz: Any = None) -> EventOut:
        from contingent.events import parse_events

        body = json.loads(e.body)
        try:
            desc = parse_events([body], first_seq=e.seq, numbered=True)[0].describe(tz)
        except InputError:
            desc = f"event {e.seq}: {e.kind}"
        return EventOut(id=e.id, seq=e.seq, phase=e.phase, plan_id=e.plan_id, type=e.kind,
                        time=e.time, reporter=e.reporter, event=body, description=desc,
                        created_at=e.created_at, created_by=who.get(e.created_by, "?"))

    def announced_plan(s: Session, op_id: int, phase: str) -> PlanRecord:
        a = s.scalars(select(Announcement).where(Announcement.operation_id == op_id,
                                                 Announcement.phase == phase)
                      .order_by(Announcement.id.desc())).first()
        if a is None:
            raise ApiError(409, f"no announced plan for the {phase} phase: plan it first",
                           "phase")
        p = s.get(PlanRecord, a.plan_id)
        assert p is not None
        return p

    @app.get("/api/operations/{operation_id}/events", response_model=list[EventOut],
             responses=ERRORS, tags=["events"])
    def list_events(operation_id: IdPath, who: Viewer,
                    phase: PhaseName | None = None) -> list[EventOut]:
        """Recorded events, in order."""
        with database.read() as s:
            get_op(s, operation_id)
            q = select(EventRecord).where(EventRecord.operation_id == operation_id)
            if phase is not None:
                q = q.where(EventRecord.phase == phase)
            rows = list(s.scalars(q.order_by(EventRecord.phase, EventRecord.seq)))
            who_ = names(s, {e.created_by for e in rows})
            return [event_out(e, who_) for e in rows]

    @app.post("/api/operations/{operation_id}/events", response_model=list[EventOut],
              status_code=201, responses=ERRORS, tags=["events"])
    def record_events(operation_id: IdPath, body: EventsIn, who: Planner) -> list[EventOut]:
        """Record events against the phase's announced plan.

        The new events are checked together with those already recorded; a contradiction
        refuses the whole request (422, with the event and field). Concurrent requests on one
        operation are taken one after the other, each numbered after the last.
        """
        from contingent.events import event_to_dict, parse_events, validate_events
        from contingent.planfile import loads_plan

        with database.write() as s:
            get_op(s, operation_id)
            # The lock first, before anything is read: writers on one operation queue here.
            s.execute(update(Operation).where(Operation.id == operation_id)
                      .values(lock_version=Operation.lock_version + 1))
            plan_rec = announced_plan(s, operation_id, body.phase)
            sc = scenario_of(s, plan_rec)
            plan = loads_plan(plan_rec.body, file=f"plan {plan_rec.id}")
            old = applicable_events(s, plan_rec)
            last = s.scalar(select(func.max(EventRecord.seq)).where(
                EventRecord.operation_id == operation_id,
                EventRecord.phase == body.phase)) or 0
            stored = []
            for rec in old:
                stored += parse_events([json.loads(rec.body)], file=f"event #{rec.seq}",
                                       first_seq=rec.seq, numbered=True)
            raw = []
            for ev in body.events:
                d = ev.model_dump(by_alias=True, exclude_none=True)
                d.setdefault("reporter", who.name)
                raw.append(d)
            try:
                new = parse_events(raw, file="<request>", first_seq=last + 1, numbered=True)
                validate_events(sc, plan, [*stored, *new])
            except InputError as exc:
                raise _input_error(exc) from None
            rows = []
            tz = sc.operation.tz
            for e in new:
                rec = EventRecord(operation_id=operation_id, phase=body.phase, seq=e.seq,
                                  plan_id=plan_rec.id, kind=e.kind, time=e.time,
                                  reporter=e.reporter, body=json.dumps(event_to_dict(e, tz)),
                                  created_at=utcnow(), created_by=who.id)
                s.add(rec)
                rows.append(rec)
            s.flush()
            return [event_out(r, {who.id: who.name}, tz) for r in rows]

    # -- jobs ---------------------------------------------------------------------------

    def job_out(s: Session, j: Job, who: dict[int, str] | None = None) -> JobOut:
        who = who if who is not None else names(s, {j.created_by})
        plan_id = s.scalar(select(PlanRecord.id).where(PlanRecord.job_id == j.id))
        risk_id = s.scalar(select(RiskRecord.id).where(RiskRecord.job_id == j.id))
        return JobOut(id=j.id, operation_id=j.operation_id, kind=j.kind,
                      params=json.loads(j.params), status=j.status, progress=j.progress,
                      error=j.error, cancel_requested=j.cancel_requested, rerun_of=j.rerun_of,
                      created_at=j.created_at, started_at=j.started_at,
                      finished_at=j.finished_at, created_by=who.get(j.created_by, "?"),
                      plan_id=plan_id, risk_id=risk_id)

    def get_job(s: Session, job_id: int) -> Job:
        j = s.get(Job, job_id)
        if j is None:
            raise ApiError(404, f"no job {job_id}", "job_id")
        return j

    def job_params(s: Session, op_id: int, body: PlanJobIn | RiskJobIn | ReplanJobIn
                   ) -> dict[str, Any]:
        if isinstance(body, PlanJobIn):
            q = select(Revision).where(Revision.operation_id == op_id)
            if body.revision_id is not None:
                q = q.where(Revision.id == body.revision_id)
            rev = s.scalars(q.order_by(Revision.number.desc())).first()
            if rev is None:
                raise ApiError(422 if body.revision_id else 409,
                               "no such revision in this operation" if body.revision_id
                               else "the operation has no scenario yet: upload one",
                               "revision_id")
            phases = json.loads(rev.summary).get("phases", [])
            if body.phase not in phases:
                raise ApiError(422, f"scenario revision {rev.number} has no {body.phase} "
                                    "phase", "phase")
            return {"phase": body.phase, "revision_id": rev.id, "time_limit": body.time_limit,
                    "workers": body.workers}
        if isinstance(body, RiskJobIn):
            p = s.get(PlanRecord, body.plan_id)
            if p is None or p.operation_id != op_id:
                raise ApiError(422, "no such plan in this operation", "plan_id")
            if p.status not in ("optimal", "feasible", "given") or p.completion is None:
                raise ApiError(409, f"plan {p.id} is {p.status}: nothing to simulate",
                               "plan_id")
            return {"plan_id": p.id, "runs": body.runs, "seed": body.seed}
        if body.plan_id is not None:
            base = s.get(PlanRecord, body.plan_id)
            if base is None or base.operation_id != op_id or base.phase != body.phase:
                raise ApiError(422, f"no {body.phase} plan {body.plan_id} in this operation",
                               "plan_id")
        else:
            base = announced_plan(s, op_id, body.phase)
        if base.completion is None:
            raise ApiError(409, f"plan {base.id} is {base.status}: nothing to re-plan",
                           "plan_id")
        events = applicable_events(s, base)
        if body.now is not None:
            from contingent.scenario.model import parse_time

            try:
                now = parse_time(body.now)
            except ValueError as exc:
                raise ApiError(422, str(exc), "now") from None
        elif events:
            now = max(e.time for e in events)
        else:
            raise ApiError(422, "no events recorded yet: give 'now'", "now")
        upto = max((e.seq for e in events), default=0)
        return {"phase": body.phase, "plan_id": base.id, "now": now.isoformat(),
                "upto_seq": upto, "move_cost": body.move_cost, "time_limit": body.time_limit,
                "workers": body.workers, "assume_flown": body.assume_flown}

    @app.get("/api/operations/{operation_id}/jobs", response_model=list[JobOut],
             responses=ERRORS, tags=["jobs"])
    def list_jobs(operation_id: IdPath, who: Viewer) -> list[JobOut]:
        """Jobs of an operation, newest first."""
        with database.read() as s:
            get_op(s, operation_id)
            rows = list(s.scalars(select(Job).where(Job.operation_id == operation_id)
                                  .order_by(Job.id.desc())))
            who_ = names(s, {j.created_by for j in rows})
            return [job_out(s, j, who_) for j in rows]

    @app.post("/api/operations/{operation_id}/jobs", response_model=JobOut, status_code=202,
              responses=ERRORS, tags=["jobs"])
    def create_job(operation_id: IdPath, body: JobIn, who: Planner) -> JobOut:
        """Queue a plan, risk or re-plan job; poll it at ``/api/jobs/{id}``."""
        with database.write() as s:
            get_op(s, operation_id)
            params = job_params(s, operation_id, body)
            j = Job(operation_id=operation_id, kind=body.kind, params=json.dumps(params),
                    status="queued", progress="queued", error="", cancel_requested=False,
                    created_at=utcnow(), created_by=who.id)
            s.add(j)
            s.flush()
            out = job_out(s, j, {who.id: who.name})
        runner.notify()
        return out

    @app.get("/api/jobs/{job_id}", response_model=JobOut, responses=ERRORS, tags=["jobs"])
    def get_job_detail(job_id: IdPath, who: Viewer) -> JobOut:
        """A job: state, progress, error and what it produced."""
        with database.read() as s:
            return job_out(s, get_job(s, job_id))

    @app.post("/api/jobs/{job_id}/cancel", response_model=JobOut, responses=ERRORS,
              tags=["jobs"])
    def cancel_job(job_id: IdPath, who: Planner) -> JobOut:
        """Cancel a queued or running job (a finished one: 409)."""
        with database.write() as s:
            j = get_job(s, job_id)
            if j.status not in ("queued", "running"):
                raise ApiError(409, f"job {job_id} is {j.status} already", "job_id")
            j.cancel_requested = True
            if j.status == "queued":
                j.status, j.progress, j.finished_at = "cancelled", "cancelled", utcnow()
                j.error = "cancelled on request"
            running = j.status == "running"
            s.flush()
            out = job_out(s, j)
        if running:
            runner.cancel(job_id)
        return out

    @app.post("/api/jobs/{job_id}/rerun", response_model=JobOut, status_code=202,
              responses=ERRORS, tags=["jobs"])
    def rerun_job(job_id: IdPath, who: Planner) -> JobOut:
        """Queue a finished job again with the same parameters."""
        with database.write() as s:
            j = get_job(s, job_id)
            if j.status in ("queued", "running"):
                raise ApiError(409, f"job {job_id} is {j.status}: not finished yet", "job_id")
            new = Job(operation_id=j.operation_id, kind=j.kind, params=j.params,
                      status="queued", progress="queued", error="", cancel_requested=False,
                      rerun_of=j.id, created_at=utcnow(), created_by=who.id)
            s.add(new)
            s.flush()
            out = job_out(s, new, {who.id: who.name})
        runner.notify()
        return out

    # -- risk ---------------------------------------------------------------------------

    def risk_out(r: RiskRecord, who: dict[int, str]) -> RiskOut:
        return RiskOut(id=r.id, operation_id=r.operation_id, plan_id=r.plan_id, job_id=r.job_id,
                       runs=r.runs, created_at=r.created_at,
                       created_by=who.get(r.created_by, "?"), result=json.loads(r.body))

    @app.get("/api/operations/{operation_id}/risks", response_model=list[RiskOut],
             responses=ERRORS, tags=["risk"])
    def list_risks(operation_id: IdPath, who: Viewer,
                   plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
                   ) -> list[RiskOut]:
        """Risk results of an operation (or of one plan), newest first."""
        with database.read() as s:
            get_op(s, operation_id)
            q = select(RiskRecord).where(RiskRecord.operation_id == operation_id)
            if plan_id is not None:
                q = q.where(RiskRecord.plan_id == plan_id)
            rows = list(s.scalars(q.order_by(RiskRecord.id.desc())))
            who_ = names(s, {r.created_by for r in rows})
            return [risk_out(r, who_) for r in rows]

    @app.get("/api/risks/{risk_id}", response_model=RiskOut, responses=ERRORS, tags=["risk"])
    def get_risk(risk_id: IdPath, who: Viewer) -> RiskOut:
        """One risk result."""
        with database.read() as s:
            r = s.get(RiskRecord, risk_id)
            if r is None:
                raise ApiError(404, f"no risk result {risk_id}", "risk_id")
            return risk_out(r, names(s, {r.created_by}))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def not_found(rest: str) -> None:
        raise ApiError(404, f"no such endpoint: /api/{rest}")


__all__ = ["ApiError", "create_app"]
