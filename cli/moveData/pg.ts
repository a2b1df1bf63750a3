/**
 * Talking to PostgreSQL through its own client programs (psql, pg_dump, pg_restore): connection settings as libpq
 * environment variables (never on a command line, where `ps` would show a password), one query per psql call, the
 * version-matched tools, and redaction of every secret from what is printed.
 */
import { spawn, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";

const PG_ROOT = process.env.MOVE_DATA_PG_ROOT ?? "/usr/lib/postgresql";

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
    opts: SpawnOptions & { input?: string; inputFile?: string; what?: string } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const stdin = opts.inputFile ? fs.openSync(opts.inputFile, "r") : "pipe";
        const child = spawn(program, args, { ...opts, stdio: [stdin, "pipe", "pipe"] });
        if (typeof stdin === "number") fs.closeSync(stdin);
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
        if (child.stdin) {
            child.stdin.on("error", () => {
                /* the program exited without reading its input: its exit status says why */
            });
            child.stdin.end(opts.input ?? "");
        }
    });
}

/** A container image that holds PostgreSQL's programs, run through podman or docker. */
export interface PgImage {
    engine: string;
    image: string;
}

/**
 * The PostgreSQL programs of one major version: local ones in `bindir`, or, when the machine has none new enough,
 * pg_dump and pg_restore (and the scratch server) from a container image of that version (psql and createdb stay
 * local: they talk to newer servers fine).
 */
export interface Tools {
    major: number;
    bindir: string;
    container?: PgImage;
}

const CONTAINER_PROGRAMS = new Set(["pg_dump", "pg_restore"]);

/** The libpq settings a container is given by name (their values come from the environment, never argv). */
const PG_ENV_NAMES = [
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGSSLMODE",
    "PGCONNECT_TIMEOUT",
    "PGAPPNAME",
    "PGPASSWORD",
];

/** The command that runs one of the programs: a local path, or `podman run ... image pg_dump` (host network). */
export function toolCommand(tools: Tools, name: string): { program: string; args: string[] } {
    if (tools.container && CONTAINER_PROGRAMS.has(name)) {
        const env = PG_ENV_NAMES.flatMap((n) => ["-e", n]);
        const args = ["run", "--rm", "-i", "--network", "host", ...env, tools.container.image, name];
        return { program: tools.container.engine, args };
    }
    return { program: path.join(tools.bindir, name), args: [] };
}

/** Runs one of the programs to completion (see run). */
export function runTool(tools: Tools, name: string, args: string[], opts: Parameters<typeof run>[2] = {}) {
    const cmd = toolCommand(tools, name);
    return run(cmd.program, [...cmd.args, ...args], opts);
}

/** Spawns one of the programs (see toolCommand). */
export function spawnTool(tools: Tools, name: string, args: string[], opts: SpawnOptions) {
    const cmd = toolCommand(tools, name);
    const child = spawn(cmd.program, [...cmd.args, ...args], opts);
    children.add(child);
    child.on("close", () => children.delete(child));
    return child;
}

/** What the tools are, for messages. */
export function describeTools(tools: Tools): string {
    return tools.container
        ? `pg_dump/pg_restore ${tools.major} from the image ${tools.container.image} (${path.basename(tools.container.engine)}), psql from ${tools.bindir}`
        : `PostgreSQL ${tools.major} client programs in ${tools.bindir}`;
}

