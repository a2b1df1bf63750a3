import type * as pulumi from "@pulumi/pulumi";
import { HerokuClient } from "./api";

/** What the providers' methods return: the dynamic-provider result types, with their outputs always present. */
export type Created<T> = { id: string; outs: T };
export type Updated<T> = { outs: T };
export type Read<T> = { id: string; props: T };
export type CheckResult<I> = { inputs: I; failures: { property: string; reason: string }[] };

/** The stack setting that holds the API key; read by each dynamic provider at call time, never an input. */
export const API_KEY_SETTING = "actors:herokuApiKey";

/**
 * Base of the Heroku providers, typed by the resource's inputs `I` and outputs `O`: builds the API client from the key
 * the engine hands to `configure` (the stack's secret config) or HEROKU_API_KEY, so the key is never a resource input
 * and never lands in state. The dispatcher (./resource.ts) hands each method the resource's own properties, without
 * `kind` and `__provider`: no provider can depend on the serialized provider code.
 */
export abstract class HerokuProvider<I extends object, O extends object> {
    abstract create(inputs: I): Promise<Created<O>>;
    /** Every provider says exactly what changed: a diff of whole property bags would see unrelated fields. */
    abstract diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
    check?(olds: Partial<I>, news: I): Promise<CheckResult<I>>;
    read?(id: string, props: O): Promise<Read<O>>;
    update?(id: string, olds: O, news: I): Promise<Updated<O>>;
    delete?(id: string, props: O): Promise<void>;

    private apiKey?: string;
    private client?: HerokuClient;

    /** Tests pass a client factory (pointed at the emulator); the engine never does. */
    constructor(private readonly clientFactory?: () => HerokuClient) {}

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.apiKey = req.config.get(API_KEY_SETTING) || undefined;
        this.client = undefined;
    }

    /** One client per provider, so its rate-limit pacing (RateLimit-Remaining) spans all of the provider's calls. */
    protected api(): HerokuClient {
        if (this.clientFactory) return this.clientFactory();
        this.client ??= new HerokuClient({ apiKey: this.apiKey ?? process.env.HEROKU_API_KEY ?? "" });
        return this.client;
    }
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
