"""One transaction, and the repositories working inside it."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from sqlalchemy import Connection, Engine

from crisis.store.approvals_repository import ApprovalRepository
from crisis.store.channel_health_repository import ChannelHealthRepository
from crisis.store.contacts_repository import ContactRepository
from crisis.store.crises_repository import CrisisRepository
from crisis.store.drafts_repository import DraftRepository, TemplateRepository
from crisis.store.engine import READ_OPTIONS
from crisis.store.fanouts_repository import FanoutRepository
from crisis.store.idempotency_repository import IdempotencyRepository
from crisis.store.journal import Journal
from crisis.store.oidc_logins_repository import OidcLoginRepository
from crisis.store.oncall_repository import OncallRepository
from crisis.store.outbox_repository import OutboxRepository
from crisis.store.passkeys_repository import PasskeyRepository
from crisis.store.programme_repository import ProgrammeRepository
from crisis.store.publications_repository import PublicationRepository
from crisis.store.receipts_repository import ReceiptsRepository
from crisis.store.sessions_repository import SessionRepository
from crisis.store.signin_throttle_repository import SigninThrottleRepository
from crisis.store.users_repository import UserRepository


class UnitOfWork:
    """Commits only when asked; anything else rolls back."""

    connection: Connection
    crises: CrisisRepository
    contacts: ContactRepository
    outbox: OutboxRepository
    receipts: ReceiptsRepository
    fanouts: FanoutRepository
    channel_health: ChannelHealthRepository
    publications: PublicationRepository
    journal: Journal
    users: UserRepository
    sessions: SessionRepository
    oidc_logins: OidcLoginRepository
    passkeys: PasskeyRepository
    signin_throttle: SigninThrottleRepository
    idempotency: IdempotencyRepository
    drafts: DraftRepository
    templates: TemplateRepository
    oncall: OncallRepository
    approvals: ApprovalRepository
    programme: ProgrammeRepository

    def __init__(self, engine: Engine, *, now: datetime, read_only: bool = False) -> None:
        self._engine = engine
        self.now = now
        self._read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.connection = self._engine.connect()
        if self._read_only:
            # A read: no write lock on SQLite, a READ ONLY transaction on PostgreSQL.
            self.connection.execution_options(**READ_OPTIONS)
        self._transaction = self.connection.begin()
        self.crises = CrisisRepository(self.connection, now=self.now)
        self.contacts = ContactRepository(self.connection)
        self.outbox = OutboxRepository(self.connection)
        self.receipts = ReceiptsRepository(self.connection)
        self.fanouts = FanoutRepository(self.connection)
        self.channel_health = ChannelHealthRepository(self.connection)
        self.publications = PublicationRepository(self.connection)
        self.journal = Journal(self.connection)
        self.users = UserRepository(self.connection)
        self.sessions = SessionRepository(self.connection)
        self.oidc_logins = OidcLoginRepository(self.connection)
        self.passkeys = PasskeyRepository(self.connection)
        self.signin_throttle = SigninThrottleRepository(self.connection)
        self.idempotency = IdempotencyRepository(self.connection)
        self.drafts = DraftRepository(self.connection)
        self.templates = TemplateRepository(self.connection)
        self.oncall = OncallRepository(self.connection)
        self.approvals = ApprovalRepository(self.connection)
        self.programme = ProgrammeRepository(self.connection)
        return self

    def commit(self) -> None:
        self._transaction.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._transaction.is_active:
            self._transaction.rollback()
        self.connection.close()
