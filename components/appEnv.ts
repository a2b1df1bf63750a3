import type { Settings } from "./config";

/**
 * The environment the app gets on both platforms (the same contract everywhere). DATABASE_URL comes from each
 * platform's database (a Secret on Kubernetes, the add-on on Heroku) and PORT from the platform itself.
 */
export function appEnvironment(
    settings: Pick<Settings, "webConcurrency" | "logLevel" | "appEnv">,
): Record<string, string> {
    const extra = Object.fromEntries(
        settings.appEnv.map((entry) => {
            const at = entry.indexOf("=");
            return [entry.slice(0, at), entry.slice(at + 1)];
        }),
    );
    return {
        ...extra,
        WEB_CONCURRENCY: String(settings.webConcurrency),
        LOG_LEVEL: settings.logLevel,
        // Heroku Postgres requires TLS; CloudNativePG serves it too: one setting for both.
        PGSSLMODE: "require",
    };
}
