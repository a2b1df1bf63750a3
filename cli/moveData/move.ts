/**
 * One move, as named steps, each only when the ones before it passed:
 *   check          both databases reachable, no freeze left over by an earlier run, tools matched to the servers,
 *                  same migrations and tables, the target empty (or --replace); prints what it will touch.
 *                  --dry-run stops here. --replace asks for confirmation (or --yes).
 *   freeze         a marker on the source recording what is about to be frozen, then the platform (maintenance
 *                  mode / web scaled to 0) and the database (read-only for new sessions, the owner's sessions ended).
 *   copy           pg_dump streamed into the target in one transaction (copy.ts), the source's checksums computed
 *                  meanwhile.
 *   verify         the target's checksums against the frozen source's, table by table, and the sequences.
 *   thaw           the source put back as it was (also on failure, SIGINT or SIGTERM), the marker removed.
 *   restore check  after the thaw: the backup restored whole into a scratch server and compared with the source
 *                  as it was frozen (it checks the backup, not the cutover, so it is outside the write freeze).
 * A run killed without its finally (SIGKILL, a laptop asleep) leaves the marker: every later run reports it, and
 * `--thaw` (thaw()) puts the source back from it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { restoreIntoScratch, streamCopy } from "./copy";
import {
    clearMarker,
    FreezeMarker,
    freezeDatabase,
    isReadOnly,
    readMarker,
    readOnlySetting,
    thawDatabase,
    thawSql,
    writeMarker,
} from "./dbFreeze";
import {
    dataTables,
    migrations,
    rowCounts,
    schemaDifferences,
    sequences,
    summarizeAll,
    Table,
    tableName,
    tables as listTables,
    TableSummary,
} from "./inspect";
import { anyTools, chooseTools, describe, describeTools, serverMajor, ToolChoice, Tools } from "./pg";
import { ScratchServer } from "./scratchServer";
import { Side } from "./side";
import { compare } from "./verify";

export interface MoveOptions extends ToolChoice {
    replace: boolean;
    dryRun: boolean;
    restoreCheck: boolean;
    /** Keep the dump (the backup) at this path; else it is deleted after the restore check. */
    keepDump?: string;
    log: (line: string) => void;
    /** Asked before a --replace move freezes anything; false: nothing is done. */
    confirm: (question: string) => Promise<boolean>;
    /** Whether the move should stop (SIGINT/SIGTERM). */
    aborted: () => boolean;
}

export interface MoveReport {
    ok: boolean;
    dryRun: boolean;
    rows: number;
    dumpBytes: number;
    /** Seconds per step (check, freeze, copy, verify, thaw, restore check). */
    seconds: Record<string, number>;
    /** From the first frozen thing to the source writable again: the application's write downtime. */
    freezeWindowSeconds?: number;
    toolsMajor?: number;
}

export class MoveError extends Error {}

const COPYING = "copy in progress (one transaction)";

type Phase = "check" | "freeze" | "copy" | "verify" | "thaw" | "restore check";

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const counts = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(", ") || "no tables";

/** What the checks learnt; the later steps work from it. */
interface Checked {
    tools: Tools;
    tables: Table[];
    sourceCounts: Map<string, number>;
    targetCounts: Map<string, number>;
}

/** A run in progress: both sides, what the source was before the freeze, and where each side is. */
class Run {
    phase: Phase = "check";
    marker?: FreezeMarker;
    platformFrozen = false;
    dbFrozen = false;
    targetState = "untouched";
    frozenAt = 0;
    readonly report: MoveReport;

    constructor(
        readonly source: Side,
        readonly target: Side,
        readonly opts: MoveOptions,
    ) {
        this.report = { ok: false, dryRun: opts.dryRun, rows: 0, dumpBytes: 0, seconds: {} };
    }

    log = (line: string) => this.opts.log(line);

    async timed<T>(name: string, step: () => Promise<T>): Promise<T> {
        const started = Date.now();
        try {
            return await step();
        } finally {
            this.report.seconds[name] = (Date.now() - started) / 1000;
        }
    }

    checkAbort() {
        if (this.opts.aborted()) throw new MoveError("stopped by a signal");
    }

