/**
 * `npm run move-data` against real PostgreSQL servers on this machine: a "cluster" server behind a kubectl stand-in
 * that port-forwards to it, and a TLS-only "Heroku" server whose database belongs to a role that is not a superuser,
 * behind the Heroku emulator; the stacks' outputs from a pulumi stand-in. 1,000,000 actors move each way; a client
 * keeps writing to the source meanwhile. Runs are killed (SIGTERM, SIGKILL at each step, a dead port-forward) and
 * what they leave is checked. A PostgreSQL 17 source, newer than the host's programs, moves through the container
 * fallback.
 */
import * as fs from "fs";
import { anyTools, chooseMajor, Conn, query, Tools } from "../../cli/moveData/pg";
import {
    AppServer,
    appServer,
    CliRun,
    loadActors,
    migrate,
    OWNER_PASSWORD,
    Platforms,
    platforms,
    startMoveData,
} from "../../tools/moveDataWorld";
import {
    containerAppServer,
    editState,
    forwardPids,
    kubeCalls,
    kubeState,
    pg17Image,
    PG17_IMAGE,
    tableDigest,
    Writer,
    writerRows,
} from "../support/moveDataFixtures";

jest.setTimeout(300_000);
const ACTORS = Number(process.env.MOVE_DATA_TEST_ROWS ?? 1_000_000);

let tools: Tools;
let k8s: AppServer;
let heroku: AppServer;
let p: Platforms;
const outputs: string[] = [];

async function moveData(
    args: string[],
    onLine?: Parameters<typeof startMoveData>[2],
    env?: NodeJS.ProcessEnv,
    on: Platforms = p,
): Promise<CliRun> {
    const result = await startMoveData(on, args, onLine, env).done;
    outputs.push(result.stdout, result.stderr);
    return result;
}

const scaleCalls = () => kubeCalls(p).filter((c) => c.includes("scale"));
const readOnly = async (conn: Conn) => (await query(tools, conn, "SHOW default_transaction_read_only"))[0][0];
const comment = async (conn: Conn) =>
    (
        await query(
            tools,
            conn,
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = current_database()",
        )
    )[0][0];

beforeAll(async () => {
    tools = anyTools();
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
        [["--from", "heroku", "--to", "k8s", "--heroku-app", "Actors_Prod"], "--heroku-app must be a Heroku app name"],
        [["--from", "heroku", "--to", "k8s", "--heroku-app", "actors-"], "not ending with '-' (got \"actors-\")"],
        [["--from", "k8s", "--thaw", "--replace"], "--thaw only puts a frozen source back"],
    ])("%j is refused naming the flag", async (args, message) => {
        const result = await startMoveData(p, args).done;
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
    });

    test("pg_dump is matched to the source's version", () => {
        expect(chooseMajor([15, 17], 15, 15)).toBe(15);
        expect(chooseMajor([15, 17], 15, 17)).toBe(17);
        expect(chooseMajor([15, 17], 16, 15)).toBe(17);
        expect(chooseMajor([17], 15, 15)).toBe(17);
        expect(chooseMajor([15], 17, 17)).toBeUndefined();
    });
});

