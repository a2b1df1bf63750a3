/**
 * A throwaway PostgreSQL server in a temporary directory (initdb, pg_ctl; fsync off; the unix socket in the data
 * directory; 127.0.0.1 on a free port unless told another address, port or network namespace). Run as root it runs
 * the server as the `postgres` user (initdb refuses root). It stops and starts again, and fails over to a new
 * primary at the same address. With an image (the container fallback, when the machine has no server of the version
 * needed), the same server runs in a container on the host's network.
 *
 * The project's only recipe for one: move-data's restore check; the move-data tests and benchmark
 * (tools/moveDataWorld.ts); and the app's Python tests and benchmarks through tools/pgserver.py, a client of its
 * command-line entry tools/scratchServer.ts.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Conn, PgImage, query, run, Tools } from "./pg";

/** A free TCP port on 127.0.0.1 (the tests' servers use it too). */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

export interface ScratchOptions {
    /** Extra `-c name=value` server settings. */
    settings?: Record<string, string>;
    /** Written into the data directory before start (pg_hba.conf, certificates); not with an image. */
    files?: Record<string, string>;
    /** Run the server from this image (podman/docker, host network) instead of the local programs. */
    image?: PgImage;
    /** Run the (local) server at the lowest CPU priority. */
    niced?: boolean;
    /** The address it listens on (default 127.0.0.1; in a network namespace, the namespace's own address). */
    host?: string;
    /** A fixed port (default: a free one on 127.0.0.1, or 5432 in a network namespace). */
    port?: number;
    /**
     * Run the (local) server inside this network namespace (`ip netns exec`), listening on `host`: clients reach it
     * over the namespace's own link, so the link's subnet is trusted too (`samenet`). Needs root.
     */
    netns?: string;
}

/** How `stop` stops it: at once (the default: a throwaway) or cleanly (`fast`: what a restart should find). */
export type StopMode = "immediate" | "fast";

export class ScratchServer {
    readonly dir: string;
    readonly host: string;
    port: number;
    /** The data directory: a new one after each failover. */
    data: string;
    /** Whether `start` ran last (not `stop`); with `wait: false`, it may not accept connections yet. */
    running = false;
    failovers = 0;
    private readonly asPostgres = process.getuid?.() === 0;
    private initialized = false;
    private containerId?: string;

    constructor(
        readonly tools: Tools,
        private readonly options: ScratchOptions = {},
    ) {
        if (options.image && (options.netns || options.files))
            throw new Error("a scratch server in a container takes no network namespace and no files");
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-scratch-pg-"));
        this.data = path.join(this.dir, "data");
        this.host = options.host ?? "127.0.0.1";
        this.port = options.port ?? (options.netns ? 5432 : 0);
    }

    /** A Conn as the superuser `postgres` (trust on its address unless files replaced pg_hba.conf). */
    conn(dbname = "postgres", label = "scratch"): Conn {
        return { label, host: this.host, port: this.port, user: "postgres", dbname, sslmode: "disable" };
    }

    /** Runs a program as the server's user (postgres when run as root), in the namespace, niced, as asked. */
    private async as(program: string, args: string[]): Promise<void> {
        const bin = path.join(this.tools.bindir, program);
        if (!fs.existsSync(bin))
            throw new Error(
                `${bin} is not installed: the scratch server needs the PostgreSQL ${this.tools.major} server ` +
                    `(Debian: apt-get install postgresql-${this.tools.major})`,
            );
        // niced: the server yields the CPU to whatever else runs (a move's copy, during its write freeze)
        let command = this.options.niced ? ["nice", "-n", "19", bin] : [bin];
        if (this.asPostgres) command = ["runuser", "-u", "postgres", "--", ...command];
        if (this.options.netns) command = ["ip", "netns", "exec", this.options.netns, ...command];
        await run(command[0], [...command.slice(1), ...args], { what: program });
    }

    /** The server settings: throwaway, so nothing is made durable. */
    private settings(): Record<string, string> {
        return {
            listen_addresses: this.host,
            fsync: "off",
            synchronous_commit: "off",
            full_page_writes: "off",
            max_connections: "100",
            // Throwaway: no WAL for tables loaded in the transaction that created them (pg_restore
            // --single-transaction), room for index builds, no checkpoints forced by WAL volume.
            wal_level: "minimal",
            max_wal_senders: "0",
            maintenance_work_mem: "256MB",
            max_wal_size: "4GB",
            ...this.options.settings,
        };
    }

