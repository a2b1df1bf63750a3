import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { readReference } from "./reference";

/**
 * An emulator of the Heroku Platform API endpoints this program uses, and of the registry's manifest endpoint, on
 * 127.0.0.1. Every request body is validated against the Platform API's JSON hyper-schema from test/reference
 * (plus the one documented extension: `docker_image` in formation updates under the docker-releases variant). It
 * keeps state, and can inject 429s, 500s, slow answers, lost responses and failed releases.
 */

type Json = any;
interface Link {
    method: string;
    pattern: RegExp;
    title: string;
    validate: (body: unknown) => string[];
}
interface Fault {
    method: string;
    path: RegExp;
    status?: number;
    headers?: Record<string, string>;
    delayMs?: number;
    afterHandling?: boolean;
    /** Heroku's error body ({ id, message }) instead of the generic one. */
    error?: { id: string; message: string };
}

function stripExamples(value: any): any {
    if (Array.isArray(value)) return value.map(stripExamples);
    if (value && typeof value === "object")
        return Object.fromEntries(
            Object.entries(value)
                .filter(([k]) => k !== "example")
                .map(([k, v]) => [k, stripExamples(v)]),
        );
    return value;
}

let linksCache: Link[] | undefined;
/** Every link (endpoint) of the Platform API schema, with a validator of its request schema (compiled on first use). */
function schemaLinks(): Link[] {
    if (linksCache) return linksCache;
    const schema = stripExamples(readReference("heroku-platform-api.schema.json"));
    delete schema.id;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Ajv = require("ajv-draft-04");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    require("ajv-formats")(ajv);
    // The schema marks domain hostnames `format: uri` although the API takes (and documents) bare host names such
    // as www.example.com: accept any absolute URI or host name there.
    ajv.addFormat(
        "uri",
        /^([a-z][a-z0-9+.-]*:\/\/\S+|[a-z0-9*]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$/i,
    );
    ajv.addSchema(schema, "heroku");
    const links: Link[] = [];
    for (const [defName, def] of Object.entries<any>(schema.definitions)) {
        (def.links ?? []).forEach((link: any, i: number) => {
            const pattern = new RegExp(`^${link.href.replace(/\{\([^)]*\)\}/g, "[^/]+")}$`);
            let compiled: any;
            const validate = (body: unknown): string[] => {
                if (!link.schema) return [];
                compiled ??= ajv.compile({ $ref: `heroku#/definitions/${defName}/links/${i}/schema` });
                return compiled(body) ? [] : compiled.errors.map((e: any) => `${e.instancePath || "/"} ${e.message}`);
            };
            links.push({ method: link.method, pattern, title: `${defName} ${link.title}`, validate });
        });
    }
    linksCache = links;
    return links;
}

export function validateRequest(method: string, path: string, body: unknown, accept: string): string[] {
    const candidates = schemaLinks().filter((l) => l.method === method && l.pattern.test(path));
    if (candidates.length === 0) return [`${method} ${path} is not an endpoint of the Platform API`];
    let checked = body;
    if (accept.includes("version=3.docker-releases") && /\/formation$/.test(path) && method === "PATCH") {
        const updates = (body as any)?.updates ?? [];
        for (const u of updates)
            if (!/^sha256:[0-9a-f]{64}$/.test(u.docker_image ?? "")) return ["docker_image must be sha256:<64 hex>"];
        checked = { ...(body as any), updates: updates.map(({ docker_image: _, ...rest }: any) => rest) };
    }
    const results = candidates.map((l) => l.validate(checked === undefined ? {} : checked));
    return results.some((r) => r.length === 0) ? [] : results[0].map((e) => `${candidates[0].title}: ${e}`);
}

const uuid = () => crypto.randomUUID();

/** What the emulated Heroku holds, as JSON: saved beside a state fixture and restored into another emulator. */
export interface EmulatorWorld {
    apps: [string, Json][];
    addons: [string, Json][];
    configVars: [string, Record<string, string>][];
    formation: [string, [string, Json][]][];
    releases: [string, Json[]][];
    domains: [string, Json[]][];
    drains: [string, Json[]][];
    features: [string, Record<string, boolean>][];
    manifests: [string, Json][];
}

export class HerokuEmulator {
    readonly apiKey: string;
    apps = new Map<string, Json>();
    addons = new Map<string, Json>();
    configVars = new Map<string, Record<string, string>>();
    formation = new Map<string, Map<string, Json>>();
    releases = new Map<string, Json[]>();
    domains = new Map<string, Json[]>();
    drains = new Map<string, Json[]>();
    features = new Map<string, Record<string, boolean>>();
    manifests = new Map<string, Json>();
    requests: { method: string; path: string; body: unknown; accept: string }[] = [];
    invalid: string[] = [];
    /** Release phase outcome for the next releases: "succeeded" or "failed". */
    nextReleaseStatus: "succeeded" | "failed" = "succeeded";
    /** What a release's output_stream_url serves (the release phase's log). */
    releaseOutput = "Running release command...\nmigrations up to date\n";
    /** How many polls a new add-on stays "provisioning". */
    provisioningPolls = 2;
    private faults: Fault[] = [];
    private server!: http.Server;
    url = "";

    /** `apiKey`: the key it accepts (default: a random one). */
    constructor(opts: { apiKey?: string } = {}) {
        this.apiKey = opts.apiKey ?? `emulator-key-${crypto.randomBytes(8).toString("hex")}`;
    }

    world(): EmulatorWorld {
        return {
            apps: [...this.apps],
            addons: [...this.addons],
            configVars: [...this.configVars],
            formation: [...this.formation].map(([app, types]) => [app, [...types]]),
            releases: [...this.releases],
            domains: [...this.domains],
            drains: [...this.drains],
            features: [...this.features],
            manifests: [...this.manifests],
        };
    }

    restore(world: EmulatorWorld): this {
        this.apps = new Map(world.apps);
        this.addons = new Map(world.addons);
        this.configVars = new Map(world.configVars);
        this.formation = new Map(world.formation.map(([app, types]) => [app, new Map(types)]));
        this.releases = new Map(world.releases);
        this.domains = new Map(world.domains);
        this.drains = new Map(world.drains);
        this.features = new Map(world.features);
        this.manifests = new Map(world.manifests);
        return this;
    }

    async start(): Promise<this> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }

    /** The next matching requests get these answers (status/headers), or a delay, or are processed and then lost. */
    inject(...faults: Fault[]): void {
        this.faults.push(...faults);
    }

    /** What a `docker push` of an image to registry.heroku.com/<app>/<type> leaves in the registry. */
    pushed(app: string, type: string, configDigest: string): void {
        this.manifests.set(`${app}/${type}`, {
            schemaVersion: 2,
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 7023, digest: configDigest },
            layers: [
                {
                    mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    size: 32654,
                    digest: `sha256:${"1".repeat(64)}`,
                },
            ],
        });
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const raw = Buffer.concat(chunks).toString();
        const method = req.method ?? "GET";
        const path = (req.url ?? "/").split("?")[0];
        const accept = String(req.headers.accept ?? "");
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "Content-Type": "application/json", "RateLimit-Remaining": "4500", ...headers });
            res.end(body === undefined ? "" : JSON.stringify(body));
        };
        let body: unknown;
        try {
            body = raw ? JSON.parse(raw) : undefined;
        } catch {
            return send(400, { id: "bad_request", message: "Invalid JSON." });
        }
        this.requests.push({ method, path, body, accept });

        const faultIndex = this.faults.findIndex((f) => f.method === method && f.path.test(path));
        const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : undefined;
        if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (fault?.status && !fault.afterHandling)
            return send(
                fault.status,
                fault.error ?? {
                    id: fault.status === 429 ? "rate_limit" : "internal_server_error",
                    message: "Injected fault.",
                },
                fault.headers,
            );

        if (path.startsWith("/v2/")) return this.registry(req, path, send);
        if (path.startsWith("/streams/")) {
            res.writeHead(200, { "Content-Type": "text/plain" });
            res.end(this.releaseOutput);
            return;
        }
        if (req.headers.authorization !== `Bearer ${this.apiKey}`)
            return send(401, { id: "unauthorized", message: "Invalid credentials provided." });
        if (!accept.startsWith("application/vnd.heroku+json; version=3"))
            return send(400, { id: "bad_request", message: "Accept header must select version 3." });
        const problems = validateRequest(method, path, body, accept);
        if (problems.length) {
            this.invalid.push(`${method} ${path}: ${problems.join("; ")}`);
            return send(422, { id: "invalid_params", message: problems.join("; ") });
        }
        const [status, result, headers] = this.route(method, path, body as Json, req);
        if (fault?.status && fault.afterHandling)
            return send(fault.status, { id: "internal_server_error", message: "Injected fault after handling." });
        send(status, result, headers);
    }

    private registry(req: http.IncomingMessage, path: string, send: (s: number, b: unknown) => void) {
        const expected = `Basic ${Buffer.from(`_:${this.apiKey}`).toString("base64")}`;
        if (req.headers.authorization !== expected) return send(401, { errors: [{ code: "UNAUTHORIZED" }] });
        const m = /^\/v2\/([^/]+)\/([^/]+)\/manifests\/([^/]+)$/.exec(path);
        const manifest = m && this.manifests.get(`${m[1]}/${m[2]}`);
        if (!manifest) return send(404, { errors: [{ code: "MANIFEST_UNKNOWN" }] });
        send(200, manifest);
    }

    private app(idOrName: string): Json | undefined {
        return this.apps.get(idOrName) ?? [...this.apps.values()].find((a) => a.name === idOrName);
    }

    private route(
        method: string,
        path: string,
        body: Json,
        req: http.IncomingMessage,
    ): [number, unknown, Record<string, string>?] {
        const notFound: [number, unknown] = [404, { id: "not_found", message: "Couldn't find that app." }];
        this.maintenanceRoute(method, path, body);
        let m: RegExpExecArray | null;
        if (method === "POST" && (path === "/apps" || path === "/teams/apps")) {
            if (body.name && this.app(body.name))
                return [422, { id: "invalid_params", message: "Name is already taken" }];
            const id = uuid();
            const name = body.name ?? `emulated-${id.slice(0, 8)}`;
            const app = {
                id,
                name,
                region: { name: body.region ?? "us" },
                stack: { name: body.stack ?? "heroku-24" },
                build_stack: { name: body.stack ?? "heroku-24" },
                team: body.team ? { name: body.team } : null,
                web_url: `https://${name}-0123456789ab.herokuapp.com/`,
                maintenance: false,
            };
            this.apps.set(id, app);
            this.configVars.set(id, {});
            this.formation.set(id, new Map());
            this.releases.set(id, [
                {
                    id: uuid(),
                    version: 1,
                    status: "succeeded",
                    description: "Initial release",
                    output_stream_url: null,
                    current: true,
                },
            ]);
            return [201, app];
        }
        if ((m = /^\/apps\/([^/]+)$/.exec(path))) {
            const app = this.app(m[1]);
            if (!app) return notFound;
            if (method === "GET") return [200, app];
            if (method === "PATCH") {
                if (body.name) app.name = body.name;
                if (body.build_stack) app.build_stack = { name: body.build_stack };
                return [200, app];
            }
            if (method === "DELETE") {
                this.apps.delete(app.id);
                for (const [id, a] of this.addons) if (a.app.id === app.id) this.addons.delete(id);
                return [200, app];
            }
        }
        if ((m = /^\/apps\/([^/]+)\/(.*)$/.exec(path))) {
            const app = this.app(m[1]);
            if (!app) return notFound;
            return this.appRoute(app, method, m[2], body, req);
        }
        return [404, { id: "not_found", message: `No route ${method} ${path}` }];
    }

    private appRoute(
        app: Json,
        method: string,
        rest: string,
        body: Json,
        req: http.IncomingMessage,
    ): [number, unknown, Record<string, string>?] {
        let m: RegExpExecArray | null;
        if (rest === "addons" && method === "GET") {
            const all = [...this.addons.values()]
                .filter((a) => a.app.id === app.id)
                .sort((a, b) => (a.id < b.id ? -1 : 1));
            return this.page(
                all.map((a) => this.poll(a)),
                String(req.headers.range ?? ""),
            );
        }
        if (rest === "addons" && method === "POST") {
            const [service, plan] = String(body.plan).split(":");
            const addon = {
                id: uuid(),
                name: `postgresql-emulated-${crypto.randomBytes(3).toString("hex")}`,
                state: "provisioning",
                polls: 0,
                plan: { name: `${service}:${plan}` },
                addon_service: { name: service },
                app: { id: app.id, name: app.name },
                config_vars: ["DATABASE_URL"],
            };
            this.addons.set(addon.id, addon);
            this.configVars.get(app.id)!.DATABASE_URL =
                `postgres://u:p@ec2-emulated.compute-1.amazonaws.com:5432/d${addon.id.slice(0, 6)}`;
            return [201, addon];
        }
        if ((m = /^addons\/([^/]+)$/.exec(rest))) {
            const addon = this.addons.get(m[1]);
            if (!addon || addon.app.id !== app.id)
                return [404, { id: "not_found", message: "Couldn't find that add-on." }];
            if (method === "GET") return [200, this.poll(addon)];
            if (method === "PATCH") {
                addon.plan = { name: body.plan };
                return [200, addon];
            }
            if (method === "DELETE") {
                this.addons.delete(addon.id);
                delete this.configVars.get(app.id)!.DATABASE_URL;
                return [200, addon];
            }
        }
        if (rest === "config-vars") {
            const vars = this.configVars.get(app.id)!;
            if (method === "PATCH")
                for (const [k, v] of Object.entries(body ?? {})) v === null ? delete vars[k] : (vars[k] = String(v));
            return [200, vars];
        }
        if (rest === "formation") {
            const formation = this.formation.get(app.id)!;
            if (method === "GET") return [200, [...formation.values()]];
            const dockerRelease = String(req.headers.accept).includes("docker-releases");
            for (const u of body.updates) {
                const current = formation.get(u.type) ?? {
                    id: uuid(),
                    type: u.type,
                    quantity: u.type === "web" ? 1 : 0,
                    size: "Basic",
                    command: "",
                };
                if (u.quantity !== undefined) current.quantity = u.quantity;
                if (u.dyno_size !== undefined) {
                    const name = u.dyno_size.name[0].toUpperCase() + u.dyno_size.name.slice(1);
                    current.size = name;
                    current.dyno_size = { name };
                }
                if (u.docker_image) current.docker_image = u.docker_image;
                formation.set(u.type, current);
            }
            if (dockerRelease) {
                const list = this.releases.get(app.id)!;
                const release = {
                    id: uuid(),
                    version: list.length + 1,
                    status: "pending",
                    polls: 0,
                    outcome: this.nextReleaseStatus,
                    description: "Deployed web, release",
                    output_stream_url: `${this.url}/streams/${app.id}/${list.length + 1}`,
                    current: false,
                };
                list.push(release);
            }
            return [200, [...formation.values()]];
        }
        if (rest === "releases" && method === "GET") {
            const list = [...this.releases.get(app.id)!]
                .sort((a, b) => b.version - a.version)
                .map((r) => this.publicRelease(r));
            const range = String(req.headers.range ?? "");
            const max = Number(/max=(\d+)/.exec(range)?.[1] ?? 1000);
            return [range ? 206 : 200, list.slice(0, max)];
        }
        if ((m = /^releases\/([^/]+)$/.exec(rest))) {
            const release = this.releases.get(app.id)!.find((r) => r.id === m![1] || String(r.version) === m![1]);
            if (!release) return [404, { id: "not_found", message: "Couldn't find that release." }];
            if (release.status === "pending" && ++release.polls >= 2) {
                release.status = release.outcome;
                release.current = release.outcome === "succeeded";
            }
            return [200, this.publicRelease(release)];
        }
        if (rest === "domains") {
            const list = this.domains.get(app.id) ?? [];
            this.domains.set(app.id, list);
            if (method === "GET") return [200, list];
            const domain = {
                id: uuid(),
                hostname: body.hostname,
                cname: `${body.hostname}.herokudns.com`,
                kind: "custom",
                status: "pending",
            };
            list.push(domain);
            return [201, domain];
        }
        if ((m = /^domains\/([^/]+)$/.exec(rest)) && method === "DELETE") {
            this.domains.set(
                app.id,
                (this.domains.get(app.id) ?? []).filter((d) => d.id !== m![1]),
            );
            return [200, {}];
        }
        if (rest === "acm") return [200, { ...app, acm: true }];
        if (rest === "log-drains") {
            const list = this.drains.get(app.id) ?? [];
            this.drains.set(app.id, list);
            if (method === "GET") return [200, list];
            const drain = { id: uuid(), url: body.url, token: `d.${uuid()}` };
            list.push(drain);
            return [201, drain];
        }
        if ((m = /^log-drains\/([^/]+)$/.exec(rest)) && method === "DELETE") {
            this.drains.set(
                app.id,
                (this.drains.get(app.id) ?? []).filter((d) => d.id !== m![1]),
            );
            return [200, {}];
        }
        if ((m = /^features\/([^/]+)$/.exec(rest)) && method === "PATCH") {
            const features = this.features.get(app.id) ?? {};
            features[m[1]] = body.enabled;
            this.features.set(app.id, features);
            return [200, { name: m[1], enabled: body.enabled }];
        }
        return [404, { id: "not_found", message: `No route ${method} /apps/${app.name}/${rest}` }];
    }

    // --- for `npm run move-data` (cli/moveData): maintenance mode, PATCH /apps/{app} {"maintenance": bool}.
    // The rest of that PATCH (name, build_stack) and GET /apps/{app}/config-vars, where it reads DATABASE_URL, are
    // served by route() and appRoute() above; the body was validated against the schema in handle().

    /** Every maintenance change, in order: what a test checks the move turned on and put back. */
    maintenanceChanges: { app: string; maintenance: boolean }[] = [];

    private maintenanceRoute(method: string, path: string, body: Json): void {
        const m = /^\/apps\/([^/]+)$/.exec(path);
        const app = m && method === "PATCH" && body?.maintenance !== undefined ? this.app(m[1]) : undefined;
        if (!app) return;
        app.maintenance = Boolean(body.maintenance);
        this.maintenanceChanges.push({ app: app.name, maintenance: app.maintenance });
    }

    /** Range pagination as Heroku does it: `id <start>..; max=N` answers 206 with Next-Range while more remain. */
    pageSize = 1000;
    private page(items: Json[], range: string): [number, unknown, Record<string, string>?] {
        const m = /^id (\S*)\.\.(?:[^;]*)?(?:; *max=(\d+))?/.exec(range);
        const start = m?.[1] ?? "";
        const exclusive = start.startsWith("]");
        const startId = start.replace(/^\]/, "");
        const max = Math.min(Number(m?.[2] ?? 1000), this.pageSize);
        const from = items.filter((i) => startId === "" || (exclusive ? i.id > startId : i.id >= startId));
        const pageItems = from.slice(0, max);
        if (from.length > max)
            return [206, pageItems, { "Next-Range": `id ]${pageItems[pageItems.length - 1].id}..; max=${max}` }];
        return [range ? 206 : 200, pageItems];
    }

    private poll(addon: Json): Json {
        if (addon.state === "provisioning" && ++addon.polls > this.provisioningPolls) addon.state = "provisioned";
        const { polls: _, ...visible } = addon;
        return visible;
    }

    private publicRelease(release: Json): Json {
        const { polls: _p, outcome: _o, ...visible } = release;
        return visible;
    }
}
