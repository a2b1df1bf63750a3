import * as pulumi from "@pulumi/pulumi";
import { HerokuClient } from "./api";

/**
 * The package of the Heroku resources: type tokens `actors-heroku:index:<Name>`, served by the provider plugin
 * `pulumi-resource-actors-heroku` in provider/ (declared in Pulumi.yaml's `plugins.providers`). State holds only
 * each resource's data; the code that serves it is the checkout's.
 */
export const HEROKU_PACKAGE = "actors-heroku";

/** What the providers' methods return: the provider protocol's results, typed by the resource's inputs or outputs. */
export type Created<T> = { id: string; outs: T };
export type Updated<T> = { outs: T };
/** What a read found; `inputs` when the resource was read without state of ours (`import`), to compare with the program. */
export type Read<T> = { id: string; props: T; inputs?: Partial<T> };
export type CheckResult<I> = { inputs: I; failures: { property: string; reason: string }[] };
export type DiffResult = { changes: boolean; replaces: string[] };

/**
 * How one kind of Heroku resource is created, read, diffed, updated and deleted, typed by its inputs `I` and outputs
 * `O`. The API key is the plugin's configuration (./herokuProvider.ts), or HEROKU_API_KEY: never a resource input.
 */
export abstract class HerokuResourceProvider<I extends object, O extends object> {
    abstract create(inputs: I): Promise<Created<O>>;
    /** Every provider says exactly what changed: a diff of whole property bags would see unrelated fields. */
    abstract diff(id: string, olds: O, news: I): Promise<DiffResult>;
    check?(olds: Partial<I>, news: I): Promise<CheckResult<I>>;
    read?(id: string, props: O): Promise<Read<O>>;
    update?(id: string, olds: O, news: I): Promise<Updated<O>>;
    delete?(id: string, props: O): Promise<void>;

    private apiKey?: string;
    private client?: HerokuClient;

    /** Tests pass a client factory (pointed at the emulator); the plugin never does. */
    constructor(private readonly clientFactory?: () => HerokuClient) {}

    /** The key of the provider's configuration (empty: HEROKU_API_KEY of the plugin's environment). */
    configure(apiKey: string | undefined): void {
        this.apiKey = apiKey || undefined;
        this.client = undefined;
    }

    /** One client per provider, so its rate-limit pacing (RateLimit-Remaining) spans all of the provider's calls. */
    protected api(): HerokuClient {
        if (this.clientFactory) return this.clientFactory();
        this.client ??= new HerokuClient({ apiKey: this.apiKey ?? process.env.HEROKU_API_KEY ?? "" });
        return this.client;
    }
}

/** A resource's arguments: each input may be an Output or a Promise. */
export type HerokuResourceArgs<I> = { [K in keyof I]: pulumi.Input<I[K]> };
/** A resource's outputs as properties of the resource object. */
export type HerokuResourceOutputs<O> = { readonly [K in keyof O]: pulumi.Output<O[K]> };

/** The type of each resource before the provider plugin, when it was a dynamic resource (commit 957c0e6). */
function dynamicResourceType(legacyType: string): string {
    return `pulumi-nodejs:dynamic/actors:${legacyType}`;
}

/**
 * Declares a kind of Heroku resource from its inputs and outputs: a custom resource of type
 * `actors-heroku:index:<name>`, with the outputs that are not inputs (`outputs`) as properties, and an alias from the
 * dynamic-resource type it had before (`legacyType`), so that stacks made then keep every resource (URNs contain
 * the type). The plugin (provider/main.ts) maps the type to the resource's provider.
 */
export function herokuResource<I extends object, O extends I>(
    name: string,
    spec: { legacyType: string; outputs: readonly Exclude<keyof O, keyof I>[] },
) {
    const type = `${HEROKU_PACKAGE}:index:${name}`;
    class HerokuResource extends pulumi.CustomResource {
        static readonly type = type;
        constructor(resourceName: string, args: HerokuResourceArgs<I>, opts: pulumi.CustomResourceOptions = {}) {
            const outputs = Object.fromEntries(spec.outputs.map((key) => [key, undefined]));
            const aliases = [...(opts.aliases ?? []), { type: dynamicResourceType(spec.legacyType) }];
            super(type, resourceName, { ...args, ...outputs }, { ...opts, aliases });
        }
    }
    return HerokuResource as unknown as {
        readonly type: string;
        new (
            name: string,
            args: HerokuResourceArgs<I>,
            opts?: pulumi.CustomResourceOptions,
        ): pulumi.CustomResource & HerokuResourceOutputs<O>;
    };
}

/** JSON with object keys sorted, so equal values compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object")
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    return JSON.stringify(value) ?? "undefined";
}

/** The names of the given properties whose values differ between `olds` and `news`. */
export function changedKeys<T extends object>(
    olds: Partial<T>,
    news: Partial<T>,
    keys: readonly (keyof T)[],
): string[] {
    return keys.filter((k) => canonical(olds[k]) !== canonical(news[k])).map(String);
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs: number,
    intervalMs: number,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() >= deadline)
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
