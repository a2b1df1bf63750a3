/**
 * `npm run dev-cluster [-- COMMAND...]`: the tests' Kubernetes control plane on this machine, to try the k8s stack
 * with no cloud account. In a network namespace of its own with only loopback (it re-runs itself through
 * tools/netns-run), it starts etcd, kube-apiserver, the controller manager, the scheduler and a KWOK node
 * (test/support/cluster.ts), serves the stand-in charts on http://127.0.0.1:8879 (test/support/charts.ts), then
 * opens a shell there (or runs COMMAND) with:
 *   KUBECONFIG          its kubeconfig; current context actors-test, so the stack's empty actors:kubeContext targets it
 *   PULUMI_BACKEND_URL  a file backend in .dev-cluster/state (no Pulumi Cloud account), with a passphrase
 *   PATH                .tools/bin first (the Go-built pulumi, kubectl clients' cluster, KWOK)
 * Everything stops when the shell exits. Logs of each process: .dev-cluster/run/<name>.log.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { networkInterfaces, startControlPlane } from "../test/support/cluster";
import { serveCharts } from "../test/support/charts";

const ROOT = path.resolve(__dirname, "..");
const HOME = path.join(ROOT, ".dev-cluster");
/** A fixed port: the namespace is new, so it is free, and the setting below stays the same from one start to the next. */
const CHART_PORT = 8879;

async function main(argv: string[]): Promise<number> {
    if (networkInterfaces().some((i) => i !== "lo")) {
        // Not isolated yet: run this same command again inside a new loopback-only network namespace.
        const again = spawnSync(
            path.join(ROOT, "tools", "netns-run"),
            [process.execPath, "-r", "ts-node/register/transpile-only", __filename, ...argv],
            { stdio: "inherit" },
        );
        return again.status ?? 1;
    }
    const run = path.join(HOME, "run");
    fs.rmSync(run, { recursive: true, force: true });
    fs.mkdirSync(path.join(HOME, "state"), { recursive: true });
    const cp = await startControlPlane(run);
    const charts = await serveCharts(CHART_PORT);
    const env = {
        ...process.env,
        KUBECONFIG: cp.kubeconfig,
        PULUMI_BACKEND_URL: `file://${path.join(HOME, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "dev-cluster",
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PATH: [path.join(ROOT, ".tools", "bin"), path.join(ROOT, ".node", "bin"), process.env.PATH].join(
            path.delimiter,
        ),
        PS1: "(dev-cluster) \\w \\$ ",
    };
    process.stderr.write(
        [
            `dev-cluster: Kubernetes ${cp.server} ready in ${(cp.timings.ready / 1000).toFixed(1)} s (API server ${(cp.timings.apiServer / 1000).toFixed(1)} s; context ${cp.context}, KUBECONFIG ${cp.kubeconfig})`,
            `dev-cluster: stand-in charts at ${charts.url}; the one setting the stack needs here (the charts cannot be fetched offline):`,
            `  pulumi config set --stack k8s chartRepository ${charts.url}`,
            `dev-cluster: then \`pulumi preview --stack k8s\` (on machines without the Node.js language host: npm run pulumi -- preview --stack k8s)`,
            "",
        ].join("\n"),
    );
    const shell = argv.length ? argv : [process.env.SHELL || "bash", "-i"];
    const child = spawn(shell[0], shell.slice(1), { stdio: "inherit", env, cwd: ROOT });
    const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
    await charts.stop();
    await cp.stop();
    return code;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`dev-cluster: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
