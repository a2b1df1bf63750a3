/**
 * The copy, streamed with PostgreSQL's own tools and no file in between:
 *
 *   pg_dump -Fc (source, whole database: the backup) ─┬─> the backup file (when kept or restore-checked)
 *                                                     └─> pg_restore --data-only of the app's tables ─> psql (target)
 *
 * psql applies, in ONE transaction it only commits at the very end: lock the tables, empty them, drop their indexes
 * and constraints, the rows, the indexes and constraints made again (a build after the load is quicker than keeping
 * them up to date row by row), the sequences' positions. The target keeps the schema its own migrations made.
 * Whatever stops the copy part-way (a failure, a signal, a SIGKILL of this process, a dead port-forward), psql never
 * reads the COMMIT: the transaction rolls back and the target holds what it held before.
 */
import * as fs from "fs";
import { ChildProcess } from "child_process";
import { children, Conn, ident, literal, pgEnv, query, redact, runTool, spawnTool, Tools } from "./pg";
import { dataTables, qualified, Table } from "./inspect";

export type Log = (line: string) => void;

const PROGRESS_EVERY_MS = Number(process.env.MOVE_DATA_PROGRESS_MS ?? 5000);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The target's indexes and constraints on the data tables: dropped before the load, made again after it. */
async function indexStatements(tools: Tools, target: Conn, tables: Table[]) {
    const names = dataTables(tables).map((t) => `${literal(qualified(t))}::regclass`);
    if (names.length === 0) return { drop: [] as string[], create: [] as string[] };
    const set = `(${names.join(", ")})`;
    // Foreign keys first (they lean on the keys), then keys and unique/exclusion constraints, then plain indexes.
    const rows = await query(
        tools,
        target,
        // search_path empty: every name printed schema-qualified (the restore's script runs with an empty one too)
        `SET search_path = ''; SELECT 1, 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(conname),
                'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' ||
                pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'f' AND (conrelid IN ${set} OR confrelid IN ${set})
         UNION ALL
         SELECT 2, 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(conname),
                'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' ||
                pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype IN ('p', 'u', 'x') AND conrelid IN ${set}
         UNION ALL
         SELECT 3, 'DROP INDEX ' || indexrelid::regclass, pg_get_indexdef(indexrelid)
           FROM pg_index i WHERE indrelid IN ${set}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
         ORDER BY 1`,
    );
    return {
        drop: rows.map((r) => `${r[1]};`),
        create: rows
            .slice()
            .reverse()
            .map((r) => `${r[2]};`),
    };
}

/** SQL that puts each sequence where the source's is ("last_value", or "unset": never used). */
function sequenceStatements(positions: Map<string, string>): string[] {
    return [...positions].map(([name, value]) => {
        const dot = name.indexOf(".");
        const seq = `${ident(name.slice(0, dot))}.${ident(name.slice(dot + 1))}`;
        return value === "unset"
            ? `ALTER SEQUENCE ${seq} RESTART;`
            : `SELECT pg_catalog.setval('${seq.replace(/'/g, "''")}', ${BigInt(value)}, true);`;
    });
}

export interface CopyPlan {
    tables: Table[];
    /** Rows the source holds (the progress's denominator). */
    totalRows: number;
    /** Without --replace: refuse inside the transaction if the target's app wrote rows since the checks. */
    replace: boolean;
    /** The source's sequence positions, frozen. */
    sequences: Map<string, string>;
    /** Where the dump (the backup) is also written; none: not kept. */
    backupFile?: string;
    /** Called once the source is dumped (and the backup file complete), while the target still loads. */
    onDumped?: () => void;
}

