import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { REFERENCE, runProgram } from "./helpers";

/**
 * Leaf paths of `values` that the chart's default values.yaml does not have (for charts that publish no schema). A
 * path under one of `freeForm` (maps the chart leaves to the user, such as annotations) is not checked further.
 */
export function unknownValuePaths(values: any, defaults: any, freeForm: string[] = [], where = ""): string[] {
    if (!values || typeof values !== "object" || Array.isArray(values)) return [];
    return Object.entries(values).flatMap(([key, value]) => {
        const at = where ? `${where}.${key}` : key;
        if (freeForm.includes(at)) return [];
        if (!defaults || typeof defaults !== "object" || !(key in defaults)) return [at];
        return unknownValuePaths(value, defaults[key], freeForm, at);
    });
}

export function readReferenceYaml(file: string): any {
    return yaml.load(fs.readFileSync(path.join(REFERENCE, file), "utf8"));
}

/**
 * Runs the program (runProgram) with the Kubernetes stack built with a transformation that records every resource's
 * options (children inherit it), which the mocks never see: protect, dependsOn, replacementTrigger, ...
 */
export async function resourceOptions(config: Record<string, string>, secrets: string[] = []) {
    const options: Record<string, any> = {};
    jest.doMock("../../components/stacks", () => ({
        deployStack: (settings: any, image: any) => {
            const { K8sStack } = require("../../components/k8s/k8sStack");
            const capture = (a: { name: string; opts: unknown }) => {
                options[a.name] = a.opts;
                return undefined;
            };
            const stack = new K8sStack("k8s", { settings, image }, { transformations: [capture] });
            return { url: stack.url, image: stack.image, namespace: stack.namespace };
        },
    }));
    try {
        await runProgram(config, { secretKeys: secrets });
    } finally {
        jest.dontMock("../../components/stacks");
    }
    return options;
}

/** Names of the resources an options object depends on. */
export function dependencyNames(opts: any): string[] {
    return (opts?.dependsOn ?? []).map((r: any) => r.__name).sort();
}
