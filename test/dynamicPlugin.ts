/**
 * Pulumi's real dynamic-provider plugin (node_modules/@pulumi/pulumi/cmd/dynamic-provider), driven over gRPC the way
 * the engine drives it (pkg/resource/deploy/step_generator.go): Check gets the OLD INPUTS and the new inputs; Diff,
 * Update and Delete get the OLD OUTPUTS; every property bag carries `__provider`, the serialized provider. The
 * provider is serialized in a separate Node process that loads the program's code through ts-node, as
 * `pulumi`'s language host does (so the closure serializer sees the same transpiled functions as in a real run).
 */
import * as grpc from "@grpc/grpc-js";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

/* eslint-disable @typescript-eslint/no-require-imports */
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
// The protobuf runtime the stubs were generated against: @pulumi/pulumi's own copy.
const fromPulumi = (id: string) =>
    require(require.resolve(id, { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

type Props = Record<string, unknown>;

/** The serialized provider (`__provider`) the program's Heroku resources carry, evaluated in `projectDir`. */
export async function serializeHerokuProvider(projectDir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const script = [
        'require("ts-node").register({ transpileOnly: true });',
        // Every kind of resource, as herokuStack.ts loads them; then the text their constructors share.
        'require("./components/heroku/kinds");',
        'require("./components/heroku/resource").herokuProvider()',
        "    .then((text) => process.stdout.write(text))",
        "    .catch((err) => { console.error(err); process.exit(1); });",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
        cwd: projectDir,
        env: { ...process.env, ...env },
        maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
}

/** A started plugin and a minimal engine (Log only) it reports to; `logs` holds what the plugin logged. */
export class DynamicPlugin {
    logs: string[] = [];
    stderr = "";
    private engine?: grpc.Server;
    private child?: ChildProcess;
    private client: any;

    constructor(
        private readonly projectDir: string,
        private readonly env: NodeJS.ProcessEnv = {},
    ) {}

    async start(): Promise<this> {
        this.engine = new grpc.Server();
        this.engine.addService(engineRpc.EngineService, {
            log: (call: any, cb: any) => {
                this.logs.push(call.request.getMessage());
                cb(null, new Empty());
            },
        });
        const enginePort = await new Promise<number>((resolve, reject) =>
            this.engine!.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
                err ? reject(err) : resolve(port),
            ),
        );
        const entry = path.join(this.projectDir, "node_modules/@pulumi/pulumi/cmd/dynamic-provider");
        // The engine starts plugins with the project directory as their working directory.
        const child = (this.child = spawn(process.execPath, [entry, `127.0.0.1:${enginePort}`], {
            cwd: this.projectDir,
            env: { ...process.env, ...this.env },
            stdio: ["ignore", "pipe", "pipe"],
        }));
        child.stderr!.on("data", (d) => (this.stderr += d));
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", (d) => {
                out += d;
                if (out.includes("\n")) resolve(out.trim().split("\n")[0]);
            });
            child.on("exit", (code) => reject(new Error(`plugin exited ${code}: ${this.stderr}`)));
        });
        this.client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return this;
    }

    async stop(): Promise<void> {
        this.client?.close();
        this.child?.kill();
        await this.engine?.tryShutdown(() => undefined);
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
        );
    }

    async configure(config: Record<string, string>): Promise<void> {
        const req = new providerPb.ConfigureRequest();
        req.setArgs(Struct.fromJavaScript(config));
        await this.call("configure", req);
    }

    /** Check as the engine calls it: old INPUTS (empty on create) and new inputs. */
    async check(
        olds: Props,
        news: Props,
    ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
        const req = new providerPb.CheckRequest();
        req.setOlds(Struct.fromJavaScript(olds));
        req.setNews(Struct.fromJavaScript(news));
        const res: any = await this.call("check", req);
        return {
            inputs: res.getInputs().toJavaScript(),
            failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    /** Diff as the engine calls it: old OUTPUTS and the checked new inputs. */
    async diff(
        id: string,
        oldOutputs: Props,
        news: Props,
    ): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
        const req = new providerPb.DiffRequest();
        req.setId(id);
        req.setOlds(Struct.fromJavaScript(oldOutputs));
        req.setNews(Struct.fromJavaScript(news));
        const res: any = await this.call("diff", req);
        const changes = providerPb.DiffResponse.DiffChanges;
        return {
            changes:
                res.getChanges() === changes.DIFF_SOME
                    ? "some"
                    : res.getChanges() === changes.DIFF_NONE
                      ? "none"
                      : "unknown",
            replaces: res.getReplacesList(),
            deleteBeforeReplace: res.getDeletebeforereplace(),
        };
    }

    async create(inputs: Props): Promise<{ id: string; outs: Props }> {
        const req = new providerPb.CreateRequest();
        req.setProperties(Struct.fromJavaScript(inputs));
        const res: any = await this.call("create", req);
        return { id: res.getId(), outs: res.getProperties().toJavaScript() };
    }

    async update(id: string, oldOutputs: Props, news: Props): Promise<Props> {
        const req = new providerPb.UpdateRequest();
        req.setId(id);
        req.setOlds(Struct.fromJavaScript(oldOutputs));
        req.setNews(Struct.fromJavaScript(news));
        const res: any = await this.call("update", req);
        return res.getProperties().toJavaScript();
    }

    async delete(id: string, oldOutputs: Props): Promise<void> {
        const req = new providerPb.DeleteRequest();
        req.setId(id);
        req.setProperties(Struct.fromJavaScript(oldOutputs));
        await this.call("delete", req);
    }
}

/**
 * A throwaway copy of the project (its TypeScript, tsconfig and package.json) whose node_modules links every installed
 * package of `root`, without the Heroku provider package: tests build that package into it, or not, themselves.
 */
export function projectCopy(root: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actors-project-"));
    for (const entry of ["components", "index.ts", "tsconfig.json", "package.json"])
        fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
    fs.mkdirSync(path.join(dir, "node_modules"));
    for (const name of fs.readdirSync(path.join(root, "node_modules")))
        if (name !== "actors-heroku-provider")
            fs.symlinkSync(
                fs.realpathSync(path.join(root, "node_modules", name)),
                path.join(dir, "node_modules", name),
            );
    return dir;
}
