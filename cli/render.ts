/**
 * `npm run render -- --stack STACK [--out DIR]`: the credential-free plan of a stack, from a real `pulumi preview`
 * through the real CLI and the real providers, on a throwaway copy of the project (the user's stack files and state
 * are never touched). The copy gets a throwaway stack (file backend in a temporary folder, a random passphrase) with
 * the stack file's settings; each secret encrypted in the stack file (which cannot be decrypted without its
 * passphrase) is set there as a placeholder secret, and the plan says so. For the k8s stack the program's
 * `actors:renderYamlTo` makes the Kubernetes provider render instead of apply (its renderYamlToDirectory): no cluster
 * is contacted. The plan written:
 *   plan.yaml                          every resource step (op, type, name, provider, protect), the target (kube
 *                                      context, or Heroku app and API), the outputs, what the placeholders replaced
 *   kubernetes/<kind>-<ns>-<name>.yaml each Kubernetes object as the Kubernetes provider checked it
 *   helm/<release>.yaml                each Helm release: chart, version, repository, namespace, values
 *   heroku/<Resource>-<name>.yaml      each Heroku resource the stack would make (app, add-on, config vars, ...)
 *   image.yaml
 *   .render-manifest.json              what render wrote: the only files a later render into DIR may replace
 * Secrets are redacted (the engine masks them; Secret objects' data too). A value known only once deployed reads
 * `<unknown until deployed>`. The same input gives byte-identical output. The stack's config is checked first, with
 * the program's own checks; then whatever `pulumi preview` refuses is refused, with its messages, and nothing is
 * written.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { checkConfig } from "../components/config";
import { copyProject, removeProject } from "../tools/checkout";
import { engineSteps } from "../tools/pulumi";
import { readStackConfig, stackNames } from "./stackFile";

const REDACTED = "<redacted>";
export const UNKNOWN = "<unknown until deployed>";
/** What each secret encrypted in the stack file is set to on the throwaway stack. */
export const SECRET_PLACEHOLDER = "render-placeholder-secret";
const ROOT = path.resolve(__dirname, "..");
/** How the engine writes a value known only after deployment, and a secret, in its events. */
const ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ENGINE_SECRET = "[secret]";
/** The key that marks a secret object (a whole map made secret) in the engine's events: shown as REDACTED. */
const ENGINE_SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unknowns become UNKNOWN, secrets (and the placeholder, wherever it went) REDACTED; `__provider` is dropped. */
function clean(value: any): any {
    if (value === ENGINE_UNKNOWN) return UNKNOWN;
    if (value === ENGINE_SECRET) return REDACTED;
    if (typeof value === "string") return value.split(SECRET_PLACEHOLDER).join(REDACTED);
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === "object" && ENGINE_SECRET_SIG in value) return REDACTED;
    if (value && typeof value === "object")
        return Object.fromEntries(
            Object.entries(value)
                .filter(([k]) => k !== "__provider")
                .map(([k, v]) => [k, clean(v)]),
        );
    return value;
}

const fileName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-").toLowerCase();
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

/** Config the program would refuse: the stack file checked by the program's own checks, before any evaluation. */
export class ConfigRefused extends Error {}
/** What `pulumi preview` itself refused (its error diagnostics), or a preview that could not run. */
export class PreviewRefused extends Error {}

/** The real CLI: PULUMI_CLI_ROOT's, this checkout's .tools, else `pulumi` on PATH (as tools/pulumi.ts finds it). */
function pulumiBinary(): string {
    const root = process.env.PULUMI_CLI_ROOT ?? path.join(ROOT, ".tools");
    const bin = path.join(root, "bin", "pulumi");
    return fs.existsSync(bin) ? bin : "pulumi";
}

