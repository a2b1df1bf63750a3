/**
 * The engine's part of a Pulumi deployment, for tests and benchmarks: runs the program through @pulumi/pulumi's own
 * `cmd/run` entry point as a child process (the arguments and environment the nodejs language host passes), serves
 * the pulumirpc.ResourceMonitor and pulumirpc.Engine services it talks to, keeps each resource's state by URN
 * between runs, and plans and applies each registration as pkg/resource/deploy/step_generator.go does:
 *
 *   - Check with the OLD INPUTS and the new inputs; Diff with the OLD OUTPUTS (and old inputs); Create; Update;
 *     replacements create-before-delete unless deleteBeforeReplace (asked by the program or the provider);
 *     replaceOnChanges and ignoreChanges applied; a protected resource is never replaced or deleted (the engine's
 *     messages); Check failures reported as the engine reports them ("resource ... is invalid").
 *   - A preview (dry run) calls Check and Diff but never Create, Update or Delete, answers creates and updates with
 *     the checked inputs (unknowns stay unknown, as for a provider without preview support) and leaves the state
 *     untouched.
 *   - Deletes of resources no longer registered (and of the originals of create-before-delete replacements) run at
 *     the end, in reverse dependency order.
 *   - Dynamic resources (pulumi-nodejs) go to the project's real dynamic-provider plugin, configured with the whole
 *     stack config (secrets marked), and, as that plugin does not accept secrets, get values without secret
 *     wrappers, with secretness put back on their results (the engine's annotateSecrets).
 *   - Binary-provider resources are answered by ./binaryProviders.ts.
 *
 * What it does not do: parallel steps, replacement chains of dependents for delete-before-replace, refresh, import,
 * stack references, policy packs, resource hooks, transforms.
 */
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { BinaryProvider } from "./binaryProviders";
import { DynamicPlugin, ProviderError } from "./dynamicPlugin";
import {
    annotateSecrets,
    changedKeys,
    decryptSecrets,
    encryptSecrets,
    fromStruct,
    isSecretMarker,
    Props,
    reveal,
    sameValue,
    sdkModule,
    secret,
    toStruct,
    unknownValue,
} from "./values";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const resourcePb = require("@pulumi/pulumi/proto/resource_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const enginePb = require("@pulumi/pulumi/proto/engine_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const emptyPb = require(sdkModule("google-protobuf/google/protobuf/empty_pb"));

const STACK_TYPE = "pulumi:pulumi:Stack";
const DYNAMIC_PACKAGE = "pulumi-nodejs";
/** Monitor features this engine implements (the SDK probes each with SupportsFeature). */
const FEATURES = new Set(["secrets", "deletedWith"]);

export type Op = "create" | "update" | "replace" | "delete" | "same";

export interface ResourceState {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    id: string;
    parent: string;
    /** Provider reference, `<provider urn>::<id>`. */
    provider: string;
    inputs: Props;
    outputs: Props;
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    additionalSecretOutputs: string[];
    ignoreChanges: string[];
    replaceOnChanges: string[];
    aliases: string[];
    customTimeouts?: { create: string; update: string; delete: string };
    deletedWith?: string;
    /** What the binary stand-in built from the inputs (a docker image's content). */
    fingerprint?: string;
}

export interface Step {
    op: Op;
    urn: string;
    type: string;
    name: string;
    /** Properties that changed (update, replace) or that force the replacement. */
    keys: string[];
    deleteBeforeReplace?: boolean;
    /** A delete that is half of a replacement (of the original, or before its replacement is created). */
    replacing?: boolean;
}

export interface Diagnostic {
    severity: "debug" | "info" | "warning" | "error";
    message: string;
    urn?: string;
}

export interface RunResult {
    ok: boolean;
    /** The engine's error when the run failed. */
    error?: string;
    steps: Step[];
    /** The stack's outputs (secrets wrapped). */
    outputs: Props;
    diagnostics: Diagnostic[];
    /** The program's and the plugin's own output. */
    stdout: string;
    stderr: string;
    /** The program process: wall time from spawn to exit, and its peak resident memory (VmHWM). */
    programMs: number;
    programMaxRssKb?: number;
}

/**
 * A stack's state between runs, kept as Pulumi keeps it: resources in dependency order, secrets encrypted when
 * written out (`save`), so the file's text can be checked for plain secrets.
 */
export class StackState {
    resources: ResourceState[] = [];
    private readonly key = crypto.randomBytes(32);

    get(urn: string): ResourceState | undefined {
        return this.resources.find((r) => r.urn === urn);
    }

    clone(): StackState {
        const copy = new StackState();
        (copy as any).key = this.key;
        copy.resources = JSON.parse(JSON.stringify(this.resources));
        return copy;
    }

    /** The state file's text: secrets encrypted. */
    serialize(): string {
        return JSON.stringify({ version: 3, resources: encryptSecrets(this.resources, this.key) }, null, 2);
    }

    save(file: string): void {
        fs.writeFileSync(file, this.serialize());
    }

    load(file: string): void {
        this.resources = decryptSecrets(JSON.parse(fs.readFileSync(file, "utf8")).resources, this.key);
    }
}

export interface ProgramSpec {
    /** The project root (Pulumi.yaml, package.json, node_modules). */
    dir: string;
    project: string;
    stack: string;
    /** The stack's config as the CLI hands it to the language host: `namespace:key` -> string. */
    config: Record<string, string>;
    secretKeys: string[];
    /** The environment of the `pulumi` command (the program and plugins inherit it). */
    env?: NodeJS.ProcessEnv;
    /** The program, relative to dir (the language host passes the entry point; "." runs package.json's main). */
    program?: string;
}

export interface RunOptions {
    preview?: boolean;
    /** Answers for the binary providers' resources. */
    binary: BinaryProvider;
    /**
     * "plugin" (default): dynamic resources go to the real dynamic-provider plugin. "echo": the engine answers them
     * with their inputs, for measuring the program alone.
     */
    dynamic?: "plugin" | "echo";
}

/** The engine's messages, from pulumi/pulumi pkg/resource/deploy (step_generator.go, step.go, sdk diag/errors.go). */
export const messages = {
    replaceProtected: (urn: string) =>
        `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
        "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`",
    deleteProtected: (urn: string) =>
        `resource "${urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the ` +
        "`protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command:\n" +
        `\`pulumi state unprotect '${urn}'\``,
    invalid: (urn: string) => `resource ${urn} is invalid`,
    propertyInvalid: (type: string, name: string, property: string, value: unknown, reason: string) =>
        `${type} resource '${name}': property ${property} value ${JSON.stringify(value)} has a problem: ${reason}`,
    resourceInvalid: (type: string, name: string, reason: string) =>
        `${type} resource '${name}' has a problem: ${reason}`,
};

class Bail extends Error {}

/** One `pulumi up`, `preview` or `destroy`. */
class Run {
    readonly steps: Step[] = [];
    readonly diagnostics: Diagnostic[] = [];
    readonly registered: ResourceState[] = [];
    readonly condemned: ResourceState[] = [];
    outputs: Props = {};
    error?: string;
    pluginStderr = "";
    programPid?: number;
    maxRssKb?: number;
    readonly applied = new Set<ResourceState>();
    private plugin?: Promise<DynamicPlugin>;
    private configured = false;
    private queue: Promise<unknown> = Promise.resolve();
    private claimed = new Set<string>();
    private finished?: Promise<void>;

    constructor(
        readonly state: StackState,
        readonly spec: ProgramSpec,
        readonly opts: RunOptions,
        readonly engineAddress: string,
    ) {}

    get dryRun(): boolean {
        return Boolean(this.opts.preview);
    }

    urnOf(type: string, name: string, parent: string): string {
        const parentType = parent ? parent.split("::")[2] : "";
        const qualified = parent && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
        return `urn:pulumi:${this.spec.stack}::${this.spec.project}::${qualified}::${name}`;
    }

    fail(message: string, urn?: string): never {
        this.diagnostics.push({ severity: "error", message, urn });
        this.error ??= message;
        throw new Bail(message);
    }

    /** Registrations are planned and applied one at a time, in the order they arrive. */
    serialize<T>(work: () => Promise<T>): Promise<T> {
        const next = this.queue.then(() => {
            if (this.error) throw new Bail(this.error);
            return work();
        });
        this.queue = next.catch(() => undefined);
        return next;
    }

    private oldFor(urn: string, aliases: string[]): ResourceState | undefined {
        for (const candidate of [urn, ...aliases]) {
            const old = this.state.get(candidate);
            if (old && !this.claimed.has(candidate)) {
                this.claimed.add(candidate);
                return old;
            }
        }
        return undefined;
    }

    private dynamicPlugin(): Promise<DynamicPlugin> {
        this.plugin ??= DynamicPlugin.start(this.spec.dir, this.engineAddress, this.pluginEnv());
        return this.plugin;
    }

    private pluginEnv(): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = { ...process.env, ...this.spec.env };
        for (const k of Object.keys(env)) if (k.startsWith("PULUMI_NODEJS_") || k === "PULUMI_CONFIG") delete env[k];
        return env;
    }

    /** The stack config as the engine hands it to a provider (GetPackageConfig): dynamic providers get it all. */
    private packageConfig(pkg: string): Props {
        const result: Props = {};
        for (const [key, value] of Object.entries(this.spec.config)) {
            const [ns, ...rest] = key.split(":");
            if (pkg !== DYNAMIC_PACKAGE && ns !== pkg) continue;
            const v = this.spec.secretKeys.includes(key) ? secret(value) : value;
            result[pkg === DYNAMIC_PACKAGE ? key : rest.join(":")] = v;
        }
        return result;
    }

    /** Configure, once per plugin: the provider's inputs (secrets marked) and the legacy variables map. */
    private async configure(providerUrn: string, inputs: Props): Promise<void> {
        if (this.configured) return;
        this.configured = true;
        const variables = Object.fromEntries(
            Object.entries(reveal(inputs)).map(([k, v]) => [`${DYNAMIC_PACKAGE}:config:${k}`, String(v)]),
        );
        await (await this.dynamicPlugin()).configure(providerUrn, inputs, variables);
    }

    /** The default provider of a package, registered (and for pulumi-nodejs configured) on first use. */
    private async defaultProvider(pkg: string, version: string): Promise<string> {
        const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
        const type = `pulumi:providers:${pkg}`;
        const urn = `urn:pulumi:${this.spec.stack}::${this.spec.project}::${type}::${name}`;
        let record = this.registered.find((r) => r.urn === urn);
        if (!record) {
            const inputs = { ...this.packageConfig(pkg), ...(version ? { version } : {}) };
            record = await this.provision(type, name, urn, "", inputs, true, blankOptions());
            if (pkg === DYNAMIC_PACKAGE && this.opts.dynamic !== "echo") {
                await this.configure(urn, inputs);
            }
        }
        return `${record.urn}::${record.id}`;
    }

    async register(req: any): Promise<ResourceState> {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        const urn = this.urnOf(type, name, type === STACK_TYPE ? "" : parent);
        const options: Options = {
            protect: req.hasProtect?.() ? Boolean(req.getProtect()) : Boolean(req.getProtect()),
            dependencies: req.getDependenciesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            retainOnDelete: Boolean(req.getRetainondelete()),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            aliases: req.getAliasurnsList(),
            deletedWith: req.getDeletedwith() || undefined,
            customTimeouts: req.getCustomtimeouts()
                ? {
                      create: req.getCustomtimeouts().getCreate(),
                      update: req.getCustomtimeouts().getUpdate(),
                      delete: req.getCustomtimeouts().getDelete(),
                  }
                : undefined,
            provider: req.getProvider(),
            version: req.getVersion(),
        };
        if (req.getRemote()) this.fail(`remote component ${type} is not supported by this engine`, urn);
        const inputs = fromStruct(req.getObject());
        return this.provision(type, name, urn, parent, inputs, req.getCustom(), options);
    }

    private async provision(
        type: string,
        name: string,
        urn: string,
        parent: string,
        goal: Props,
        custom: boolean,
        options: Options,
    ): Promise<ResourceState> {
        if (this.registered.some((r) => r.urn === urn)) this.fail(`Duplicate resource URN '${urn}'`, urn);
        const old = this.oldFor(urn, options.aliases);
        const pkg = type.split(":")[0];
        const isProvider = type.startsWith("pulumi:providers:");
        const dynamic = custom && pkg === DYNAMIC_PACKAGE && this.opts.dynamic !== "echo";
        const provider =
            custom && !isProvider ? options.provider || (await this.defaultProvider(pkg, options.version)) : "";
        const record: ResourceState = {
            urn,
            type,
            name,
            custom,
            id: old?.id ?? "",
            parent,
            provider,
            inputs: goal,
            outputs: old?.outputs ?? {},
            dependencies: options.dependencies,
            protect: options.protect,
            retainOnDelete: options.retainOnDelete,
            deleteBeforeReplace: options.deleteBeforeReplace,
            additionalSecretOutputs: options.additionalSecretOutputs,
            ignoreChanges: options.ignoreChanges,
            replaceOnChanges: options.replaceOnChanges,
            aliases: options.aliases,
            customTimeouts: options.customTimeouts,
            deletedWith: options.deletedWith,
        };
        this.registered.push(record);

        if (!custom) {
            // Components and the stack: no provider; their outputs come with RegisterResourceOutputs.
            const op: Op = !old ? "create" : sameValue(old.inputs, goal) ? "same" : "update";
            this.steps.push({ op, urn, type, name, keys: old ? changedKeys(old.inputs, goal) : [] });
            this.applied.add(record);
            return record;
        }

        // ignoreChanges: the old value of each ignored property is kept (processIgnoreChanges).
        let news = { ...goal };
        if (old) for (const p of options.ignoreChanges) news = withPath(news, p, getPath(old.inputs, p));

        // Check: the OLD INPUTS and the new inputs.
        let checked: Props;
        let failures: { property: string; reason: string }[];
        if (dynamic) {
            const plugin = await this.dynamicPlugin();
            const result = await this.guard(urn, () =>
                plugin.check(urn, old ? reveal(old.inputs) : undefined, reveal(news)),
            );
            checked = annotateSecrets(result.inputs, news);
            failures = result.failures;
        } else if (custom && (isProvider || pkg !== DYNAMIC_PACKAGE)) {
            ({ inputs: checked, failures } = this.opts.binary.check(type, old?.inputs, news));
        } else {
            [checked, failures] = [news, []];
        }
        if (failures.length) {
            for (const f of failures)
                this.diagnostics.push({
                    severity: "error",
                    urn,
                    message: f.property
                        ? messages.propertyInvalid(type, name, f.property, reveal(news[f.property]), f.reason)
                        : messages.resourceInvalid(type, name, f.reason),
                });
            this.fail(messages.invalid(urn), urn);
        }
        record.inputs = checked;
        record.fingerprint = dynamic ? undefined : this.opts.binary.fingerprint(type, checked);

        // Diff: the OLD OUTPUTS.
        let op: Op = "create";
        let keys: string[] = [];
        let deleteBeforeReplace = false;
        if (old) {
            let changes: "some" | "none" | "unknown";
            let replaces: string[];
            if (old.provider !== provider && old.provider && provider) {
                [changes, replaces] = ["some", ["provider"]];
            } else if (dynamic) {
                const plugin = await this.dynamicPlugin();
                const diff = await this.guard(urn, () =>
                    plugin.diff(urn, old.id, reveal(old.outputs), reveal(checked), reveal(old.inputs)),
                );
                ({ changes, replaces } = diff);
                deleteBeforeReplace = diff.deleteBeforeReplace;
            } else {
                const diff = this.opts.binary.diff(type, old.inputs, checked, old.fingerprint, record.fingerprint);
                ({ changes, replaces } = diff);
            }
            const changed = changedKeys(old.inputs, checked);
            if (changes === "unknown") changes = changed.length ? "some" : "none";
            const triggered = options.replaceOnChanges.filter(
                (p) => p === "*" || changed.some((k) => k === p.split(".")[0]),
            );
            replaces = [...new Set([...replaces, ...(changes === "some" ? triggered : [])])];
            if (changes === "none") op = "same";
            else if (replaces.length) op = "replace";
            else op = "update";
            keys = op === "replace" ? replaces : changed;
            deleteBeforeReplace = deleteBeforeReplace || options.deleteBeforeReplace;
            if (op === "replace" && old.protect && options.protect) {
                this.diagnostics.push({ severity: "error", urn, message: messages.replaceProtected(urn) });
                this.error ??= messages.replaceProtected(urn);
                if (!this.dryRun) throw new Bail(messages.replaceProtected(urn));
            }
        }
        this.steps.push({ op, urn, type, name, keys, ...(op === "replace" ? { deleteBeforeReplace } : {}) });

        if (op === "same") {
            record.outputs = old!.outputs;
            record.fingerprint = old!.fingerprint;
        } else if (this.dryRun) {
            // A provider without preview support answers with the inputs; what it would compute stays unknown, and
            // so does the ID of what is created (the engine's UnknownID, which also makes provider references new).
            record.outputs = checked;
            if (op !== "update") record.id = unknownValue;
        } else {
            if (op === "replace" && deleteBeforeReplace) await this.destroyOne(old!, true);
            const outs = await this.guard(urn, async () => {
                if (dynamic) {
                    const plugin = await this.dynamicPlugin();
                    if (op === "update")
                        return {
                            id: old!.id,
                            outs: await plugin.update(
                                urn,
                                old!.id,
                                reveal(old!.outputs),
                                reveal(checked),
                                reveal(old!.inputs),
                            ),
                        };
                    return plugin.create(urn, reveal(checked));
                }
                if (isProvider) return { id: op === "update" ? old!.id : crypto.randomUUID(), outs: checked };
                const state = this.opts.binary.create(type, name, checked, record.fingerprint);
                return {
                    id: op === "update" ? old!.id : `${name}-${crypto.randomBytes(4).toString("hex")}`,
                    outs: state,
                };
            });
            record.id = outs.id;
            record.outputs = dynamic ? annotateSecrets(outs.outs, checked) : outs.outs;
            if (op === "replace" && !deleteBeforeReplace) this.condemned.push(old!);
        }
        this.applied.add(record);
        for (const key of options.additionalSecretOutputs)
            if (key in record.outputs && !isSecretMarker(record.outputs[key]))
                record.outputs[key] = secret(record.outputs[key]);
        return record;
    }

    /** Runs a provider call; its failure fails the run with the provider's message, as the engine shows it. */
    private async guard<T>(urn: string, call: () => Promise<T>): Promise<T> {
        try {
            return await call();
        } catch (err) {
            if (err instanceof Bail) throw err;
            return this.fail(err instanceof ProviderError ? err.message : String((err as Error)?.message ?? err), urn);
        }
    }

    async destroyOne(old: ResourceState, replacing: boolean): Promise<void> {
        if (!replacing && old.protect) this.fail(messages.deleteProtected(old.urn), old.urn);
        this.steps.push({ op: "delete", urn: old.urn, type: old.type, name: old.name, keys: [], replacing });
        if (this.dryRun) return;
        const dynamic = old.custom && old.type.split(":")[0] === DYNAMIC_PACKAGE && this.opts.dynamic !== "echo";
        if (dynamic && !old.retainOnDelete) {
            // A delete uses the provider the resource was created with, as it is in the state.
            const providerUrn = old.provider.split("::").slice(0, -1).join("::");
            await this.configure(providerUrn, this.state.get(providerUrn)?.inputs ?? {});
            const plugin = await this.dynamicPlugin();
            await this.guard(old.urn, () => plugin.delete(old.urn, old.id, reveal(old.outputs), reveal(old.inputs)));
        }
        const i = this.state.resources.indexOf(old);
        if (i >= 0) this.state.resources.splice(i, 1);
    }

    /** After the program: the deletes, in reverse dependency order, then the new state. */
    finish(programSucceeded: boolean): Promise<void> {
        this.finished ??= this.serialize(async () => {
            if (!programSucceeded) return;
            const gone = this.state.resources.filter((r) => !this.claimed.has(r.urn) || this.condemned.includes(r));
            for (const old of [...gone].reverse()) await this.destroyOne(old, this.condemned.includes(old));
        }).catch((err) => {
            if (!(err instanceof Bail)) this.error ??= String(err?.message ?? err);
        });
        return this.finished;
    }

    /** The state after an update: what was applied, then what is left of the old state. */
    commit(): void {
        if (this.dryRun) return;
        const applied = this.registered.filter((r) => this.applied.has(r));
        const urns = new Set(applied.map((r) => r.urn));
        const left = this.state.resources.filter(
            (r) => !urns.has(r.urn) && !(this.claimed.has(r.urn) && applied.some((a) => a.aliases.includes(r.urn))),
        );
        this.state.resources = [...applied, ...left];
    }

    async stopPlugin(): Promise<void> {
        if (!this.plugin) return;
        const plugin = await this.plugin.catch(() => undefined);
        this.plugin = undefined;
        if (!plugin) return;
        this.pluginStderr = plugin.stderr;
        await plugin.stop();
    }
}

