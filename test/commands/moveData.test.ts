/**
 * `npm run move-data` against real PostgreSQL servers on this machine: a "cluster" server behind a kubectl stand-in
 * that port-forwards to it, and a TLS-only "Heroku" server whose database belongs to a role that is not a superuser,
 * behind the Heroku emulator. 1,000,000 actors move each way; a client keeps writing to the source meanwhile.
 */
import * as fs from "fs";
import { chooseMajor, Conn, query, Tools } from "../../cli/moveData/pg";
import {
    AppServer,
    appServer,
    CliRun,
    kubeCalls,
    kubeState,
    loadActors,
    localTools,
    migrate,
    OWNER_PASSWORD,
    Platforms,
    platforms,
    stackFlags,
    startMoveData,
    tableDigest,
    Writer,
    writerRows,
} from "../support/moveDataFixtures";

jest.setTimeout(240_000);
const ACTORS = Number(process.env.MOVE_DATA_TEST_ROWS ?? 1_000_000);

let tools: Tools;
let k8s: AppServer;
let heroku: AppServer;
let p: Platforms;
const outputs: string[] = [];

async function moveData(args: string[], onLine?: Parameters<typeof startMoveData>[2]): Promise<CliRun> {
    const result = await startMoveData(p, [...stackFlags(p), ...args], onLine).done;
    outputs.push(result.stdout, result.stderr);
    return result;
}

const scaleCalls = () => kubeCalls(p).filter((c) => c.includes("scale"));
const readOnly = async (conn: Conn) => (await query(tools, conn, "SHOW default_transaction_read_only"))[0][0];

beforeAll(async () => {
    tools = localTools();
    [k8s, heroku] = await Promise.all([
        appServer(tools, { tls: false, user: "app", dbname: "app" }),
        appServer(tools, { tls: true, user: "u7kq2", dbname: "d5h1x" }),
    ]);
    await Promise.all([migrate(tools, k8s.owner), migrate(tools, heroku.owner)]);
    await loadActors(tools, k8s.owner, ACTORS);
    p = await platforms(k8s, heroku);
});

afterAll(async () => {
    await p?.emulator.stop();
    await Promise.all([k8s?.server.destroy(), heroku?.server.destroy()]);
    if (p) fs.rmSync(p.dir, { recursive: true, force: true });
});

describe("flags", () => {
    test.each([
        [["--from", "aws", "--to", "heroku"], "--from must be one of k8s, heroku"],
        [["--from", "k8s"], "--to is required"],
        [["--from", "k8s", "--to", "k8s"], "--from and --to must differ"],
        [["--from", "k8s", "--to", "heroku", "--k8s-sslmode", "sometimes"], "--k8s-sslmode must be one of"],
        [["--from", "k8s", "--to", "heroku", "--colour"], "Unknown option '--colour'"],
    ])("%j is refused naming the flag", async (args, message) => {
        const result = await startMoveData(p, args).done;
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
    });

    test("without the stacks' outputs or a flag, it names the flag to pass", async () => {
        const result = await startMoveData(p, ["--from", "heroku", "--to", "k8s"]).done;
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/pass --heroku-app/);
        expect(result.stderr).toContain("Nothing was changed on either side");
    });

    test("pg_dump is matched to the source's version, or the message says what to install", () => {
        expect(chooseMajor([15, 17], 15, 15)).toEqual({ major: 15 });
        expect(chooseMajor([15, 17], 15, 17)).toEqual({ major: 17 });
        expect(chooseMajor([15, 17], 16, 15)).toEqual({ major: 17 });
        expect(chooseMajor([17], 15, 15)).toEqual({ major: 17 });
        const missing = chooseMajor([15], 17, 17);
        expect("missing" in missing && missing.missing).toMatch(/PostgreSQL 17.*install postgresql-client-17/i);
    });
});

