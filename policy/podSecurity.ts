/**
 * Pod Security Standards, `restricted` profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * checked on a pod spec. Shared by the policy pack and the tests. Returns one message per violation.
 */
const ALLOWED_VOLUME_KINDS = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

export function restrictedViolations(podSpec: any): string[] {
    const problems: string[] = [];
    if (!podSpec || typeof podSpec !== "object") return ["no pod spec"];
    const podCtx = podSpec.securityContext ?? {};
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (podSpec[field]) problems.push(`${field} must not be true`);
    }
    for (const volume of podSpec.volumes ?? []) {
        const kinds = Object.keys(volume).filter((k) => k !== "name");
        for (const kind of kinds) {
            if (!ALLOWED_VOLUME_KINDS.includes(kind))
                problems.push(`volume ${volume.name}: ${kind} volumes are not allowed`);
        }
    }
    if (podCtx.runAsUser === 0) problems.push("pod securityContext.runAsUser must not be 0");
    const containers = [
        ...(podSpec.initContainers ?? []),
        ...(podSpec.containers ?? []),
        ...(podSpec.ephemeralContainers ?? []),
    ];
    if (containers.length === 0) problems.push("no containers");
    for (const c of containers) {
        const ctx = c.securityContext ?? {};
        const where = `container ${c.name}`;
        if (ctx.privileged) problems.push(`${where}: privileged must not be true`);
        if (ctx.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
        if (!(ctx.runAsNonRoot === true || (ctx.runAsNonRoot === undefined && podCtx.runAsNonRoot === true)))
            problems.push(`${where}: runAsNonRoot must be true (on the container or the pod)`);
        if (ctx.runAsUser === 0) problems.push(`${where}: runAsUser must not be 0`);
        const seccomp = ctx.seccompProfile?.type ?? podCtx.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
            problems.push(`${where}: seccompProfile.type must be RuntimeDefault or Localhost`);
        const drop: string[] = ctx.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) problems.push(`${where}: capabilities must drop ALL`);
        const add: string[] = ctx.capabilities?.add ?? [];
        for (const cap of add)
            if (cap !== "NET_BIND_SERVICE") problems.push(`${where}: capability ${cap} must not be added`);
        for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${where}: hostPort must not be set`);
    }
    return problems;
}

/** The pod spec inside a workload object (Pod, Deployment, Job, CronJob, ...), or undefined. */
export function podSpecOf(kind: string, spec: any): any {
    switch (kind) {
        case "Pod":
            return spec;
        case "CronJob":
            return spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return spec?.template?.spec;
        default:
            return undefined;
    }
}
