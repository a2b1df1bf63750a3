/**
 * What a database holds, read the same way on both sides: the applied migrations (the app's schema_migrations), the
 * tables and their columns, row counts, a checksum over every row, and the sequences.
 */
import * as os from "os";
import { Conn, ident, literal, query, Tools } from "./pg";

const MIGRATIONS_TABLE = "schema_migrations";

export interface Table {
    schema: string;
    name: string;
    /** Primary-key columns, in key order; empty when the table has none (then rows are ordered by their text). */
    key: string[];
    /** "column type" pairs in column order: the shape the schema check compares. */
    columns: string[];
}

export const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
export const tableName = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

const USER_SCHEMAS =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' " +
    // extensions' own tables (Heroku keeps some in heroku_ext) are not the app's data
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

/** The app's ordinary tables (every user schema), with primary keys and columns. */
export async function tables(tools: Tools, conn: Conn): Promise<Table[]> {
    const rows = await query(
        tools,
        conn,
        `SELECT n.nspname, c.relname,
                coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                            FROM pg_index i
                            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE i.indrelid = c.oid AND i.indisprimary), ''),
                (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
          ORDER BY 1, 2`,
    );
    return rows.map(([schema, name, key, columns]) => ({
        schema,
        name,
        key: key ? key.split(",") : [],
        columns: columns ? columns.split(",") : [],
    }));
}

/** The tables that carry the app's data: all but the migrations table (its rows are the schema check's input). */
export const dataTables = (all: Table[]) => all.filter((t) => t.name !== MIGRATIONS_TABLE);

/** Applied migrations as "version name checksum" lines, or undefined when the table does not exist. */
export async function migrations(tools: Tools, conn: Conn, all: Table[]): Promise<string[] | undefined> {
    const table = all.find((t) => t.name === MIGRATIONS_TABLE);
    if (!table) return undefined;
    const rows = await query(
        tools,
        conn,
        `SELECT version || ' ' || name || ' ' || checksum FROM ${qualified(table)} ORDER BY version`,
    );
    return rows.map((r) => r[0]);
}

/**
 * Where the two schemas differ: applied migrations (version, name, checksum), then tables and their columns (a
 * change made by hand, outside the migrations). Empty when they match.
 */
export function schemaDifferences(
    source: { migrations?: string[]; tables: Table[] },
    target: { migrations?: string[]; tables: Table[] },
): string[] {
    const problems: string[] = [];
    if (!source.migrations) problems.push(`the source has no ${MIGRATIONS_TABLE} table (never migrated)`);
    if (!target.migrations) problems.push(`the target has no ${MIGRATIONS_TABLE} table (never migrated)`);
    if (source.migrations && target.migrations) {
        const only = (a: string[], b: string[]) => a.filter((m) => !b.includes(m));
        for (const m of only(source.migrations, target.migrations)) problems.push(`migration only on the source: ${m}`);
        for (const m of only(target.migrations, source.migrations)) problems.push(`migration only on the target: ${m}`);
    }
    const shape = (t: Table) => `${tableName(t)}(${t.columns.join(", ")}) key(${t.key.join(", ")})`;
    const sourceShapes = source.tables.map(shape);
    const targetShapes = target.tables.map(shape);
    for (const s of sourceShapes) if (!targetShapes.includes(s)) problems.push(`table on the source only: ${s}`);
    for (const s of targetShapes) if (!sourceShapes.includes(s)) problems.push(`table on the target only: ${s}`);
    return problems;
}

export interface TableSummary {
    table: string;
    rows: number;
    checksum: string;
}

/** Row text is the same on every server only with the same output settings. */
const STABLE_OUTPUT =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; " +
    "SET extra_float_digits = 3; SET bytea_output = 'hex'; ";

/** Sessions each table's checksum is split across (the servers do the work; the default: this machine's cores). */
const CHECKSUM_WORKERS = Number(process.env.MOVE_DATA_CHECKSUM_WORKERS ?? Math.max(2, os.cpus().length));
/** Below this many pages (8 kB each), one session is quicker than several. */
const PAGES_PER_WORKER = 1024;

/**
 * Row count and a checksum of every row, computed in the server: the sum of a 64-bit hash of each row. The hash is
 * hash_record_extended (PostgreSQL 14+: each column hashed by its type's extended hash function, the one hash
 * partitioning keeps stable across versions; no text conversion, so twice as fast), else, for servers or column types
 * without it, hashtextextended of the row's text. A sum does not depend on row order or on where rows lie, so the
 * table is split into ranges of pages summed by parallel sessions, and only a few bytes per table cross the
 * network. Rows are unique (primary keys), so a changed, missing or extra row changes the sum (a 2^-64 chance aside).
 * Both sides of a comparison must use the same hash: the kind is part of the checksum's text.
 */
async function summarize(tools: Tools, conn: Conn, table: Table): Promise<TableSummary> {
    const [[pages]] = await query(
        tools,
        conn,
        `SELECT pg_relation_size(${literal(qualified(table))}::regclass) / current_setting('block_size')::int`,
    );
    const workers = Math.max(1, Math.min(CHECKSUM_WORKERS, Math.floor(Number(pages) / PAGES_PER_WORKER)));
    const step = Math.ceil(Number(pages) / workers);
    const parts = await Promise.all(
        Array.from({ length: workers }, (_, w) => {
            const range = [
                w > 0 ? `t.ctid >= '(${w * step},0)'::tid` : "",
                w < workers - 1 ? `t.ctid < '(${(w + 1) * step},0)'::tid` : "",
            ].filter(Boolean);
            const from = `FROM ONLY ${qualified(table)} t${range.length ? ` WHERE ${range.join(" AND ")}` : ""}`;
            return query(tools, conn, `SELECT count(*), coalesce(sum(hash_record_extended(t, 0)), 0) ${from}`)
                .then((rows) => ["r", rows] as const)
                .catch(async () => {
                    const sql = `${STABLE_OUTPUT} SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) ${from}`;
                    return ["t", await query(tools, conn, sql)] as const;
                });
        }),
    );
    let rows = 0;
    let sum = 0n;
    for (const [, [[count, partial]]] of parts) {
        rows += Number(count);
        sum += BigInt(partial);
    }
    const kind = parts.every(([k]) => k === "r") ? "r" : parts.every(([k]) => k === "t") ? "t" : "mixed";
    const checksum = `${kind}:${BigInt.asUintN(64, sum).toString(16).padStart(16, "0")}`;
    return { table: tableName(table), rows, checksum };
}

/** Every data table's summary, the tables in parallel. */
export async function summarizeAll(tools: Tools, conn: Conn, tables: Table[]): Promise<TableSummary[]> {
    return Promise.all(dataTables(tables).map((t) => summarize(tools, conn, t)));
}

/** Rows per data table (exact counts): the target check and the progress's denominator. */
export async function rowCounts(tools: Tools, conn: Conn, all: Table[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const list = dataTables(all);
    if (list.length === 0) return counts;
    const rows = await query(
        tools,
        conn,
        list.map((t) => `SELECT ${literal(tableName(t))}, count(*) FROM ONLY ${qualified(t)}`).join(" UNION ALL "),
    );
    for (const [name, n] of rows) counts.set(name, Number(n));
    return counts;
}

/** Each sequence's position ("last_value is_called"), which the copy carries over with the rows. */
export async function sequences(tools: Tools, conn: Conn): Promise<Map<string, string>> {
    const rows = await query(
        tools,
        conn,
        `SELECT schemaname || '.' || sequencename, coalesce(last_value::text, 'unset')
           FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    return new Map(rows.map(([name, value]) => [name, value]));
}
