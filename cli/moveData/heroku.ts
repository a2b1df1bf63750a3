/**
 * The Heroku side: DATABASE_URL from the app's config vars (the Heroku Postgres attachment DATABASE) through the
 * Platform API, always over TLS (Heroku Postgres requires it); writes stopped by maintenance mode, which the router
 * enforces (dynos keep running: the database freeze covers those).
 */
import { HerokuClient } from "../../components/heroku/api";
import { addSecret, connFromUrl } from "./pg";
import { Side } from "./side";

export interface HerokuOptions {
    app: string;
    apiKey: string;
}

export async function herokuSide(label: string, opts: HerokuOptions): Promise<Side> {
    addSecret(opts.apiKey);
    const client = new HerokuClient({ apiKey: opts.apiKey });
    const app = encodeURIComponent(opts.app);
    const vars = await client.request<Record<string, string>>("GET", `/apps/${app}/config-vars`);
    const url = vars.DATABASE_URL;
    if (!url)
        throw new Error(`the Heroku app ${opts.app} has no DATABASE_URL (no Heroku Postgres attached as DATABASE?)`);
    // Heroku Postgres refuses connections without TLS; require it whatever the URL says.
    const conn = { ...connFromUrl(label, url, "require"), sslmode: "require" };

    let before: boolean | undefined;
    let turnedOn = false;
    const setMaintenance = (on: boolean) =>
        client.request<{ maintenance: boolean }>("PATCH", `/apps/${app}`, { body: { maintenance: on } });

    return {
        platform: "heroku",
        where: `app ${opts.app}`,
        conn,
        async freezePlatform(log) {
            if (before === undefined)
                before = (await client.request<{ maintenance: boolean }>("GET", `/apps/${app}`)).maintenance;
            if (before) return log(`heroku: maintenance mode already on for ${opts.app}; left on`);
            log(`heroku: maintenance mode on for ${opts.app}`);
            turnedOn = true;
            await setMaintenance(true);
        },
        async thawPlatform(log) {
            if (!turnedOn) return;
            log(`heroku: maintenance mode off for ${opts.app}, as it was`);
            await setMaintenance(false);
            turnedOn = false;
        },
        platformState() {
            if (before === undefined) return "maintenance mode untouched";
            return turnedOn ? "maintenance mode on (was off)" : `maintenance mode ${before ? "on" : "off"}, as before`;
        },
        manualThaw() {
            return turnedOn ? [`heroku maintenance:off -a ${opts.app}`] : [];
        },
        async close() {},
    };
}
