import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appEnvironment } from "../appEnv";
import type { PlatformStackArgs } from "../platformStack";
import { HerokuApp } from "./app";
import { HerokuConfigVars } from "./configVars";
import { HerokuDomain } from "./domain";
import { HerokuFeature } from "./feature";
import { HerokuFormation } from "./formation";
import { HerokuProvider } from "./herokuProvider";
import { HerokuLogDrain } from "./logDrain";
import { HerokuPostgres, planTier } from "./postgres";
import type { DatabaseIdentity } from "../databaseGuard";
import type { Settings } from "../config";
import { HerokuRelease } from "./release";

export type HerokuStackArgs = PlatformStackArgs;

/**
 * The Heroku deployment, through the Platform API: the app on the container stack, Heroku Postgres (which sets
 * DATABASE_URL), the config vars this stack owns, the image released to web and to the release phase (migrations),
 * the formation, and optionally a custom domain with ACM, a log drain and preboot.
 */
export class HerokuStack extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly appName: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;
    /** With herokuDomain: the DNS target Heroku assigned to it, for the CNAME (or ALIAS) record. */
    readonly dnsTarget?: pulumi.Output<string>;
    readonly app: HerokuApp;
    readonly database: HerokuPostgres;

    constructor(name: string, args: HerokuStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("actors:heroku:HerokuStack", name, {}, opts);
        const s = args.settings;
        // Every Heroku resource through the provider plugin, configured with the stack's API key (if set).
        const provider = new HerokuProvider(`${name}-provider`, { apiKey: s.herokuApiKey }, { parent: this });
        const parent = { parent: this, provider };

        // Heroku app names are global: without a configured name, a stable random suffix keeps this stack's own.
        const appName = s.herokuAppName
            ? pulumi.output(s.herokuAppName)
            : new random.RandomString(
                  `${name}-suffix`,
                  { length: 8, special: false, upper: false },
                  { parent: this },
              ).result.apply((r) => `actors-${r}`);

        // Deleting the app deletes its database too: both are protected unless actors:protectDatabase is false.
        const keep = { ...parent, protect: s.protectDatabase };
        const app = (this.app = new HerokuApp(
            `${name}-app`,
            { name: appName, region: s.herokuRegion, team: s.herokuTeam },
            keep,
        ));
        // The app's resource ID is its Heroku id (appId), and stays known while a preview plans an update of the app
        // (a rename), where its outputs are unknown: keyed on it, nothing that belongs to the app looks replaced.
        const appId = app.id;
        const database = (this.database = new HerokuPostgres(
            `${name}-postgres`,
            { appId, plan: s.herokuPostgresPlan, attachment: "DATABASE" },
            keep,
        ));
        const configVars = new HerokuConfigVars(`${name}-config`, { appId, vars: appEnvironment(s) }, parent);
        const features = s.herokuPreboot
            ? [new HerokuFeature(`${name}-preboot`, { appId, feature: "preboot", enabled: true }, parent)]
            : [];

        // Released after the database and config exist, so the release phase's migrations find DATABASE_URL.
        const release = new HerokuRelease(
            `${name}-release`,
            { appId, appName: app.name, image: args.image.imageName, processTypes: ["web", "release"] },
            { ...parent, dependsOn: [database, configVars, ...features] },
        );
        new HerokuFormation(
            `${name}-formation`,
            { appId, processes: { web: { quantity: s.herokuWebQuantity, size: s.herokuWebSize } } },
            { ...parent, dependsOn: [release] },
        );

        let url = app.webUrl;
        if (s.herokuDomain) {
            const domain = new HerokuDomain(`${name}-domain`, { appId, hostname: s.herokuDomain }, parent);
            this.dnsTarget = domain.cname;
            url = pulumi.output(`https://${s.herokuDomain}/`);
        }
        if (s.herokuLogDrainUrl)
            new HerokuLogDrain(`${name}-log-drain`, { appId, url: pulumi.secret(s.herokuLogDrainUrl) }, parent);

        this.url = url;
        this.appName = app.name;
        this.image = pulumi.interpolate`registry.heroku.com/${app.name}/web${release.digests.apply((d) => (d?.web ? `@${d.web}` : ""))}`;
        this.registerOutputs({ url: this.url, appName: this.appName, image: this.image, dnsTarget: this.dnsTarget });
    }
}

/**
 * Which database the stack runs (components/databaseGuard.ts): Heroku moves an add-on between plans of one tier in
 * place, but another tier (essential to standard, say) is a new add-on.
 */
export function herokuDatabaseIdentity(s: Settings): DatabaseIdentity {
    return { "actors:herokuPostgresPlan (tier)": planTier(s.herokuPostgresPlan) };
}
