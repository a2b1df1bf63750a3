/**
 * The copy's three programs (pg_dump | pg_restore | psql) when they die mid-stream, with stand-in programs that make
 * it happen every time: a dump far larger than the pipes hold, a pg_restore that passes it on, and a psql that reads
 * slowly (a target busy with a big table) or hangs up early. The copy must fail (its transaction rolled back) and
 * leave no program behind, however much output was still buffered in the pipes. It once waited forever for a pipe
 * paused by a reader that had gone: seen under load as a move-data stopped by SIGTERM that never ended.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { streamCopy } from "../../cli/moveData/copy";
import { children, Conn } from "../../cli/moveData/pg";

jest.setTimeout(30_000);

let root: string;
/** A folder of stand-in client programs, with the given psql. */
const programs = (psql: string) => {
    const bindir = fs.mkdtempSync(path.join(root, "bin-"));
    const script = (name: string, body: string) =>
        fs.writeFileSync(path.join(bindir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    script("pg_dump", "exec head -c 200000000 /dev/zero | tr '\\0' 'a' | fold -w 100");
    script("pg_restore", "exec cat");
    script("psql", psql);
    return bindir;
};
const SLOW_PSQL = "while head -c 4096 >/dev/null; do sleep 0.05; done";
const EARLY_EXIT_PSQL = 'head -c 65536 >/dev/null; echo "psql: server closed the connection unexpectedly" >&2; exit 2';

beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "actors-stream-copy-"))));
afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
    fs.rmSync(root, { recursive: true, force: true });
});

const conn = (label: string): Conn => ({
    label,
    host: "127.0.0.1",
    port: 1,
    user: "u",
    dbname: "d",
    sslmode: "disable",
});
const copyWith = (psql: string) =>
    streamCopy(
        { major: 17, bindir: programs(psql) },
        conn("source (test)"),
        conn("target (test)"),
        // The dump is also kept as the backup file, as move-data does.
        { tables: [], totalRows: 1_000_000, replace: true, sequences: new Map(), backupFile: path.join(root, "dump") },
        () => {},
    );

// Whether a pipe is paused at the moment a program dies is a matter of timing: each case runs a few times.
const ROUNDS = [1, 2, 3];

it.each(ROUNDS)(
    "fails with psql's cause when psql dies while the dump still streams, stopping the others (%i)",
    async () => {
        const copy = copyWith(EARLY_EXIT_PSQL);
        await expect(copy).rejects.toThrow(/server closed the connection unexpectedly/);
        await expect(copy).rejects.toThrow(/rolled back/);
        expect([...children]).toEqual([]);
    },
);

it.each(ROUNDS)(
    "ends when all three programs are stopped at once (move-data's SIGTERM), output still in the pipes (%i)",
    async () => {
        const copy = copyWith(SLOW_PSQL);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const running = [...children];
        expect(running.map((c) => path.basename(c.spawnargs[0])).sort()).toEqual(["pg_dump", "pg_restore", "psql"]);
        for (const child of running) child.kill("SIGTERM");
        await expect(copy).rejects.toThrow(/rolled back/);
        expect([...children]).toEqual([]);
    },
);