    private async startInContainer(image: PgImage): Promise<this> {
        if (this.containerId) throw new Error("a scratch server in a container starts once");
        if (!this.port) this.port = await freePort();
        const settings = Object.entries(this.settings()).map(([k, v]) => `-c ${k}=${v}`);
        const script =
            "initdb -D /tmp/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null && " +
            `exec postgres -D /tmp/data -p ${this.port} -k /tmp ${settings.join(" ")}`;
        const { stdout } = await run(
            image.engine,
            ["run", "-d", "--rm", "--network", "host", "--user", "postgres", image.image, "sh", "-c", script],
            { what: `${path.basename(image.engine)} run ${image.image} (a scratch PostgreSQL)` },
        );
        this.containerId = stdout.trim();
        this.running = true;
        for (let i = 0; ; i++) {
            try {
                await query(this.tools, this.conn(), "SELECT 1");
                return this;
            } catch (err) {
                if (i >= 120)
                    throw new Error(
                        `the scratch PostgreSQL in ${image.image} did not start: ${(err as Error).message}`,
                    );
                await new Promise((r) => setTimeout(r, 250));
            }
        }
    }

    /** initdb (as postgres when root), the files written, the port chosen: what `start` does first, once. */
    async init(): Promise<this> {
        if (this.initialized) return this;
        if (this.asPostgres) await run("chown", ["postgres:postgres", this.dir], { what: "chown" });
        await this.as("initdb", [
            "-D",
            this.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]);
        const files = { ...this.options.files };
        // in a namespace, clients come over its link (a /30 of its own), not loopback
        if (this.options.netns && !files["pg_hba.conf"])
            files["pg_hba.conf"] =
                fs.readFileSync(path.join(this.data, "pg_hba.conf"), "utf8") + "host all all samenet trust\n";
        for (const [name, content] of Object.entries(files)) {
            fs.writeFileSync(path.join(this.data, name), content, { mode: 0o600 });
            if (this.asPostgres)
                await run("chown", ["postgres:postgres", path.join(this.data, name)], { what: "chown" });
        }
        if (!this.port) this.port = await freePort();
        this.initialized = true;
        return this;
    }

    /** Starts the server (initialized first if need be); with `wait: false`, returns without waiting (`accepting`). */
    async start({ wait = true }: { wait?: boolean } = {}): Promise<this> {
        if (this.options.image) return this.startInContainer(this.options.image);
        await this.init();
        const opts = [
            `-p ${this.port}`,
            `-k ${this.data}`,
            ...Object.entries(this.settings()).map(([k, v]) => `-c ${k}=${v}`),
        ];
        const log = path.join(this.dir, "log");
        await this.as("pg_ctl", ["-D", this.data, "-l", log, wait ? "-w" : "-W", "-o", opts.join(" "), "start"]).catch(
            (err: Error) => {
                const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").slice(-5) : [];
                throw new Error([err.message, ...tail].join("\n"));
            },
        );
        this.running = true;
        if (this.options.niced) this.niceSession();
        return this;
    }

    /**
     * pg_ctl starts the server in a session of its own, and Linux shares the CPU between sessions (autogroups)
     * before it looks at nice values: the session itself is niced too, where the kernel offers it.
     */
    private niceSession() {
        try {
            const pid = fs.readFileSync(path.join(this.data, "postmaster.pid"), "utf8").split("\n")[0];
            fs.writeFileSync(`/proc/${Number(pid)}/autogroup`, "19");
        } catch {
            /* no autogroups here: nice alone applies */
        }
    }

    /** Stops the server; a failure to stop it is thrown (destroy ignores it). */
    async stop(mode: StopMode = "immediate"): Promise<void> {
        if (this.containerId) {
            await run(this.options.image!.engine, ["rm", "-f", this.containerId], { what: "rm -f" }).catch(() => {});
            this.containerId = undefined;
        } else await this.as("pg_ctl", ["-D", this.data, "-m", mode, "-w", "stop"]);
        this.running = false;
    }

    /**
     * A new primary at the same address: this server stops, a copy of its data directory starts on the same address
     * and port. Every connection to the old server is dead; the data (as a synchronous replica would have it) is all
     * there. Works on a stopped server too (an outage that ends in a failover). Not with an image.
     */
    async failover({ wait = true }: { wait?: boolean } = {}): Promise<this> {
        if (this.options.image) throw new Error("a scratch server in a container has no failover");
        if (this.running) await this.stop("fast");
        this.failovers += 1;
        const previous = this.data;
        this.data = path.join(this.dir, `data-${this.failovers}`);
        await run("cp", ["-a", previous, this.data], { what: "cp -a (the new primary's data)" });
        fs.rmSync(previous, { recursive: true, force: true });
        return this.start({ wait });
    }

    /** Whether the server accepts connections now (pg_isready, one second at most). */
    async accepting(): Promise<boolean> {
        const isready = path.join(this.tools.bindir, "pg_isready");
        const args = ["-q", "-t", "1", "-h", this.host, "-p", String(this.port)];
        return run(isready, args, { what: "pg_isready" }).then(
            () => true,
            () => false,
        );
    }

    async destroy(): Promise<void> {
        await this.stop().catch(() => {
            /* not running */
        });
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
