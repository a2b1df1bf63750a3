/**
 * One move, in order, each step only when the ones before it passed:
 *   1. check   both databases reachable; tools matched to their versions; same migrations and tables; the target
 *              empty (or --replace). --dry-run stops here and says what would happen.
 *   2. freeze  the source: the platform (maintenance mode / web scaled to 0) and the database (read-only for every
 *              new session, the owner's sessions ended).
 *   3. dump    pg_dump of the frozen source: the backup.
 *   4. check the backup: restore it whole into a scratch server and verify it against the source.
 *   5. restore the data into the target in one transaction.
 *   6. verify  the target against the source, table by table.
 *   finally    the source put back as it was (even on failure, SIGINT or SIGTERM); a report of each side's state.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dump, restoreIntoScratch, restoreIntoTarget } from "./copy";
import { DbFreeze, freezeDatabase, isReadOnly, readOnlySetting, thawDatabase, thawSql } from "./dbFreeze";
import { dataTables, migrations, rowCounts, schemaDifferences, sequences, tableName, tables } from "./inspect";
import { anyTools, bindirMajor, chooseMajor, describe, installedMajors, PG_ROOT, serverMajor, Tools } from "./pg";
import { ScratchServer } from "./scratchServer";
import { Side } from "./side";
import { compare, summarizeAll } from "./verify";

export interface MoveOptions {
    replace: boolean;
    dryRun: boolean;
    restoreCheck: boolean;
    /** Keep the dump (the backup) at this path; else it is deleted after a successful move. */
    keepDump?: string;
    pgBindir?: string;
    log: (line: string) => void;
    /** Resolves when the move should stop (SIGINT/SIGTERM). */
    aborted: () => boolean;
}

export interface MoveReport {
    ok: boolean;
    dryRun: boolean;
    rows: number;
    dumpBytes: number;
    seconds: Record<string, number>;
    toolsMajor?: number;
}

export class MoveError extends Error {}

type Phase = "check" | "freeze" | "dump" | "restore check" | "restore" | "verify" | "thaw";

