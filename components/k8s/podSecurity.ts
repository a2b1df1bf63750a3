import * as k8s from "@pulumi/kubernetes";

/** The container contract shared by the web Deployment and the migration Job: restricted, read-only, non-root. */
const APP_UID = 10001;

export const restrictedPodSecurity: k8s.types.input.core.v1.PodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: APP_UID,
    runAsGroup: APP_UID,
    seccompProfile: { type: "RuntimeDefault" },
};

export const restrictedContainerSecurity: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** /tmp is the only writable path the app needs (metrics files, temp files): a small in-memory volume. */
export const tmpVolume: k8s.types.input.core.v1.Volume = {
    name: "tmp",
    emptyDir: { medium: "Memory", sizeLimit: "64Mi" },
};
export const tmpMount: k8s.types.input.core.v1.VolumeMount = { name: "tmp", mountPath: "/tmp" };
