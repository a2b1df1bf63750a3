import * as path from "path";
import { AppImage, appImageArgs } from "./components/appImage";
import { loadSettings } from "./components/config";
import { deployStack } from "./components/stacks";

const settings = loadSettings();
const image = new AppImage("app", appImageArgs(settings, path.join(__dirname, "app")));
const stack = deployStack(settings, image);

export const url = stack.url;
export const imageRef = stack.image;
export const target = stack.target;
