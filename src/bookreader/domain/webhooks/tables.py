from piccolo.columns import JSONB, UUID, BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from bookreader.domain.accounts.tables import User


class Webhook(Table, tablename="webhooks"):
    id = UUID(primary_key=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    system = Boolean(default=False)  # an admin's: receives every user's events
    url = Text()
    events = JSONB(default="[]")
    secret = Text()
    description = Text(default="")
    enabled = Boolean(default=True)
    disabled_at = Timestamptz(null=True, default=None)
    disabled_reason = Text(null=True, default=None)
    failing_since = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, tablename="webhook_deliveries"):
    id = BigSerial(primary_key=True)
    webhook = ForeignKey(references=Webhook, on_delete=OnDelete.cascade, null=False)
    event_id = Varchar(length=64)
    event_type = Varchar(length=32)
    ordering_key = Varchar(length=64, null=True, default=None)  # deliveries with one key go in order
    payload = Text()  # the exact body that is signed and sent
    status = Varchar(length=16, default="pending")  # pending | delivered | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    response_code = Integer(null=True, default=None)
    latency_ms = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
