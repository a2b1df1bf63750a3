import { AppImage, appImageArgs } from "./components/appImage";
import { loadSettings } from "./components/config";
import { deployStack } from "./components/stacks";

const settings = loadSettings();
const appImage = new AppImage("app", appImageArgs(settings, "app"));
const deployed = deployStack(settings, appImage);

export const url = deployed.url;
export const image = deployed.image;
export const namespace = deployed.namespace; // k8s only
export const appName = deployed.appName; // heroku only
export const dnsTarget = deployed.dnsTarget; // heroku with herokuDomain: where its CNAME/ALIAS record points
export const tools = deployed.tools; // what npm run move-data reads to find the database and the app
