import * as pulumi from "@pulumi/pulumi";
import { Created, HerokuProvider, Read, Updated } from "./provider";

export interface ConfigVarsInputs {
    appId: string;
    /** Exactly the keys this stack owns; other config vars on the app (DATABASE_URL, ...) are never touched. */
    vars: Record<string, string>;
}

/** PATCH body: the new values, and null (delete) for each owned key the program no longer sets. */
export function configVarsPatch(
    olds: Record<string, string>,
    news: Record<string, string>,
): Record<string, string | null> {
    const patch: Record<string, string | null> = { ...news };
    for (const key of Object.keys(olds)) if (!(key in news)) patch[key] = null;
    return patch;
}

export class ConfigVarsProvider extends HerokuProvider {
    async create(inputs: ConfigVarsInputs): Promise<Created<ConfigVarsInputs>> {
        await this.api().request("PATCH", `/apps/${inputs.appId}/config-vars`, { body: inputs.vars });
        return { id: `${inputs.appId}/config-vars`, outs: inputs };
    }

    async read(id: string, props: ConfigVarsInputs): Promise<Read<ConfigVarsInputs>> {
        const current = await this.api().request<Record<string, string>>("GET", `/apps/${props.appId}/config-vars`);
        const vars = Object.fromEntries(
            Object.keys(props.vars)
                .filter((k) => k in current)
                .map((k) => [k, current[k]]),
        );
        return { id, props: { ...props, vars } };
    }

    async diff(id: string, olds: ConfigVarsInputs, news: ConfigVarsInputs): Promise<pulumi.dynamic.DiffResult> {
        const changed =
            JSON.stringify(Object.entries(olds.vars).sort()) !== JSON.stringify(Object.entries(news.vars).sort());
        return { changes: changed || olds.appId !== news.appId, replaces: olds.appId !== news.appId ? ["appId"] : [] };
    }

    async update(id: string, olds: ConfigVarsInputs, news: ConfigVarsInputs): Promise<Updated<ConfigVarsInputs>> {
        await this.api().request("PATCH", `/apps/${news.appId}/config-vars`, {
            body: configVarsPatch(olds.vars, news.vars),
        });
        return { outs: news };
    }

    async delete(id: string, props: ConfigVarsInputs): Promise<void> {
        await this.api().request("PATCH", `/apps/${props.appId}/config-vars`, {
            body: configVarsPatch(props.vars, {}),
        });
    }
}
