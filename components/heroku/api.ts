/**
 * A small typed client of the Heroku Platform API v3 and of Heroku's container registry, over fetch.
 *
 * - Base URLs: HEROKU_API_URL (default https://api.heroku.com) and HEROKU_REGISTRY_URL (default
 *   https://registry.heroku.com), read at call time, so tests can point both at a local emulator.
 * - Bounded retries with exponential backoff and jitter on 429, 5xx and network errors, honouring Retry-After and
 *   RateLimit-Remaining. POST is retried only when Heroku said it did nothing (429); callers make creates idempotent.
 * - The API key is used only in the Authorization header of each call; it never appears in errors or logs.
 */

const DEFAULT_API_URL = "https://api.heroku.com";
const DEFAULT_REGISTRY_URL = "https://registry.heroku.com";
const ACCEPT_V3 = "application/vnd.heroku+json; version=3";
export const ACCEPT_DOCKER_RELEASES = "application/vnd.heroku+json; version=3.docker-releases";
export const DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";

export interface HerokuClientOptions {
    apiKey: string;
    apiUrl?: string;
    registryUrl?: string;
    /** Attempts per request, the first included. */
    maxAttempts?: number;
    /** Per-attempt timeout. */
    timeoutMs?: number;
    /** First backoff; doubles per attempt, with full jitter, capped at maxBackoffMs. */
    baseBackoffMs?: number;
    maxBackoffMs?: number;
    sleep?: (ms: number) => Promise<void>;
}

/**
 * A failed Platform API call, with Heroku's error `id` and `message` (never the API key): a plain `Error` with fields,
 * recognised by its name (isHerokuApiError), so the provider server passes its message to the engine as it is.
 */
export interface HerokuApiError extends Error {
    name: "HerokuApiError";
    method: string;
    path: string;
    status: number;
    id: string;
    herokuMessage: string;
}

function herokuApiError(
    method: string,
    path: string,
    status: number,
    id: string,
    herokuMessage: string,
): HerokuApiError {
    const err = new Error(`Heroku API ${method} ${path} failed: ${status} ${id}: ${herokuMessage}`);
    return Object.assign(err, { name: "HerokuApiError" as const, method, path, status, id, herokuMessage });
}

/** Whether `err` is a HerokuApiError (with that HTTP status, when given). */
export function isHerokuApiError(err: unknown, status?: number): err is HerokuApiError {
    const e = err as Partial<HerokuApiError> | undefined;
    return e?.name === "HerokuApiError" && (status === undefined || e.status === status);
}

/** Rethrows anything but a 404: deleting what is already gone succeeds. */
export function ignoreNotFound(err: unknown): void {
    if (!isHerokuApiError(err, 404)) throw err;
}

export interface RequestOptions {
    body?: unknown;
    accept?: string;
    range?: string;
}

// --- the parts of the Platform API's shapes this program reads

export interface App {
    id: string;
    name: string;
    region: { id?: string; name: string };
    stack: { id?: string; name: string };
    build_stack?: { id?: string; name: string };
    team?: { id?: string; name: string } | null;
    web_url: string | null;
    maintenance: boolean;
}

export interface AddOn {
    id: string;
    name: string;
    state: "provisioning" | "provisioned" | "deprovisioned" | "deprovisioning";
    plan: { id?: string; name: string };
    addon_service: { id?: string; name: string };
    app: { id?: string; name: string };
    config_vars: string[];
}

export interface Formation {
    id: string;
    type: string;
    quantity: number;
    /** Deprecated by Heroku in favour of dyno_size. */
    size: string;
    dyno_size?: { id?: string; name: string };
    command: string;
}

export interface Release {
    id: string;
    version: number;
    status: "pending" | "succeeded" | "failed" | "expired";
    description: string;
    output_stream_url: string | null;
    current: boolean;
}

export interface Domain {
    id: string;
    hostname: string;
    cname: string | null;
    kind: string;
    status: string;
}

export interface LogDrain {
    id: string;
    url: string;
    token: string;
}

export interface ImageManifest {
    schemaVersion: number;
    mediaType: string;
    config: { mediaType: string; size: number; digest: string };
    layers: { mediaType: string; size: number; digest: string }[];
}

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

export class HerokuClient {
    private readonly opts: Required<Omit<HerokuClientOptions, "apiUrl" | "registryUrl">> & {
        apiUrl: string;
        registryUrl: string;
    };
    private pauseUntil = 0;

    constructor(options: HerokuClientOptions) {
        if (!options.apiKey)
            throw new Error("Heroku API key is empty: set actors:herokuApiKey (--secret) or HEROKU_API_KEY");
        this.opts = {
            apiUrl: (options.apiUrl ?? process.env.HEROKU_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ""),
            registryUrl: (options.registryUrl ?? process.env.HEROKU_REGISTRY_URL ?? DEFAULT_REGISTRY_URL).replace(
                /\/+$/,
                "",
            ),
            apiKey: options.apiKey,
            maxAttempts: options.maxAttempts ?? 5,
            timeoutMs: options.timeoutMs ?? 30_000,
            baseBackoffMs: options.baseBackoffMs ?? 500,
            maxBackoffMs: options.maxBackoffMs ?? 20_000,
            sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        };
    }

    get registryHost(): string {
        return new URL(this.opts.registryUrl).host;
    }

