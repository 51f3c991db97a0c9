"""Discord webhook destinations: the chat address names the webhook id, the token lives here.

A webhook URL is a secret (anyone holding it can post). Keeping the token out of the chat
address means logs, `raqib subscriptions list` and /status can name a destination freely.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, UTCDateTime

PLATFORM = "discord-webhook"


class DiscordWebhook(Base):
    __tablename__ = "discord_webhooks"

    webhook_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def address_of(webhook_id: str) -> str:
    return f"{PLATFORM}:{webhook_id}"


def save_webhook(session: Session, webhook_id: str, token: str, now: datetime) -> str:
    """Store (or replace, when the webhook was regenerated) the token; return the chat address."""
    row = session.get(DiscordWebhook, webhook_id)
    if row is None:
        session.add(DiscordWebhook(webhook_id=webhook_id, token=token, created_at=now, updated_at=now))
    elif row.token != token:
        row.token, row.updated_at = token, now
    session.flush()
    return address_of(webhook_id)


def webhook_token(session: Session, webhook_id: str) -> str | None:
    return session.scalar(select(DiscordWebhook.token).where(DiscordWebhook.webhook_id == webhook_id))
