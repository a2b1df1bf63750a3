/**
 * The move-data tests' own helpers, around the world tools/moveDataWorld.ts sets up (shared with the benchmark):
 * the stand-ins' state read and changed, a client writing while a move runs, table digests, and a source newer than
 * the local client programs (PostgreSQL 17 in a container).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Conn, containerEngine, query, run, Tools } from "../../cli/moveData/pg";
import { ScratchServer } from "../../cli/moveData/scratchServer";
import { AppServer, OWNER_PASSWORD, ownerConn, Platforms } from "../../tools/moveDataWorld";

/** Changes a stand-in's state (a stack's outputs, the cluster's replicas or current context). */
export function editState(file: string, edit: (state: any) => void): void {
    const state = JSON.parse(fs.readFileSync(file, "utf8"));
    edit(state);
    fs.writeFileSync(file, JSON.stringify(state));
}

/** Pids of the port-forwards the kubectl stand-in started. */
export const forwardPids = (p: Platforms): number[] =>
    fs.existsSync(`${p.kubeState}.forwards`)
        ? fs.readFileSync(`${p.kubeState}.forwards`, "utf8").trim().split("\n").filter(Boolean).map(Number)
        : [];

export const kubeState = (p: Platforms) => JSON.parse(fs.readFileSync(p.kubeState, "utf8"));
export const kubeCalls = (p: Platforms): string[][] =>
    fs.existsSync(`${p.kubeState}.calls`)
        ? fs
              .readFileSync(`${p.kubeState}.calls`, "utf8")
              .trim()
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l))
        : [];

/**
 * A client that keeps writing to a database while a move runs, as an app would (a new connection per write):
 * each attempt inserts actor "writer <n>", in order, and records whether the database took it or refused it.
 */
export class Writer {
    attempts: { n: number; ok: boolean; error?: string }[] = [];
    private stopped = false;
    private loop?: Promise<void>;

    /** Names are "writer <tag> <n>": each writer's rows stay apart from rows an earlier move copied. */
    readonly tag = crypto.randomBytes(4).toString("hex");

    constructor(
        private readonly tools: Tools,
        private readonly conn: Conn,
    ) {}

    start(): this {
        this.loop = (async () => {
            for (let n = 1; !this.stopped; n++) {
                try {
                    await query(
                        this.tools,
                        this.conn,
                        `INSERT INTO actors (name, birth_year) VALUES ('writer ${this.tag} ${n}', 2000)`,
                    );
                    this.attempts.push({ n, ok: true });
                } catch (err) {
                    this.attempts.push({ n, ok: false, error: (err as Error).message });
                }
                await new Promise((r) => setTimeout(r, 50));
            }
        })();
        return this;
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.loop;
    }
}

/** The numbers of a writer's rows present in a database. */
export async function writerRows(tools: Tools, conn: Conn, writer: Writer): Promise<number[]> {
    const prefix = `writer ${writer.tag} `;
    const rows = await query(
        tools,
        conn,
        `SELECT substr(name, ${prefix.length + 1})::int AS n FROM actors WHERE name LIKE '${prefix}%' ORDER BY 1`,
    );
    return rows.map((r) => Number(r[0]));
}

/** A checksum of a whole table's content: what "unchanged" is checked against. */
export async function tableDigest(tools: Tools, conn: Conn, table = "actors"): Promise<string> {
    const [[count, digest]] = await query(
        tools,
        conn,
        `SET TimeZone = 'UTC'; SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY id), '')) FROM ${table} t`,
    );
    return `${count}:${digest}`;
}

// --- a source newer than the local client programs: PostgreSQL 17 from Debian trixie, in a container

export const PG17_IMAGE = "localhost/actors-postgres:17";

/** Builds PG17_IMAGE from localhost/trixie-base (Debian's postgresql-17) unless it exists; the engine, or why not. */
export async function pg17Image(): Promise<{ engine: string } | { missing: string }> {
    const engine = containerEngine();
    if (!engine) return { missing: "no podman or docker on PATH" };
    try {
        await run(engine, ["image", "exists", PG17_IMAGE], { what: "image exists" });
        return { engine };
    } catch {
        /* build it */
    }
    await run(engine, ["build", "-t", PG17_IMAGE, "-f", path.join(__dirname, "postgres17.Containerfile"), __dirname], {
        what: `${engine} build ${PG17_IMAGE}`,
    });
    return { engine };
}

/**
 * A PostgreSQL 17 server in a container (host network, 127.0.0.1 only) with database `dbname` owned by `user`;
 * with `tls`, it also serves TLS (Debian's snake-oil certificate), as Heroku Postgres requires.
 */
export async function containerAppServer(
    tools: Tools,
    engine: string,
    opts: { user: string; dbname: string; tls: boolean },
): Promise<AppServer> {
    const settings: Record<string, string> = opts.tls
        ? {
              ssl: "on",
              ssl_cert_file: "/etc/ssl/certs/ssl-cert-snakeoil.pem",
              ssl_key_file: "/etc/ssl/private/ssl-cert-snakeoil.key",
          }
        : {};
    const server = await new ScratchServer(tools, { image: { engine, image: PG17_IMAGE }, settings }).start();
    const admin = server.conn();
    await query(tools, admin, `CREATE ROLE ${opts.user} LOGIN NOSUPERUSER PASSWORD '${OWNER_PASSWORD}'`);
    await query(tools, admin, `CREATE DATABASE ${opts.dbname} OWNER ${opts.user}`);
    const owner = ownerConn(opts, server.port);
    return { server, owner, url: `postgres://${opts.user}:${OWNER_PASSWORD}@127.0.0.1:${server.port}/${opts.dbname}` };
}
