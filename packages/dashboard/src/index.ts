export { createDashboard, DashboardConfigurationError, type Dashboard, type DashboardOptions } from './app.js';
export { discoverQueues, type QueueRef } from './discover.js';
export { createSessions, tokenMatches } from './auth.js';
