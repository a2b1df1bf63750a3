/**
 * The actors-heroku provider plugin: serves the Heroku resources of components/heroku to the Pulumi engine, which
 * starts it as ./pulumi-resource-actors-heroku (Pulumi.yaml, `plugins.providers`). Each resource type goes to the
 * provider in the resource's own file. Adding a resource: its file, and one line in PROVIDERS.
 */
import * as path from "path";
import { main, Provider } from "@pulumi/pulumi/provider";
import { HerokuApp, HerokuAppProvider } from "../components/heroku/app";
import { HerokuConfigVars, HerokuConfigVarsProvider } from "../components/heroku/configVars";
import { HerokuDomain, HerokuDomainProvider } from "../components/heroku/domain";
import { HerokuFeature, HerokuFeatureProvider } from "../components/heroku/feature";
import { HerokuFormation, HerokuFormationProvider } from "../components/heroku/formation";
import { HerokuResourceProvider } from "../components/heroku/herokuResource";
import { HerokuLogDrain, HerokuLogDrainProvider } from "../components/heroku/logDrain";
import { HerokuPostgres, HerokuPostgresProvider } from "../components/heroku/postgres";
import { HerokuRelease, HerokuReleaseProvider } from "../components/heroku/release";

type AnyProvider = HerokuResourceProvider<any, any>;
type Props = Record<string, any>;

/** The provider of each resource type. */
export const PROVIDERS: Record<string, AnyProvider> = {
    [HerokuApp.type]: new HerokuAppProvider(),
    [HerokuConfigVars.type]: new HerokuConfigVarsProvider(),
    [HerokuDomain.type]: new HerokuDomainProvider(),
    [HerokuFeature.type]: new HerokuFeatureProvider(),
    [HerokuFormation.type]: new HerokuFormationProvider(),
    [HerokuLogDrain.type]: new HerokuLogDrainProvider(),
    [HerokuPostgres.type]: new HerokuPostgresProvider(),
    [HerokuRelease.type]: new HerokuReleaseProvider(),
};

/**
 * What resources made by the dynamic provider (up to commit 957c0e6) carry in their state besides their data: the
 * serialized provider and the dispatcher's kind. No provider sees them; the first `up` drops them (an update that
 * calls no API).
 */
const LEGACY_KEYS = ["__provider", "kind"];

function own(props: Props): Props {
    return Object.fromEntries(Object.entries(props).filter(([k]) => !LEGACY_KEYS.includes(k)));
}

const hasLegacyKeys = (props: Props) => LEGACY_KEYS.some((k) => k in props);

/** The provider of the resource a URN names (its type is the last `$`-separated part of the URN's type). */
function providerOf(urn: string): AnyProvider {
    const type = urn.split("::")[2]?.split("$").pop() ?? "";
    const provider = PROVIDERS[type];
    if (!provider) throw new Error(`the actors-heroku provider has no resource type ${JSON.stringify(type)}`);
    return provider;
}

/**
 * The error the engine is given: the message alone. The SDK's provider server reads an error's `id` as "created, but
 * failed to initialise" and would record a resource under that id (a HerokuApiError's `id` is Heroku's error id).
 */
async function plainErrors<T>(call: () => Promise<T>): Promise<T> {
    try {
        return await call();
    } catch (err) {
        throw new Error(err instanceof Error ? err.message : String(err));
    }
}

/** The provider protocol over PROVIDERS. The engine calls Check with the old inputs, Diff/Update/Delete with the
 *  old outputs (pkg/resource/deploy/step_generator.go). */
const methods: Provider = {
    version: "1.0.0",

    async check(urn, olds: Props, news: Props) {
        const provider = providerOf(urn);
        if (!provider.check) return { inputs: news };
        return provider.check(own(olds), news);
    },

    async diff(id, urn, olds: Props, news: Props) {
        const diff = await providerOf(urn).diff(id, own(olds), news);
        // State written by the dynamic provider: an update that only rewrites it.
        if (!diff.changes && hasLegacyKeys(olds)) return { changes: true, replaces: [] };
        return diff;
    },

    async create(urn, inputs: Props) {
        return providerOf(urn).create(inputs);
    },

    async read(id, urn, props: Props = {}) {
        const provider = providerOf(urn);
        if (!provider.read) return { id, props: own(props) };
        // Protobuf structs hold no `undefined`: a field the API left out is simply absent.
        return JSON.parse(JSON.stringify(await provider.read(id, own(props))));
    },

    async update(id, urn, olds: Props, news: Props) {
        const provider = providerOf(urn);
        if (!(await provider.diff(id, own(olds), news)).changes) return { outs: own(olds) };
        if (!provider.update) throw new Error(`${urn}: Heroku resources of this type are never updated in place`);
        return provider.update(id, own(olds), news);
    },

    async delete(id, urn, props: Props) {
        await providerOf(urn).delete?.(id, own(props));
    },
};

export const herokuPlugin: Provider = {
    version: methods.version,
    check: (urn, olds, news) => plainErrors(() => methods.check!(urn, olds, news)),
    diff: (id, urn, olds, news) => plainErrors(() => methods.diff!(id, urn, olds, news)),
    create: (urn, inputs) => plainErrors(() => methods.create!(urn, inputs)),
    read: (id, urn, props) => plainErrors(() => methods.read!(id, urn, props)),
    update: (id, urn, olds, news) => plainErrors(() => methods.update!(id, urn, olds, news)),
    delete: (id, urn, props) => plainErrors(() => methods.delete!(id, urn, props)),
};

/** Gives every provider the API key of the provider's configuration (its `apiKey`, a secret). */
export function configure(args: Props): void {
    const apiKey = unwrapSecret(args.apiKey);
    for (const provider of Object.values(PROVIDERS)) provider.configure(typeof apiKey === "string" ? apiKey : "");
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
function unwrapSecret(value: any): unknown {
    return value && typeof value === "object" && value["4dabf18193072939515e22adb298388d"] === SECRET_SIG
        ? value.value
        : value;
}

/**
 * The SDK's provider server (3.276.0, provider/server.js) answers Configure without looking at its arguments, and
 * tells the engine it accepts secrets. Its gRPC service is wrapped here as it is registered: Configure first hands the
 * configuration to `configure`, and the engine is told to send plain values and to keep an output secret when its
 * input was (as it does for dynamic providers), so no provider deals with secret wrappers.
 */
function interceptConfigure(): void {
    const grpcPath = require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
    const grpc = require(grpcPath) as typeof import("@grpc/grpc-js");
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service, implementation: any) {
        const original = implementation.configure;
        if (typeof original === "function")
            implementation.configure = (call: any, callback: (err: unknown, resp?: any) => void) => {
                configure(call.request.getArgs()?.toJavaScript() ?? {});
                original.call(implementation, call, (err: unknown, resp?: any) => {
                    resp?.setAcceptsecrets(false);
                    resp?.setAcceptresources(false);
                    callback(err, resp);
                });
            };
        return addService.call(this, service, implementation);
    };
}

if (require.main === module) {
    interceptConfigure();
    main(herokuPlugin, process.argv.slice(2));
}
