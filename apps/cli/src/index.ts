export { runCli } from './cli.js';
export { japaneseCustomer, usCustomer } from './demo-customers.js';
export { SERVICE_NODE_FLAGS, sandboxEnv, servicePath, startStack, StackStartError, type Stack, type StackOptions, type StackProcess } from './stack.js';
export type { Io } from './output.js';
