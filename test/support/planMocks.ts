import * as crypto from "crypto";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** True for a value the mocks hand over as a Pulumi secret (inputs keep secrets wrapped in this marker). */
export function isSecretMarker(value: any): boolean {
    return Boolean(value) && typeof value === "object" && value[specialSigKey] === specialSecretSig;
}

/**
 * The one evaluation of the program under Pulumi's runtime mocks, for the unit tests (the lifecycle tests and the
 * benchmark run it through the real CLI instead): index.ts (or a given
 * component) with the given config, every resource answered by mockState. Load it in a fresh module registry (a new process, or jest's
 * isolateModules) so the program and @pulumi/pulumi start clean.
 */
export async function evaluateWithMocks(opts: {
    stack: string;
    config: Record<string, string>;
    secretKeys?: string[];
    preview?: boolean;
    values: MockValues;
    /** What to evaluate instead of index.ts (a single component); its stack outputs are then none. */
    program?: () => Promise<Record<string, unknown>>;
}): Promise<{
    resources: { type: string; name: string; inputs: any; state: any }[];
    outputs: Record<string, { value: unknown; secret: boolean }>;
}> {
    const pulumi = await import("@pulumi/pulumi");
    const resources: { type: string; name: string; inputs: any; state: any }[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const state = mockState(args.type, args.name, args.inputs, opts.values);
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
                return { id: `${args.name}-id`, state };
            },
            call: () => ({}),
        },
        "actors",
        opts.stack,
        opts.preview ?? false,
    );
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);
    // (waitForRPCs is the SDK's own, marked internal: not in its typings.)
    const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
    const outputs: Record<string, { value: unknown; secret: boolean }> = {};
    try {
        const program = opts.program ? await opts.program() : await import("../../index");
        for (const [key, value] of Object.entries(program)) {
            if (pulumi.Output.isInstance(value)) {
                const out = value as any;
                outputs[key] = { value: await out.promise(), secret: await out.isSecret };
            }
        }
    } finally {
        // Every registration still on its way (also when the program threw), before the next evaluation's mocks
        // replace these.
        await settings.waitForRPCs();
    }
    return { resources, outputs };
}

/**
 * What Pulumi's runtime mocks answer for each resource type when the program is evaluated without the engine
 * (tests and `npm run render`): the inputs back, plus the outputs the program reads. Deterministic by design.
 */
export interface MockValues {
    /** Value of a generated secret (random passwords). */
    generatedSecret(name: string): string;
    /** Result of a RandomString. */
    randomString(name: string): string;
    /** repoDigest of a pushed image, given its repository:tag. */
    repoDigest(imageName: string): string;
}

export const testValues = (sentinel: string): MockValues => ({
    generatedSecret: (name) => `${sentinel}-password-${name}`,
    randomString: (name) => `r${crypto.createHash("sha1").update(name).digest("hex").slice(0, 6)}`,
    repoDigest: (imageName) =>
        `${imageName.replace(/:[^:/]+$/, "")}@sha256:${crypto.createHash("sha256").update(imageName).digest("hex")}`,
});

function mockState(type: string, name: string, inputs: any, values: MockValues): Record<string, unknown> {
    const state: Record<string, any> = { ...inputs };
    if (type.startsWith("kubernetes:") && inputs.metadata) {
        state.metadata = {
            ...inputs.metadata,
            name: inputs.metadata.name ?? `${name}-mock`,
            namespace: inputs.metadata.namespace,
        };
    }
    if (type === "kubernetes:helm.sh/v3:Release") state.name = inputs.name ?? `${name}-mock`;
    if (type === "docker:index/image:Image") state.repoDigest = values.repoDigest(String(inputs.imageName));
    if (type === "random:index/randomPassword:RandomPassword") state.result = values.generatedSecret(name);
    if (type === "random:index/randomString:RandomString") state.result = values.randomString(name);
    return state;
}
