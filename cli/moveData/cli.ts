/**
 * `npm run move-data -- --from k8s --to heroku [--dry-run] [--replace]` (and `--from heroku --to k8s`): copies the
 * app's data from one deployed stack's database to the other's, verified. Run `--help` for every flag. Exit codes:
 * 0 moved and verified (or the dry run's checks passed), 1 refused or failed (the message says each side's state
 * and what to do next), 2 bad flags, 130/143 stopped by SIGINT/SIGTERM (the source put back first).
 */
import * as fs from "fs";
import * as readline from "readline";
import { parseArgs } from "util";
import { HEROKU_APP_NAME } from "../../components/config/rules";
import { k8sToolsOutput } from "../../components/k8s/names";
import type { K8sToolsOutput } from "../../components/toolsOutput";
import { herokuSide } from "./heroku";
import { currentContext, k8sSide } from "./k8s";
import { move, MoveError, MoveReport, thawLeftover } from "./move";
import { children, redact } from "./pg";
import { stackConfig, stackTools } from "./pulumiStack";
import { Platform, PLATFORMS, Side } from "./side";

const USAGE = `usage: npm run move-data -- --from k8s|heroku --to heroku|k8s [options]
       npm run move-data -- --from k8s|heroku --thaw

  --dry-run               check both sides and say what a move would do; change nothing
  --replace               replace the rows the target already holds (otherwise a target with data is refused);
                          asks for confirmation first
  --yes                   confirm --replace without asking (needed without a terminal)
  --thaw                  put back a source left frozen by a run that was killed (see docs/moving-data.md)
  --no-restore-check      skip restoring the dump into a scratch server after the move
  --keep-dump FILE        keep the dump (the backup of the source) at FILE
  --pg-bindir DIR         PostgreSQL client programs to use (default: matched to the servers under /usr/lib/postgresql)
  --pg-image IMAGE        run pg_dump/pg_restore from this image with podman or docker (default, when the local
                          programs are older than a server: docker.io/library/postgres:<major>)
  --report FILE           write a JSON summary (rows, bytes, seconds per step, the write freeze's length)
 Kubernetes (default: the k8s stack's "tools" output; each flag overrides only its own value):
  --k8s-stack NAME        Pulumi stack of the cluster side (default k8s)
  --k8s-namespace NS      namespace
  --kube-context CTX      kubeconfig context (the stack's actors:kubeContext; when it names none, kubectl's
                          current context, resolved once and named on every call)
  --k8s-db-cluster NAME   CloudNativePG cluster (its -app secret and -rw service follow from it)
  --k8s-sslmode MODE      libpq sslmode to the cluster's database (default prefer; CloudNativePG serves TLS)
  --k8s-direct            connect to the -rw service directly instead of port-forwarding (default when run in a pod)
 Heroku:
  --heroku-stack NAME     Pulumi stack of the Heroku side (default heroku)
  --heroku-app APP        app name (default: the heroku stack's "tools" output)
                          the API key comes from HEROKU_API_KEY, else the stack's secret actors:herokuApiKey`;

export class UsageError extends Error {}

