import * as pulumi from "@pulumi/pulumi";
import { herokuProvider, HerokuKind } from "./dispatch";

/**
 * The Heroku resources the stack declares. All share one dynamic provider (./dispatch.ts) and carry the `kind` that
 * selects their implementation; each keeps its own type token, so previews read "actors:HerokuApp" and so on.
 */
abstract class HerokuResource extends pulumi.dynamic.Resource {
    protected constructor(
        kind: HerokuKind,
        type: string,
        name: string,
        props: Record<string, unknown>,
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(herokuProvider(), name, { ...props, kind }, opts, "actors", type);
    }
}

export class HerokuApp extends HerokuResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly appId: pulumi.Output<string>;
    declare readonly webUrl: pulumi.Output<string>;
    declare readonly adopted: pulumi.Output<boolean>;

    constructor(
        name: string,
        args: { name: pulumi.Input<string>; region: pulumi.Input<string>; team: pulumi.Input<string> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super("app", "HerokuApp", name, { ...args, appId: undefined, webUrl: undefined, adopted: undefined }, opts);
    }
}

export class PostgresAddon extends HerokuResource {
    declare readonly addonName: pulumi.Output<string>;
    declare readonly plan: pulumi.Output<string>;

    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; plan: pulumi.Input<string>; attachment: pulumi.Input<string> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            "postgres",
            "PostgresAddon",
            name,
            { ...args, addonId: undefined, addonName: undefined, state: undefined },
            opts,
        );
    }
}

export class ConfigVars extends HerokuResource {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; vars: pulumi.Input<Record<string, pulumi.Input<string>>> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        // A secret value among them makes the whole map secret in state (Pulumi lifts secretness to the property).
        super("configVars", "ConfigVars", name, { appId: args.appId, vars: args.vars }, opts);
    }
}

export class ContainerRelease extends HerokuResource {
    declare readonly digests: pulumi.Output<Record<string, string>>;
    declare readonly releaseVersion: pulumi.Output<number>;

    constructor(
        name: string,
        args: {
            appId: pulumi.Input<string>;
            appName: pulumi.Input<string>;
            image: pulumi.Input<string>;
            processTypes: string[];
        },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            "release",
            "ContainerRelease",
            name,
            { ...args, digests: undefined, releaseId: undefined, releaseVersion: undefined, status: undefined },
            opts,
        );
    }
}

export class HerokuFormation extends HerokuResource {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; processes: Record<string, { quantity: number; size: string }> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super("formation", "HerokuFormation", name, args, opts);
    }
}

export class HerokuDomain extends HerokuResource {
    declare readonly cname: pulumi.Output<string>;

    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; hostname: string },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super("domain", "HerokuDomain", name, { ...args, cname: undefined }, opts);
    }
}

export class HerokuLogDrain extends HerokuResource {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; url: pulumi.Input<string> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        // The URL carries the drain's credentials.
        super("logDrain", "HerokuLogDrain", name, { appId: args.appId, url: pulumi.secret(args.url) }, opts);
    }
}

export class HerokuAppFeature extends HerokuResource {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; feature: string; enabled: boolean },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super("feature", "HerokuAppFeature", name, args, opts);
    }
}
