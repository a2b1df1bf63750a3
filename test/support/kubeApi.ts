/**
 * A minimal client of a Kubernetes API server for the test support code (the control plane's set-up, the
 * CloudNativePG stand-in): HTTPS with the admin client certificate, JSON in and out, server-side apply. The tests'
 * subjects talk to the server through the real Pulumi CLI and provider; this is only for preparing and observing.
 */
import * as fs from "fs";
import * as https from "https";

export interface KubeCredentials {
    /** https://127.0.0.1:<port> */
    server: string;
    caFile: string;
    certFile: string;
    keyFile: string;
}

export interface KubeResponse {
    status: number;
    body: any;
}

export class KubeApi {
    private readonly agent: https.Agent;

    constructor(readonly credentials: KubeCredentials) {
        this.agent = new https.Agent({
            ca: fs.readFileSync(credentials.caFile),
            cert: fs.readFileSync(credentials.certFile),
            key: fs.readFileSync(credentials.keyFile),
            keepAlive: true,
        });
    }

    request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
        const url = new URL(path, this.credentials.server);
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.agent,
                    headers: {
                        accept: "application/json",
                        ...(payload !== undefined
                            ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) }
                            : {}),
                    },
                    timeout: 30_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: any = text;
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            // plain text (/readyz answers "ok")
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** GET, resolving to the object, or undefined when it does not exist. */
    async get(path: string): Promise<any | undefined> {
        const res = await this.request("GET", path);
        if (res.status === 404) return undefined;
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${describe(res.body)}`);
        return res.body;
    }

    /** Server-side apply of one object under the given field manager; returns the object as stored. */
    async apply(obj: any, fieldManager = "actors-tests", subresource = ""): Promise<any> {
        const path = `${objectPath(obj)}${subresource ? `/${subresource}` : ""}?fieldManager=${fieldManager}&force=true`;
        const res = await this.request("PATCH", path, obj, "application/apply-patch+yaml");
        if (res.status !== 200 && res.status !== 201) {
            throw new Error(`apply ${obj.kind} ${obj.metadata?.name}: ${res.status} ${describe(res.body)}`);
        }
        return res.body;
    }

    /** POST an object as a create; resolves to the response (status 201 when created, 4xx when refused). */
    create(obj: any): Promise<KubeResponse> {
        return this.request("POST", collectionPath(obj), obj);
    }

    close(): void {
        this.agent.destroy();
    }
}

/** The REST path of an object's collection (core group under /api, others under /apis). */
function collectionPath(obj: { apiVersion: string; kind: string; metadata?: { namespace?: string } }): string {
    const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = obj.metadata?.namespace ? `/namespaces/${obj.metadata.namespace}` : "";
    return `${base}${ns}/${plural(obj.kind)}`;
}

function objectPath(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) {
    return `${collectionPath(obj)}/${obj.metadata.name}`;
}

/** Kubernetes' plural resource names for the kinds the support code handles (lower case, regular English). */
export function plural(kind: string): string {
    const lower = kind.toLowerCase();
    if (lower.endsWith("s")) return `${lower}es`;
    if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
    return `${lower}s`;
}

function describe(body: any): string {
    return typeof body === "object" && body?.message ? body.message : String(body).slice(0, 500);
}

/** Poll `probe` every `everyMs` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs: number,
    everyMs = 200,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
