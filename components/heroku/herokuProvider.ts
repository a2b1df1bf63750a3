import * as pulumi from "@pulumi/pulumi";
import { HEROKU_PACKAGE } from "./herokuResource";

/**
 * The dynamic resources' provider in stacks made before the provider plugin (commit 957c0e6): Pulumi's default
 * `pulumi-nodejs` provider. Aliased to it, the Heroku provider takes its place, and every Heroku resource keeps its
 * provider (pkg/resource/deploy/step_generator.go, providerChanged: an aliased provider is no change).
 */
export const DYNAMIC_DEFAULT_PROVIDER = "pulumi:providers:pulumi-nodejs";

export interface HerokuProviderArgs {
    /**
     * The Platform API key, kept as a secret (encrypted in the provider's state, like every provider's
     * configuration). Without it the plugin uses HEROKU_API_KEY from its environment, and nothing of the key is kept.
     */
    apiKey?: pulumi.Input<string>;
}

/**
 * The provider of the Heroku resources: the plugin in provider/ (`pulumi-resource-actors-heroku`), configured with the
 * API key. The Platform API and registry URLs are HEROKU_API_URL and HEROKU_REGISTRY_URL of the plugin's environment.
 */
export class HerokuProvider extends pulumi.ProviderResource {
    constructor(name: string, args: HerokuProviderArgs, opts: pulumi.ResourceOptions = {}) {
        const aliases = [...(opts.aliases ?? []), pulumi.createUrn("default", DYNAMIC_DEFAULT_PROVIDER)];
        const apiKey = args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey);
        super(HEROKU_PACKAGE, name, { apiKey }, { ...opts, aliases });
    }
}