/** Runs SQL through psql (one session); returns the rows, fields split on a unit separator. */
export async function query(tools: Tools, conn: Conn, sql: string): Promise<string[][]> {
    const { stdout } = await runTool(
        tools,
        "psql",
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
function installedMajors(root = PG_ROOT): number[] {
    if (!fs.existsSync(root)) return [];
    return fs
        .readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && fs.existsSync(path.join(root, d, "bin", "pg_dump")))
        .map(Number)
        .sort((a, b) => a - b);
}

/**
 * The local major for a copy: pg_dump must be at least the source's major version (it refuses newer servers); the
 * dump is then read by pg_restore of the same version. The smallest installed version that is at least both
 * servers' is preferred, else at least the source's; undefined when none is new enough.
 */
export function chooseMajor(installed: number[], sourceMajor: number, targetMajor: number): number | undefined {
    return installed.find((m) => m >= Math.max(sourceMajor, targetMajor)) ?? installed.find((m) => m >= sourceMajor);
}

/** podman, else docker, when on PATH (the container fallback); undefined without either. */
export function containerEngine(): string | undefined {
    for (const name of ["podman", "docker"])
        for (const dir of (process.env.PATH ?? "").split(path.delimiter))
            if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    return undefined;
}

/** The image move-data runs pg_dump/pg_restore from when the machine lacks them: the official one of that major. */
const defaultPgImage = (major: number) => `docker.io/library/postgres:${major}`;

export interface ToolChoice {
    /** --pg-bindir: use these client programs. */
    bindir?: string;
    /** --pg-image: run pg_dump/pg_restore from this image (forced; otherwise only when local ones are too old). */
    image?: string;
}

/** The programs for a move between servers of these majors, local when new enough, else from a container image. */
export async function chooseTools(choice: ToolChoice, sourceMajor: number, targetMajor: number): Promise<Tools> {
    if (choice.bindir) {
        const major = await bindirMajor(choice.bindir);
        if (major < sourceMajor)
            throw new Error(
                `--pg-bindir ${choice.bindir} holds pg_dump ${major}, older than the source's PostgreSQL ` +
                    `${sourceMajor}: it needs version ${sourceMajor} or newer (or pass --pg-image to run it from a container)`,
            );
        return { major, bindir: choice.bindir };
    }
    const installed = installedMajors();
    const local = choice.image ? undefined : chooseMajor(installed, sourceMajor, targetMajor);
    if (local !== undefined) return { major: local, bindir: path.join(PG_ROOT, String(local), "bin") };
    const need = Math.max(sourceMajor, targetMajor);
    const engine = containerEngine();
    const image = choice.image ?? defaultPgImage(need);
    if (!engine)
        throw new Error(
            `the source runs PostgreSQL ${sourceMajor}, and pg_dump must be version ${sourceMajor} or newer; ` +
                `installed: ${installed.length ? installed.join(", ") : "none"} (under ${PG_ROOT}). Either install ` +
                `postgresql-client-${need} (Debian 13 "trixie" ships 17; other versions: apt.postgresql.org), pass ` +
                `--pg-bindir DIR, or install podman or docker: move-data then runs pg_dump and pg_restore ${need} ` +
                `from the image ${image} (choose another with --pg-image)`,
        );
    const container = { engine, image };
    const probe = await runTool({ major: need, bindir: "", container }, "pg_dump", ["--version"], {
        what:
            `${path.basename(engine)} run ${image} pg_dump --version (the container fallback: local pg_dump ` +
            `${installed.length ? installed.join(", ") : "missing"}, source PostgreSQL ${sourceMajor})`,
    });
    const m = /\(PostgreSQL\) (\d+)/.exec(probe.stdout);
    const major = m ? Number(m[1]) : 0;
    if (major < sourceMajor)
        throw new Error(
            `the image ${image} holds pg_dump ${m ? major : "of unknown version"}, older than the source's ` +
                `PostgreSQL ${sourceMajor}: pass --pg-image with version ${sourceMajor} or newer`,
        );
    const bindir = installed.length ? path.join(PG_ROOT, String(installed.at(-1)), "bin") : "";
    if (!bindir) throw new Error(`no psql under ${PG_ROOT}: install postgresql-client (Debian)`);
    return { major, bindir, container };
}

/** The major version of the client programs in a directory, from `pg_dump --version`. */
async function bindirMajor(bindir: string): Promise<number> {
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
