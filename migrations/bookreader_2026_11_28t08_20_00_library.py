"""Issue 15: full-text search passages, webhooks with their delivery log, shelves, imported files."""

from bookreader.core.migrations import sql_migration

ID = "2026-11-28T08:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "library: search_passages, webhooks, webhook_deliveries, shelves, shelf_books, imported_files"

SQL = """
CREATE TABLE search_passages (
    id bigserial PRIMARY KEY,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chapter integer NOT NULL,
    start integer NOT NULL,
    config regconfig NOT NULL,
    text text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector(config, text)) STORED
);
CREATE INDEX search_passages_tsv ON search_passages USING gin (tsv);
CREATE INDEX search_passages_book ON search_passages (book, chapter, start);
CREATE INDEX search_passages_owner ON search_passages (owner);

INSERT INTO search_passages (book, owner, chapter, start, config, text)
SELECT c.book, b.owner, c.number, (p.value->>0)::int,
       (CASE WHEN b.language LIKE 'ru%' THEN 'russian' WHEN b.language LIKE 'en%' THEN 'english'
             ELSE 'simple' END)::regconfig,
       substr(c.text, (p.value->>0)::int + 1, (p.value->>1)::int - (p.value->>0)::int)
FROM chapters c JOIN books b ON b.id = c.book, jsonb_array_elements(c.paragraphs) p
WHERE (p.value->>1)::int > (p.value->>0)::int
UNION ALL
SELECT c.book, b.owner, c.number, 0,
       (CASE WHEN b.language LIKE 'ru%' THEN 'russian' WHEN b.language LIKE 'en%' THEN 'english'
             ELSE 'simple' END)::regconfig,
       c.text
FROM chapters c JOIN books b ON b.id = c.book
WHERE jsonb_array_length(c.paragraphs) = 0 AND c.text <> '';

CREATE TABLE webhooks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    system boolean NOT NULL DEFAULT false,
    url text NOT NULL,
    events jsonb NOT NULL DEFAULT '[]',
    secret text NOT NULL,
    description text NOT NULL DEFAULT '',
    enabled boolean NOT NULL DEFAULT true,
    disabled_at timestamptz,
    disabled_reason text,
    failing_since timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner ON webhooks (owner);
CREATE INDEX webhooks_system ON webhooks (system) WHERE system;

CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    webhook uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id varchar(64) NOT NULL,
    event_type varchar(32) NOT NULL,
    ordering_key varchar(64),
    payload text NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    response_code integer,
    latency_ms integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    CONSTRAINT webhook_deliveries_once UNIQUE (webhook, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook, id DESC);

CREATE TABLE shelves (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL,
    kind varchar(8) NOT NULL DEFAULT 'manual',
    filter jsonb NOT NULL DEFAULT '{}',
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shelves_owner ON shelves (owner, position);

CREATE TABLE shelf_books (
    shelf uuid NOT NULL REFERENCES shelves(id) ON DELETE CASCADE,
    book uuid NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    position integer NOT NULL DEFAULT 0,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shelf, book)
);
CREATE INDEX shelf_books_book ON shelf_books (book);

CREATE TABLE imported_files (
    id bigserial PRIMARY KEY,
    owner uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path text NOT NULL,
    content_hash varchar(64) NOT NULL,
    book uuid REFERENCES books(id) ON DELETE SET NULL,
    status varchar(16) NOT NULL DEFAULT 'claimed',
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT imported_files_once UNIQUE (owner, path, content_hash)
);
"""

forwards = sql_migration(ID, DESCRIPTION, SQL)
