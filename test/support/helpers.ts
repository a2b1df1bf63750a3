import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { evaluateWithMocks, isSecretMarker, testValues } from "./planMocks";
import { readStackConfig } from "../../cli/stackFile";
import { REFERENCE, readReference } from "../../tools/reference";

export const ROOT = path.resolve(__dirname, "..", "..");
// test/reference/ is read by the Heroku emulator too (tools/): its path and reader live there.
export { REFERENCE, readReference };

/** A value a mock hands out for a generated secret: if it shows up outside a secret, something leaked. */
export const SENTINEL = "SENTINEL";

export interface MockResource {
    type: string;
    name: string;
    inputs: any;
    state: any;
}

export interface ProgramRun {
    resources: MockResource[];
    outputs: Record<string, { value: unknown; secret: boolean }>;
    byType(type: string): MockResource[];
    one(type: string, name?: string): MockResource;
}

/** The stack file's config (without the `config:` wrapper), as Pulumi hands it to the program. */
export function stackConfig(stack: "k8s" | "heroku"): Record<string, string> {
    return readStackConfig(stack).config;
}

/**
 * Runs index.ts under Pulumi's mocks with the given config (keys with namespace) and secret keys, in a fresh module
 * registry, and returns every resource registered and the stack outputs.
 */
export async function runProgram(
    config: Record<string, string>,
    opts: { secretKeys?: string[]; stack?: string; preview?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<ProgramRun> {
    const savedEnv: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(opts.env ?? {})) {
        savedEnv[k] = process.env[k];
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    try {
        let evaluated: Awaited<ReturnType<typeof evaluateWithMocks>> | undefined;
        await jest.isolateModulesAsync(async () => {
            evaluated = await evaluateWithMocks({
                stack: opts.stack ?? "test",
                config,
                secretKeys: opts.secretKeys,
                preview: opts.preview,
                values: testValues(SENTINEL),
            });
        });
        const { resources, outputs } = evaluated!;
        return {
            resources,
            outputs,
            byType: (type) => resources.filter((r) => r.type === type),
            one: (type, name) => {
                const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
                if (found.length !== 1)
                    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
                return found[0];
            },
        };
    } finally {
        for (const [k, v] of Object.entries(savedEnv)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

/** The plain value with Pulumi's secret wrappers removed (for schema validation). */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (isSecretMarker(value)) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Paths of strings containing a sentinel that are not inside a Pulumi secret. */
export function plainSecretLeaks(value: any, sentinels: string[], where = "", inSecret = false): string[] {
    if (typeof value === "string")
        return !inSecret && sentinels.some((s) => value.includes(s)) ? [where || "(root)"] : [];
    if (Array.isArray(value))
        return value.flatMap((v, i) => plainSecretLeaks(v, sentinels, `${where}[${i}]`, inSecret));
    if (value && typeof value === "object") {
        if (isSecretMarker(value)) return plainSecretLeaks(value.value, sentinels, where, true);
        return Object.entries(value).flatMap(([k, v]) => plainSecretLeaks(v, sentinels, `${where}.${k}`, inSecret));
    }
    return [];
}

/** A Kubernetes resource as kubectl would see it (the SDK puts apiVersion and kind into the inputs). */
export function asKubernetesObject(resource: MockResource): Record<string, any> | undefined {
    if (!resource.type.startsWith("kubernetes:") || !resource.inputs?.apiVersion || !resource.inputs?.kind)
        return undefined;
    return unwrapSecrets(resource.inputs);
}

/** The openAPIV3Schema of the Barman Cloud plugin's ObjectStore CRD (test/reference, unchanged upstream copy). */
export function objectStoreCrd(): any {
    const crd = yaml.load(
        fs.readFileSync(path.join(REFERENCE, "barman-cloud-plugin-v0.13.0-objectstore-crd.yaml"), "utf8"),
    ) as any;
    return crd.spec.versions.find((v: any) => v.name === "v1");
}

/** The CRD schema of a custom resource whose project publishes no kubernetes-models package, if it is one. */
function crdSchema(apiVersion: string, kind: string): any {
    if (apiVersion === "postgresql.cnpg.io/v1") return cnpgCrdSchema(kind);
    if (apiVersion === "barmancloud.cnpg.io/v1" && kind === "ObjectStore")
        return objectStoreCrd().schema.openAPIV3Schema;
    return undefined;
}

/**
 * Validates any Kubernetes object this program declares: built-in kinds and those with a kubernetes-models package
 * with kubernetes-models (required fields, types, enums, quantities); CloudNativePG and Barman Cloud kinds against
 * their CRDs' schemas (which Ajv checks except for CEL rules). Throws with every problem.
 */
export function validateKubernetesObject(obj: Record<string, any>): void {
    const schema = crdSchema(String(obj.apiVersion), String(obj.kind));
    if (schema) {
        const problems = compileSchema(schema)(obj);
        if (!obj.metadata?.name || !obj.metadata?.namespace) problems.push("/metadata name and namespace are required");
        if (problems.length) throw new Error(`${obj.kind}/${obj.metadata?.name}: ${problems.join("; ")}`);
        return;
    }
    const [groupVersion, kind] = [String(obj.apiVersion), String(obj.kind)];
    const group = groupVersion.includes("/") ? groupVersion.split("/")[0] : "";
    // Custom resources validate against their projects' published schemas, packaged like kubernetes-models.
    const packageOf: Record<string, string> = {
        "cert-manager.io": "@kubernetes-models/cert-manager",
        "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
        "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
    };
    const pkg = packageOf[group] ?? "kubernetes-models";
    const modulePath = groupVersion.includes("/") ? `${pkg}/${groupVersion}/${kind}` : `kubernetes-models/v1/${kind}`;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Model = require(modulePath)[kind];
    new Model(obj).validate();
}

/** Ajv for a JSON schema of the given draft, strict about nothing but the schema's own rules. */
export function compileSchema(schema: object, draft: "04" | "07" | "2020" = "07"): (data: unknown) => string[] {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Ajv = draft === "04" ? require("ajv-draft-04") : draft === "2020" ? require("ajv/dist/2020") : require("ajv");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const addFormats = require("ajv-formats");
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    return (data: unknown) =>
        validate(data) ? [] : validate.errors.map((e: any) => `${e.instancePath || "/"} ${e.message}`);
}

/** The openAPIV3Schema of one CloudNativePG CRD (by kind) from the reference CRDs. */
export function cnpgCrdSchema(kind: string): any {
    const docs = yaml.loadAll(fs.readFileSync(path.join(REFERENCE, "cnpg-1.30.0-crds.yaml"), "utf8")) as any[];
    const crd = docs.find((d) => d?.kind === "CustomResourceDefinition" && d.spec.names.kind === kind);
    if (!crd) throw new Error(`no CRD for ${kind}`);
    return crd.spec.versions.find((v: any) => v.name === "v1").schema.openAPIV3Schema;
}