describe("finding the databases: the stacks' tools outputs, flags overriding one value each", () => {
    const dryRun = ["--from", "k8s", "--to", "heroku", "--replace", "--dry-run"];
    const contexts = (calls: string[][]) => calls.map((c) => c[c.indexOf("--context") + 1] ?? "(none)");
    let callsBefore = 0;
    beforeEach(() => (callsBefore = kubeCalls(p).length));
    const newCalls = () => kubeCalls(p).slice(callsBefore);

    test("a dry run prints which cluster, context, namespace and app it would touch, and their rows", async () => {
        const result = await moveData(dryRun);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(
            "k8s: cluster actors-db (the stack k8s), namespace actors (the stack k8s), context kind-actors (the stack k8s), deployment/actors-web",
        );
        expect(result.stdout).toContain(`heroku: app ${p.herokuApp} (the stack heroku)`);
        expect(result.stdout).toContain(
            `will touch: source k8s cluster actors-db, namespace actors, context kind-actors: public.actors ${ACTORS}`,
        );
        expect(result.stdout).toContain(`target heroku app ${p.herokuApp}: public.actors 400`);
        expect(result.stdout).toContain("dry run: every check passed; a move would:");
        expect(result.stdout).toMatch(/sslmode=require/);
    });

    test("a renamed database cluster (a restore switched to actors-db-2) is found through the stack's output", async () => {
        const rename = (cluster: string) => (s: any) => {
            const tools = s.names ?? s.stacks.k8s.tools;
            Object.assign(tools, { dbCluster: cluster, dbAppSecret: `${cluster}-app`, dbRwService: `${cluster}-rw` });
        };
        editState(p.kubeState, rename("actors-db-2"));
        editState(p.pulumiState, rename("actors-db-2"));
        try {
            const result = await moveData(dryRun);
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
            expect(newCalls()).toContainEqual(expect.arrayContaining(["get", "secret", "actors-db-2-app"]));
            expect(newCalls()).toContainEqual(expect.arrayContaining(["port-forward", "service/actors-db-2-rw"]));
            expect(result.stdout).toContain("k8s: cluster actors-db-2 (the stack k8s)");
        } finally {
            editState(p.kubeState, rename("actors-db"));
            editState(p.pulumiState, rename("actors-db"));
        }
    });

    test("--k8s-namespace keeps the stack's kube context, although kubectl points elsewhere", async () => {
        editState(p.kubeState, (s) => (s.currentContext = "someone-elses-cluster"));
        try {
            const result = await moveData([...dryRun, "--k8s-namespace", "actors"]);
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
            expect(result.stdout).toContain("namespace actors (--k8s-namespace), context kind-actors (the stack k8s)");
            expect(new Set(contexts(newCalls()))).toEqual(new Set(["kind-actors"]));
        } finally {
            editState(p.kubeState, (s) => (s.currentContext = "kind-actors"));
        }
    });

    test("a stack that names no context: kubectl's current one, resolved once and named on every call", async () => {
        editState(p.pulumiState, (s) => (s.stacks.k8s.tools.kubeContext = ""));
        try {
            const result = await moveData(dryRun);
            expect(result.code).toBe(0);
            expect(result.stdout).toContain(
                "context kind-actors (kubectl's current context (the stack k8s names none))",
            );
            const calls = newCalls();
            expect(calls[0]).toEqual(["config", "current-context"]);
            expect(new Set(contexts(calls.slice(1)))).toEqual(new Set(["kind-actors"]));
        } finally {
            editState(p.pulumiState, (s) => (s.stacks.k8s.tools.kubeContext = "kind-actors"));
        }
    });

    test("when pulumi fails, its whole stderr is shown, with the flags that would replace the outputs", async () => {
        const stderr = "Downloading pulumi v3.276.0 ...\nerror: failed to log in to the backend: 403 Forbidden\n";
        editState(p.pulumiState, (s) => (s.failWith = stderr));
        try {
            const result = await moveData([
                "--from",
                "k8s",
                "--to",
                "heroku",
                "--dry-run",
                "--k8s-namespace",
                "actors",
            ]);
            expect(result.code).toBe(1);
            expect(result.stderr).toContain("Downloading pulumi v3.276.0 ...");
            expect(result.stderr).toContain("error: failed to log in to the backend: 403 Forbidden");
            expect(result.stderr).toContain("pass --kube-context, --k8s-db-cluster");
            expect(result.stderr).toContain("Nothing was changed on either side");
        } finally {
            editState(p.pulumiState, (s) => delete s.failWith);
        }
    });

    test("a stack deployed before the tools output existed is named, with what to do", async () => {
        let saved: unknown;
        editState(p.pulumiState, (s) => ((saved = s.stacks.heroku.tools), delete s.stacks.heroku.tools));
        try {
            const result = await moveData(["--from", "heroku", "--to", "k8s", "--dry-run"]);
            expect(result.code).toBe(1);
            expect(result.stderr).toContain("current stack does not have output property 'tools'");
            expect(result.stderr).toContain("pass --heroku-app");
        } finally {
            editState(p.pulumiState, (s) => (s.stacks.heroku.tools = saved));
        }
    });

    test("a rejected Heroku API key says so (401 from the Platform API), not a network error", async () => {
        const result = await moveData(dryRun, undefined, { HEROKU_API_KEY: "not-the-key" });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/the Heroku Platform API refused the API key \(401: /);
        expect(result.stderr).not.toMatch(/network error/);
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

    test("a target that already holds data is refused without --replace", async () => {
        const result = await moveData(["--from", "k8s", "--to", "heroku"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("the target already holds data (public.actors 400), so the copy is refused");
        expect(result.stderr).toMatch(/target \(heroku app actors-move-test\): untouched/);
    });

    test("--replace without a terminal to confirm on, and without --yes, is refused", async () => {
        const result = await moveData(["--from", "k8s", "--to", "heroku", "--replace"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
            `Replace the rows of heroku app ${p.herokuApp} (public.actors 400) with those of k8s cluster actors-db`,
        );
        expect(result.stderr).toContain("there is no terminal to ask on: pass --yes to confirm");
    });

    test("a schema mismatch is refused, even with --replace", async () => {
        await query(tools, heroku.owner, "INSERT INTO schema_migrations VALUES (3, 'add_awards', 'abc')");
        try {
            const result = await moveData(["--from", "k8s", "--to", "heroku", "--replace", "--yes"]);
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
    const result = await moveData(["--from", from, "--to", from === "k8s" ? "heroku" : "k8s", "--replace", "--yes"]);
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
    expect(await comment(source.owner)).toBe("-"); // the freeze marker is gone

    // Independently of the command's own checksums: the target equals the source as it was at the freeze.
    const [[copiedUpTo]] = await query(tools, target.owner, "SELECT max(id) FROM actors");
    const upTo = `(SELECT * FROM actors WHERE id <= ${copiedUpTo})`;
    expect(await tableDigest(tools, target.owner)).toBe(await tableDigest(tools, source.owner, upTo));
    expect(Number(copiedUpTo)).toBeGreaterThanOrEqual(ACTORS);
    // The indexes and keys were made again after the rows; the identity sequence moved with them.
    const [[indexes]] = await query(
        tools,
        target.owner,
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'actors'",
    );
    expect(indexes).toBe("actors_name_birth_year_key,actors_pkey,actors_sort_name_id_idx");
    await query(tools, target.owner, "INSERT INTO actors (name) VALUES ('first on the new side')");

    // Printed: both sides' counts and checksums, for the target and (after the thaw) for the restored backup.
    expect(result.stdout).toMatch(/verify: source and target, table by table/);
    expect(result.stdout).toMatch(/public\.actors \| (\d+) \| \1 \| (r:[0-9a-f]{16}) \| \2 \| yes/);
    expect(result.stdout).toMatch(/copy: [\d.]+ MB dumped, about \d+ of \d+ rows sent/);
    const restoreCheckAt = result.stdout.indexOf("restore check: the dump restored into a scratch database");
    expect(restoreCheckAt).toBeGreaterThan(result.stdout.indexOf("source database: writable again"));
    expect(result.stdout).toMatch(
        /move-data: done: \d+ rows moved and verified; writes were frozen for [\d.]+ s of the whole [\d.]+ s/,
    );
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

    test("a copy stopped part-way (SIGTERM) leaves the target unchanged and the source writable", async () => {
        p.emulator.maintenanceChanges = [];
        const targetBefore = await tableDigest(tools, k8s.owner);
        let killedAt = "";
        const result = await moveData(["--from", "heroku", "--to", "k8s", "--replace", "--yes"], (line, child) => {
            if (!killedAt && /^copy: .* about [1-9]\d* of/.test(line)) {
                killedAt = line;
                child.kill("SIGTERM");
            }
        });
        expect(killedAt).not.toBe("");
        expect(result.code).toBe(143);
        expect(result.stderr).toMatch(/move-data failed during copy/);
        expect(result.stderr).toMatch(
            /target \(k8s cluster actors-db, namespace actors, context kind-actors\): unchanged \(the copy's transaction was rolled back\)/,
        );
        expect(result.stdout).toContain("source database: writable again");
        expect(await tableDigest(tools, k8s.owner)).toBe(targetBefore);
        expect(await readOnly(heroku.owner)).toBe("off");
        await query(tools, heroku.owner, "INSERT INTO actors (name) VALUES ('written after the kill')");
        expect(p.emulator.maintenanceChanges.map((c) => c.maintenance)).toEqual([true, false]);
    });
});

describe("surviving a crash: a run killed without its cleanup is reported by every later run, and --thaw undoes it", () => {
    const move = ["--from", "k8s", "--to", "heroku", "--replace", "--yes"];
    const triggers: [string, string, RegExp][] = [
        ["during the dump (the copy's start)", "copy", /^copy: .* about [1-9]\d* of \d+ rows sent \([0-3]?\d%\)/],
        ["during the restore (the copy's end)", "copy", /^copy: .* about \d+ of \d+ rows sent \((?:[6-9]\d|100)%\)/],
        ["during verification", "verify", /^verify: computing the target's checksums/],
    ];

    test.each(triggers)("SIGKILL %s", async (_when, phase, trigger) => {
        const targetBefore = await tableDigest(tools, heroku.owner);
        await query(tools, k8s.owner, "COMMENT ON DATABASE app IS 'the team''s database'");
        let killedAt = "";
        const killed = await moveData(move, (line, child) => {
            if (!killedAt && trigger.test(line)) {
                killedAt = line;
                child.kill("SIGKILL");
            }
        });
        expect(killedAt).not.toBe("");
        expect(killed.signal).toBe("SIGKILL");
        // Left behind: the source frozen, on both levels.
        expect(await readOnly(k8s.owner)).toBe("on");
        expect(kubeState(p).replicas).toBe(0);

        // Any later run, a dry run included, says what state each side is in, and the command that undoes it.
        const later = await moveData(["--from", "k8s", "--to", "heroku", "--dry-run"]);
        expect(later.code).toBe(1);
        expect(later.stderr).toContain(
            "the source (k8s cluster actors-db, namespace actors, context kind-actors) is still frozen by an earlier move-data run that did not finish",
        );
        expect(later.stderr).toContain(`stopped during: ${phase}`);
        expect(later.stderr).toContain("k8s database: READ-ONLY for new sessions (before the freeze: writable)");
        expect(later.stderr).toContain(
            "k8s platform: deployment/actors-web at 0 replicas (before the freeze: deployment/actors-web at 2 replicas)",
        );
        expect(later.stderr).toContain("next: npm run move-data -- --from k8s --thaw");
        // The target: untouched by a copy that never committed; the full copy once it had.
        const targetNow = await tableDigest(tools, heroku.owner);
        if (phase === "copy") {
            expect(targetNow).toBe(targetBefore);
            expect(later.stderr).toMatch(
                new RegExp(
                    "the move's target \\(heroku app actors-move-test\\): as it was before, unless .* " +
                        `it holds now: public\\.actors ${targetBefore.split(":")[0]}\n`,
                ),
            );
        } else {
            expect(targetNow).toBe(await tableDigest(tools, k8s.owner));
            expect(later.stderr).toContain("holds the complete copy, committed, NOT verified");
        }

        // One command puts the source back as it was, the database's own comment included.
        const thawed = await moveData(["--from", "k8s", "--thaw"]);
        expect(thawed.stderr).toBe("");
        expect(thawed.code).toBe(0);
        expect(thawed.stdout).toContain(
            "thaw: k8s cluster actors-db, namespace actors, context kind-actors is back as it was before the freeze: database writable, deployment/actors-web at 2 replicas; marker removed",
        );
        expect(await readOnly(k8s.owner)).toBe("off");
        expect(kubeState(p).replicas).toBe(2);
        expect(await comment(k8s.owner)).toBe("the team's database");
        await query(tools, k8s.owner, "INSERT INTO actors (name) VALUES ('written after the thaw')");
        // A second thaw finds nothing to do; the move can run again.
        const again = await moveData(["--from", "k8s", "--thaw"]);
        expect(again.code).toBe(0);
        expect(again.stdout).toContain("no freeze marker on k8s");
        expect((await moveData(["--from", "k8s", "--to", "heroku", "--dry-run", "--replace"])).code).toBe(0);
        await query(tools, k8s.owner, "COMMENT ON DATABASE app IS NULL");
    });

    test.each([
        ["dies", "SIGKILL"],
        ["keeps running with its tunnel broken", "SIGUSR1"],
    ] as const)(
        "a port-forward that %s mid-copy: the copy rolls back, a new one puts the source back",
        async (_, signal) => {
            const targetBefore = await tableDigest(tools, heroku.owner);
            let killed = 0;
            const result = await moveData(move, (line) => {
                if (!killed && /^copy: .* about [1-9]\d* of/.test(line)) {
                    killed = forwardPids(p).at(-1)!;
                    process.kill(killed, signal);
                }
            });
            expect(killed).toBeGreaterThan(0);
            expect(result.code).toBe(1);
            expect(result.stderr).toMatch(/move-data failed during copy: (pg_dump|pg_restore|psql)/);
            expect(result.stderr).toContain("the copy into the target was rolled back");
            expect(result.stderr).toContain(
                "source (k8s cluster actors-db, namespace actors, context kind-actors): put back as it was",
            );
            expect(forwardPids(p).at(-1)).not.toBe(killed); // a new port-forward, for the thaw
            expect(await tableDigest(tools, heroku.owner)).toBe(targetBefore);
            expect(await readOnly(k8s.owner)).toBe("off");
            expect(kubeState(p).replicas).toBe(2);
            expect(await comment(k8s.owner)).toBe("-");
        },
    );
});

describe("a source newer than the local PostgreSQL programs (17 from Debian trixie, in a container)", () => {
    const rows = 20_000;
    let engine: string;
    let src: AppServer;
    let dst: AppServer;
    let p17: Platforms;
    beforeAll(async () => {
        const image = await pg17Image();
        if ("missing" in image) throw new Error(`this test needs podman or docker: ${image.missing}`);
        engine = image.engine;
        [src, dst] = await Promise.all([
            containerAppServer(tools, engine, { user: "app", dbname: "app", tls: false }),
            containerAppServer(tools, engine, { user: "u7kq2", dbname: "d5h1x", tls: true }),
        ]);
        await Promise.all([migrate(tools, src.owner), migrate(tools, dst.owner)]);
        await loadActors(tools, src.owner, rows);
        p17 = await platforms(src, dst);
    });
    afterAll(async () => {
        await p17?.emulator.stop();
        await Promise.all([src?.server.destroy(), dst?.server.destroy()]);
        if (p17) fs.rmSync(p17.dir, { recursive: true, force: true });
    });

    test("without podman or docker, the error names the versions and the container fallback", async () => {
        const result = await moveData(
            ["--from", "k8s", "--to", "heroku", "--dry-run"],
            undefined,
            {
                PATH: `${p17.dir}/bin:${process.execPath.replace(/\/node$/, "")}`,
            },
            p17,
        );
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("the source runs PostgreSQL 17, and pg_dump must be version 17 or newer");
        expect(result.stderr).toContain(
            "install podman or docker: move-data then runs pg_dump and pg_restore 17 from the image docker.io/library/postgres:17",
        );
    });

    test("moves through pg_dump/pg_restore 17 from the image, restore check included", async () => {
        const result = await moveData(
            ["--from", "k8s", "--to", "heroku", "--replace", "--yes", "--pg-image", PG17_IMAGE],
            undefined,
            undefined,
            p17,
        );
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(
            `servers: source PostgreSQL 17, target PostgreSQL 17; tools: pg_dump/pg_restore 17 from the image ${PG17_IMAGE}`,
        );
        expect(result.stdout).toMatch(/restore check: .*\n.*\n\s+public\.actors \| 20000 \| 20000 \| /);
        expect(await tableDigest(tools, dst.owner)).toBe(await tableDigest(tools, src.owner));
    });
});

test("no password and no API key in anything the command printed", () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const text of outputs) {
        expect(text).not.toContain(OWNER_PASSWORD);
        expect(text).not.toContain(p.emulator.apiKey);
    }
});
