/**
 * The copy, with PostgreSQL's own tools: pg_dump of the source in custom format (schema and data: a complete
 * backup), then into the target only the data of the app's tables and the sequences' positions, read out of that
 * dump by pg_restore and applied by psql in ONE transaction that first empties those tables. The target keeps the
 * schema its own migrations made (and whatever its platform added, such as Heroku's extensions); a failure or a
 * kill part-way rolls the whole transaction back, leaving the target as it was.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { children, Conn, pgEnv, redact, run, tool, Tools } from "./pg";
import { dataTables, qualified, Table, tableName } from "./inspect";

export type Log = (line: string) => void;

const PROGRESS_EVERY_MS = Number(process.env.MOVE_DATA_PROGRESS_MS ?? 5000);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** pg_dump -Fc of the whole source database into `file`, printing the dump's size as it grows. */
export async function dump(tools: Tools, source: Conn, file: string, log: Log): Promise<number> {
    const started = Date.now();
    const timer = setInterval(() => {
        const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
        log(`dump: ${mb(size)} written, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }, PROGRESS_EVERY_MS);
    try {
        await run(tool(tools, "pg_dump"), ["--format=custom", "--no-owner", "--no-acl", "--file", file], {
            env: pgEnv(source),
            what: `pg_dump of the ${source.label}`,
        });
    } finally {
        clearInterval(timer);
    }
    return fs.statSync(file).size;
}

/** The dump's table-of-contents entries that carry the data tables' rows and the sequences' positions. */
export async function dataEntries(tools: Tools, file: string, tables: Table[]): Promise<string> {
    const { stdout } = await run(tool(tools, "pg_restore"), ["--list", file], { what: "pg_restore --list" });
    const wanted = new Set(dataTables(tables).map((t) => `${t.schema} ${t.name}`));
    const lines = stdout.split("\n").filter((line) => {
        const m = /^\d+; \d+ \d+ (TABLE DATA|SEQUENCE SET) (\S+) (\S+) /.exec(line);
        return m && (m[1] === "SEQUENCE SET" || wanted.has(`${m[2]} ${m[3]}`));
    });
    return lines.join("\n") + "\n";
}

/**
 * Empties the target's data tables and loads the dump's rows and sequence positions, in one transaction
 * (psql --single-transaction; pg_restore only reads the archive). Progress: rows loaded of `totalRows`.
 */
export async function restoreIntoTarget(
    tools: Tools,
    target: Conn,
    file: string,
    tables: Table[],
    totalRows: number,
    replace: boolean,
    log: Log,
): Promise<void> {
    const listFile = `${file}.list`;
    fs.writeFileSync(listFile, await dataEntries(tools, file, tables), { mode: 0o600 });
    const names = dataTables(tables).map(qualified);
    // Inside the transaction: the tables locked, then (without --replace) checked again for rows the target's app
    // may have written since the checks, then emptied.
    const recheck = names.map((n) => `EXISTS (SELECT 1 FROM ${n})`).join(" OR ");
    const prologue = names.length
        ? `LOCK TABLE ${names.join(", ")} IN ACCESS EXCLUSIVE MODE;\n` +
          (replace
              ? ""
              : `DO $$ BEGIN IF ${recheck} THEN RAISE EXCEPTION 'the target received rows since the checks'; END IF; END $$;\n`) +
          `TRUNCATE ${names.join(", ")};\n`
        : "";

    const reader = spawn(
        tool(tools, "pg_restore"),
        ["--data-only", "--no-owner", "--no-acl", "--use-list", listFile, "--file", "-", file],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    const writer = spawn(
        tool(tools, "psql"),
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"],
        { env: pgEnv(target), stdio: ["pipe", "ignore", "pipe"] },
    );
    children.add(reader);
    children.add(writer);
    let readerErr = "";
    let writerErr = "";
    reader.stderr!.on("data", (d) => (readerErr += d));
    writer.stderr!.on("data", (d) => (writerErr += d));

    let rows = 0;
    let inCopy = false;
    let partial = "";
    const started = Date.now();
    const timer = setInterval(() => {
        const pct = totalRows ? ` (${((100 * rows) / totalRows).toFixed(0)}%)` : "";
        log(`restore: ${rows} of ${totalRows} rows sent${pct}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }, PROGRESS_EVERY_MS);

    const exited = (child: import("child_process").ChildProcess) =>
        new Promise<number | string>((resolve) => {
            child.on("error", (err) => resolve(err.message));
            child.on("close", (code, signal) => resolve(code ?? String(signal)));
        });
    const readerDone = exited(reader);
    const writerDone = exited(writer);
    // psql gone before the end (failed, or killed with us): stop reading the dump, or pg_restore waits forever.
    let finished = false;
    void writerDone.then(() => {
        if (finished) return;
        reader.stdout!.destroy();
        reader.kill("SIGKILL");
    });
    writer.stdin!.on("error", () => {
        /* psql stopped reading: its exit status says why */
    });
    writer.stdin!.write(prologue);
    reader.stdout!.on("data", (chunk: Buffer) => {
        // Count the COPY data lines going through, for progress.
        const text = partial + chunk.toString("utf8");
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
            if (inCopy) {
                if (line === "\\.") inCopy = false;
                else rows++;
            } else if (/^COPY .* FROM stdin;$/.test(line)) inCopy = true;
        }
        if (!writer.stdin!.write(chunk)) {
            reader.stdout!.pause();
            writer.stdin!.once("drain", () => reader.stdout!.resume());
        }
    });
    try {
        const readerCode = await readerDone;
        if (readerCode !== 0) {
            // Never let psql reach the end of its input (it would commit what it got): end its session instead.
            writer.kill("SIGKILL");
            const writerCode = await writerDone;
            throw new Error(
                redact(
                    writerCode !== 0 && writerErr
                        ? `restore into the ${target.label} failed and was rolled back (${writerCode}): ${writerErr.trim()}`
                        : `pg_restore stopped (${readerCode}), the restore into the ${target.label} was rolled back: ${readerErr.trim()}`,
                ),
            );
        }
        finished = true;
        writer.stdin!.end();
        const writerCode = await writerDone;
        if (writerCode !== 0)
            throw new Error(
                redact(
                    `restore into the ${target.label} failed and was rolled back (${writerCode}): ${writerErr.trim()}`,
                ),
            );
        log(`restore: ${rows} rows loaded and committed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
        clearInterval(timer);
        children.delete(reader);
        children.delete(writer);
        fs.rmSync(listFile, { force: true });
    }
}

/** Restores the whole dump (schema and data) into a fresh database `db` of a scratch server, in one transaction. */
export async function restoreIntoScratch(tools: Tools, scratch: Conn, file: string): Promise<void> {
    await run(tool(tools, "createdb"), [scratch.dbname], {
        env: pgEnv({ ...scratch, dbname: "postgres" }),
        what: "createdb",
    });
    await run(
        tool(tools, "pg_restore"),
        ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--dbname", scratch.dbname, file],
        { env: pgEnv(scratch), what: "pg_restore into the scratch database" },
    );
}

export const describeTables = (tables: Table[]) => dataTables(tables).map(tableName).join(", ");
