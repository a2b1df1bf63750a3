import * as pulumi from "@pulumi/pulumi";
import { HEROKU_PACKAGE } from "./herokuResource";

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
 * Resources made before it (by dynamic resources, up to commit 957c0e6) move to it without a replace: its DiffConfig
 * is unimplemented, which the engine reads as "no replace" (step_generator.go, providerChanged).
 */
export class HerokuProvider extends pulumi.ProviderResource {
    constructor(name: string, args: HerokuProviderArgs, opts: pulumi.ResourceOptions = {}) {
        const apiKey = args.apiKey === undefined ? undefined : pulumi.secret(args.apiKey);
        super(HEROKU_PACKAGE, name, { apiKey }, opts);
    }
}