/** The cause among the three programs: the first to fail; the others were stopped (killed) because of it. */
function firstFailure(
    results: { dump: string; reader: string; writer: string },
    errors: { dump: string; reader: string; writer: string },
    sourceLabel: string,
    targetLabel: string,
): string {
    const failedByItself = (r: string) => r !== "" && !r.startsWith("killed");
    if (failedByItself(results.writer))
        return `psql into the ${targetLabel} failed (${results.writer}): ${errors.writer.trim()}`;
    if (results.dump && (failedByItself(results.dump) || !failedByItself(results.reader)))
        return `pg_dump of the ${sourceLabel} failed (${results.dump}): ${errors.dump.trim()}`;
    return `pg_restore failed (${results.reader}): ${errors.reader.trim()}`;
}

/** What psql runs around the rows pg_restore sends: the transaction, the tables emptied, the indexes after. */
async function transactionScript(tools: Tools, target: Conn, plan: CopyPlan) {
    const names = dataTables(plan.tables).map(qualified);
    const indexes = await indexStatements(tools, target, plan.tables);
    const recheck = names.map((n) => `EXISTS (SELECT 1 FROM ${n})`).join(" OR ");
    const prologue = [
        "BEGIN;",
        ...(names.length ? [`LOCK TABLE ${names.join(", ")} IN ACCESS EXCLUSIVE MODE;`] : []),
        ...(names.length && !plan.replace
            ? [
                  `DO $$ BEGIN IF ${recheck} THEN RAISE EXCEPTION 'the target received rows since the checks'; END IF; END $$;`,
              ]
            : []),
        ...(names.length ? [`TRUNCATE ${names.join(", ")};`] : []),
        ...indexes.drop,
        "",
    ].join("\n");
    // COMMIT only here: psql that reaches the end of its input without it (we died) ends its session, rolling back.
    const epilogue = ["", ...indexes.create, ...sequenceStatements(plan.sequences), "COMMIT;", ""].join("\n");
    return { prologue, epilogue };
}

const exited = (child: ChildProcess) =>
    new Promise<string>((resolve) => {
        child.on("error", (err) => resolve(err.message));
        child.on("close", (code, signal) => resolve(code === 0 ? "" : signal ? `killed by ${signal}` : `exit ${code}`));
    });

