"""SQLAlchemy Core tables. Alembic migrations under `migrations/` create them.

Over 500 lines because the whole schema is declared in one metadata, which the migrations'
autogenerate-diff test compares with the database; splitting it would only scatter one list.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from crisis.store.types import UTCDateTime

# The deliveries a claim looks at, written out (not bound) so that SQLite sees that a query
# with the same condition can use the partial index below.
STILL_DUE = text("status IN ('pending', 'in_flight')")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # The console's sign-in: an Argon2 hash (none: the user has only an API token).
    Column("password_hash", String(200)),
    # Federated sign-in (ProConnect): the address the first sign-in is matched by, then the
    # provider's subject the account is bound to.
    Column("email", String(320), unique=True),
    Column("oidc_issuer", String(500)),
    Column("oidc_subject", String(255), unique=True),
    Column("oidc_bound_at", UTCDateTime()),
    Column("last_signin_at", UTCDateTime()),
    Column("last_signin_method", String(16)),
)

# Failed sign-ins in a row, per name typed (folded) and per address: the growing delays of
# crisis.domain.signin_throttle. A name is counted whether or not an account has it.
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime(), nullable=False),
    Column("refused_early", Integer, nullable=False),
    Index("ix_signin_failures_last_failure_at", "last_failure_at"),
)

# Signed-in console sessions. Only a SHA-256 of the cookie's random value is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    # How the session was opened (password, proconnect) and the assurance level (acr) the
    # provider stated; the ID token, for the provider's logout (id_token_hint).
    Column("method", String(16), nullable=False, server_default="password"),
    Column("acr", String(200)),
    Column("id_token", Text),
    # The last fresh verification (step-up) of the person at the keyboard, and how.
    Column("verified_at", UTCDateTime()),
    Column("verified_method", String(16)),
    Index("ix_web_sessions_user_id", "user_id"),
)

# Passkeys (WebAuthn credentials): the public key only; the private one never leaves the
# person's device.
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("credential_id", String(1400), nullable=False, unique=True),
    Column("public_key", Text, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("name", String(80), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Index("ix_passkeys_user_id", "user_id"),
)

# A WebAuthn ceremony under way: its random challenge, for one user (or anyone, to sign in),
# deleted at its first use.
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("challenge", String(200), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("user_id", String(36)),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# A sign-in under way at the identity provider: the hash of its `state`, its nonce and PKCE
# verifier, kept server side and deleted at first use (a replayed `state` finds nothing).
oidc_logins = Table(
    "oidc_logins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("code_verifier", String(200), nullable=False),
    Column("next_path", String(2000), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

crises = Table(
    "crises",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("communes", JSON, nullable=False),
    Column("reported_at", UTCDateTime(), nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("closed_by", String(120)),
    Column("close_reason", Text),
    Column("opened_by_mistake", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    Index("ix_crises_state", "state"),
    Index("ix_crises_reported_at", "reported_at"),
)

cod_activations = Table(
    "cod_activations",
    metadata,
    Column("crisis_id", String(36), ForeignKey("crises.id"), primary_key=True),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(120), nullable=False),
    Column("synergi_ref", String(120)),
    Column("recorded_by", String(120), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

clocks = Table(
    "clocks",
    metadata,
    Column("crisis_id", String(36), ForeignKey("crises.id"), primary_key=True),
    Column("name", String(16), primary_key=True),
    Column("target_minutes", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("deadline", UTCDateTime(), nullable=False),
    Column("warning_offsets", JSON, nullable=False),
    Column("met_at", UTCDateTime()),
    Column("met_by", Text),
)

# One row per warning or breach raised: the unique key is what makes "exactly once" hold
# even if two processes check the same clock at the same moment.
clock_alerts = Table(
    "clock_alerts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("clock", String(16), nullable=False),
    Column("offset_minutes", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    UniqueConstraint("crisis_id", "clock", "offset_minutes", name="uq_clock_alerts_once"),
)

manual_deliveries = Table(
    "manual_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=False),
    Column("means", Text, nullable=False),
    Column("recipients", Text, nullable=False),
    Column("recorded_by", String(120), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

journal = Table(
    "journal",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("stream", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream", "seq", name="uq_journal_stream_seq"),
)

# The last entry of each stream, kept in the same transaction as the append, so that
# cutting entries off the end of a chain is detected too.
journal_heads = Table(
    "journal_heads",
    metadata,
    Column("stream", String(36), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The directory of recipients. `key` is the stable identity a re-import matches on:
# normalised e-mail, else E.164 mobile, else Telegram chat id, else category + name + commune.
contacts = Table(
    "contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("email", String(320)),
    Column("mobile", String(20)),
    Column("telegram_chat_id", String(32)),
    Column("commune", String(120)),
    Column("fonction", String(200)),
    Column("exercise", Boolean, nullable=False),
    # An inactive contact stays in the directory (and its history) but receives nothing.
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_contacts_category", "category"),
)

# Named lists (« maires des communes inondées »); `name_key` is the folded name, unique.
contact_lists = Table(
    "contact_lists",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(120), nullable=False),
)

contact_list_members = Table(
    "contact_list_members",
    metadata,
    Column("list_id", String(36), ForeignKey("contact_lists.id"), primary_key=True),
    Column("contact_id", String(36), ForeignKey("contacts.id"), primary_key=True),
    Column("added_at", UTCDateTime(), nullable=False),
    Column("added_by", String(120), nullable=False),
    Index("ix_contact_list_members_contact_id", "contact_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("references_id", String(36), ForeignKey("messages.id")),
    Column("audiences", JSON, nullable=False),
    Column("lists", JSON, nullable=False),
    Column("texts", JSON, nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_messages_crisis_id", "crisis_id"),
)

# A large fan-out written in the background after the send has answered: where it stands
# (the audience being expanded and the last contact written, in the audience's order) and
# what it has written so far. `finished_at` is set when every recipient has been planned.
fanouts = Table(
    "fanouts",
    metadata,
    Column("message_id", String(36), ForeignKey("messages.id"), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("channels", JSON),  # the sender's restriction, or null for every usable channel
    Column("audience_index", Integer, nullable=False),
    Column("after_category", String(16)),
    Column("after_name", String(200)),
    Column("after_id", String(36)),
    Column("by_channel", JSON, nullable=False),
    Column("unreachable", Integer, nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
)

# The outbox: one row per message x recipient x channel, written in the same transaction
# as the decision to send. `status`: pending, in_flight, accepted, failed, refused.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(36), ForeignKey("messages.id"), nullable=False),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("recipient_kind", String(16), nullable=False),
    Column("recipient", String(400), nullable=False),
    Column("recipient_name", String(200), nullable=False),
    Column("contact_id", String(36), ForeignKey("contacts.id")),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(120)),
    Column("claimed_until", UTCDateTime()),
    Column("provider_message_id", String(200)),
    Column("accepted_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("last_error", Text),
    Column("fallback_of", String(36), ForeignKey("deliveries.id")),
    # What the operator's receipts said of the handset: « delivered » (every part) or
    # « undelivered » (a part), with the receipt's instant and, if undelivered, why.
    Column("handset_status", String(16)),
    Column("handset_at", UTCDateTime()),
    Column("handset_reason", Text),
    # A call: what the person did (acknowledged, declined, message_left).
    Column("person_outcome", String(16)),
    # Only the deliveries still due are indexed for the claim: the ones done (nearly all of
    # them after a fan-out) leave the index, so a claim costs the same at 1,000 or 1,000,000
    # rows. An in-flight delivery's next_attempt_at is its lease expiry.
    Index(
        "ix_deliveries_still_due",
        "channel",
        "next_attempt_at",
        "id",
        sqlite_where=STILL_DUE,
        postgresql_where=STILL_DUE,
    ),
    # The delivery board of a message, one page (one range) at a time.
    Index("ix_deliveries_message_board", "message_id", "channel", "id"),
    Index("ix_deliveries_crisis_id", "crisis_id"),
)

# Each part of an SMS the operator accepted, by the id it gave, to match its receipt. `route`
# is the channel, with « /exercice » for the exercise bind (whose ids are numbered apart).
delivery_parts = Table(
    "delivery_parts",
    metadata,
    Column("route", String(64), primary_key=True),
    Column("provider_message_id", String(200), primary_key=True),
    Column("delivery_id", String(36), ForeignKey("deliveries.id"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("state", String(16)),
    Column("received_at", UTCDateTime()),
    Column("reason", Text),
    Index("ix_delivery_parts_delivery_id", "delivery_id"),
)

# Receipts for an id no part holds yet: the receipt came before the acceptance was recorded
# (or names a message the service never sent, dropped once `RECEIPT_WAIT` has passed).
waiting_receipts = Table(
    "waiting_receipts",
    metadata,
    Column("route", String(64), primary_key=True),
    Column("provider_message_id", String(200), primary_key=True),
    Column("delivered", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("error_code", String(16), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("delivery_id", String(36), ForeignKey("deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(120), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("error", Text),
    Column("retry_after", Float),
    Index("ix_delivery_attempts_delivery_id", "delivery_id"),
)

# Each channel's health as the dispatchers see it, so that an outage raises one alert when
# it starts and one when it ends (README « Pannes de canal »). One row per channel and side.
channel_health = Table(
    "channel_health",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("exercise", Boolean, primary_key=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("failing_since", UTCDateTime()),
    Column("down_since", UTCDateTime()),
    Column("last_accepted_at", UTCDateTime()),
    # Crises already told of final failures on this channel since its last acceptance.
    Column("gave_up_alerted", JSON, nullable=False),
)

# What the service publishes itself: the public feed entries and the CAP alerts.
publications = Table(
    "publications",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("delivery_id", String(36), ForeignKey("deliveries.id"), nullable=False, unique=True),
    Column("message_id", String(36), ForeignKey("messages.id"), nullable=False),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("identifier", String(200), nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("document", Text),
    Index("ix_publications_kind", "kind", "exercise", "published_at"),
)

# Custom message templates: each edit is a new version; a row exists only once the version
# has compiled in the sandbox, rendered with its examples and fitted every channel.
message_templates = Table(
    "message_templates",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("manifest", JSON, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Prepared messages on their way to the préfet's approval; `message_id` once sent.
message_drafts = Table(
    "message_drafts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("template", String(63)),
    Column("template_version", Integer),
    Column("variables", JSON, nullable=False),
    Column("rendered", JSON, nullable=False),
    Column("texts", JSON, nullable=False),
    Column("audiences", JSON, nullable=False),
    Column("lists", JSON, nullable=False),
    Column("channels", JSON),
    Column("msg_type", String(16), nullable=False),
    Column("references_id", String(36), ForeignKey("messages.id")),
    Column("exercise", Boolean, nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(120), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("submitted_by", String(120)),
    Column("submitted_at", UTCDateTime()),
    Column("decided_by", String(120)),
    Column("decided_at", UTCDateTime()),
    Column("rejection_reason", Text),
    Column("sent_by", String(120)),
    Column("sent_at", UTCDateTime()),
    Column("message_id", String(36), ForeignKey("messages.id")),
    Index("ix_message_drafts_crisis_id", "crisis_id"),
)

# -- the cell on call: roster, callouts and their pages, the CIP ----------------------------

oncall_members = Table(
    "oncall_members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("contact_id", String(36), ForeignKey("contacts.id")),
    Column("email", String(320)),
    Column("mobile", String(20)),
    Column("telegram_chat_id", String(32)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

oncall_shifts = Table(
    "oncall_shifts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), ForeignKey("oncall_members.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Index("ix_oncall_shifts_role", "role", "starts_at"),
)

# One-time codes binding a Telegram chat to a member; only their SHA-256 is kept.
oncall_bind_codes = Table(
    "oncall_bind_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("member_id", String(36), ForeignKey("oncall_members.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
)

callouts = Table(
    "callouts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("team", String(8), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("started_by", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("quorum", JSON, nullable=False),
    Column("ack_minutes", Integer, nullable=False),
    Column("escalations", Integer, nullable=False),
    Column("quorum_reached_at", UTCDateTime()),
    UniqueConstraint("crisis_id", "team", name="uq_callouts_crisis_team"),
)

# One row per round of a role: the initial page (0), each escalation (1..K), the duty
# officer's alert (K+1). The primary key is what makes each escalation happen exactly once.
callout_rounds = Table(
    "callout_rounds",
    metadata,
    Column("callout_id", String(36), ForeignKey("callouts.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Index("ix_callout_rounds_due_at", "due_at"),
)

callout_pages = Table(
    "callout_pages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("callout_id", String(36), ForeignKey("callouts.id"), nullable=False),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("round", Integer, nullable=False),
    Column("member_id", String(36), ForeignKey("oncall_members.id"), nullable=False),
    Column("message_id", String(36), ForeignKey("messages.id")),
    Column("paged_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime()),
    Column("ack_via", String(16)),
    # When the page's acknowledgement links stop working at the latest (CRISIS_ACK_LINK_MINUTES).
    Column("link_expires_at", UTCDateTime()),
    UniqueConstraint("callout_id", "role", "member_id", name="uq_callout_pages_once"),
    Index("ix_callout_pages_member_id", "member_id"),
)

# The approvers of messages, in the order they are called (crisis.services.approval_calls):
# a user with the approval right, reached through the addresses of a contact of the directory.
approvers = Table(
    "approvers",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    # None: the on-call member who bears the user's name (the console's own rule).
    Column("contact_id", String(36), ForeignKey("contacts.id")),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(120), nullable=False),
)

# The calls of the approvers for one submission of a message: `step` is the last approver
# called (0, 1, … across passes), `due_at` when the next step falls due (None: stopped). The
# conditional update on `step` makes each step happen once.
approval_calls = Table(
    "approval_calls",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("draft_id", String(36), ForeignKey("message_drafts.id"), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("deadline", UTCDateTime()),
    Column("approvers", JSON, nullable=False),  # user ids, in the order they are called
    Column("passes", Integer, nullable=False),
    Column("step", Integer, nullable=False),
    Column("due_at", UTCDateTime()),
    Column("stopped_at", UTCDateTime()),
    Column("stop_reason", String(16)),
    Column("stopped_by", String(120)),
    Index("ix_approval_calls_draft_id", "draft_id"),
    Index("ix_approval_calls_due_at", "due_at"),
)

approval_pages = Table(
    "approval_pages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("approval_calls.id"), nullable=False),
    Column("crisis_id", String(36), ForeignKey("crises.id"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("user_name", String(120), nullable=False),
    Column("message_id", String(36), ForeignKey("messages.id")),
    Column("channels", JSON, nullable=False),
    Column("paged_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime()),
    Column("ack_via", String(16)),
    Column("declined_at", UTCDateTime()),
    Column("link_expires_at", UTCDateTime()),
    UniqueConstraint("call_id", "step", name="uq_approval_pages_step"),
    Index("ix_approval_pages_message_id", "message_id"),
)

# The personal links of approval pages: like `ack_links`, only a SHA-256 of each token. A
# link only leads to the message, after sign-in: it acknowledges nothing by itself.
approval_links = Table(
    "approval_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("page_id", String(36), ForeignKey("approval_pages.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_approval_links_page_id", "page_id"),
)

# Personal acknowledgement links: only a SHA-256 of each random token, minted when a delivery
# of the page is claimed for sending, so that the clear token exists only in the message sent.
ack_links = Table(
    "ack_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("page_id", String(36), ForeignKey("callout_pages.id"), nullable=False),
    Column("member_id", String(36), ForeignKey("oncall_members.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Index("ix_ack_links_page_id", "page_id"),
)

# Shift handovers journalled during a crisis, once each.
oncall_handovers = Table(
    "oncall_handovers",
    metadata,
    Column("crisis_id", String(36), ForeignKey("crises.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("at", UTCDateTime(), primary_key=True),
)

cip_activations = Table(
    "cip_activations",
    metadata,
    Column("crisis_id", String(36), ForeignKey("crises.id"), primary_key=True),
    Column("numero_unique", String(32), nullable=False),
    Column("ordered_at", UTCDateTime(), nullable=False),
    Column("ordered_by", String(120), nullable=False),
    Column("operational_at", UTCDateTime()),
    Column("deactivated_at", UTCDateTime()),
    Column("deactivated_by", String(120)),
    Column("deactivation_reason", Text),
)

# The exercise programme (commitment 49). An entry is never deleted, only marked removed:
# the runs and notices of the past keep pointing at it.
drill_schedules = Table(
    "drill_schedules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scenario", String(500), nullable=False),
    Column("scenario_title", String(200), nullable=False),
    Column("rule_kind", String(8), nullable=False),
    Column("rule", String(500), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("notice_days", Integer, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime()),
    Column("removed_by", String(120)),
)

# One row per occurrence that fell due: the primary key is what makes each run happen once.
drill_runs = Table(
    "drill_runs",
    metadata,
    Column("schedule_id", String(36), ForeignKey("drill_schedules.id"), primary_key=True),
    Column("occurrence", UTCDateTime(), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("report_dir", String(1000)),
    Column("verdict", JSON),
    Column("error", Text),
    Column("crisis_id", String(36)),
)

# One row per notice sent: the primary key is what makes each notice leave once.
drill_notices = Table(
    "drill_notices",
    metadata,
    Column("schedule_id", String(36), ForeignKey("drill_schedules.id"), primary_key=True),
    Column("occurrence", UTCDateTime(), primary_key=True),
    Column("sent_at", UTCDateTime(), nullable=False),
    Column("message_id", String(36), ForeignKey("messages.id")),
    Column("recipients", Integer, nullable=False),
)

# Scenarios uploaded to the console: in the database, so that every instance lists and plays
# them and a restart keeps them. `name` is what a programme entry refers to.
drill_scenarios = Table(
    "drill_scenarios",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("file_name", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(120), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

# A demonstration database (`crisis demo`) holds this one row: the service then sends through
# its local demonstration channels only, and every page says so.
demonstration = Table(
    "demonstration",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# What the demonstration channels « sent »: kept here instead of reaching anyone, shown in
# the console's demonstration outbox.
demo_outbox = Table(
    "demo_outbox",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("recipient_kind", String(16), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", Text),
    Column("text", Text, nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("crisis_id", String(36)),
    Column("message_id", String(36)),
    Column("sent_at", UTCDateTime(), nullable=False),
    Index("ix_demo_outbox_sent_at", "sent_at"),
)
