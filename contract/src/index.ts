export * from "./errors";
export * from "./enums";
export * from "./common";
export * from "./auth";
export * from "./network";
export * from "./socket";