export async function move(source: Side, target: Side, opts: MoveOptions): Promise<MoveReport> {
    const log = opts.log;
    const report: MoveReport = { ok: false, dryRun: opts.dryRun, rows: 0, dumpBytes: 0, seconds: {} };
    let phase: Phase = "check";
    let dbFreeze: DbFreeze | undefined;
    let dbFrozen = false;
    let targetState = "untouched";
    let tools: Tools | undefined;
    let dumpDir: string | undefined;
    const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
        const started = Date.now();
        try {
            return await step();
        } finally {
            report.seconds[name] = (Date.now() - started) / 1000;
        }
    };
    const checkAbort = () => {
        if (opts.aborted()) throw new MoveError("stopped by a signal");
    };

    try {
        // 1. check
        log(`source: ${source.platform} ${source.where}: ${describe(source.conn)}`);
        log(`target: ${target.platform} ${target.where}: ${describe(target.conn)}`);
        const probe = anyTools();
        const [sourceMajor, targetMajor] = await Promise.all([
            serverMajor(probe, source.conn),
            serverMajor(probe, target.conn),
        ]);
        tools = await chooseTools(opts.pgBindir, sourceMajor, targetMajor);
        report.toolsMajor = tools.major;
        log(`servers: source PostgreSQL ${sourceMajor}, target PostgreSQL ${targetMajor}; tools: ${tools.bindir}`);
        const t = tools;
        const [sourceTables, targetTables] = await Promise.all([tables(t, source.conn), tables(t, target.conn)]);
        const differences = schemaDifferences(
            { migrations: await migrations(t, source.conn, sourceTables), tables: sourceTables },
            { migrations: await migrations(t, target.conn, targetTables), tables: targetTables },
        );
        if (differences.length)
            throw new MoveError(
                `the schemas differ, so the copy is refused:\n  - ${differences.join("\n  - ")}\n` +
                    "Deploy the same app version on both stacks (pulumi up), so both ran the same migrations.",
            );
        const [sourceCounts, targetCounts] = await Promise.all([
            rowCounts(t, source.conn, sourceTables),
            rowCounts(t, target.conn, targetTables),
        ]);
        const counts = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(", ") || "no tables";
        log(`source rows: ${counts(sourceCounts)}`);
        log(`target rows: ${counts(targetCounts)}`);
        const targetHolds = [...targetCounts.values()].reduce((a, b) => a + b, 0);
        if (targetHolds > 0 && !opts.replace)
            throw new MoveError(
                `the target already holds data (${counts(targetCounts)}), so the copy is refused. ` +
                    "A freshly deployed stack holds the 400 actors its seed migration adds. Pass --replace to " +
                    "replace the target's rows with the source's (in one transaction, after every check passed).",
            );
        const plan = [
            `freeze the source (${source.platform === "heroku" ? "maintenance mode on" : "web deployment scaled to 0"}; database read-only for new sessions, the owner's sessions ended)`,
            `pg_dump ${tools.major} of the source (custom format)`,
            opts.restoreCheck
                ? "restore that dump into a scratch server and verify it against the source"
                : "(no restore check: --no-restore-check)",
            `${targetHolds > 0 ? `replace the target's ${targetHolds} rows` : "load the target"} with the source's ${[...sourceCounts.values()].reduce((a, b) => a + b, 0)} rows of ${dataTables(sourceTables).map(tableName).join(", ")} and the sequences, in one transaction`,
            "verify every table (rows, checksum in primary-key order) and sequence on both sides",
            "put the source back as it was",
        ];
        if (opts.dryRun) {
            log("dry run: every check passed; a move would:");
            plan.forEach((step, i) => log(`  ${i + 1}. ${step}`));
            report.ok = true;
            return report;
        }
        checkAbort();

        // 2. freeze
        phase = "freeze";
        await timed("freeze", async () => {
            await source.freezePlatform(log);
            checkAbort();
            const freeze: DbFreeze = { before: await readOnlySetting(t, source.conn), othersRemaining: [] };
            dbFreeze = freeze;
            dbFrozen = true; // from here on, the finally block puts the setting back, even if the next call fails
            freeze.othersRemaining = await freezeDatabase(t, source.conn);
            if (!(await isReadOnly(t, source.conn)))
                throw new MoveError(
                    "the source database still takes writes after the freeze (a role setting overrides it?)",
                );
            log("source database: read-only for new sessions; the owner's other sessions ended");
            log(
                `(should this process die without cleaning up, e.g. SIGKILL, put the source back by hand: ` +
                    `${[`psql as the owner: ${thawSql(source.conn, freeze.before)}`, ...source.manualThaw()].join(", then ")})`,
            );
            if (freeze.othersRemaining.length)
                log(
                    `warning: sessions of other roles stay connected to the source: ${freeze.othersRemaining.join(", ")}; ` +
                        "the owner cannot end them; their new transactions are read-only",
                );
        });
        checkAbort();

        // The figures that count are the frozen source's.
        const frozenCounts = await rowCounts(t, source.conn, sourceTables);
        report.rows = [...frozenCounts.values()].reduce((a, b) => a + b, 0);

        // 3. dump
        phase = "dump";
        dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-move-data-"));
        const dumpFile = opts.keepDump ? path.resolve(opts.keepDump) : path.join(dumpDir, "source.dump");
        report.dumpBytes = await timed("dump", () => dump(t, source.conn, dumpFile, log));
        log(`dump: ${(report.dumpBytes / 1e6).toFixed(1)} MB in ${report.seconds.dump.toFixed(1)} s`);
        checkAbort();
        // The frozen source's figures, computed while the restore check restores the dump (two servers at work).
        const sourceFigures = timed("summarize source", async () => ({
            summaries: await summarizeAll(t, source.conn, sourceTables),
            sequences: await sequences(t, source.conn),
        }));
        sourceFigures.catch(() => {}); // awaited below; a failure is reported there

        // 4. restore check: the backup restores, and holds what the source holds
        if (opts.restoreCheck) {
            phase = "restore check";
            await timed("restore check", async () => {
                const scratch = new ScratchServer(t);
                try {
                    await scratch.start();
                    const conn = scratch.conn("restore_check", "scratch");
                    await restoreIntoScratch(t, conn, dumpFile);
                    const backup = await summarizeAll(t, conn, sourceTables);
                    const backupSequences = await sequences(t, conn);
                    const { summaries, sequences: sourceSequences } = await sourceFigures;
                    const result = compare("source", summaries, "backup", backup, sourceSequences, backupSequences);
                    log("restore check: the dump restored into a scratch database:");
                    result.lines.forEach((l) => log(`  ${l}`));
                    if (result.differences.length)
                        throw new MoveError(
                            `the restored backup differs from the source:\n  - ${result.differences.join("\n  - ")}`,
                        );
                } finally {
                    await scratch.destroy();
                }
            });
            checkAbort();
        }

        const { summaries: sourceSummaries, sequences: sourceSequences } = await sourceFigures;

        // 5. restore into the target
        phase = "restore";
        targetState = "restore in progress (one transaction)";
        await timed("restore", () =>
            restoreIntoTarget(t, target.conn, dumpFile, sourceTables, report.rows, opts.replace, log),
        );
        targetState = "holds the copy, committed, not yet verified";

        // 6. verify
        phase = "verify";
        const result = await timed("verify", async () =>
            compare(
                "source",
                sourceSummaries,
                "target",
                await summarizeAll(t, target.conn, targetTables),
                sourceSequences,
                await sequences(t, target.conn),
            ),
        );
        log("verify: source and target, table by table:");
        result.lines.forEach((l) => log(`  ${l}`));
        if (result.differences.length) {
            targetState = "holds the copy, which DIFFERS from the source";
            throw new MoveError(`the target differs from the source:\n  - ${result.differences.join("\n  - ")}`);
        }
        targetState = "holds the copy, verified identical to the source";
        report.ok = true;
        return report;
    } catch (err) {
        if (phase === "restore") targetState = "unchanged (the restore transaction was rolled back)";
        throw new MoveError(failureReport(phase, err as Error, source, target, targetState, opts));
    } finally {
        // thaw: the database first (then whatever the platform restarts can write), then the platform
        const thawProblems: string[] = [];
        if (dbFrozen && tools) {
            try {
                await thawDatabase(tools, source.conn, dbFreeze ?? {});
                dbFrozen = false;
                log("source database: writable again");
            } catch (err) {
                thawProblems.push(
                    `the source database is still read-only (${(err as Error).message}); run as its owner: ${thawSql(source.conn, dbFreeze?.before)}`,
                );
            }
        }
        try {
            await source.thawPlatform(log);
        } catch (err) {
            thawProblems.push(
                `the source platform was not put back (${(err as Error).message}); run: ${source.manualThaw().join(" && ")}`,
            );
        }
        if (dumpDir) fs.rmSync(dumpDir, { recursive: true, force: true });
        if (thawProblems.length) log(`ACTION NEEDED:\n  - ${thawProblems.join("\n  - ")}`);
        if (phase !== "check") {
            log(`source: ${dbFrozen ? "database READ-ONLY" : "database writable"}, ${source.platformState()}`);
            log(`target: ${targetState}`);
        }
    }
}

async function chooseTools(bindir: string | undefined, sourceMajor: number, targetMajor: number): Promise<Tools> {
    if (bindir) {
        const major = await bindirMajor(bindir);
        if (major < sourceMajor)
            throw new MoveError(
                `--pg-bindir ${bindir} holds pg_dump ${major}, older than the source's PostgreSQL ${sourceMajor}: ` +
                    `it needs version ${sourceMajor} or newer`,
            );
        return { major, bindir };
    }
    const chosen = chooseMajor(installedMajors(), sourceMajor, targetMajor);
    if ("missing" in chosen) throw new MoveError(chosen.missing);
    return { major: chosen.major, bindir: path.join(PG_ROOT, String(chosen.major), "bin") };
}

const NEXT: Record<Phase, string> = {
    check: "Nothing was changed on either side. Fix the cause above and run the command again.",
    freeze: "The target was not touched. Once the source is back (see above), fix the cause and run again.",
    dump: "The target was not touched. Run again once the cause is fixed.",
    "restore check":
        "The target was not touched: the backup did not restore cleanly. Keep serving from the source; investigate before moving.",
    restore:
        "The target's transaction was rolled back: it holds what it held before. Run again once the cause is fixed.",
    verify: "Do NOT switch traffic to the target. Run again with --replace to copy afresh, and investigate the difference.",
    thaw: "Put the source back by hand as shown above.",
};

function failureReport(
    phase: Phase,
    err: Error,
    source: Side,
    target: Side,
    targetState: string,
    opts: MoveOptions,
): string {
    return [
        `move-data failed during ${phase}: ${err.message}`,
        `  source (${source.platform} ${source.where}): ${phase === "check" ? "untouched" : "put back as it was unless a line above says ACTION NEEDED"}`,
        `  target (${target.platform} ${target.where}): ${targetState}`,
        `  next: ${NEXT[phase]}${opts.aborted() ? " (the move was stopped by a signal)" : ""}`,
    ].join("\n");
}