/** `pulumi preview` of `stack` in the project copy `dir`, with `env`: the engine's events. */
async function preview(dir: string, stack: string, env: NodeJS.ProcessEnv): Promise<any[]> {
    const events = path.join(dir, ".render-events.json");
    const driver = path.join(ROOT, "tools", "pulumi.ts");
    const args = ["-r", require.resolve("ts-node/register/transpile-only"), driver, "preview", "--stack", stack];
    args.push("--cwd", dir, "--events", events);
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
        const child = spawn(process.execPath, args, { cwd: ROOT, env });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (c) => resolve({ code: c ?? 1, output }));
    });
    const raw: any[] = fs.existsSync(events) ? JSON.parse(fs.readFileSync(events, "utf8")) : [];
    if (code !== 0) {
        const errors = raw
            .filter((e) => e.diagnosticEvent?.severity === "error")
            .map((e) => String(e.diagnosticEvent.message).trim())
            .filter((m) => m);
        const why = errors.length ? errors.join("\n  - ") : output.trim().split("\n").slice(-15).join("\n");
        throw new PreviewRefused(
            `pulumi preview --stack ${stack} failed:\n  - ${why.split(SECRET_PLACEHOLDER).join(REDACTED)}`,
        );
    }
    return raw;
}

/**
 * A throwaway stack of `stack` in the project copy `dir`: the stack file's settings, its encrypted secrets replaced
 * by SECRET_PLACEHOLDER (set as secrets with the CLI), plus `extra` settings. Returns the environment for the CLI.
 */
function throwawayStack(
    dir: string,
    stack: string,
    secretKeys: string[],
    extra: Record<string, string>,
): NodeJS.ProcessEnv {
    const state = path.join(dir, ".render-state");
    fs.mkdirSync(state);
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(24).toString("hex"),
        PULUMI_CONFIG_PASSPHRASE_FILE: "",
        PULUMI_SKIP_UPDATE_CHECK: "1",
    };
    // The Kubernetes provider takes KUBECONFIG as its kubeconfig, and refuses one beside renderYamlToDirectory; the
    // plan contacts no cluster anyway (actors:kubeContext is what it reports as the target).
    delete env.KUBECONFIG;
    // The copy's stack file: its plain settings only (no secure values, no other secrets provider's keys).
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> }) ?? {};
    const plain = Object.fromEntries(
        Object.entries(doc.config ?? {}).filter(([, v]) => !(v && typeof v === "object" && "secure" in v)),
    );
    fs.writeFileSync(file, yaml.dump({ config: plain }));
    const cli = (args: string[]) => {
        const run = spawnSync(pulumiBinary(), ["--stack", stack, ...args], { cwd: dir, env, encoding: "utf8" });
        if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT")
            throw new PreviewRefused(
                "render runs `pulumi preview`: install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH",
            );
        if (run.status !== 0)
            throw new PreviewRefused(
                `pulumi ${args.slice(0, 2).join(" ")} failed: ${(run.error?.message ?? run.stderr).trim()}`,
            );
    };
    cli(["stack", "select", "--create"]);
    for (const key of secretKeys) cli(["config", "set", "--secret", key, "--", SECRET_PLACEHOLDER]);
    for (const [key, value] of Object.entries(extra)) cli(["config", "set", key, "--", value]);
    return env;
}

