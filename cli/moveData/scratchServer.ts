/**
 * A throwaway PostgreSQL server in a temporary directory (initdb, pg_ctl; fsync off; the unix socket in the data
 * directory; 127.0.0.1 on a free port), the recipe of tools/pgserver.py. Run as root it runs the server as the
 * `postgres` user (initdb refuses root). The restore check restores the dump into one; the tests run theirs on it.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Conn, run, Tools } from "./pg";

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
    /** Written into the data directory before start (pg_hba.conf, certificates). */
    files?: Record<string, string>;
}

export class ScratchServer {
    readonly dir: string;
    port = 0;
    private readonly asPostgres = process.getuid?.() === 0;

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
        if (this.asPostgres) await run("runuser", ["-u", "postgres", "--", bin, ...args], { what: program });
        else await run(bin, args, { what: program });
    }

    async start(): Promise<this> {
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
        const settings = {
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
        return this;
    }

    async stop(): Promise<void> {
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
