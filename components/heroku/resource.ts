import * as pulumi from "@pulumi/pulumi";
import type { HerokuProvider } from "./provider";
import { installedProviderPackage } from "./providerPackage";

/** The properties the engine hands the dispatcher: the resource's own, the `kind` and the serialized provider. */
type Props = { kind: string; __provider?: string } & Record<string, unknown>;
type AnyHerokuProvider = HerokuProvider<object, object>;

// Plain objects, not Maps: Pulumi's closure serializer does not carry a Map's contents (pulumi/pulumi#2704).
/** Every kind of Heroku resource (filled by each resource's module as it loads) and how to make its provider. */
const kinds: Record<string, () => AnyHerokuProvider> = {};
/** The provider of each kind, made and configured on first use. */
const instances: Record<string, AnyHerokuProvider> = {};
const state: { config?: pulumi.dynamic.ConfigureRequest } = {};

async function handler(kind: string): Promise<AnyHerokuProvider> {
    let instance = instances[kind];
    if (!instance) {
        const make = kinds[kind];
        if (!make) throw new Error(`unknown Heroku resource kind ${JSON.stringify(kind)}`);
        instance = make();
        if (state.config) await instance.configure(state.config);
        instances[kind] = instance;
    }
    return instance;
}

/** A resource's own properties: without the kind and the serialized provider, which no provider may look at. */
function own({ kind: _kind, __provider: _provider, ...rest }: Props): object {
    return rest;
}

/**
 * The one dynamic provider of every Heroku resource, dispatching on the `kind` each resource carries. The engine
 * calls Check with the old inputs, Diff/Update/Delete with the old outputs (pkg/resource/deploy/step_generator.go).
 */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    state.config = req;
    for (const instance of Object.values(instances)) await instance.configure(req);
}

export async function check(olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const provider = await handler(news.kind);
    if (!provider.check) return { inputs: news };
    const result = await provider.check(own(olds), own(news));
    return { inputs: { ...result.inputs, kind: news.kind }, failures: result.failures };
}

export async function diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    if (olds.kind !== news.kind) return { changes: true, replaces: ["kind"] };
    return (await handler(news.kind)).diff(id, own(olds), own(news));
}

export async function create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const result = await (await handler(inputs.kind)).create(own(inputs));
    return { id: result.id, outs: { ...result.outs, kind: inputs.kind } };
}

export async function read(id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const provider = await handler(props.kind);
    if (!provider.read) return { id, props };
    const result = await provider.read(id, own(props));
    return { id: result.id, props: { ...result.props, kind: props.kind } };
}

export async function update(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    const provider = await handler(news.kind);
    if (!provider.update) throw new Error(`Heroku ${news.kind} resources are never updated in place`);
    const result = await provider.update(id, own(olds), own(news));
    return { outs: { ...result.outs, kind: news.kind } };
}

async function remove(id: string, props: Props): Promise<void> {
    const provider = await handler(props.kind);
    if (provider.delete) await provider.delete(id, own(props));
}
export { remove as delete };

/** The dispatcher as one object: what is serialized by value when the provider package is not installed. */
export const dispatcher: pulumi.dynamic.ResourceProvider = {
    configure,
    check,
    diff,
    create,
    read,
    update,
    delete: remove,
};

/**
 * The `__provider` text of a provider module captured by reference: what Pulumi's closure serializer writes for a
 * module inside node_modules (`require("<module>")` returned by `handler`), made without running the serializer,
 * whose first use costs about 0.3 s of evaluation (it inspects the process through the V8 inspector).
 */
export function providerByReference(module: string): string {
    return `exports.handler = () => require(${JSON.stringify(module)});\n`;
}

let chosen: Promise<string> | undefined;
/**
 * The serialized provider every Heroku resource of the program shares (`__provider`): a reference to the installed
 * provider package when it holds exactly this code (see ./providerPackage.ts), else the dispatcher above, serialized
 * by value with Pulumi's closure serializer exactly as `pulumi.dynamic.Resource` serializes a provider.
 */
export function herokuProvider(): Promise<string> {
    if (!chosen) {
        const installed = installedProviderPackage();
        if (typeof installed === "string") {
            pulumi.log.warn(installed);
            chosen = pulumi.runtime.serializeFunction(() => dispatcher, { allowSecrets: true }).then((sf) => sf.text);
        } else {
            chosen = Promise.resolve(providerByReference(installed.module));
        }
    }
    return chosen;
}

/**
 * Declares a kind of Heroku resource: registers its provider with the dispatcher and gives the base class of its
 * resource, a dynamic resource (type `pulumi-nodejs:dynamic/actors:<type>`, served by Pulumi's dynamic-provider
 * plugin, as `pulumi.dynamic.Resource` declares it) that carries the kind and the shared serialized provider. The type
 * is part of the URN in existing stacks: never change it without an alias.
 */
export function herokuResource<I extends object, O extends object>(
    spec: { kind: string; type: string },
    make: () => HerokuProvider<I, O>,
) {
    kinds[spec.kind] = make as () => AnyHerokuProvider;
    return class HerokuResource extends pulumi.CustomResource {
        static readonly kind = spec.kind;
        constructor(name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
            const inputs = { ...props, kind: spec.kind, __provider: herokuProvider() };
            super(`pulumi-nodejs:dynamic/actors:${spec.type}`, name, inputs, opts);
        }
    };
}
