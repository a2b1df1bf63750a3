/**
 * A throwaway PostgreSQL server in a temporary directory (initdb, pg_ctl; fsync off; the unix socket in the data
 * directory; 127.0.0.1 on a free port). Run as root it runs the server as the `postgres` user (initdb refuses root).
 * With an image (the container fallback, when the machine has no server of the version needed), the same server runs
 * in a container on the host's network. The TypeScript side's only one: move-data's restore check, and every TS test
 * and benchmark helper (test/support/moveDataFixtures.ts) through it. tools/pgserver.py is the Python tests' own
 * (failover to a new primary at the same address), written for them and calling nothing of this.
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
}

export class ScratchServer {
    readonly dir: string;
    port = 0;
    private readonly asPostgres = process.getuid?.() === 0;
    private containerId?: string;

    constructor(
        readonly tools: Tools,
        private readonly options: ScratchOptions = {},
    ) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-scratch-pg-"));
    }

    get data(): string {
        return path.join(this.dir, "data");
    }

    /** A Conn as the superuser `postgres` (trust on 127.0.0.1 unless files replaced pg_hba.conf). */
    conn(dbname = "postgres", label = "scratch"): Conn {
        return { label, host: "127.0.0.1", port: this.port, user: "postgres", dbname, sslmode: "disable" };
    }

    private async as(program: string, args: string[]): Promise<void> {
        const bin = path.join(this.tools.bindir, program);
        if (!fs.existsSync(bin))
            throw new Error(
                `${bin} is not installed: the scratch server needs the PostgreSQL ${this.tools.major} server ` +
                    `(Debian: apt-get install postgresql-${this.tools.major})`,
            );
        // niced: the server yields the CPU to whatever else runs (a move's copy, during its write freeze)
        const command = this.options.niced ? ["nice", "-n", "19", bin] : [bin];
        if (this.asPostgres) await run("runuser", ["-u", "postgres", "--", ...command, ...args], { what: program });
        else await run(command[0], [...command.slice(1), ...args], { what: program });
    }

    /** The server settings: throwaway, so nothing is made durable. */
    private settings(): Record<string, string> {
        return {
            listen_addresses: "127.0.0.1",
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
        if (this.options.files) throw new Error("a scratch server in a container takes no files");
        this.port = await freePort();
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

    async start(): Promise<this> {
        if (this.options.image) return this.startInContainer(this.options.image);
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
        for (const [name, content] of Object.entries(this.options.files ?? {})) {
            fs.writeFileSync(path.join(this.data, name), content, { mode: 0o600 });
            if (this.asPostgres)
                await run("chown", ["postgres:postgres", path.join(this.data, name)], { what: "chown" });
        }
        this.port = await freePort();
        const settings = this.settings();
        const opts = [
            `-p ${this.port}`,
            `-k ${this.data}`,
            ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
        ];
        await this.as("pg_ctl", [
            "-D",
            this.data,
            "-l",
            path.join(this.dir, "log"),
            "-w",
            "-o",
            opts.join(" "),
            "start",
        ]);
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

    async stop(): Promise<void> {
        if (this.containerId) {
            await run(this.options.image!.engine, ["rm", "-f", this.containerId], { what: "rm -f" }).catch(() => {});
            this.containerId = undefined;
            return;
        }
        try {
            await this.as("pg_ctl", ["-D", this.data, "-m", "immediate", "-w", "stop"]);
        } catch {
            /* not running */
        }
    }

    async destroy(): Promise<void> {
        await this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
