// Entry point of liberyx_runtime.so: the wit-dylib interpreter interface.
import "./abort";
export * from "./abi/exports";