    get apiKey(): string {
        return this.opts.apiKey;
    }

    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
        const response = await this.send(method, path, options);
        const text = await response.text();
        return (text ? JSON.parse(text) : undefined) as T;
    }

    /** Every item of a list endpoint, following Range / Next-Range pagination. */
    async list<T>(path: string): Promise<T[]> {
        const items: T[] = [];
        let range: string | undefined = "id ..; max=1000";
        while (range) {
            const response = await this.send("GET", path, { range });
            items.push(...((await response.json()) as T[]));
            range = response.status === 206 ? (response.headers.get("Next-Range") ?? undefined) : undefined;
        }
        return items;
    }

    /** GET that answers undefined on 404 instead of failing. */
    async find<T>(path: string): Promise<T | undefined> {
        try {
            return await this.request<T>("GET", path);
        } catch (err) {
            if (isHerokuApiError(err, 404)) return undefined;
            throw err;
        }
    }

    /** The image manifest the registry holds for app/processType:tag (Docker v2 schema 2). */
    async manifest(app: string, processType: string, tag = "latest"): Promise<ImageManifest> {
        const path = `/v2/${app}/${processType}/manifests/${tag}`;
        const response = await this.send(
            "GET",
            path,
            { accept: DOCKER_MANIFEST_V2 },
            this.opts.registryUrl,
            // The same credentials as the push's `docker login` (user `_`, the API key as the password).
            `Basic ${Buffer.from(`_:${this.opts.apiKey}`).toString("base64")}`,
        );
        const manifest = (await response.json()) as ImageManifest;
        const mediaType = manifest.mediaType ?? response.headers.get("Content-Type");
        if (mediaType !== DOCKER_MANIFEST_V2 || !manifest.config?.digest) {
            throw new Error(
                `registry image ${app}/${processType}:${tag} is ${mediaType}, not a Docker v2 schema 2 manifest: ` +
                    "Heroku cannot release it (build single-platform linux/amd64 without provenance or SBOM attestations)",
            );
        }
        return manifest;
    }

    /** Text behind a release's output_stream_url (the release phase's log). */
    async releaseOutput(url: string): Promise<string> {
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
            return response.ok ? await response.text() : `(release output unavailable: ${response.status})`;
        } catch (err) {
            return `(release output unavailable: ${(err as Error).name})`;
        }
    }

    private async send(
        method: string,
        path: string,
        options: RequestOptions,
        base = this.opts.apiUrl,
        auth = `Bearer ${this.opts.apiKey}`,
    ): Promise<Response> {
        const headers: Record<string, string> = {
            Accept: options.accept ?? ACCEPT_V3,
            Authorization: auth,
            "User-Agent": "actors-pulumi (+https://github.com/pulumi)",
        };
        if (options.body !== undefined) headers["Content-Type"] = "application/json";
        if (options.range) headers.Range = options.range;
        let lastError: Error | undefined;
        for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
            const wait = this.pauseUntil - Date.now();
            if (wait > 0) await this.opts.sleep(wait);
            let response: Response;
            try {
                response = await fetch(`${base}${path}`, {
                    method,
                    headers,
                    body: options.body === undefined ? undefined : JSON.stringify(options.body),
                    signal: AbortSignal.timeout(this.opts.timeoutMs),
                });
            } catch (err) {
                // Network error or timeout: the request may or may not have been processed; POST is not repeated.
                lastError = new Error(
                    `Heroku API ${method} ${path}: ${(err as Error).name === "TimeoutError" ? "timed out" : "network error"}`,
                );
                if (method === "POST" || attempt === this.opts.maxAttempts) throw lastError;
                await this.opts.sleep(this.backoff(attempt));
                continue;
            }
            this.noteRateLimit(response);
            if (response.ok) return response;
            const error = await this.errorOf(method, path, response);
            const retryable = RETRYABLE_STATUS(response.status) && (method !== "POST" || response.status === 429);
            if (!retryable || attempt === this.opts.maxAttempts) throw error;
            lastError = error;
            await this.opts.sleep(this.retryAfter(response) ?? this.backoff(attempt));
        }
        throw lastError ?? new Error(`Heroku API ${method} ${path} failed`);
    }

    private async errorOf(method: string, path: string, response: Response): Promise<HerokuApiError> {
        let id = "unknown";
        let message = response.statusText || "request failed";
        try {
            const body = (await response.json()) as { id?: string; message?: string };
            id = body.id ?? id;
            message = body.message ?? message;
        } catch {
            /* not JSON: keep the status text */
        }
        return herokuApiError(method, path, response.status, id, message.split(this.opts.apiKey).join("[redacted]"));
    }

    private backoff(attempt: number): number {
        const cap = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (attempt - 1));
        return Math.round(cap / 2 + (Math.random() * cap) / 2);
    }

    private retryAfter(response: Response): number | undefined {
        const header = response.headers.get("Retry-After");
        if (!header) return undefined;
        const seconds = Number(header);
        const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
        return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), this.opts.maxBackoffMs) : undefined;
    }

    private noteRateLimit(response: Response): void {
        const remaining = Number(response.headers.get("RateLimit-Remaining"));
        // Heroku refills about 75 tokens a minute: with the bucket nearly empty, space the next calls out.
        if (Number.isFinite(remaining) && response.headers.has("RateLimit-Remaining") && remaining <= 2) {
            this.pauseUntil = Date.now() + Math.min(this.opts.maxBackoffMs, 1000 * (3 - remaining));
        }
    }
}
