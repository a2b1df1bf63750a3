/**
 * A client of the dynamic-provider plugin that ships in @pulumi/pulumi, started as the engine starts it:
 * `node <project>/node_modules/@pulumi/pulumi/cmd/dynamic-provider <engine address>` with the project root as its
 * working directory; it prints its port and serves pulumirpc.ResourceProvider there.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { fromStruct, Props, toStruct } from "./values";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");

export interface CheckFailure {
    property: string;
    reason: string;
}
export interface DiffAnswer {
    changes: "none" | "some" | "unknown";
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/** The message the engine shows for a failed provider call (the gRPC status details). */
export class ProviderError extends Error {}

export class DynamicPlugin {
    private stderrText = "";
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
    ) {}

    /** What the plugin wrote to stderr (the plugin logs failed calls there). */
    get stderr(): string {
        return this.stderrText;
    }

    static async start(projectDir: string, engineAddress: string, env: NodeJS.ProcessEnv): Promise<DynamicPlugin> {
        const script = path.join(projectDir, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");
        const child = spawn(process.execPath, [script, engineAddress], { cwd: projectDir, env, stdio: "pipe" });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", (d) => {
                out += d;
                const line = out.split("\n")[0];
                if (out.includes("\n") && /^\d+$/.test(line.trim())) resolve(Number(line.trim()));
            });
            child.on("exit", (code) => reject(new Error(`dynamic-provider plugin exited (${code}): ${stderr}`)));
            setTimeout(() => {
                child.kill();
                reject(new Error(`dynamic-provider plugin printed no port in 60 s: ${stderr}`));
            }, 60_000).unref();
        });
        const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const plugin = new DynamicPlugin(child, client);
        child.stderr!.on("data", (d) => (plugin.stderrText += d));
        plugin.stderrText = stderr;
        return plugin;
    }

    private call<T>(method: string, request: any): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](request, (err: grpc.ServiceError | null, response: T) =>
                err ? reject(new ProviderError(err.details || err.message)) : resolve(response),
            ),
        );
    }

    /** Configure, as the engine sends it: the stack's config with secrets marked, plus the legacy variables map. */
    async configure(urn: string, args: Props, variables: Record<string, string>): Promise<void> {
        const req = new providerPb.ConfigureRequest();
        req.setUrn(urn);
        req.setName(urn.split("::").pop());
        req.setType(urn.split("::")[2]);
        req.setArgs(toStruct(args));
        for (const [k, v] of Object.entries(variables)) req.getVariablesMap().set(k, v);
        req.setAcceptsecrets(true);
        req.setAcceptresources(true);
        req.setSendsOldInputs(true);
        req.setSendsOldInputsToDelete(true);
        await this.call("configure", req);
    }

    async check(
        urn: string,
        olds: Props | undefined,
        news: Props,
    ): Promise<{ inputs: Props; failures: CheckFailure[] }> {
        const req = new providerPb.CheckRequest();
        this.identify(req, urn);
        req.setOlds(toStruct(olds ?? {}));
        req.setNews(toStruct(news));
        const resp: any = await this.call("check", req);
        return {
            inputs: fromStruct(resp.getInputs()),
            failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(urn: string, id: string, oldOutputs: Props, news: Props, oldInputs: Props): Promise<DiffAnswer> {
        const req = new providerPb.DiffRequest();
        this.identify(req, urn);
        req.setId(id);
        req.setOlds(toStruct(oldOutputs));
        req.setNews(toStruct(news));
        req.setOldInputs(toStruct(oldInputs));
        const resp: any = await this.call("diff", req);
        const C = providerPb.DiffResponse.DiffChanges;
        const changes = resp.getChanges();
        return {
            changes: changes === C.DIFF_SOME ? "some" : changes === C.DIFF_NONE ? "none" : "unknown",
            replaces: resp.getReplacesList(),
            deleteBeforeReplace: resp.getDeletebeforereplace(),
        };
    }

    async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
        const req = new providerPb.CreateRequest();
        this.identify(req, urn);
        req.setProperties(toStruct(props));
        req.setPreview(false);
        const resp: any = await this.call("create", req);
        return { id: resp.getId(), outs: fromStruct(resp.getProperties()) };
    }

    async update(urn: string, id: string, oldOutputs: Props, news: Props, oldInputs: Props): Promise<Props> {
        const req = new providerPb.UpdateRequest();
        this.identify(req, urn);
        req.setId(id);
        req.setOlds(toStruct(oldOutputs));
        req.setNews(toStruct(news));
        req.setOldInputs(toStruct(oldInputs));
        req.setPreview(false);
        const resp: any = await this.call("update", req);
        return fromStruct(resp.getProperties());
    }

    async delete(urn: string, id: string, oldOutputs: Props, oldInputs: Props): Promise<void> {
        const req = new providerPb.DeleteRequest();
        this.identify(req, urn);
        req.setId(id);
        req.setProperties(toStruct(oldOutputs));
        req.setOldInputs(toStruct(oldInputs));
        await this.call("delete", req);
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((resolve) => this.child.once("exit", resolve));
        this.child.kill();
        await exited;
    }

    private identify(req: any, urn: string): void {
        req.setUrn(urn);
        req.setName(urn.split("::").pop());
        req.setType(urn.split("::")[2].split("$").pop());
    }
}