export interface CliOptions {
    from: Platform;
    /** Undefined with --thaw (only the source is touched). */
    to?: Platform;
    dryRun: boolean;
    replace: boolean;
    yes: boolean;
    thaw: boolean;
    pgImage?: string;
    k8sDbCluster?: string;
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
                yes: { type: "boolean", default: false },
                thaw: { type: "boolean", default: false },
                "pg-image": { type: "string" },
                "k8s-db-cluster": { type: "string" },
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
    const to = v.thaw && v.to === undefined ? undefined : platform("to", v.to);
    if (from === to) throw new UsageError(`--from and --to must differ (both are ${from})`);
    if (v.thaw && (v.replace || v["dry-run"]))
        throw new UsageError("--thaw only puts a frozen source back: it takes no --replace or --dry-run");
    if (!SSLMODES.includes(v["k8s-sslmode"]!))
        throw new UsageError(
            `--k8s-sslmode must be one of ${SSLMODES.join(", ")} (got ${JSON.stringify(v["k8s-sslmode"])})`,
        );
    if (v["k8s-namespace"] !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v["k8s-namespace"]))
        throw new UsageError(`--k8s-namespace must be a DNS label (got ${JSON.stringify(v["k8s-namespace"])})`);
    if (v["k8s-db-cluster"] !== undefined && !/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/.test(v["k8s-db-cluster"]))
        throw new UsageError(
            `--k8s-db-cluster must be a DNS label of at most 50 characters (got ${JSON.stringify(v["k8s-db-cluster"])})`,
        );
    const appProblem = v["heroku-app"] === undefined ? undefined : HEROKU_APP_NAME.problem(v["heroku-app"]);
    if (appProblem) throw new UsageError(`--heroku-app must be ${appProblem} (got ${JSON.stringify(v["heroku-app"])})`);
    return {
        from,
        to,
        dryRun: v["dry-run"]!,
        replace: v.replace!,
        yes: v.yes!,
        thaw: v.thaw!,
        pgImage: v["pg-image"],
        k8sDbCluster: v["k8s-db-cluster"],
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

/**
 * The cluster's names: the k8s stack's `tools` output, each flag overriding only its own value (the stack is read
 * unless all three are given). A context the stack leaves to kubectl is resolved once, here, and named on every call.
 */
async function k8sNames(o: CliOptions, log: (line: string) => void): Promise<K8sToolsOutput> {
    const missing = [
        o.k8sNamespace ? "" : "--k8s-namespace",
        o.kubeContext !== undefined ? "" : "--kube-context",
        o.k8sDbCluster ? "" : "--k8s-db-cluster",
    ].filter(Boolean);
    let stack: K8sToolsOutput | undefined;
    if (missing.length) {
        try {
            stack = await stackTools(o.k8sStack, "k8s");
        } catch (err) {
            throw new Error(`${(err as Error).message}
  Without the stack's outputs, pass ${missing.join(", ")}.`);
        }
    }
    const namespace = o.k8sNamespace ?? stack!.namespace;
    const dbCluster = o.k8sDbCluster ?? stack!.dbCluster;
    let context = o.kubeContext ?? stack!.kubeContext;
    let contextFrom = o.kubeContext !== undefined ? "--kube-context" : `the stack ${o.k8sStack}`;
    if (!context) {
        context = await currentContext();
        contextFrom = `kubectl's current context (the stack ${o.k8sStack} names none)`;
    }
    const names = { ...(stack ?? k8sToolsOutput(context, namespace, dbCluster)), namespace, kubeContext: context };
    if (o.k8sDbCluster) Object.assign(names, k8sToolsOutput(context, namespace, dbCluster));
    log(
        `k8s: cluster ${names.dbCluster} (${o.k8sDbCluster ? "--k8s-db-cluster" : `the stack ${o.k8sStack}`}), ` +
            `namespace ${names.namespace} (${o.k8sNamespace ? "--k8s-namespace" : `the stack ${o.k8sStack}`}), ` +
            `context ${names.kubeContext} (${contextFrom}), deployment/${names.webDeployment}`,
    );
    return names;
}

async function openSide(platform: Platform, label: string, o: CliOptions, log: (line: string) => void): Promise<Side> {
    if (platform === "k8s") {
        return k8sSide(label, {
            names: await k8sNames(o, log),
            sslmode: o.k8sSslmode,
            direct: o.k8sDirect,
            scaleTimeoutSeconds: 120,
        });
    }
    let app = o.herokuApp;
    if (!app) {
        try {
            app = (await stackTools(o.herokuStack, "heroku")).app;
        } catch (err) {
            throw new Error(`${(err as Error).message}
  Without the stack's outputs, pass --heroku-app.`);
        }
    }
    log(`heroku: app ${app} (${o.herokuApp ? "--heroku-app" : `the stack ${o.herokuStack}`})`);
    const apiKey = process.env.HEROKU_API_KEY || (await stackConfig(o.herokuStack, "herokuApiKey"));
    if (!apiKey)
        throw new Error(
            `no Heroku API key: export HEROKU_API_KEY, or set the stack's secret (pulumi config set --secret herokuApiKey ... --stack ${o.herokuStack})`,
        );
    return herokuSide(label, { app, apiKey });
}

/** Asks on the terminal; without one, refuses (a --replace run must be confirmed by --yes there). */
async function confirmOnTerminal(question: string): Promise<boolean> {
    if (!process.stdin.isTTY)
        throw new MoveError(
            `${question}
--replace needs a confirmation, and there is no terminal to ask on: pass --yes to confirm. ` +
                "Nothing was changed on either side.",
        );
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
        const answer = await new Promise<string>((resolve) =>
            rl.question(
                `${question}
Type yes to go on: `,
                resolve,
            ),
        );
        return answer.trim() === "yes";
    } finally {
        rl.close();
    }
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
    const started = Date.now();
    let report: MoveReport | undefined;
    let code = 1;
    try {
        if (o.thaw) {
            log(`move-data: --thaw of the ${o.from} side`);
            const source = await openSide(o.from, "source", o, log);
            sides.push(source);
            await thawLeftover(source, log);
            return (code = 0);
        }
        log(`move-data: ${o.from} -> ${o.to}${o.dryRun ? " (dry run)" : ""}`);
        const source = await openSide(o.from, "source", o, log);
        sides.push(source);
        const target = await openSide(o.to!, "target", o, log);
        sides.push(target);
        report = await move(source, target, {
            replace: o.replace,
            dryRun: o.dryRun,
            restoreCheck: o.restoreCheck,
            keepDump: o.keepDump,
            bindir: o.pgBindir,
            image: o.pgImage,
            log,
            confirm: o.yes ? async () => true : confirmOnTerminal,
            aborted: () => signal !== undefined,
        });
        if (!o.dryRun) {
            const total = (Date.now() - started) / 1000;
            log(
                `move-data: done: ${report.rows} rows moved and verified; writes were frozen for ` +
                    `${(report.freezeWindowSeconds ?? 0).toFixed(1)} s of the whole ${total.toFixed(1)} s (` +
                    Object.entries(report.seconds)
                        .map(([k, s]) => `${k} ${s.toFixed(1)} s`)
                        .join(", ") +
                    ")",
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
        if (o.report)
            fs.writeFileSync(
                o.report,
                JSON.stringify({ ...report, wholeSeconds: (Date.now() - started) / 1000, exitCode: code }, null, 2),
            );
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
