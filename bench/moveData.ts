/**
 * `npm run bench:move-data`: the throughput of `npm run move-data` next to a plain `pg_dump | pg_restore` of the
 * same data, from one run on this machine, and their ratio (the tool's overhead). Same set-up as the tests: a
 * "cluster" server behind the kubectl stand-in, a TLS-only "Heroku" server with a non-superuser owner behind the
 * emulator; BENCH_MOVE_ROWS actors (default 1,000,000) move k8s -> heroku.
 *   plain:  pg_dump -Fc (source) | pg_restore --no-owner --no-acl into a new, empty database on the Heroku server
 *   tool:   the whole command (checks, freeze, dump, restore check, restore in one transaction, verify, thaw), and
 *           its copy alone (dump + restore steps, from its --report)
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pgEnv, query, tool } from "../cli/moveData/pg";
import {
    appServer,
    loadActors,
    localTools,
    migrate,
    platforms,
    stackFlags,
    startMoveData,
} from "../test/support/moveDataFixtures";

const ROWS = Number(process.env.BENCH_MOVE_ROWS ?? 1_000_000);

async function main() {
    const tools = localTools();
    const k8s = await appServer(tools, { tls: false, user: "app", dbname: "app" });
    const heroku = await appServer(tools, { tls: true, user: "u7kq2", dbname: "d5h1x" });
    const p = await platforms(k8s, heroku);
    try {
        await Promise.all([migrate(tools, k8s.owner), migrate(tools, heroku.owner)]);
        await loadActors(tools, k8s.owner, ROWS);
        const [[bytes]] = await query(tools, k8s.owner, "SELECT pg_table_size('actors')");
        const mb = Number(bytes) / 1e6;

        // plain pg_dump | pg_restore into an empty database, over the same TLS connection as the tool's target
        const admin = { ...heroku.server.conn(), host: heroku.server.data };
        await query(tools, admin, `CREATE DATABASE plain OWNER ${heroku.owner.user}`);
        const plainStarted = Date.now();
        await new Promise<void>((resolve, reject) => {
            const dump = spawn(tool(tools, "pg_dump"), ["--format=custom", "--no-owner", "--no-acl"], {
                env: pgEnv(k8s.owner),
                stdio: ["ignore", "pipe", "inherit"],
            });
            const restore = spawn(tool(tools, "pg_restore"), ["--no-owner", "--no-acl", "--dbname", "plain"], {
                env: pgEnv({ ...heroku.owner, dbname: "plain" }),
                stdio: ["pipe", "inherit", "inherit"],
            });
            dump.stdout.pipe(restore.stdin);
            restore.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pg_restore: ${code}`))));
        });
        const plainSeconds = (Date.now() - plainStarted) / 1000;

        // the tool, end to end
        const reportFile = path.join(p.dir, "report.json");
        const toolStarted = Date.now();
        const run = await startMoveData(p, [
            "--from",
            "k8s",
            "--to",
            "heroku",
            "--replace",
            "--report",
            reportFile,
            ...stackFlags(p),
        ]).done;
        const toolSeconds = (Date.now() - toolStarted) / 1000;
        if (run.code !== 0) throw new Error(`move-data failed:\n${run.stdout}\n${run.stderr}`);
        const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
        const copySeconds = report.seconds.dump + report.seconds.restore;
        const rows = report.rows as number;

        const line = (what: string, s: number) =>
            `| ${what} | ${s.toFixed(1)} s | ${Math.round(rows / s)} rows/s | ${(mb / s).toFixed(1)} MB/s |`;
        const out = [
            `move-data benchmark, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} cores, ` +
                `${rows} actors (${mb.toFixed(0)} MB of table), PostgreSQL ${tools.major}, target over TLS`,
            "",
            "| what | time | rows/s | MB/s |",
            "| --- | --- | --- | --- |",
            line("plain pg_dump -Fc, piped into pg_restore (empty target)", plainSeconds),
            line("move-data, copy only (dump + restore in one transaction)", copySeconds),
            line("move-data, whole command (checks, freeze, restore check, verify)", toolSeconds),
            "",
            `steps (s): ${Object.entries(report.seconds as Record<string, number>)
                .map(([k, s]) => `${k} ${s.toFixed(1)}`)
                .join(", ")}`,
            `overhead: copy ${(copySeconds / plainSeconds).toFixed(2)}x plain; whole command ${(toolSeconds / plainSeconds).toFixed(2)}x plain`,
        ];
        process.stdout.write(out.join("\n") + "\n");
    } finally {
        await p.emulator.stop();
        await Promise.all([k8s.server.destroy(), heroku.server.destroy()]);
        fs.rmSync(p.dir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    process.stderr.write(`bench:move-data: ${(err as Error).message}\n`);
    process.exit(1);
});
