/**
 * `npm run render -- --stack STACK [--out DIR]`: evaluates the real program with a stack's settings, without
 * the Pulumi engine or any cloud (Pulumi's runtime mocks stand in), and writes a deterministic, reviewable plan:
 *   kubernetes/NN-<kind>-<name>.yaml   each Kubernetes object (for `kubectl apply --dry-run=server -f`)
 *   helm/<release>.yaml                each Helm release: chart, version, repository, namespace, values
 *   heroku/<Resource>-<name>.yaml      each Heroku resource the stack would make (app, add-on, config vars, ...)
 *   image.yaml, outputs.yaml
 *   .render-manifest.json             what render wrote: the only files a later render into DIR may replace
 * Secrets are redacted; the same input always gives byte-identical output. Images appear by content tag: the digest
 * exists only once the image is pushed. The stack's config is checked first, with the program's own checks: what
 * `pulumi preview` refuses (a plain-text secret, a missing API key, a bad value) is refused here, and nothing is
 * written.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { checkConfig } from "../components/config";
import { evaluateWithMocks, isSecretMarker } from "../test/support/planMocks";
import { readStackConfig, stackNames } from "./stackFile";

export const REDACTED = "<redacted>";
const ROOT = path.resolve(__dirname, "..");

interface Registered {
    type: string;
    name: string;
    inputs: any;
}

/** Secret values become <redacted>; a secret map keeps its keys (what is set is reviewable, never the values). */
function redact(value: any): any {
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === "object") {
        if (isSecretMarker(value)) {
            const inner = value.value;
            const isMap = inner && typeof inner === "object" && !Array.isArray(inner);
            return isMap
                ? Object.fromEntries(
                      Object.keys(inner)
                          .sort()
                          .map((k) => [k, REDACTED]),
                  )
                : REDACTED;
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}

const KIND_ORDER: Record<string, string> = {
    Namespace: "00",
    ServiceAccount: "10",
    Secret: "10",
    ConfigMap: "10",
    NetworkPolicy: "20",
    Job: "30",
};
const fileName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-").toLowerCase();

/** Config the program would refuse: the stack file checked by the program's own checks, before any evaluation. */
export class ConfigRefused extends Error {}

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
    const evaluated = await evaluateWithMocks({
        stack,
        config,
        secretKeys,
        values: {
            generatedSecret: () => REDACTED,
            randomString: () => "<random>",
            repoDigest: (imageName) => imageName,
        },
    });
    const registered: Registered[] = evaluated.resources;
    const outputs = Object.fromEntries(
        Object.entries(evaluated.outputs).map(([key, out]) => [key, out.secret ? REDACTED : out.value]),
    );

    const files = new Map<string, string>();
    const dump = (doc: unknown) => yaml.dump(doc, { sortKeys: true, lineWidth: -1, noRefs: true });
    for (const r of registered) {
        const inputs = redact(r.inputs);
        if (r.type === "kubernetes:helm.sh/v3:Release") {
            files.set(
                `helm/${fileName(inputs.name)}.yaml`,
                dump({
                    release: inputs.name,
                    chart: inputs.chart,
                    version: inputs.version,
                    repository: inputs.repositoryOpts?.repo,
                    namespace: inputs.namespace,
                    createNamespace: inputs.createNamespace ?? false,
                    values: inputs.values ?? {},
                }),
            );
        } else if (r.type.startsWith("kubernetes:") && inputs.apiVersion && inputs.kind) {
            if (inputs.kind === "Secret") {
                for (const field of ["data", "stringData"]) {
                    if (inputs[field])
                        inputs[field] = Object.fromEntries(Object.keys(inputs[field]).map((k) => [k, REDACTED]));
                }
            }
            const order = KIND_ORDER[inputs.kind] ?? "50";
            files.set(
                `kubernetes/${order}-${fileName(inputs.kind)}-${fileName(inputs.metadata?.name ?? r.name)}.yaml`,
                dump(inputs),
            );
        } else if (r.type.startsWith("actors-heroku:index:")) {
            const resource = r.type.split(":").pop()!;
            const shown = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined));
            files.set(
                `heroku/${fileName(resource)}-${fileName(r.name)}.yaml`,
                dump({ resource, name: r.name, properties: shown }),
            );
        } else if (r.type === "docker:index/image:Image") {
            files.set(
                "image.yaml",
                dump({
                    image: inputs.imageName,
                    push: !inputs.skipPush,
                    platform: inputs.build?.platform,
                    context: path.relative(ROOT, inputs.build?.context ?? ""),
                    registry: inputs.registry ? REDACTED : undefined,
                }),
            );
        }
    }
    files.set("outputs.yaml", dump(outputs));
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
export function ownFiles(out: string): string[] {
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
