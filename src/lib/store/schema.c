/*
 * schema.c - the bounce log's schema as versioned migrations.
 *
 * store_migrations[i] takes a database from version i to version i+1 and
 * records the new version in meta itself, so a backend only runs the
 * strings in order inside one transaction.  Plain SQL that SQLite and
 * PostgreSQL both accept: TEXT, BIGINT, INTEGER, PRIMARY KEY, CREATE INDEX.
 * Reasons, categories and severities are stored as their stable names
 * (mm_reason_tostr() ...) so the database reads well in any SQL client.
 *
 * Never edit a migration that has shipped: append a new one.  When you do,
 * also update the schema section of docs/LOG.md and check that both
 * backends' statements still match (sqlite.c, pg.c).
 */
#include "store/backend.h"

static const char migration_1[] =
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);\n"

    "CREATE TABLE events ("
    " key TEXT PRIMARY KEY,"
    " time BIGINT NOT NULL,"
    " address TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " reply_code INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " category TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " hard INTEGER NOT NULL,"
    " retry_after BIGINT NOT NULL,"
    " provider TEXT NOT NULL,"
    " diagnostic TEXT NOT NULL,"
    " remote_mta TEXT NOT NULL,"
    " mta TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " message_id TEXT NOT NULL,"
    " origin TEXT NOT NULL,"
    " ingested BIGINT NOT NULL);\n"
    "CREATE INDEX events_address ON events (address, time);\n"
    /* Covers the statistics scan (store_each_stat_row) so it reads the
     * narrow index instead of the wide rows with their diagnostic texts. */
    "CREATE INDEX events_time ON events"
    " (time, address, domain, action, reason, category, hard, provider);\n"

    "CREATE TABLE addresses ("
    " address TEXT PRIMARY KEY,"
    " domain TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " why TEXT NOT NULL,"
    " last_reason TEXT NOT NULL,"
    " last_category TEXT NOT NULL,"
    " first_bounce BIGINT NOT NULL,"
    " last_bounce BIGINT NOT NULL,"
    " retry_at BIGINT NOT NULL,"
    " hard_count INTEGER NOT NULL,"
    " soft_count INTEGER NOT NULL,"
    " soft_since BIGINT NOT NULL,"
    " note TEXT NOT NULL,"
    " fix TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " corrected TEXT NOT NULL,"
    " updated BIGINT NOT NULL);\n"
    "CREATE INDEX addresses_due ON addresses (state, retry_at);\n"

    "CREATE TABLE contacts ("
    " address TEXT PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " added BIGINT NOT NULL);\n"

    "CREATE TABLE deliveries ("
    " key TEXT PRIMARY KEY,"
    " time BIGINT NOT NULL,"
    " address TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " reply TEXT NOT NULL,"
    " relay TEXT NOT NULL,"
    " queue_id TEXT NOT NULL,"
    " origin TEXT NOT NULL);\n"
    "CREATE INDEX deliveries_time ON deliveries (time, domain, outcome);\n"

    "CREATE TABLE cursors ("
    " name TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " updated BIGINT NOT NULL);\n"

    "INSERT INTO meta (key, value) VALUES ('schema_version', '1');\n";

const char *const store_migrations[] = {
    migration_1,
};
const int store_migration_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);
