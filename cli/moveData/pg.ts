/**
 * Talking to PostgreSQL through its own client programs (psql, pg_dump, pg_restore): connection settings as libpq
 * environment variables (never on a command line, where `ps` would show a password), one query per psql call, the
 * version-matched tools, and redaction of every secret from what is printed.
 */
import { spawn, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const PG_ROOT = process.env.MOVE_DATA_PG_ROOT ?? "/usr/lib/postgresql";

// --- secrets never printed

const secrets = new Set<string>();

/** Registers a value (a password, an API key) that must never appear in output. */
export function addSecret(value: string | undefined): void {
    if (value && value.length >= 3) secrets.add(value);
}

/** The text with every registered secret and every password inside a connection URL replaced. */
export function redact(text: string): string {
    let out = text.replace(/(postgres(?:ql)?:\/\/[^:@\/\s]*:)[^@\s]*@/gi, "$1[redacted]@");
    for (const s of secrets) out = out.split(s).join("[redacted]");
    return out;
}

// --- connections

/** A database to connect to: libpq's settings, and how to name it in messages. */
export interface Conn {
    /** "source" / "target" / "scratch", with the platform: what messages call it. */
    label: string;
    host: string;
    port: number;
    user: string;
    password?: string;
    dbname: string;
    /** libpq sslmode: require where the server needs TLS (Heroku), else prefer. */
    sslmode: string;
}

/** Parses postgres:// or postgresql:// into a Conn; the password is registered as a secret. */
export function connFromUrl(label: string, url: string, defaultSslmode: string): Conn {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new Error(`${label}: the database URL is not a URL (${redact(url)})`);
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol))
        throw new Error(`${label}: the database URL must start with postgres:// or postgresql:// (${redact(url)})`);
    const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    addSecret(password);
    addSecret(parsed.password);
    return {
        label,
        host: decodeURIComponent(parsed.hostname),
        port: Number(parsed.port || 5432),
        user: decodeURIComponent(parsed.username),
        password,
        dbname: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username),
        sslmode: parsed.searchParams.get("sslmode") ?? defaultSslmode,
    };
}

/** What to print for a Conn: never its password. */
export function describe(conn: Conn): string {
    return `${conn.user}@${conn.host}:${conn.port}/${conn.dbname} (sslmode=${conn.sslmode})`;
}

/** libpq's environment for a Conn, on top of the process's own (minus any PG* that would interfere). */
export function pgEnv(conn: Conn): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^PG/.test(k)) env[k] = v;
    return {
        ...env,
        PGHOST: conn.host,
        PGPORT: String(conn.port),
        PGUSER: conn.user,
        PGDATABASE: conn.dbname,
        PGSSLMODE: conn.sslmode,
        PGCONNECT_TIMEOUT: "10",
        PGAPPNAME: "actors-move-data",
        ...(conn.password ? { PGPASSWORD: conn.password } : {}),
    };
}

// --- running the client programs

export interface RunResult {
    stdout: string;
    stderr: string;
}

/** Children still running: stopped on SIGINT/SIGTERM so a killed move leaves no transaction half-done behind. */
export const children = new Set<import("child_process").ChildProcess>();

/** Runs a program to completion; a non-zero exit throws with its (redacted) stderr. */
export function run(
    program: string,
    args: string[],
    opts: SpawnOptions & { input?: string; what?: string } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, { ...opts, stdio: ["pipe", "pipe", "pipe"] });
        children.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", (err) => {
            children.delete(child);
            reject(new Error(`${opts.what ?? path.basename(program)}: cannot run ${program}: ${err.message}`));
        });
        child.on("close", (code, signal) => {
            children.delete(child);
            if (code === 0) return resolve({ stdout, stderr });
            const why = signal ? `killed by ${signal}` : `exit code ${code}`;
            reject(new Error(redact(`${opts.what ?? path.basename(program)} failed (${why}): ${stderr.trim()}`)));
        });
        child.stdin!.on("error", () => {
            /* the program exited without reading its input: its exit status says why */
        });
        child.stdin!.end(opts.input ?? "");
    });
}

/** The PostgreSQL client programs of one major version. */
export interface Tools {
    major: number;
    bindir: string;
}

export function tool(tools: Tools, name: string): string {
    return path.join(tools.bindir, name);
}

/** Runs SQL through psql (one session); returns the rows, fields split on a unit separator. */
export async function query(tools: Tools, conn: Conn, sql: string): Promise<string[][]> {
    const { stdout } = await run(
        tool(tools, "psql"),
        ["-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-c", sql],
        { env: pgEnv(conn), what: `psql on the ${conn.label}` },
    );
    return stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => line.split("\x1f"));
}

/** A quoted SQL identifier or literal. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

// --- which tools: matched to the servers

/** Major versions of PostgreSQL whose client programs are installed under PG_ROOT (Debian's layout). */
export function installedMajors(root = PG_ROOT): number[] {
    if (!fs.existsSync(root)) return [];
    return fs
        .readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && fs.existsSync(path.join(root, d, "bin", "pg_dump")))
        .map(Number)
        .sort((a, b) => a - b);
}

/**
 * The tools for a copy: pg_dump must be at least the source's major version (it refuses newer servers); the dump is
 * then read by pg_restore of the same version. The smallest installed version that is at least both servers' is
 * preferred, else at least the source's. Returns the major, or what to install.
 */
export function chooseMajor(
    installed: number[],
    sourceMajor: number,
    targetMajor: number,
): { major: number } | { missing: string } {
    const both = installed.find((m) => m >= Math.max(sourceMajor, targetMajor));
    const source = installed.find((m) => m >= sourceMajor);
    const major = both ?? source;
    if (major !== undefined) return { major };
    return {
        missing:
            `the source runs PostgreSQL ${sourceMajor}, and pg_dump must be version ${sourceMajor} or newer; ` +
            `installed: ${installed.length ? installed.join(", ") : "none"} (under ${PG_ROOT}). ` +
            `Install postgresql-client-${Math.max(sourceMajor, targetMajor)} (Debian 13 "trixie" ships 17; ` +
            "for other versions use the PostgreSQL apt repository, apt.postgresql.org), or pass --pg-bindir DIR",
    };
}

/** The major version of the client programs in a directory, from `pg_dump --version`. */
export async function bindirMajor(bindir: string): Promise<number> {
    const { stdout } = await run(path.join(bindir, "pg_dump"), ["--version"], { what: "pg_dump --version" });
    const m = /\(PostgreSQL\) (\d+)/.exec(stdout);
    if (!m) throw new Error(`--pg-bindir ${bindir}: cannot read the version of pg_dump (${stdout.trim()})`);
    return Number(m[1]);
}

/** The newest installed psql: enough to ask the servers their versions. */
export function anyTools(): Tools {
    const majors = installedMajors();
    if (majors.length === 0)
        throw new Error(`no PostgreSQL client programs under ${PG_ROOT}: install postgresql-client (Debian)`);
    const major = majors[majors.length - 1];
    return { major, bindir: path.join(PG_ROOT, String(major), "bin") };
}

/** The server's major version (`SHOW server_version_num`, e.g. 150008 -> 15). */
export async function serverMajor(tools: Tools, conn: Conn): Promise<number> {
    const [[num]] = await query(tools, conn, "SHOW server_version_num");
    return Math.floor(Number(num) / 10000);
}
