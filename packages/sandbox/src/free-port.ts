import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on the loopback interface. Lives here, in a package with no
 * dependencies, because both the CLI's local stack (at run time) and the test kit need it.
 */
export async function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
