/**
 * The Heroku side: DATABASE_URL from the app's config vars (the Heroku Postgres attachment DATABASE) through the
 * Platform API, always over TLS (Heroku Postgres requires it); writes stopped by maintenance mode, which the router
 * enforces (dynos keep running: the database freeze covers those).
 */
import { HerokuClient, isHerokuApiError } from "../../components/heroku/api";
import { addSecret, connFromUrl } from "./pg";
import { PlatformState, Side } from "./side";

export interface HerokuOptions {
    app: string;
    apiKey: string;
}

/** An API failure in words: a refused key says so, instead of a bare status. */
function explain(err: unknown, app: string, where: string): Error {
    if (isHerokuApiError(err, 401) || isHerokuApiError(err, 403)) {
        const e = err as Error & { status: number; herokuMessage: string };
        return new Error(
            `the Heroku Platform API refused the API key (${e.status}: ${e.herokuMessage}) reading ${where} of ` +
                `the app ${app}: check HEROKU_API_KEY, or the stack's secret actors:herokuApiKey, and that its ` +
                "account may access the app",
        );
    }
    if (isHerokuApiError(err, 404))
        return new Error(`the Heroku app ${app} does not exist (or the key's account cannot see it)`);
    return err as Error;
}

export async function herokuSide(label: string, opts: HerokuOptions): Promise<Side> {
    const apiKey = opts.apiKey.trim();
    addSecret(apiKey);
    if (/\s/.test(apiKey)) throw new Error("the Heroku API key contains whitespace: set it again without it");
    const client = new HerokuClient({ apiKey });
    const app = encodeURIComponent(opts.app);
    const call = async <T>(method: string, path: string, what: string, body?: unknown): Promise<T> => {
        try {
            return await client.request<T>(method, path, body === undefined ? {} : { body });
        } catch (err) {
            throw explain(err, opts.app, what);
        }
    };
    const vars = await call<Record<string, string>>("GET", `/apps/${app}/config-vars`, "the config vars");
    const url = vars.DATABASE_URL;
    if (!url)
        throw new Error(`the Heroku app ${opts.app} has no DATABASE_URL (no Heroku Postgres attached as DATABASE?)`);
    // Heroku Postgres refuses connections without TLS; require it whatever the URL says.
    const conn = { ...connFromUrl(label, url, "require"), sslmode: "require" };
    const setMaintenance = (on: boolean) =>
        call<{ maintenance: boolean }>("PATCH", `/apps/${app}`, "maintenance mode", { maintenance: on });

    return {
        platform: "heroku",
        where: `app ${opts.app}`,
        conn,
        async platformState(): Promise<PlatformState> {
            const a = await call<{ maintenance: boolean }>("GET", `/apps/${app}`, "the app");
            return { kind: "heroku", maintenance: Boolean(a.maintenance) };
        },
        async freezePlatform(log) {
            log(`heroku: maintenance mode on for ${opts.app}`);
            await setMaintenance(true);
        },
        async thawPlatform(before, log) {
            if (before.kind !== "heroku") return;
            log(`heroku: maintenance mode ${before.maintenance ? "left on" : "off"} for ${opts.app}, as it was`);
            await setMaintenance(before.maintenance);
        },
        describeState(state) {
            return state.kind === "heroku" ? `maintenance mode ${state.maintenance ? "on" : "off"}` : "?";
        },
        manualThaw(before) {
            return before.kind === "heroku" && !before.maintenance ? [`heroku maintenance:off -a ${opts.app}`] : [];
        },
        async reconnect() {},
        async close() {},
    };
}
