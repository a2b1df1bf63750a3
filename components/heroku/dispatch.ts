import * as pulumi from "@pulumi/pulumi";
import { PostgresAddonProvider } from "./addon";
import { HerokuAppProvider } from "./app";
import { ConfigVarsProvider } from "./configVars";
import { AppFeatureProvider, DomainProvider, LogDrainProvider } from "./extras";
import { FormationProvider } from "./formation";
import { HerokuProvider } from "./provider";
import { ContainerReleaseProvider } from "./release";

/** Every kind of Heroku resource this program manages, and the provider that implements it. */
export const HANDLERS = {
    app: () => new HerokuAppProvider(),
    postgres: () => new PostgresAddonProvider(),
    configVars: () => new ConfigVarsProvider(),
    release: () => new ContainerReleaseProvider(),
    formation: () => new FormationProvider(),
    domain: () => new DomainProvider(),
    logDrain: () => new LogDrainProvider(),
    feature: () => new AppFeatureProvider(),
} satisfies Record<string, () => HerokuProvider>;

export type HerokuKind = keyof typeof HANDLERS;

/**
 * One provider object for every Heroku resource, dispatching on the `kind` each resource carries. Pulumi serializes
 * a dynamic provider once per object (with the code it closes over): one shared object means the client and all the
 * handlers are serialized once per program instead of once per resource, which was most of the heroku stack's
 * evaluation time (see README, Benchmarks).
 */
export class HerokuDispatchProvider implements pulumi.dynamic.ResourceProvider {
    private readonly instances = new Map<string, HerokuProvider>();
    private config?: pulumi.dynamic.ConfigureRequest;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.config = req;
    }

    private async handler(kind: string): Promise<any> {
        let instance = this.instances.get(kind);
        if (!instance) {
            const make = (HANDLERS as Record<string, () => HerokuProvider>)[kind];
            if (!make) throw new Error(`unknown Heroku resource kind ${JSON.stringify(kind)}`);
            instance = make();
            if (this.config) await instance.configure(this.config);
            this.instances.set(kind, instance);
        }
        return instance;
    }

    async check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
        const handler = await this.handler(news.kind);
        return handler.check ? handler.check(olds, news) : { inputs: news };
    }

    async create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
        const result = await (await this.handler(inputs.kind)).create(inputs);
        return { id: result.id, outs: { ...result.outs, kind: inputs.kind } };
    }

    async read(id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
        const handler = await this.handler(props.kind);
        if (!handler.read) return { id, props };
        const result = await handler.read(id, props);
        return { id: result.id, props: { ...result.props, kind: props.kind } };
    }

    async diff(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
        const handler = await this.handler(news.kind);
        if (olds.kind !== news.kind) return { changes: true, replaces: ["kind"] };
        return handler.diff ? handler.diff(id, olds, news) : { changes: JSON.stringify(olds) !== JSON.stringify(news) };
    }

    async update(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
        const result = await (await this.handler(news.kind)).update(id, olds, news);
        return { outs: { ...result.outs, kind: news.kind } };
    }

    async delete(id: string, props: any): Promise<void> {
        const handler = await this.handler(props.kind);
        if (handler.delete) await handler.delete(id, props);
    }
}

let shared: HerokuDispatchProvider | undefined;
/** The program's one Heroku provider object. */
export function herokuProvider(): HerokuDispatchProvider {
    shared ??= new HerokuDispatchProvider();
    return shared;
}
