/**
 * The world `npm run move-data` runs in on this machine, all real: what test/commands/moveData.test.ts and
 * bench/moveData.ts both set up (the benchmark imports nothing from test/):
 * - a "cluster" PostgreSQL server (plain TCP, password auth, the owner `app` of database `app`, as CloudNativePG
 *   bootstraps it) reached through a kubectl stand-in (kubectlStandIn.js) that port-forwards to it;
 * - a "Heroku" PostgreSQL server that accepts TLS only (`hostssl` alone in pg_hba.conf, a self-signed certificate)
 *   whose database is owned by a role that is not a superuser, as Heroku Postgres does, with the Heroku emulator
 *   (herokuEmulator.ts) serving the app, its DATABASE_URL and maintenance mode;
 * - the stacks' `tools` outputs served by a pulumi CLI stand-in (pulumiStandIn.js), named by components/k8s/names.ts;
 * - the app's own migrations applied the way app/actors/migrate.py records them, then actors from generate_series.
 * Both servers are the scratch server of cli/moveData/scratchServer.ts.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Conn, query, Tools } from "../cli/moveData/pg";
import { ScratchServer } from "../cli/moveData/scratchServer";
import { k8sToolsOutput } from "../components/k8s/names";
import { HerokuEmulator } from "./herokuEmulator";

const ROOT = path.resolve(__dirname, "..");
export const OWNER_PASSWORD = `pw-${crypto.randomBytes(12).toString("hex")}`;

export interface AppServer {
    server: ScratchServer;
    /** The owner's connection, as the app has it. */
    owner: Conn;
    /** The owner's URL with its password: what the secret / config var holds. */
    url: string;
}

/** A server with database `dbname` owned by the non-superuser `user`; TLS-only when `tls`. */
export async function appServer(
    tools: Tools,
    opts: { tls: boolean; user: string; dbname: string },
): Promise<AppServer> {
    const files: Record<string, string> = {
        "pg_hba.conf": [
            "local all all trust",
            opts.tls ? "hostssl all all 127.0.0.1/32 scram-sha-256" : "host all all 127.0.0.1/32 scram-sha-256",
            "",
        ].join("\n"),
    };
    const settings: Record<string, string> = {};
    if (opts.tls) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-cert-"));
        const made = spawnSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"].concat([
                "-keyout",
                path.join(dir, "key"),
                "-out",
                path.join(dir, "crt"),
            ]),
            { encoding: "utf8" },
        );
        if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
        files["server.crt"] = fs.readFileSync(path.join(dir, "crt"), "utf8");
        files["server.key"] = fs.readFileSync(path.join(dir, "key"), "utf8");
        fs.rmSync(dir, { recursive: true, force: true });
        Object.assign(settings, { ssl: "on", ssl_cert_file: "server.crt", ssl_key_file: "server.key" });
    }
    const server = await new ScratchServer(tools, { files, settings }).start();
    const admin: Conn = { ...server.conn(), host: server.data };
    await query(
        tools,
        admin,
        `CREATE ROLE ${opts.user} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${OWNER_PASSWORD}'`,
    );
    await query(tools, admin, `CREATE DATABASE ${opts.dbname} OWNER ${opts.user}`);
    const owner = ownerConn(opts, server.port);
    const url = `postgres://${opts.user}:${OWNER_PASSWORD}@127.0.0.1:${server.port}/${opts.dbname}`;
    return { server, owner, url };
}

/** The database owner's connection to a test server: TLS required on the Heroku-like one, as Heroku Postgres does. */
export function ownerConn(opts: { tls: boolean; user: string; dbname: string }, port: number): Conn {
    return {
        label: opts.tls ? "heroku" : "k8s",
        host: "127.0.0.1",
        port,
        user: opts.user,
        password: OWNER_PASSWORD,
        dbname: opts.dbname,
        sslmode: opts.tls ? "require" : "disable",
    };
}