interface Options {
    protect: boolean;
    dependencies: string[];
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    retainOnDelete: boolean;
    additionalSecretOutputs: string[];
    aliases: string[];
    deletedWith?: string;
    customTimeouts?: { create: string; update: string; delete: string };
    provider: string;
    version: string;
}

const blankOptions = (): Options => ({
    protect: false,
    dependencies: [],
    deleteBeforeReplace: false,
    ignoreChanges: [],
    replaceOnChanges: [],
    retainOnDelete: false,
    additionalSecretOutputs: [],
    aliases: [],
    provider: "",
    version: "",
});

function getPath(obj: Props, dotted: string): unknown {
    return dotted.split(".").reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);
}

function withPath(obj: Props, dotted: string, value: unknown): Props {
    const [head, ...rest] = dotted.split(".");
    if (!rest.length) {
        const copy = { ...obj };
        if (value === undefined) delete copy[head];
        else copy[head] = value;
        return copy;
    }
    return { ...obj, [head]: withPath(obj?.[head] ?? {}, rest.join("."), value) };
}

/** The gRPC services and the runs; one run at a time. */
export class Engine {
    private server!: grpc.Server;
    private run?: Run;
    address = "";

    static async start(): Promise<Engine> {
        const engine = new Engine();
        await engine.listen();
        return engine;
    }