    /** Moves the marker on to the next phase (a later run reports the phase it finds). */
    async mark(tools: Tools, phase: string) {
        if (!this.marker) return;
        this.marker = { ...this.marker, phase };
        await writeMarker(tools, this.source.conn, this.marker);
    }
}

export async function move(source: Side, target: Side, opts: MoveOptions): Promise<MoveReport> {
    const run = new Run(source, target, opts);
    let checked: Checked | undefined;
    let backupFile: string | undefined;
    let check: RestoreCheck | undefined;
    let frozen: { summaries: TableSummary[]; sequences: Map<string, string> } | undefined;
    try {
        checked = await run.timed("check", () => runChecks(run));
        if (opts.dryRun) {
            run.report.ok = true;
            return run.report;
        }
        await confirmReplace(run, checked);
        run.checkAbort();
        backupFile = opts.keepDump
            ? path.resolve(opts.keepDump)
            : opts.restoreCheck
              ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "actors-move-data-")), "source.dump")
              : undefined;
        if (opts.restoreCheck) check = new RestoreCheck(checked.tools, backupFile!, checked.tables);
        run.phase = "freeze";
        await run.timed("freeze", () => freeze(run, checked!.tools));
        run.checkAbort();
        run.phase = "copy";
        frozen = await run.timed("copy", () => copy(run, checked!, backupFile, check));
        run.phase = "verify"; // committed: from here a stop leaves the target holding the copy
        run.checkAbort();
        await run.timed("verify", () => verify(run, checked!, frozen!));
    } catch (err) {
        if (run.targetState === COPYING)
            run.targetState = (err as { outcomeUnknown?: boolean }).outcomeUnknown
                ? "UNKNOWN: the whole copy, or what it held before (count its rows)"
                : "unchanged (the copy's transaction was rolled back)";
        const thawProblems = checked ? await thaw(run, checked.tools) : [];
        await check?.abandon();
        removeDump(opts, backupFile);
        throw new MoveError(failureReport(run, err as Error, thawProblems));
    }
    const thawProblems = await thaw(run, checked.tools);
    if (thawProblems.length) {
        await check?.abandon();
        removeDump(opts, backupFile);
        throw new MoveError(failureReport(run, new Error("the thaw failed"), thawProblems));
    }
    run.report.ok = true;
    if (check) {
        run.phase = "restore check";
        try {
            await run.timed("restore check", () => check!.result(run, frozen!));
        } catch (err) {
            run.report.ok = false;
            throw new MoveError(
                `move-data: the move is done and verified, and the source writable again; but the restore check ` +
                    `of its backup failed: ${(err as Error).message}\n  The backup ${opts.keepDump ? `at ${backupFile} ` : ""}` +
                    "does not restore cleanly: investigate before relying on it.",
            );
        } finally {
            removeDump(opts, backupFile);
        }
    }
    return run.report;
}

