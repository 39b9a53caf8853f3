// valibot (a dependency of @bull-board/api) lists TypeScript as an optional peer for its type
// helpers only. pnpm resolves that peer to the workspace's TypeScript, and `pnpm deploy --prod`
// then ships the compiler in the production bundle. Dropping the peer keeps it out.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'valibot' && pkg.peerDependencies) {
        delete pkg.peerDependencies.typescript;
        if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta.typescript;
      }
      return pkg;
    },
  },
};
