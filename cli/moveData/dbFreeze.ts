/**
 * Stopping writes on the database itself, as its owner (no superuser needed, so it works on Heroku Postgres too):
 * `ALTER DATABASE ... SET default_transaction_read_only = on` makes every new session read-only, then the owner's
 * other sessions (the app's pooled connections, a one-off dyno, a Job) are terminated, so whatever reconnects is
 * read-only and a write is refused with "cannot execute ... in a read-only transaction". Undone by putting back the
 * setting the database had before.
 */
import { Conn, ident, literal, query, Tools } from "./pg";

/** The database-level default_transaction_read_only ("on"/"off"), or null when the database sets none. */
export async function readOnlySetting(tools: Tools, conn: Conn): Promise<string | null> {
    const rows = await query(
        tools,
        conn,
        `SELECT split_part(s, '=', 2) FROM pg_db_role_setting r
           JOIN pg_database d ON d.oid = r.setdatabase, unnest(r.setconfig) AS s
          WHERE d.datname = current_database() AND r.setrole = 0 AND s LIKE 'default\\_transaction\\_read\\_only=%'`,
    );
    return rows[0]?.[0] ?? null;
}

/** Freezes; returns the sessions of other roles still connected (the owner cannot end them). */
export async function freezeDatabase(tools: Tools, conn: Conn): Promise<string[]> {
    await query(tools, conn, `ALTER DATABASE ${ident(conn.dbname)} SET default_transaction_read_only = on`);
    // The owner may end its own role's sessions; sessions already inside a transaction are ended too.
    await query(
        tools,
        conn,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = current_user`,
    );
    const others = await query(
        tools,
        conn,
        `SELECT coalesce(usename, '?') || ' (' || count(*) || ')' FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND usename IS DISTINCT FROM current_user GROUP BY usename`,
    );
    return others.map((r) => r[0]);
}

/** A fresh session's view: proves the freeze holds for whatever connects now. */
export async function isReadOnly(tools: Tools, conn: Conn): Promise<boolean> {
    const [[value]] = await query(tools, conn, "SHOW default_transaction_read_only");
    return value === "on";
}

export async function thawDatabase(tools: Tools, conn: Conn, before: string | null): Promise<void> {
    // This session starts read-only too (the freeze): an explicit read-write transaction may still alter it.
    await query(tools, conn, `BEGIN READ WRITE; ${thawSql(conn, before)} COMMIT;`);
}

/** The SQL an operator runs by hand when a freeze could not be undone (the process was killed with SIGKILL). */
export function thawSql(conn: Conn, before: string | null): string {
    return before === null
        ? `ALTER DATABASE ${ident(conn.dbname)} RESET default_transaction_read_only;`
        : `ALTER DATABASE ${ident(conn.dbname)} SET default_transaction_read_only = ${literal(before)};`;
}

// --- the freeze marker: what a run froze, kept on the source database so that a later run finds it

/** Written on the source (COMMENT ON DATABASE, as its owner) before anything is frozen; removed by the thaw. */
export interface FreezeMarker {
    /** Who froze: "move-data pid 1234 on host", and when. */
    by: string;
    startedAt: string;
    from: string;
    to: string;
    /** The target's description, for the report of a later run. */
    target: string;
    /** The step reached: freeze, copy, verify (from the moment the target's transaction committed). */
    phase: string;
    /** The database-level default_transaction_read_only before the freeze (null: none set). */
    readOnlyBefore: string | null;
    /** The platform before the freeze: what the thaw puts back. */
    platformBefore: import("./side").PlatformState;
    /** The database's comment before the marker replaced it. */
    commentBefore: string | null;
}

const MARKER_PREFIX = "actors move-data freeze marker (undo: npm run move-data -- --thaw): ";

/** The database's comment, and the marker in it when there is one. */
export async function readMarker(tools: Tools, conn: Conn): Promise<{ comment: string | null; marker?: FreezeMarker }> {
    // hex: a comment may hold newlines, which psql's row output would split
    const rows = await query(
        tools,
        conn,
        "SELECT coalesce(encode(convert_to(shobj_description(oid, 'pg_database'), 'UTF8'), 'hex'), '-') " +
            "FROM pg_database WHERE datname = current_database()",
    );
    const hex = rows[0]?.[0] ?? "-";
    const comment = hex === "-" ? null : Buffer.from(hex, "hex").toString("utf8");
    if (comment === null || !comment.startsWith(MARKER_PREFIX)) return { comment };
    return { comment, marker: JSON.parse(comment.slice(MARKER_PREFIX.length)) as FreezeMarker };
}

/** Writes (or updates) the marker; works on a database already read-only (an explicit read-write transaction). */
export async function writeMarker(tools: Tools, conn: Conn, marker: FreezeMarker): Promise<void> {
    const text = MARKER_PREFIX + JSON.stringify(marker);
    await query(
        tools,
        conn,
        `BEGIN READ WRITE; COMMENT ON DATABASE ${ident(conn.dbname)} IS ${literal(text)}; COMMIT;`,
    );
}

/** Puts the comment back as it was before the marker. */
export async function clearMarker(tools: Tools, conn: Conn, commentBefore: string | null): Promise<void> {
    const value = commentBefore === null ? "NULL" : literal(commentBefore);
    await query(tools, conn, `BEGIN READ WRITE; COMMENT ON DATABASE ${ident(conn.dbname)} IS ${value}; COMMIT;`);
}