/** The plan of a stack; `root` is where its stack file is (the project's folder unless given). */
export async function renderPlan(stack: string, root: string = ROOT): Promise<Map<string, string>> {
    // Encrypted in the stack file: the plan shows that it is set, never what it is. Only those are secrets: a
    // secret setting written in plain text is refused, as the program refuses it under the engine.
    const { config, secretKeys } = readStackConfig(stack, { encrypted: REDACTED, root });
    const { problems } = checkConfig({
        config,
        isSecret: (key) => secretKeys.includes(key),
        env: process.env,
        now: Date.now(),
    });
    if (problems.length) throw new ConfigRefused(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    const platform = config["actors:platform"];

    const dir = copyProject(root);
    let events: any[];
    try {
        const rendered = path.join(dir, ".render-yaml");
        const env = throwawayStack(
            dir,
            stack,
            secretKeys,
            platform === "k8s" ? { "actors:renderYamlTo": rendered } : {},
        );
        events = await preview(dir, stack, env);
    } finally {
        removeProject(dir);
    }
    return planFiles(stack, config, secretKeys, events);
}

/** The plan's files from the preview's events. */
function planFiles(
    stack: string,
    config: Record<string, string>,
    secretKeys: string[],
    events: any[],
): Map<string, string> {
    const platform = config["actors:platform"];
    const steps = engineSteps(events)
        .map((step) => ({
            ...step,
            provider: step.provider ? nameOf(step.provider.replace(/::[^:]*$/, "")) : "",
            inputs: clean(step.inputs),
        }))
        .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    const stackOutputs = events
        .filter((e) => e.resOutputsEvent?.metadata?.type === "pulumi:pulumi:Stack")
        .map((e) => e.resOutputsEvent.metadata.new?.outputs ?? {})
        .pop();
    const outputs = clean(stackOutputs ?? {});

    const files = new Map<string, string>();
    const dump = (doc: unknown) => yaml.dump(doc, { sortKeys: true, lineWidth: -1, noRefs: true });
    const target: Record<string, string> = {};
    for (const step of steps) {
        const inputs = step.inputs;
        const name = nameOf(step.urn);
        if (step.type === "kubernetes:helm.sh/v3:Release") {
            files.set(
                `helm/${fileName(inputs.name ?? name)}.yaml`,
                dump({
                    release: inputs.name ?? name,
                    chart: inputs.chart,
                    version: inputs.version,
                    repository: inputs.repositoryOpts?.repo,
                    namespace: inputs.namespace,
                    createNamespace: inputs.createNamespace ?? false,
                    values: inputs.values ?? {},
                }),
            );
        } else if (step.type.startsWith("kubernetes:") && step.custom && inputs.apiVersion && inputs.kind) {
            const object = { ...inputs };
            if (object.kind === "Secret")
                for (const field of ["data", "stringData"])
                    if (object[field] && typeof object[field] === "object")
                        object[field] = Object.fromEntries(Object.keys(object[field]).map((k) => [k, REDACTED]));
                    else if (object[field]) object[field] = REDACTED;
            const ns = object.metadata?.namespace ? `${object.metadata.namespace}-` : "";
            files.set(
                `kubernetes/${fileName(object.kind)}-${fileName(ns + (object.metadata?.name ?? name))}.yaml`,
                dump(object),
            );
        } else if (step.type.startsWith("actors-heroku:index:")) {
            const resource = step.type.split(":").pop()!;
            files.set(
                `heroku/${fileName(resource)}-${fileName(name)}.yaml`,
                dump({ resource, name, protect: step.protect, properties: inputs }),
            );
            if (resource === "App") target.herokuApp = inputs.name ?? UNKNOWN;
        } else if (step.type === "docker:index/image:Image") {
            files.set(
                "image.yaml",
                dump({
                    image: inputs.imageName,
                    push: !inputs.skipPush,
                    platform: inputs.build?.platform,
                    context: inputs.build?.context,
                    dockerfile: inputs.build?.dockerfile,
                    registry: inputs.registry
                        ? { server: inputs.registry.server ?? UNKNOWN, credentials: REDACTED }
                        : undefined,
                }),
            );
        }
    }
    if (platform === "k8s") {
        target.kubeContext = config["actors:kubeContext"]
            ? config["actors:kubeContext"]
            : "(empty: the current context of the kubeconfig where `pulumi up` runs)";
    } else {
        target.herokuApiUrl = process.env.HEROKU_API_URL || "https://api.heroku.com";
        target.herokuRegistryUrl = process.env.HEROKU_REGISTRY_URL || "https://registry.heroku.com";
    }
    const counts: Record<string, number> = {};
    for (const s of steps) if (s.custom) counts[s.op] = (counts[s.op] ?? 0) + 1;
    const notes = [
        "Made by `pulumi preview` on a throwaway stack with this stack file's settings: a new stack, so every resource is a create.",
        ...(platform === "k8s"
            ? [
                  "The Kubernetes provider ran in render mode (renderYamlToDirectory): no cluster was contacted, so nothing was checked against the cluster (server-side dry run, existing objects).",
              ]
            : []),
        ...secretKeys.map(
            (key) =>
                `${key} is encrypted in Pulumi.${stack}.yaml and cannot be decrypted without its passphrase: the preview used a placeholder secret in its place.`,
        ),
        ...Object.keys(outputs)
            .sort()
            .filter((k) => JSON.stringify(outputs[k]).includes(UNKNOWN))
            .map((k) => `output ${k} is known only once deployed.`),
    ];
    files.set(
        "plan.yaml",
        dump({
            stack,
            platform,
            target,
            summary: counts,
            steps: steps.map((s) => ({
                op: s.op,
                type: s.type,
                name: nameOf(s.urn),
                ...(s.custom ? { provider: s.provider || "(none)" } : {}),
                protect: s.protect,
            })),
            outputs,
            notes,
        }),
    );
    return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export const USAGE = `usage: npm run render -- --stack STACK [--out DIR]
  --stack STACK   a stack with a Pulumi.STACK.yaml in the project (also --stack=STACK)
  --out DIR       where to write the plan (default: render/STACK); DIR must be missing, empty, or written by render
  --help          this text`;

/** A mistake in the command line: exit code 2, as move-data. */
export class UsageError extends Error {}

export function parseArgs(
    argv: string[],
    root: string = ROOT,
): { help: true } | { help: false; stack: string; out: string } {
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") return { help: true };
        const m = /^--(stack|out)(?:=(.*))?$/s.exec(arg);
        if (!m) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
        const value = m[2] ?? argv[++i];
        if (value === undefined || value === "") throw new UsageError(`--${m[1]} needs a value`);
        if (m[1] in values) throw new UsageError(`--${m[1]} given twice`);
        values[m[1]] = value;
    }
    const stack = values.stack;
    if (stack === undefined) throw new UsageError("--stack is required");
    const stacks = stackNames(root);
    if (!stacks.includes(stack))
        throw new UsageError(
            `--stack must name a stack with a Pulumi.<stack>.yaml here (${stacks.join(", ")}); got ${JSON.stringify(stack)}`,
        );
    return { help: false, stack, out: path.resolve(values.out ?? path.join(root, "render", stack)) };
}

export const MANIFEST = ".render-manifest.json";

/** Every file under dir, relative to it, sorted. */
function filesUnder(dir: string): string[] {
    const found: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const file = path.join(rel, e.name);
            if (e.isDirectory()) walk(file);
            else found.push(file);
        }
    };
    walk("");
    return found.sort();
}