/** Streams the source's data into the target (see the top of this file); resolves once committed. */
export async function streamCopy(
    tools: Tools,
    source: Conn,
    target: Conn,
    plan: CopyPlan,
    log: Log,
): Promise<{ dumpBytes: number; lines: number }> {
    const data = dataTables(plan.tables);
    const { prologue, epilogue } = await transactionScript(tools, target, plan);
    const dump = spawnTool(tools, "pg_dump", ["--format=custom", "--compress=0", "--no-owner", "--no-acl"], {
        env: pgEnv(source),
        stdio: ["ignore", "pipe", "pipe"],
    });
    const selection = [...new Set(data.map((t) => t.schema))].flatMap((s) => ["--schema", s]);
    const reader = spawnTool(
        tools,
        "pg_restore",
        ["--data-only", "--no-owner", "--no-acl", ...selection, ...data.flatMap((t) => ["--table", t.name])].concat([
            "--file",
            "-",
        ]),
        { env: process.env, stdio: ["pipe", "pipe", "pipe"] },
    );
    // psql stays local (any version talks to newer servers); ON_ERROR_STOP: the first error ends the session.
    const writer = spawnTool(tools, "psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], {
        env: pgEnv(target),
        stdio: ["pipe", "ignore", "pipe"],
    });
    const errors = { dump: "", reader: "", writer: "" };
    dump.stderr!.on("data", (d) => (errors.dump += d));
    reader.stderr!.on("data", (d) => (errors.reader += d));
    writer.stderr!.on("data", (d) => (errors.writer += d));
    const done = { dump: exited(dump), reader: exited(reader), writer: exited(writer) };

    const backup = plan.backupFile ? fs.createWriteStream(plan.backupFile, { mode: 0o600 }) : undefined;
    let backupError: Error | undefined;
    backup?.on("error", (err) => (backupError ??= err)); // a full disk, or data after a stop: reported below
    let dumpBytes = 0;
    let lines = 0;
    dump.stdout!.on("data", (chunk: Buffer) => (dumpBytes += chunk.length));
    dump.stdout!.pipe(reader.stdin!);
    if (backup) dump.stdout!.pipe(backup);
    reader.stdin!.on("error", () => {}); // pg_restore gone: its exit status says why
    writer.stdin!.on("error", () => {}); // psql gone: its exit status says why
    writer.stdin!.write(prologue);
    reader.stdout!.on("data", (chunk: Buffer) => {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    reader.stdout!.pipe(writer.stdin!, { end: false });

    const started = Date.now();
    const timer = setInterval(() => {
        const pct = plan.totalRows ? ` (${Math.min(100, (100 * lines) / plan.totalRows).toFixed(0)}%)` : "";
        log(
            `copy: ${mb(dumpBytes)} dumped, about ${lines} of ${plan.totalRows} rows sent${pct}, ` +
                `${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
    }, PROGRESS_EVERY_MS);
    // Any of the three failing stops the others; psql, stopped before the COMMIT, rolls the transaction back.
    let committing = false;
    const stopAll = () => {
        for (const child of committing ? [dump, reader] : [dump, reader, writer]) {
            if (child.exitCode === null) child.kill("SIGKILL");
            // Its output is no longer wanted. A pipe paused for a reader that has gone (pg_restore or psql killed
            // while the backup file still took the dump) would otherwise never end, and "close" never come.
            child.stdout?.destroy();
            child.stdin?.destroy();
        }
    };
    for (const result of Object.values(done)) void result.then((r) => r && stopAll());
    try {
        void Promise.all([done.dump, backup && new Promise((r) => backup.once("close", () => r(undefined)))]).then(
            ([r]) => r === "" && plan.onDumped?.(),
        );
        const [dumpResult, readerResult] = await Promise.all([done.dump, done.reader]);
        if (dumpResult || readerResult) {
            stopAll();
            const why = firstFailure(
                { dump: dumpResult, reader: readerResult, writer: await done.writer },
                errors,
                source.label,
                target.label,
            );
            throw new Error(redact(`${why}; the copy into the ${target.label} was rolled back`));
        }
        // The backup file ends with the dump (pipe ends it): wait until it is on disk before committing.
        if (backup && !backup.writableFinished && !backupError)
            await new Promise<void>((resolve, reject) => backup.once("finish", resolve).once("error", reject));
        if (backupError) throw new Error(`writing the backup ${plan.backupFile} failed: ${backupError.message}`);
        // From the COMMIT on, psql is left to finish (a signal no longer stops it): killed now, the outcome would
        // be unknown.
        children.delete(writer);
        committing = true;
        writer.stdin!.end(epilogue);
        const writerResult = await done.writer;
        if (writerResult && errors.writer.trim())
            throw new Error(
                redact(
                    `the copy into the ${target.label} failed and was rolled back (${writerResult}): ${errors.writer.trim()}`,
                ),
            );
        if (writerResult)
            throw Object.assign(
                new Error(
                    `psql ended (${writerResult}) after the COMMIT was sent: the ${target.label} holds either the whole ` +
                        "copy or what it held before; compare its row counts",
                ),
                { outcomeUnknown: true },
            );
        return { dumpBytes, lines };
    } finally {
        clearInterval(timer);
        stopAll();
        backup?.destroy();
    }
}

/** Restores a whole backup (schema and data) into a fresh database `db` of a scratch server, in one transaction. */
export async function restoreIntoScratch(tools: Tools, scratch: Conn, file: string): Promise<void> {
    await runTool(tools, "createdb", [scratch.dbname], {
        env: pgEnv({ ...scratch, dbname: "postgres" }),
        what: "createdb",
    });
    // The archive on stdin: the same command whether pg_restore is local or in a container.
    await runTool(
        tools,
        "pg_restore",
        ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--dbname", scratch.dbname],
        {
            env: pgEnv(scratch),
            inputFile: file,
            what: "pg_restore of the backup into the scratch database",
        },
    );
}
