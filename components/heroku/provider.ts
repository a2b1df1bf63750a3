import * as pulumi from "@pulumi/pulumi";
import { HerokuClient } from "./api";

/** What the providers' methods return: the dynamic-provider result types, with their outputs always present. */
export type Created<T> = { id: string; outs: T };
export type Updated<T> = { outs: T };
export type Read<T> = { id: string; props: T };

/** The stack setting that holds the API key; read by each dynamic provider at call time, never an input. */
export const API_KEY_SETTING = "actors:herokuApiKey";

/**
 * Base of the Heroku dynamic providers: builds the API client from the key the engine hands to `configure` (the
 * stack's secret config) or HEROKU_API_KEY, so the key is never a resource input and never lands in state.
 */
export abstract class HerokuProvider implements pulumi.dynamic.ResourceProvider {
    abstract create(inputs: any): Promise<pulumi.dynamic.CreateResult>;

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