    private async listen(): Promise<void> {
        this.server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        const unary =
            (handler: (req: any) => Promise<any> | any) => (call: any, callback: (err: any, value?: any) => void) => {
                Promise.resolve()
                    .then(() => handler(call.request))
                    .then(
                        (value) => callback(null, value),
                        (err) => callback({ code: grpc.status.UNKNOWN, details: String(err?.message ?? err) }),
                    );
            };
        const current = () => {
            if (!this.run) throw new Error("no deployment is running");
            return this.run;
        };
        this.server.addService(resourceGrpc.ResourceMonitorService, {
            supportsFeature: unary((req) =>
                new resourcePb.SupportsFeatureResponse().setHassupport(FEATURES.has(req.getId())),
            ),
            registerResource: unary(async (req) => {
                const run = current();
                const record = await run.serialize(() => run.register(req));
                const resp = new resourcePb.RegisterResourceResponse();
                resp.setUrn(record.urn);
                resp.setId(record.id === unknownValue ? "" : record.id);
                resp.setObject(toStruct(record.custom ? record.outputs : {}));
                return resp;
            }),
            registerResourceOutputs: unary(async (req) => {
                const run = current();
                const outputs = fromStruct(req.getOutputs());
                const record = run.registered.find((r) => r.urn === req.getUrn());
                if (record) record.outputs = outputs;
                if (record?.type === STACK_TYPE) run.outputs = outputs;
                return new emptyPb.Empty();
            }),
            readResource: unary((req) => {
                const resp = new resourcePb.ReadResourceResponse();
                resp.setUrn(current().urnOf(req.getType(), req.getName(), req.getParent()));
                resp.setProperties(req.getProperties());
                return resp;
            }),
            invoke: unary(() =>
                new (require("@pulumi/pulumi/proto/provider_pb").InvokeResponse)().setReturn(toStruct({})),
            ),
            signalAndWaitForShutdown: unary(async () => {
                const run = current();
                run.maxRssKb = peakRss(run.programPid);
                await run.finish(true);
                return new emptyPb.Empty();
            }),
        });
        let root = "";
        this.server.addService(engineGrpc.EngineService, {
            log: unary((req) => {
                const severity = (["debug", "info", "warning", "error"] as const)[req.getSeverity()] ?? "info";
                this.run?.diagnostics.push({ severity, message: req.getMessage(), urn: req.getUrn() || undefined });
                return new emptyPb.Empty();
            }),
            getRootResource: unary(() => new enginePb.GetRootResourceResponse().setUrn(root)),
            setRootResource: unary((req) => {
                root = req.getUrn();
                return new enginePb.SetRootResourceResponse();
            }),
        });
        const port = await new Promise<number>((resolve, reject) =>
            this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
                err ? reject(err) : resolve(p),
            ),
        );
        this.address = `127.0.0.1:${port}`;
    }

    /** `pulumi up` (or `pulumi preview` with opts.preview) of the program on this state. */
    async up(state: StackState, spec: ProgramSpec, opts: RunOptions): Promise<RunResult> {
        if (this.run) throw new Error("a deployment is already running");
        const run = (this.run = new Run(state, spec, opts, this.address));
        const started = process.hrtime.bigint();
        let stdout = "";
        let stderr = "";
        try {
            const child = this.spawnProgram(spec, Boolean(opts.preview));
            run.programPid = child.pid;
            child.stdout!.on("data", (d) => (stdout += d));
            child.stderr!.on("data", (d) => (stderr += d));
            const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
            const programMs = Number(process.hrtime.bigint() - started) / 1e6;
            if (code !== 0) run.error ??= programError(run.diagnostics, stderr) ?? `the program exited with ${code}`;
            await run.finish(code === 0);
            run.commit();
            await run.stopPlugin();
            return {
                ok: !run.error,
                error: run.error,
                steps: run.steps,
                outputs: run.outputs,
                diagnostics: run.diagnostics,
                stdout,
                stderr: stderr + run.pluginStderr,
                programMs,
                programMaxRssKb: run.maxRssKb,
            };
        } finally {
            await run.stopPlugin();
            this.run = undefined;
        }
    }

    /** `pulumi destroy`: every resource deleted in reverse dependency order; a protected one fails the run. */
    async destroy(state: StackState, spec: ProgramSpec, opts: RunOptions): Promise<RunResult> {
        const run = (this.run = new Run(state, spec, opts, this.address));
        try {
            await run.finish(true);
            await run.stopPlugin();
            return {
                ok: !run.error,
                error: run.error,
                steps: run.steps,
                outputs: {},
                diagnostics: run.diagnostics,
                stdout: "",
                stderr: run.pluginStderr,
                programMs: 0,
            };
        } finally {
            await run.stopPlugin();
            this.run = undefined;
        }
    }

    /** As the nodejs language host starts the program (sdk/nodejs/cmd/pulumi-language-nodejs: constructArguments). */
    private spawnProgram(spec: ProgramSpec, dryRun: boolean): ChildProcess {
        const runPath = path.join(spec.dir, "node_modules", "@pulumi", "pulumi", "cmd", "run");
        const args = [
            runPath,
            "--monitor",
            this.address,
            "--engine",
            this.address,
            "--project",
            spec.project,
            "--root-directory",
            spec.dir,
            "--stack",
            spec.stack,
            "--pwd",
            spec.dir,
            ...(dryRun ? ["--dry-run"] : []),
            "--parallel",
            "16",
            spec.program ?? ".",
        ];
        // The language host passes config keys in the old `<namespace>:config:<name>` form.
        const config = Object.fromEntries(
            Object.entries(spec.config).map(([k, v]) => {
                const [ns, ...rest] = k.split(":");
                return [`${ns}:config:${rest.join(":")}`, v];
            }),
        );
        const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
        for (const k of Object.keys(env)) if (k.startsWith("PULUMI_NODEJS_") || k.startsWith("JEST_")) delete env[k];
        Object.assign(env, {
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(spec.secretKeys),
            PULUMI_NODEJS_TYPESCRIPT: "true",
        });
        return spawn(process.execPath, args, { cwd: spec.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    }
}

function programError(diagnostics: Diagnostic[], stderr: string): string | undefined {
    const errors = diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim());
    return errors.length ? errors.join("\n") : stderr.trim() || undefined;
}

/** Peak resident memory of a live process, in kB (Linux). */
function peakRss(pid: number | undefined): number | undefined {
    if (!pid) return undefined;
    try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        return m ? Number(m[1]) : undefined;
    } catch {
        return undefined;
    }
}
