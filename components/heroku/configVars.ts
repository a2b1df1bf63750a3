import {
    changedKeys,
    Created,
    DiffResult,
    herokuResource,
    HerokuResourceProvider,
    Read,
    Updated,
} from "./herokuResource";

export interface HerokuConfigVarsInputs {
    appId: string;
    /** Exactly the keys this stack owns; other config vars on the app (DATABASE_URL, ...) are never touched. */
    vars: Record<string, string>;
}

/** PATCH body: the new values, and null (delete) for each owned key the program no longer sets. */
function configVarsPatch(olds: Record<string, string>, news: Record<string, string>): Record<string, string | null> {
    const patch: Record<string, string | null> = { ...news };
    for (const key of Object.keys(olds)) if (!(key in news)) patch[key] = null;
    return patch;
}

export class HerokuConfigVarsProvider extends HerokuResourceProvider<HerokuConfigVarsInputs, HerokuConfigVarsInputs> {
    async create(inputs: HerokuConfigVarsInputs): Promise<Created<HerokuConfigVarsInputs>> {
        await this.api().request("PATCH", `/apps/${inputs.appId}/config-vars`, { body: inputs.vars });
        return { id: `${inputs.appId}/config-vars`, outs: inputs };
    }

    async read(id: string, props: HerokuConfigVarsInputs): Promise<Read<HerokuConfigVarsInputs>> {
        const current = await this.api().request<Record<string, string>>("GET", `/apps/${props.appId}/config-vars`);
        const vars = Object.fromEntries(
            Object.keys(props.vars)
                .filter((k) => k in current)
                .map((k) => [k, current[k]]),
        );
        return { id, props: { ...props, vars } };
    }

    async diff(id: string, olds: HerokuConfigVarsInputs, news: HerokuConfigVarsInputs): Promise<DiffResult> {
        return {
            changes: changedKeys(olds, news, ["appId", "vars"]).length > 0,
            replaces: changedKeys(olds, news, ["appId"]),
        };
    }

    async update(
        id: string,
        olds: HerokuConfigVarsInputs,
        news: HerokuConfigVarsInputs,
    ): Promise<Updated<HerokuConfigVarsInputs>> {
        await this.api().request("PATCH", `/apps/${news.appId}/config-vars`, {
            body: configVarsPatch(olds.vars, news.vars),
        });
        return { outs: news };
    }

    async delete(id: string, props: HerokuConfigVarsInputs): Promise<void> {
        await this.api().request("PATCH", `/apps/${props.appId}/config-vars`, {
            body: configVarsPatch(props.vars, {}),
        });
    }
}

/** The app's config vars this stack owns. A secret value among them makes the whole map secret in state. */
export class HerokuConfigVars extends herokuResource<HerokuConfigVarsInputs, HerokuConfigVarsInputs>("ConfigVars", {
    legacyType: "ConfigVars",
    outputs: [],
}) {}
