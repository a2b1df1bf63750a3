/**
 * The program's settings: the table (settings.ts), the checks (rules.ts, check.ts) and the loader (load.ts).
 * Everything else imports from here.
 */
export { checkConfig, PROJECT, PROVIDER_NAMESPACES } from "./check";
export type { Checked, ConfigInput } from "./check";
export { ConfigError, isConfigSecret, loadSettings } from "./load";
export type { Settings } from "./load";
export { HEROKU_APP_NAME, isHerokuAppName, RESERVED_ENV } from "./rules";
export { SETTINGS, SETTINGS as CONFIG_SCHEMA, settingKeys } from "./settings";
export type {
    KeyOf,
    Platform,
    SettingKey,
    SettingKey as ConfigKey,
    SettingSpec,
    SettingSpec as KeySpec,
} from "./settings";