/** The dump's temporary folder, unless --keep-dump named where to keep it. */
function removeDump(opts: MoveOptions, file: string | undefined) {
    if (file && !opts.keepDump) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

// --- check

async function runChecks(run: Run): Promise<Checked> {
    const { source, target, opts, log } = run;
    log(`source: ${source.platform} ${source.where}: ${describe(source.conn)}`);
    log(`target: ${target.platform} ${target.where}: ${describe(target.conn)}`);
    const probe = anyTools();
    const [sourceMajor, targetMajor] = await Promise.all([
        serverMajor(probe, source.conn),
        serverMajor(probe, target.conn),
    ]);
    // A freeze left over by a run that died without its cleanup comes first: it explains everything else.
    const leftovers = (
        await Promise.all([leftoverFreeze(probe, source, "source", target), leftoverFreeze(probe, target, "target")])
    ).filter((l): l is string => Boolean(l));
    if (leftovers.length) throw new MoveError(leftovers.join("\n"));

    let tools: Tools;
    try {
        tools = await chooseTools(opts, sourceMajor, targetMajor);
    } catch (err) {
        throw new MoveError((err as Error).message);
    }
    run.report.toolsMajor = tools.major;
    log(`servers: source PostgreSQL ${sourceMajor}, target PostgreSQL ${targetMajor}; tools: ${describeTools(tools)}`);
    const [sourceTables, targetTables] = await Promise.all([
        listTables(tools, source.conn),
        listTables(tools, target.conn),
    ]);
    const differences = schemaDifferences(
        { migrations: await migrations(tools, source.conn, sourceTables), tables: sourceTables },
        { migrations: await migrations(tools, target.conn, targetTables), tables: targetTables },
    );
    if (differences.length)
        throw new MoveError(
            `the schemas differ, so the copy is refused:\n  - ${differences.join("\n  - ")}\n` +
                "Deploy the same app version on both stacks (pulumi up), so both ran the same migrations.",
        );
    const [sourceCounts, targetCounts] = await Promise.all([
        rowCounts(tools, source.conn, sourceTables),
        rowCounts(tools, target.conn, targetTables),
    ]);
    log(`will touch: source ${source.platform} ${source.where}: ${counts(sourceCounts)}`);
    log(`            target ${target.platform} ${target.where}: ${counts(targetCounts)}`);
    if (sum(targetCounts) > 0 && !opts.replace)
        throw new MoveError(
            `the target already holds data (${counts(targetCounts)}), so the copy is refused. ` +
                "A freshly deployed stack holds the 400 actors its seed migration adds. Pass --replace to " +
                "replace the target's rows with the source's (in one transaction, after every check passed).",
        );
    const checked = { tools, tables: sourceTables, sourceCounts, targetCounts };
    const plan = planLines(run, checked);
    log(opts.dryRun ? "dry run: every check passed; a move would:" : "plan:");
    plan.forEach((step, i) => log(`  ${i + 1}. ${step}`));
    return checked;
}

function planLines(run: Run, c: Checked): string[] {
    const { source, opts } = run;
    const held = sum(c.targetCounts);
    return [
        `freeze the source (${source.platform === "heroku" ? "maintenance mode on" : "web deployment scaled to 0"}; database read-only for new sessions, the owner's sessions ended; a marker on the source database records it)`,
        `stream pg_dump ${c.tools.major} of the source into the target: ${held > 0 ? `replace the target's ${held} rows` : "load the target"} with the source's ${sum(c.sourceCounts)} rows of ${dataTables(c.tables).map(tableName).join(", ")} and the sequences, in one transaction (indexes built after the rows)`,
        "verify every table (rows and checksum) and sequence on both sides",
        "put the source back as it was (the write freeze ends here)",
        opts.restoreCheck
            ? `restore the dump into a scratch server and compare it with the source${opts.keepDump ? `; keep it at ${opts.keepDump}` : ""}`
            : "(no restore check: --no-restore-check)",
    ];
}

async function confirmReplace(run: Run, c: Checked): Promise<void> {
    if (!run.opts.replace) return;
    const question =
        `Replace the rows of ${run.target.platform} ${run.target.where} (${counts(c.targetCounts)}) with those of ` +
        `${run.source.platform} ${run.source.where} (${counts(c.sourceCounts)}), freezing the source's writes meanwhile?`;
    if (!(await run.opts.confirm(question))) throw new MoveError("not confirmed: nothing was changed on either side");
}

// --- a freeze left over by an earlier run

const TARGET_AFTER: Record<string, string> = {
    freeze: "untouched (the earlier run stopped before copying)",
    copy:
        "as it was before, unless the copy's transaction committed just before the run stopped (it commits whole " +
        "or not at all)",
    verify: "holds the complete copy, committed, NOT verified (the run stopped while verifying)",
};

/** The report of a freeze left over on `side`, or undefined when it has none. */
async function leftoverFreeze(
    tools: Tools,
    side: Side,
    label: "source" | "target",
    other?: Side,
): Promise<string | undefined> {
    const { marker } = await readMarker(tools, side.conn);
    if (!marker) return undefined;
    const [readOnly, platformNow] = await Promise.all([readOnlySetting(tools, side.conn), side.platformState()]);
    let targetNow = "";
    if (other && marker.to === other.platform) {
        try {
            const all = await listTables(tools, other.conn);
            targetNow = `; it holds now: ${counts(await rowCounts(tools, other.conn, all))}`;
        } catch (err) {
            targetNow = `; its rows cannot be counted now (${(err as Error).message.split("\n")[0]})`;
        }
    }
    return [
        `the ${label} (${side.platform} ${side.where}) is still frozen by an earlier move-data run that did not finish ` +
            `(${marker.from} -> ${marker.to}, ${marker.by}, started ${marker.startedAt}, stopped during: ${marker.phase}):`,
        `  ${side.platform} database: ${readOnly === "on" ? "READ-ONLY for new sessions" : "writable"} ` +
            `(before the freeze: ${marker.readOnlyBefore === "on" ? "read-only" : "writable"})`,
        `  ${side.platform} platform: ${side.describeState(platformNow)} (before the freeze: ${side.describeState(marker.platformBefore)})`,
        `  the move's target (${marker.target}): ${TARGET_AFTER[marker.phase] ?? marker.phase}${targetNow}`,
        `  next: npm run move-data -- --from ${side.platform} --thaw   puts it back as it was before the freeze` +
            " (if that run is still going, wait for it instead); then run the move again.",
    ].join("\n");
}

// --- freeze

async function freeze(run: Run, tools: Tools): Promise<void> {
    const { source, target, log } = run;
    const [platformBefore, readOnlyBefore, { comment }] = await Promise.all([
        source.platformState(),
        readOnlySetting(tools, source.conn),
        readMarker(tools, source.conn),
    ]);
    run.marker = {
        by: `move-data pid ${process.pid} on ${os.hostname()}`,
        startedAt: new Date().toISOString(),
        from: source.platform,
        to: target.platform,
        target: `${target.platform} ${target.where}`,
        phase: "freeze",
        readOnlyBefore,
        platformBefore,
        commentBefore: comment,
    };
    // The marker first: whatever follows, a later run can tell what to put back.
    await writeMarker(tools, source.conn, run.marker);
    run.frozenAt = Date.now();
    run.platformFrozen = true;
    await source.freezePlatform(log);
    run.checkAbort();
    run.dbFrozen = true;
    const others = await freezeDatabase(tools, source.conn);
    if (!(await isReadOnly(tools, source.conn)))
        throw new MoveError("the source database still takes writes after the freeze (a role setting overrides it?)");
    log("source database: read-only for new sessions; the owner's other sessions ended");
    log(
        `(should this process be killed without cleaning up, e.g. SIGKILL, any later run says so; ` +
            `npm run move-data -- --from ${source.platform} --thaw puts the source back)`,
    );
    if (others.length)
        log(
            `warning: sessions of other roles stay connected to the source: ${others.join(", ")}; ` +
                "the owner cannot end them; their new transactions are read-only",
        );
}

// --- copy and verify

async function copy(run: Run, c: Checked, backupFile: string | undefined, check?: RestoreCheck) {
    const { source, target, log } = run;
    // The figures that count are the frozen source's (its rows are counted by the checksums; the counts taken
    // before the freeze only feed the progress).
    const [positions] = await Promise.all([sequences(c.tools, source.conn), run.mark(c.tools, "copy")]);
    // Once the source is dumped it is idle: its checksums are computed while the target still loads, and the
    // restore check (at the lowest CPU priority) starts on the complete backup.
    let pending: Promise<TableSummary[]> | undefined;
    const sourceSums = () => {
        pending ??= summarizeAll(c.tools, source.conn, c.tables);
        pending.catch(() => {}); // awaited below; a failure is reported there
        return pending;
    };
    run.targetState = COPYING;
    const started = Date.now();
    const result = await streamCopy(
        c.tools,
        source.conn,
        target.conn,
        {
            tables: c.tables,
            totalRows: sum(c.sourceCounts),
            replace: run.opts.replace,
            sequences: positions,
            backupFile,
            onDumped: () => {
                sourceSums();
                check?.begin();
            },
        },
        log,
    );
    run.targetState = "holds the copy, committed, not yet verified";
    run.report.dumpBytes = result.dumpBytes;
    log(
        `copy: ${(result.dumpBytes / 1e6).toFixed(1)} MB of dump committed in ` +
            `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // Committed: the marker says so at once (a run killed from here on left the target holding the copy).
    const [summaries] = await Promise.all([sourceSums(), run.mark(c.tools, "verify")]);
    run.report.rows = summaries.reduce((n, t) => n + t.rows, 0);
    return { summaries, sequences: positions };
}

async function verify(run: Run, c: Checked, frozen: { summaries: TableSummary[]; sequences: Map<string, string> }) {
    const { target, log } = run;
    log("verify: computing the target's checksums");
    const [summaries, positions] = await Promise.all([
        summarizeAll(c.tools, target.conn, c.tables),
        sequences(c.tools, target.conn),
    ]);
    const result = compare("source", frozen.summaries, "target", summaries, frozen.sequences, positions);
    log("verify: source and target, table by table:");
    result.lines.forEach((l) => log(`  ${l}`));
    if (result.differences.length) {
        run.targetState = "holds the copy, which DIFFERS from the source";
        throw new MoveError(`the target differs from the source:\n  - ${result.differences.join("\n  - ")}`);
    }
    run.targetState = "holds the copy, verified identical to the source";
}

// --- thaw

/** Puts the source back (database first, then what the platform restarts can write); returns what failed. */
async function thaw(run: Run, tools: Tools): Promise<string[]> {
    if (!run.marker) return [];
    const { source, log } = run;
    const started = Date.now();
    const frozenUntil = (at: number) => {
        if (run.frozenAt) run.report.freezeWindowSeconds = (at - run.frozenAt) / 1000;
    };
    const problems = await thawFromMarker(tools, source, run.marker, log, {
        db: run.dbFrozen,
        platform: run.platformFrozen,
        thawed: () => frozenUntil(Date.now()), // the marker's removal is no longer part of the write freeze
    });
    if (problems.length === 0) {
        run.dbFrozen = run.platformFrozen = false;
        run.marker = undefined;
    }
    run.report.seconds.thaw = (Date.now() - started) / 1000;
    if (run.report.freezeWindowSeconds === undefined) frozenUntil(Date.now());
    if (problems.length) log(`ACTION NEEDED:\n  - ${problems.join("\n  - ")}`);
    log(
        `source: ${run.dbFrozen ? "database READ-ONLY" : "database writable"}, ` +
            `${run.platformFrozen ? "platform still frozen" : `${source.describeState(run.marker?.platformBefore ?? (await source.platformState()))}`}`,
    );
    log(`target: ${run.targetState}`);
    return problems;
}

/** The thaw from a marker: what the run recorded before freezing, put back; the marker removed last. */
async function thawFromMarker(
    tools: Tools,
    source: Side,
    marker: FreezeMarker,
    log: (line: string) => void,
    what: { db: boolean; platform: boolean; thawed?: () => void } = { db: true, platform: true },
): Promise<string[]> {
    const problems: string[] = [];
    const again = `npm run move-data -- --from ${source.platform} --thaw`;
    try {
        await source.reconnect(); // a port-forward that died with the copy
    } catch (err) {
        problems.push(
            `cannot reach the source database again (${(err as Error).message}); once it is reachable: ${again}`,
        );
        return problems;
    }
    if (what.db) {
        try {
            await thawDatabase(tools, source.conn, marker.readOnlyBefore);
            log("source database: writable again");
        } catch (err) {
            problems.push(
                `the source database is still read-only (${(err as Error).message}); run: ${again}, or as its owner: ${thawSql(source.conn, marker.readOnlyBefore)}`,
            );
        }
    }
    if (what.platform) {
        try {
            await source.thawPlatform(marker.platformBefore, log);
        } catch (err) {
            problems.push(
                `the source platform was not put back (${(err as Error).message}); run: ${again}, or: ${source.manualThaw(marker.platformBefore).join(" && ")}`,
            );
        }
    }
    if (problems.length === 0) {
        what.thawed?.();
        try {
            await clearMarker(tools, source.conn, marker.commentBefore);
        } catch (err) {
            problems.push(`the freeze marker stays on the source database (${(err as Error).message}); run: ${again}`);
        }
    }
    return problems;
}

/** `--thaw`: puts back a source left frozen by a run that was killed; reports what it found and did. */
export async function thawLeftover(source: Side, log: (line: string) => void): Promise<void> {
    const tools = anyTools();
    const report = await leftoverFreeze(tools, source, "source");
    if (!report) {
        const readOnly = await readOnlySetting(tools, source.conn);
        log(
            `thaw: no freeze marker on ${source.platform} ${source.where}: nothing to put back ` +
                `(its database is ${readOnly === "on" ? "READ-ONLY by a setting move-data did not record: ALTER DATABASE ... RESET default_transaction_read_only as its owner" : "writable"}; ` +
                `platform: ${source.describeState(await source.platformState())})`,
        );
        return;
    }
    log(report);
    const { marker } = await readMarker(tools, source.conn);
    const problems = await thawFromMarker(tools, source, marker!, log);
    if (problems.length) throw new MoveError(`thaw incomplete:\n  - ${problems.join("\n  - ")}`);
    log(
        `thaw: ${source.platform} ${source.where} is back as it was before the freeze: database ` +
            `${marker!.readOnlyBefore === "on" ? "read-only" : "writable"}, ${source.describeState(await source.platformState())}; marker removed`,
    );
}

// --- restore check (after the thaw, or beside the copy at the lowest CPU priority)

/**
 * The backup restored whole into a scratch server and compared with the source as it was frozen. It checks the
 * backup, not the cutover: its server starts (niced) before the freeze, the restore begins as soon as the dump is
 * complete, and the comparison waits until after the thaw, so it never lengthens the write freeze.
 */
class RestoreCheck {
    private readonly scratch: ScratchServer;
    private readonly started: Promise<unknown>;
    private restored?: Promise<[TableSummary[], Map<string, string>]>;
    private readonly t0 = Date.now();

    constructor(
        private readonly tools: Tools,
        private readonly file: string,
        private readonly tables: Table[],
    ) {
        this.scratch = new ScratchServer(tools, { image: tools.container, niced: true });
        this.started = this.scratch.start();
        this.started.catch(() => {}); // reported by result()
    }

    /** Starts the restore (once the backup file is complete). */
    begin() {
        this.restored ??= (async () => {
            await this.started;
            const conn = this.scratch.conn("restore_check", "scratch");
            await restoreIntoScratch(this.tools, conn, this.file);
            return Promise.all([summarizeAll(this.tools, conn, this.tables), sequences(this.tools, conn)]);
        })();
        this.restored.catch(() => {}); // reported by result()
    }

    async result(run: Run, frozen: { summaries: TableSummary[]; sequences: Map<string, string> }) {
        try {
            this.begin();
            const [backup, positions] = await this.restored!;
            const result = compare("source", frozen.summaries, "backup", backup, frozen.sequences, positions);
            run.log(
                `restore check: the dump restored into a scratch database (${((Date.now() - this.t0) / 1000).toFixed(1)} s ` +
                    "since its server started), against the source as it was frozen:",
            );
            result.lines.forEach((l) => run.log(`  ${l}`));
            if (result.differences.length)
                throw new Error(
                    `the restored backup differs from the source:\n  - ${result.differences.join("\n  - ")}`,
                );
        } finally {
            await this.abandon();
        }
    }

    async abandon() {
        await this.started.catch(() => {});
        await this.scratch.destroy();
    }
}

// --- the failure report

const NEXT: Record<Phase, string> = {
    check: "Nothing was changed on either side. Fix the cause above and run the command again.",
    freeze: "The target was not touched. Once the source is back (see above), fix the cause and run again.",
    copy: "The target's transaction was rolled back: it holds what it held before. Run again once the cause is fixed.",
    verify: "Do NOT switch traffic to the target. Run again with --replace to copy afresh, and investigate the difference.",
    thaw: "Put the source back as shown above.",
    "restore check": "The move itself is done.",
};

function failureReport(run: Run, err: Error, thawProblems: string[]): string {
    if (run.phase === "check" && err instanceof MoveError && /still frozen by an earlier/.test(err.message))
        return err.message;
    const sourceState =
        run.phase === "check"
            ? "untouched"
            : thawProblems.length
              ? `STILL FROZEN (see ACTION NEEDED above; npm run move-data -- --from ${run.source.platform} --thaw)`
              : "put back as it was";
    return [
        `move-data failed during ${run.phase}: ${err.message}`,
        `  source (${run.source.platform} ${run.source.where}): ${sourceState}`,
        `  target (${run.target.platform} ${run.target.where}): ${run.targetState}`,
        `  next: ${NEXT[run.phase]}${run.opts.aborted() ? " (the move was stopped by a signal)" : ""}`,
    ].join("\n");
}