/** app/migrations/*.sql in order, each in its own transaction, recorded in schema_migrations as the app does. */
export async function migrate(tools: Tools, conn: Conn): Promise<void> {
    await query(
        tools,
        conn,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL," +
            " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const dir = path.join(ROOT, "app", "migrations");
    for (const file of fs
        .readdirSync(dir)
        .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
        .sort()) {
        const sql = fs.readFileSync(path.join(dir, file), "utf8");
        const [, version, name] = /^(\d{4})_(.+)\.sql$/.exec(file)!;
        const checksum = crypto.createHash("sha256").update(sql, "utf8").digest("hex");
        await query(
            tools,
            conn,
            `BEGIN; ${sql}; INSERT INTO schema_migrations (version, name, checksum) ` +
                `VALUES (${Number(version)}, '${name}', '${checksum}'); COMMIT;`,
        );
    }
}

/** Adds actors until the table holds `total` (the seed migration's 400 included). */
export async function loadActors(tools: Tools, conn: Conn, total: number): Promise<void> {
    await query(
        tools,
        conn,
        `INSERT INTO actors (name, birth_year, country, known_for)
         SELECT 'Actor ' || i, 1900 + i % 150, (ARRAY['France','Japan','Nigeria','Brazil',NULL])[1 + i % 5],
                'Film ' || (i % 997)
           FROM generate_series(1, ${total} - (SELECT count(*) FROM actors)) AS i;
         ANALYZE actors`,
    );
}

// --- the platforms around the two servers

export interface Platforms {
    emulator: HerokuEmulator;
    herokuApp: string;
    /** The kubectl stand-in's state file (replicas, namespace, ...); calls are logged next to it. */
    kubeState: string;
    /** The pulumi stand-in's state file: the stacks' outputs and config. */
    pulumiState: string;
    /** PATH with the stand-ins first. */
    env: NodeJS.ProcessEnv;
    dir: string;
}

const standIn = (bin: string, name: string, script: string) =>
    fs.writeFileSync(
        path.join(bin, name),
        `#!/bin/sh\nexec "${process.execPath}" "${path.join(__dirname, script)}" "$@"\n`,
        { mode: 0o755 },
    );

export async function platforms(k8s: AppServer, heroku: AppServer): Promise<Platforms> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-move-data-test-"));
    const names = k8sToolsOutput("kind-actors", "actors", "actors-db");
    const kubeState = path.join(dir, "kubectl-state.json");
    fs.writeFileSync(
        kubeState,
        JSON.stringify({
            namespace: names.namespace,
            context: names.kubeContext,
            currentContext: names.kubeContext,
            names,
            // The secret names the in-cluster service; the port-forward is how the command reaches it.
            secretUri: k8s.url.replace(`127.0.0.1:${k8s.server.port}`, `${names.dbRwService}.actors.svc:5432`),
            dbPort: k8s.server.port,
            replicas: 2,
        }),
    );
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    standIn(bin, "kubectl", "kubectlStandIn.js");
    standIn(bin, "pulumi", "pulumiStandIn.js");
    const emulator = await new HerokuEmulator().start();
    const created = await fetch(`${emulator.url}/apps`, {
        method: "POST",
        headers: {
            Authorization: `Bearer ${emulator.apiKey}`,
            Accept: "application/vnd.heroku+json; version=3",
            "Content-Type": "application/json",
        },
        body: JSON.stringify({ name: "actors-move-test" }),
    });
    const app = (await created.json()) as { id: string; name: string };
    emulator.configVars.get(app.id)!.DATABASE_URL = heroku.url;
    const pulumiState = path.join(dir, "pulumi-state.json");
    fs.writeFileSync(
        pulumiState,
        JSON.stringify({
            stacks: {
                k8s: { tools: names, config: {} },
                heroku: { tools: { platform: "heroku", app: app.name }, config: {} },
            },
        }),
    );
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH}`,
        KUBECTL_STAND_IN_STATE: kubeState,
        PULUMI_STAND_IN_STATE: pulumiState,
        PULUMI_CLI: path.join(bin, "pulumi"),
        HEROKU_API_URL: emulator.url,
        HEROKU_API_KEY: emulator.apiKey,
        MOVE_DATA_PROGRESS_MS: "200",
    };
    return { emulator, herokuApp: app.name, kubeState, pulumiState, env, dir };
}

export interface CliRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** Starts `npm run move-data`'s program (ts-node, as the npm script does); onLine sees each line of its output. */
export function startMoveData(
    p: Platforms,
    args: string[],
    onLine: (line: string, child: ChildProcess) => void = () => {},
    env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<CliRun> } {
    const child = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "cli", "moveData", "cli.ts"), ...args],
        { cwd: ROOT, env: { ...p.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout!.on("data", (d) => {
        stdout += d;
        const lines = (partial + d).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
            if (process.env.MOVE_DATA_TEST_LOG) fs.appendFileSync(process.env.MOVE_DATA_TEST_LOG, `${line}\n`);
            onLine(line, child);
        }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    const done = new Promise<CliRun>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    return { child, done };
}