describe("refusals: nothing changes on either side", () => {
    let targetBefore: string;
    beforeAll(async () => {
        targetBefore = await tableDigest(tools, heroku.owner);
    });
    afterEach(async () => {
        expect(await tableDigest(tools, heroku.owner)).toBe(targetBefore);
        expect(scaleCalls()).toEqual([]);
        expect(p.emulator.maintenanceChanges).toEqual([]);
        expect(await readOnly(k8s.owner)).toBe("off");
    });

    test("a dry run checks both sides and says what a move would do", async () => {
        const result = await moveData(["--from", "k8s", "--to", "heroku", "--replace", "--dry-run"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("dry run: every check passed; a move would:");
        expect(result.stdout).toContain(
            `replace the target's 400 rows with the source's ${ACTORS} rows of public.actors`,
        );
        expect(result.stdout).toMatch(/sslmode=require/);
    });

    test("a target that already holds data is refused without --replace", async () => {
        const result = await moveData(["--from", "k8s", "--to", "heroku"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("the target already holds data (public.actors 400), so the copy is refused");
        expect(result.stderr).toMatch(/target \(heroku app actors-move-test\): untouched/);
    });

    test("a schema mismatch is refused, even with --replace", async () => {
        await query(tools, heroku.owner, "INSERT INTO schema_migrations VALUES (3, 'add_awards', 'abc')");
        try {
            const result = await moveData(["--from", "k8s", "--to", "heroku", "--replace"]);
            expect(result.code).toBe(1);
            expect(result.stderr).toContain("the schemas differ, so the copy is refused");
            expect(result.stderr).toContain("migration only on the target: 3 add_awards abc");
        } finally {
            await query(tools, heroku.owner, "DELETE FROM schema_migrations WHERE version = 3");
        }
    });
});

/**
 * Runs a move while a client writes to the source, then checks what a correct freeze means: the target holds
 * exactly the writes taken before the freeze (none lost), the source refused every write between the freeze and
 * the thaw, and took writes again afterwards.
 */
async function moveUnderWrites(from: "k8s" | "heroku", source: AppServer, target: AppServer): Promise<CliRun> {
    const writer = new Writer(tools, source.owner).start();
    await new Promise((r) => setTimeout(r, 500));
    const result = await moveData(["--from", from, "--to", from === "k8s" ? "heroku" : "k8s", "--replace"]);
    await new Promise((r) => setTimeout(r, 500));
    await writer.stop();

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const refused = writer.attempts.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) expect(a.error).toMatch(/read-only transaction|terminat/);
    const onSource = await writerRows(tools, source.owner, writer);
    const onTarget = await writerRows(tools, target.owner, writer);
    // Every write the source took is there; the target holds a prefix of them: all taken before the freeze.
    expect(onSource).toEqual(writer.attempts.filter((a) => a.ok).map((a) => a.n));
    const lastCopied = Math.max(0, ...onTarget);
    expect(onTarget).toEqual(onSource.filter((n) => n <= lastCopied));
    // Between the freeze and the thaw the source took nothing: every write after the last copied one and before
    // the last refused one was refused.
    const lastRefused = Math.max(...refused.map((a) => a.n));
    expect(onSource.filter((n) => n > lastCopied && n < lastRefused)).toEqual([]);
    expect(onSource.some((n) => n > lastRefused)).toBe(true); // the source is writable again
    expect(await readOnly(source.owner)).toBe("off");

    // Independently of the command's own checksums: the target equals the source as it was at the freeze.
    const [[copiedUpTo]] = await query(tools, target.owner, "SELECT max(id) FROM actors");
    const upTo = `(SELECT * FROM actors WHERE id <= ${copiedUpTo})`;
    expect(await tableDigest(tools, target.owner)).toBe(await tableDigest(tools, source.owner, upTo));
    expect(Number(copiedUpTo)).toBeGreaterThanOrEqual(ACTORS);
    // The identity sequence moved with the rows: the target's app can insert straight away.
    await query(tools, target.owner, "INSERT INTO actors (name) VALUES ('first on the new side')");

    // Printed: both sides' counts and checksums, for the restored backup and for the target.
    expect(result.stdout).toMatch(/restore check: the dump restored into a scratch database/);
    expect(result.stdout).toMatch(/public\.actors \| (\d+) \| \1 \| ([0-9a-f]{32}) \| \2 \| yes/);
    expect(result.stdout).toMatch(/verify: source and target, table by table/);
    expect(result.stdout).toMatch(/restore: \d+ of \d+ rows sent/);
    expect(result.stdout).toMatch(/move-data: done: \d+ rows moved and verified/);
    return result;
}

describe("moves, 1,000,000 actors each way", () => {
    test("k8s -> heroku: verified; writes during the copy refused on the source, none lost", async () => {
        await moveUnderWrites("k8s", k8s, heroku);
        // The web Deployment went to 0 and back to what it was; Heroku was not put in maintenance (the target).
        expect(scaleCalls().map((c) => c.find((a) => a.startsWith("--replicas")))).toEqual([
            "--replicas=0",
            "--replicas=2",
        ]);
        expect(kubeState(p).replicas).toBe(2);
        expect(p.emulator.maintenanceChanges).toEqual([]);
        expect(kubeCalls(p).some((c) => c.includes("port-forward"))).toBe(true);
    });

    test("heroku -> k8s: verified over TLS as a non-superuser; maintenance mode on only during the copy", async () => {
        const scalesBefore = scaleCalls().length;
        await moveUnderWrites("heroku", heroku, k8s);
        expect(p.emulator.maintenanceChanges).toEqual([
            { app: "actors-move-test", maintenance: true },
            { app: "actors-move-test", maintenance: false },
        ]);
        expect(p.emulator.apps.get([...p.emulator.apps.keys()][0]).maintenance).toBe(false);
        expect(p.emulator.invalid).toEqual([]);
        expect(scaleCalls().length).toBe(scalesBefore);
    });

    test("a copy killed part-way leaves the target unchanged and the source writable", async () => {
        p.emulator.maintenanceChanges = [];
        const targetBefore = await tableDigest(tools, k8s.owner);
        let killedAt = "";
        // (--no-restore-check: the restore into the target is reached sooner; the other moves check the restore.)
        const result = await moveData(
            ["--from", "heroku", "--to", "k8s", "--replace", "--no-restore-check"],
            (line, child) => {
                if (!killedAt && /^restore: [1-9]\d* of \d+ rows sent/.test(line)) {
                    killedAt = line;
                    child.kill("SIGTERM");
                }
            },
        );
        expect(killedAt).not.toBe("");
        expect(result.code).toBe(143);
        expect(result.stderr).toMatch(/move-data failed during restore/);
        expect(result.stderr).toMatch(
            /target \(k8s namespace actors \(context kind-actors\)\): unchanged \(the restore transaction was rolled back\)/,
        );
        expect(result.stdout).toContain("source database: writable again");
        expect(await tableDigest(tools, k8s.owner)).toBe(targetBefore);
        expect(await readOnly(heroku.owner)).toBe("off");
        await query(tools, heroku.owner, "INSERT INTO actors (name) VALUES ('written after the kill')");
        expect(p.emulator.maintenanceChanges.map((c) => c.maintenance)).toEqual([true, false]);
    });
});

test("no password and no API key in anything the command printed", () => {
    expect(outputs.length).toBeGreaterThan(8);
    for (const text of outputs) {
        expect(text).not.toContain(OWNER_PASSWORD);
        expect(text).not.toContain(p.emulator.apiKey);
    }
});
