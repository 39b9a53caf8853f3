export { runCli } from './cli.js';
export { SERVICE_NODE_FLAGS, freeLocalPort, sandboxEnv, servicePath, startStack, StackStartError, type Stack, type StackOptions, type StackProcess } from './stack.js';
export type { Io } from './output.js';
