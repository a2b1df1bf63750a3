/**
 * `npm run render -- --stack k8s|heroku [--out DIR]`: evaluates the real program with a stack's settings, without
 * the Pulumi engine or any cloud (Pulumi's runtime mocks stand in), and writes a deterministic, reviewable plan:
 *   kubernetes/NN-<kind>-<name>.yaml   each Kubernetes object (for `kubectl apply --dry-run=server -f`)
 *   helm/<release>.yaml                each Helm release: chart, version, repository, namespace, values
 *   heroku/<Resource>-<name>.yaml      each Heroku resource the stack would make (app, add-on, config vars, ...)
 *   image.yaml, outputs.yaml
 * Secrets are redacted; the same input always gives byte-identical output. Images appear by content tag: the digest
 * exists only once the image is pushed.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CONFIG_SCHEMA, KeySpec } from "../components/config";
import { evaluateWithMocks, isSecretMarker } from "../test/support/planMocks";
import { readStackConfig } from "./stackFile";

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

export async function renderPlan(stack: string): Promise<Map<string, string>> {
    // Encrypted in the stack file: the plan shows that it is set, never what it is.
    const { config, secretKeys } = readStackConfig(stack, {
        encrypted: REDACTED,
        isSecretKey: (key) => Boolean((CONFIG_SCHEMA as Record<string, KeySpec>)[key.replace(/^actors:/, "")]?.secret),
    });
    // The plan makes no Heroku call: any non-empty key satisfies the settings check.
    if (config["actors:platform"] === "heroku" && !config["actors:herokuApiKey"])
        process.env.HEROKU_API_KEY ||= "render-offline";
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

function parseArgs(argv: string[]): { stack: string; out: string } {
    let stack = "";
    let out = "";
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i] ?? "";
        else if (argv[i] === "--out") out = argv[++i] ?? "";
        else throw new Error(`unknown argument ${argv[i]}: usage: npm run render -- --stack k8s|heroku [--out DIR]`);
    }
    if (stack !== "k8s" && stack !== "heroku") throw new Error("--stack must be k8s or heroku");
    return { stack, out: out || path.join(ROOT, "render", stack) };
}

async function main() {
    const { stack, out } = parseArgs(process.argv.slice(2));
    const files = await renderPlan(stack);
    fs.rmSync(out, { recursive: true, force: true });
    for (const [file, content] of files) {
        fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
        fs.writeFileSync(path.join(out, file), content);
    }
    process.stdout.write(
        `render: ${files.size} files for stack ${stack} in ${path.relative(process.cwd(), out) || "."}\n`,
    );
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`render: ${err.message}\n`);
        process.exit(1);
    });
}