/**
 * The files a render may replace in `out`: none when it is missing or empty; those its manifest lists when every
 * file there is render's own. Anything else in `out` means someone else's files: refused, nothing touched.
 */
function ownFiles(out: string): string[] {
    if (!fs.existsSync(out)) return [];
    if (!fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
    const present = filesUnder(out);
    if (present.length === 0) return [];
    const manifest = path.join(out, MANIFEST);
    let written: string[] = [];
    if (fs.existsSync(manifest)) {
        try {
            written = JSON.parse(fs.readFileSync(manifest, "utf8")).files ?? [];
        } catch {
            written = [];
        }
    }
    const foreign = present.filter((f) => f !== MANIFEST && !written.includes(f));
    if (!fs.existsSync(manifest) || foreign.length)
        throw new UsageError(
            `--out ${out} holds files render did not write (${(foreign.length ? foreign : present).slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}): give a missing or empty folder; render never deletes what it did not write`,
        );
    return written.filter((f) => present.includes(f));
}

/** Replaces render's own earlier files in `out` with the plan, and records what it wrote. */
export function writePlan(out: string, files: Map<string, string>): void {
    const previous = ownFiles(out);
    for (const file of previous) fs.rmSync(path.join(out, file));
    for (const dir of [...new Set(previous.map((f) => path.dirname(f)))].sort().reverse())
        if (dir !== "." && fs.existsSync(path.join(out, dir)) && fs.readdirSync(path.join(out, dir)).length === 0)
            fs.rmdirSync(path.join(out, dir));
    for (const [file, content] of files) {
        fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
        fs.writeFileSync(path.join(out, file), content);
    }
    const manifest = { writtenBy: "npm run render", files: [...files.keys()].sort() };
    fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    ownFiles(args.out); // refuse a foreign folder before the (slow) evaluation
    const files = await renderPlan(args.stack);
    writePlan(args.out, files);
    process.stdout.write(
        `render: ${files.size} files for stack ${args.stack} in ${path.relative(process.cwd(), args.out) || "."}\n`,
    );
}

if (require.main === module) {
    main().catch((err) => {
        if (err instanceof UsageError) {
            process.stderr.write(`render: ${err.message}\n${USAGE}\n`);
            process.exit(2);
        }
        process.stderr.write(`render: ${err.message}\n`);
        process.exit(1);
    });
}
