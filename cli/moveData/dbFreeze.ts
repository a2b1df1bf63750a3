/**
 * Stopping writes on the database itself, as its owner (no superuser needed, so it works on Heroku Postgres too):
 * `ALTER DATABASE ... SET default_transaction_read_only = on` makes every new session read-only, then the owner's
 * other sessions (the app's pooled connections, a one-off dyno, a Job) are terminated, so whatever reconnects is
 * read-only and a write is refused with "cannot execute ... in a read-only transaction". Undone by putting back the
 * setting the database had before.
 */
import { Conn, ident, literal, query, Tools } from "./pg";

export interface DbFreeze {
    /** The database-level setting before the freeze ("on"/"off"), or undefined when it had none. */
    before?: string;
    /** Sessions of other roles still connected to the database after the freeze (they were not terminated). */
    othersRemaining: string[];
}

/** The database-level default_transaction_read_only ("on"/"off"), or undefined when the database sets none. */
export async function readOnlySetting(tools: Tools, conn: Conn): Promise<string | undefined> {
    const rows = await query(
        tools,
        conn,
        `SELECT split_part(s, '=', 2) FROM pg_db_role_setting r
           JOIN pg_database d ON d.oid = r.setdatabase, unnest(r.setconfig) AS s
          WHERE d.datname = current_database() AND r.setrole = 0 AND s LIKE 'default\\_transaction\\_read\\_only=%'`,
    );
    return rows[0]?.[0];
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

export async function thawDatabase(tools: Tools, conn: Conn, freeze: { before?: string }): Promise<void> {
    // This session starts read-only too (the freeze): an explicit read-write transaction may still alter it.
    await query(tools, conn, `BEGIN READ WRITE; ${thawSql(conn, freeze.before)} COMMIT;`);
}

/** The SQL an operator runs by hand when a freeze could not be undone (the process was killed with SIGKILL). */
export function thawSql(conn: Conn, before?: string): string {
    return before === undefined
        ? `ALTER DATABASE ${ident(conn.dbname)} RESET default_transaction_read_only;`
        : `ALTER DATABASE ${ident(conn.dbname)} SET default_transaction_read_only = ${literal(before)};`;
}
