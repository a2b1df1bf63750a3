/**
 * `npm run move-data -- --from k8s --to heroku [--dry-run] [--replace]` (and `--from heroku --to k8s`): copies the
 * app's data from one deployed stack's database to the other's, verified. Run `--help` for every flag. Exit codes:
 * 0 moved and verified (or the dry run's checks passed), 1 refused or failed (the message says each side's state
 * and what to do next), 2 bad flags, 130/143 stopped by SIGINT/SIGTERM (the source put back first).
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { isHerokuAppName } from "../../components/config/rules";
import { herokuSide } from "./heroku";
import { k8sSide } from "./k8s";
import { move, MoveError, MoveReport } from "./move";
import { children, redact } from "./pg";
import { fromStack, stackConfig } from "./pulumiStack";
import { Platform, PLATFORMS, Side } from "./side";

const USAGE = `usage: npm run move-data -- --from k8s|heroku --to heroku|k8s [options]

  --dry-run               check both sides and say what a move would do; change nothing
  --replace               replace the rows the target already holds (otherwise a target with data is refused)
  --no-restore-check      skip restoring the dump into a scratch server (needs the PostgreSQL server programs)
  --keep-dump FILE        keep the dump (the backup of the source) at FILE
  --pg-bindir DIR         PostgreSQL client programs to use (default: matched to the servers under /usr/lib/postgresql)
  --report FILE           write a JSON summary (rows, bytes, seconds per step)
 Kubernetes (default: from the stack's outputs and config):
  --k8s-stack NAME        Pulumi stack of the cluster side (default k8s)
  --k8s-namespace NS      namespace (default: the stack output "namespace")
  --kube-context CTX      kubeconfig context (default: the stack's actors:kubeContext, else the current one)
  --k8s-sslmode MODE      libpq sslmode to the cluster's database (default prefer; CloudNativePG serves TLS)
  --k8s-direct            connect to the -rw service directly instead of port-forwarding (default when run in a pod)
 Heroku:
  --heroku-stack NAME     Pulumi stack of the Heroku side (default heroku)
  --heroku-app APP        app name (default: the stack output "appName")
                          the API key comes from HEROKU_API_KEY, else the stack's secret actors:herokuApiKey`;

export class UsageError extends Error {}

export interface CliOptions {
    from: Platform;
    to: Platform;
    dryRun: boolean;
    replace: boolean;
    restoreCheck: boolean;
    keepDump?: string;
    pgBindir?: string;
    report?: string;
    k8sStack: string;
    k8sNamespace?: string;
    kubeContext?: string;
    k8sSslmode: string;
    k8sDirect: boolean;
    herokuStack: string;
    herokuApp?: string;
}

const SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

export function parseCli(argv: string[]): CliOptions | "help" {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            strict: true,
            options: {
                from: { type: "string" },
                to: { type: "string" },
                "dry-run": { type: "boolean", default: false },
                replace: { type: "boolean", default: false },
                "no-restore-check": { type: "boolean", default: false },
                "keep-dump": { type: "string" },
                "pg-bindir": { type: "string" },
                report: { type: "string" },
                "k8s-stack": { type: "string", default: "k8s" },
                "k8s-namespace": { type: "string" },
                "kube-context": { type: "string" },
                "k8s-sslmode": { type: "string", default: "prefer" },
                "k8s-direct": { type: "boolean", default: Boolean(process.env.KUBERNETES_SERVICE_HOST) },
                "heroku-stack": { type: "string", default: "heroku" },
                "heroku-app": { type: "string" },
                help: { type: "boolean", default: false },
            },
        });
    } catch (err) {
        throw new UsageError(`${(err as Error).message}\n${USAGE}`);
    }
    const v = parsed.values;
    if (v.help) return "help";
    const platform = (flag: string, value: string | undefined): Platform => {
        if (!value) throw new UsageError(`--${flag} is required: one of ${PLATFORMS.join(", ")}\n${USAGE}`);
        if (!PLATFORMS.includes(value as Platform))
            throw new UsageError(`--${flag} must be one of ${PLATFORMS.join(", ")} (got ${JSON.stringify(value)})`);
        return value as Platform;
    };
    const from = platform("from", v.from);
    const to = platform("to", v.to);
    if (from === to) throw new UsageError(`--from and --to must differ (both are ${from})`);
    if (!SSLMODES.includes(v["k8s-sslmode"]!))
        throw new UsageError(
            `--k8s-sslmode must be one of ${SSLMODES.join(", ")} (got ${JSON.stringify(v["k8s-sslmode"])})`,
        );
    if (v["k8s-namespace"] !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v["k8s-namespace"]))
        throw new UsageError(`--k8s-namespace must be a DNS label (got ${JSON.stringify(v["k8s-namespace"])})`);
    if (v["heroku-app"] !== undefined && !isHerokuAppName(v["heroku-app"]))
        throw new UsageError(`--heroku-app must be a Heroku app name (got ${JSON.stringify(v["heroku-app"])})`);
    return {
        from,
        to,
        dryRun: v["dry-run"]!,
        replace: v.replace!,
        restoreCheck: !v["no-restore-check"],
        keepDump: v["keep-dump"],
        pgBindir: v["pg-bindir"],
        report: v.report,
        k8sStack: v["k8s-stack"]!,
        k8sNamespace: v["k8s-namespace"],
        kubeContext: v["kube-context"],
        k8sSslmode: v["k8s-sslmode"]!,
        k8sDirect: v["k8s-direct"]!,
        herokuStack: v["heroku-stack"]!,
        herokuApp: v["heroku-app"],
    };
}

async function openSide(platform: Platform, label: string, o: CliOptions): Promise<Side> {
    if (platform === "k8s") {
        const namespace = await fromStack(o.k8sNamespace, "--k8s-namespace", o.k8sStack, "namespace");
        const context = o.kubeContext ?? (o.k8sNamespace ? "" : await stackConfig(o.k8sStack, "kubeContext"));
        return k8sSide(label, {
            namespace,
            context: context || undefined,
            sslmode: o.k8sSslmode,
            direct: o.k8sDirect,
            scaleTimeoutSeconds: 120,
        });
    }
    const app = await fromStack(o.herokuApp, "--heroku-app", o.herokuStack, "appName");
    const apiKey = process.env.HEROKU_API_KEY || (await stackConfig(o.herokuStack, "herokuApiKey"));
    if (!apiKey)
        throw new Error(
            `no Heroku API key: export HEROKU_API_KEY, or set the stack's secret (pulumi config set --secret herokuApiKey ... --stack ${o.herokuStack})`,
        );
    return herokuSide(label, { app, apiKey });
}

export async function main(argv: string[]): Promise<number> {
    let options: CliOptions | "help";
    try {
        options = parseCli(argv);
    } catch (err) {
        process.stderr.write(`move-data: ${(err as Error).message}\n`);
        return 2;
    }
    if (options === "help") {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const o = options;
    const log = (line: string) => process.stdout.write(`${redact(line)}\n`);
    let signal: NodeJS.Signals | undefined;
    const onSignal = (s: NodeJS.Signals) => {
        if (!signal) log(`move-data: ${s} received: stopping, then putting the source back as it was`);
        signal = s;
        // The running step fails (a restore's transaction rolls back); the finally blocks then thaw the source.
        for (const child of children) if (!/port-forward/.test(child.spawnargs.join(" "))) child.kill("SIGTERM");
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const sides: Side[] = [];
    let report: MoveReport | undefined;
    let code = 1;
    try {
        log(`move-data: ${o.from} -> ${o.to}${o.dryRun ? " (dry run)" : ""}`);
        const source = await openSide(o.from, "source", o);
        sides.push(source);
        const target = await openSide(o.to, "target", o);
        sides.push(target);
        report = await move(source, target, {
            replace: o.replace,
            dryRun: o.dryRun,
            restoreCheck: o.restoreCheck,
            keepDump: o.keepDump,
            pgBindir: o.pgBindir,
            log,
            aborted: () => signal !== undefined,
        });
        if (!o.dryRun) {
            const copySeconds = (report.seconds.dump ?? 0) + (report.seconds.restore ?? 0);
            log(
                `move-data: done: ${report.rows} rows moved and verified; ` +
                    Object.entries(report.seconds)
                        .map(([k, s]) => `${k} ${s.toFixed(1)} s`)
                        .join(", ") +
                    (copySeconds > 0 ? `; copy ${Math.round(report.rows / copySeconds)} rows/s` : ""),
            );
        }
        code = 0;
    } catch (err) {
        const message = err instanceof MoveError ? err.message : `move-data failed: ${(err as Error).message}`;
        process.stderr.write(`${redact(message)}\n`);
        if (!(err instanceof MoveError))
            process.stderr.write("  Nothing was changed on either side. Fix the cause above and run again.\n");
        code = signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 1;
    } finally {
        for (const side of sides) await side.close();
        if (o.report) fs.writeFileSync(o.report, JSON.stringify({ ...report, exitCode: code }, null, 2));
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
