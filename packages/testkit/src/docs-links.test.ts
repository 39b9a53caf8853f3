import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkDocs, findBrokenDocsLinks, findCitations, githubSlug, headingAnchors, htmlAnchors, memoryFileSystem, repositoryFileSystem, repositoryFiles,
  type SourceFile,
} from './docs-links.js';

const architecture: SourceFile = {
  path: 'docs/architecture.md',
  text: [
    '# Architecture',
    '## Job id',
    '### Retries and backoff',
    '## Sealing bound to destination + event id',
    '## `maxStalledCount` 10',
    '## Job id',
    '```',
    '## Not a heading inside a fence',
    '```',
  ].join('\n'),
};

const fs = (...files: SourceFile[]) => memoryFileSystem([architecture, ...files]);
const code = (text: string, path = 'packages/queue/src/job-id.ts'): SourceFile => ({ path, text });

describe('githubSlug', () => {
  it.each([
    ['Job id', 'job-id'],
    ['Retries and backoff', 'retries-and-backoff'],
    ['Sealing bound to destination + event id', 'sealing-bound-to-destination--event-id'],
    ['`maxStalledCount` 10', 'maxstalledcount-10'],
    ['Meta Limited Data Use (LDU)', 'meta-limited-data-use-ldu'],
    ['external_id keeps its case', 'external_id-keeps-its-case'],
    ['Google Ads status in 2026', 'google-ads-status-in-2026'],
    ['See [platforms](platforms.md)', 'see-platforms'],
  ])('%s → %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  it('counts explicit HTML anchors as link targets', () => {
    expect([...headingAnchors('<a id="dm-limits"></a>\n### Limits\n')]).toEqual(['dm-limits', 'limits']);
  });

  it('numbers repeated headings and ignores fenced code', () => {
    expect([...headingAnchors(architecture.text)]).toEqual([
      'architecture', 'job-id', 'retries-and-backoff', 'sealing-bound-to-destination--event-id', 'maxstalledcount-10', 'job-id-1',
    ]);
  });
});

describe('htmlAnchors', () => {
  it('collects <a id> and <a name> anchors outside fenced code', () => {
    const markdown = ['<a id="dm-limits"></a>', '### Limits', 'See <a name="Other" href="#x">here</a>.', '```', '<a id="in-fence"></a>', '```'].join('\n');
    expect([...htmlAnchors(markdown)]).toEqual(['dm-limits', 'other']);
  });

  it('lets a link reach an explicit anchor, and still reports one that is missing', () => {
    const platforms: SourceFile = { path: 'docs/platforms.md', text: '# Platforms\n<a id="dm-limits"></a>\n### Limits' };
    const split = code('// budget below the limit (docs/platforms.md#dm-limits), see docs/platforms.md#dm-gone');
    expect(findBrokenDocsLinks(split, fs(platforms)).map((problem) => problem.message)).toEqual([
      'links to docs/platforms.md#dm-gone, but docs/platforms.md has no such heading',
    ]);
  });
});

describe('findCitations', () => {
  // Each fixture is joined from parts so this file itself cites nothing a clone lacks.
  it.each([
    ['a spec section', ['/** Job id rule (SP', 'EC §4). */']],
    ['the spec without a section', [' * The promise of SP', 'EC intro: nothing personal in Redis.']],
    ['a research note by path', ['// Dedup key (refer', 'ence/meta-capi.md §3 "Dedup").']],
    ['a research note by file name', ['| `ph` | digits | meta-capi', '.md §1 |']],
    ['a research note by part', ['// BullMQ recognises a rate limit by its message (refer', 'ence A1 pitfalls).']],
    ['a research note by alias', ['| `event_time` too old | 2804003 | Me', 'ta §0 |']],
    ['the style guide', [' * The provider error taxonomy (STY', 'LE.md).']],
  ])('flags %s', (_, parts) => {
    const problems = findCitations(code(`const a = 1;\n${parts.join('')}\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ kind: 'citation', line: 2 });
  });

  it('leaves ordinary prose, spec-like words and links into docs/ alone', () => {
    const text = [
      '/** Job id rule: docs/architecture.md#job-id. */',
      '// the spec of the JSON format; specification; a reference implementation',
      '// see https://docs.bullmq.io/guide/going-to-production',
    ].join('\n');
    expect(findCitations(code(text))).toEqual([]);
  });
});

describe('findBrokenDocsLinks', () => {
  it('accepts a comment link to an existing heading, with or without an anchor', () => {
    const file = code('// Idempotency: docs/architecture.md#job-id\n// Overview: docs/architecture.md\n');
    expect(findBrokenDocsLinks(file, fs())).toEqual([]);
  });

  it('accepts the numbered anchor of a repeated heading', () => {
    expect(findBrokenDocsLinks(code('// docs/architecture.md#job-id-1'), fs())).toEqual([]);
  });

  it('flags an anchor that no heading produces', () => {
    const problems = findBrokenDocsLinks(code('x\n// docs/architecture.md#job-ids\n'), fs());
    expect(problems).toEqual([expect.objectContaining({ kind: 'missing-anchor', line: 2 })]);
  });

  it('flags a link to a file that does not exist', () => {
    const problems = findBrokenDocsLinks(code('// docs/architecture.mdx is not it; docs/design.md#job-id is'), fs());
    expect(problems).toEqual([expect.objectContaining({ kind: 'missing-file' })]);
  });

  it('resolves markdown links relative to the file that holds them', () => {
    const readme: SourceFile = {
      path: 'packages/queue/README.md',
      text: 'See [job ids](../../docs/architecture.md#job-id) and [retries](../docs/architecture.md#retries-and-backoff).',
    };
    const problems = findBrokenDocsLinks(readme, fs(readme));
    expect(problems.map((problem) => problem.message)).toEqual([
      'links to packages/docs/architecture.md#retries-and-backoff, but packages/docs/architecture.md does not exist',
    ]);
  });

  it('checks every relative link inside docs/, same-file anchors included', () => {
    const index: SourceFile = {
      path: 'docs/README.md',
      text: '# Docs\n[arch](architecture.md#sealing-bound-to-destination--event-id) [self](#docs) [gone](#nothing) [api](../apps/api/README.md)',
    };
    const problems = findBrokenDocsLinks(index, fs(index));
    expect(problems.map((problem) => problem.message)).toEqual([
      'links to docs/README.md#nothing, but docs/README.md has no such heading',
      'links to apps/api/README.md, but apps/api/README.md does not exist',
    ]);
  });

  it('ignores URLs that merely contain docs/…md, links outside docs/ and code blocks', () => {
    const readme: SourceFile = {
      path: 'README.md',
      text: [
        'Sources: https://github.com/segmentio/segment-docs/blob/master/src/index.md',
        '[deploy](deploy/README.md)',
        '```',
        'docs/missing.md#nowhere',
        '```',
      ].join('\n'),
    };
    expect(findBrokenDocsLinks(readme, fs(readme))).toEqual([]);
  });
});

describe('the repository', () => {
  // Fails until every outside citation in the code has been replaced by a link into docs/.
  it('cites only documents it contains, and every link into docs/ resolves', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const problems = checkDocs(repositoryFiles(root), repositoryFileSystem(root));
    const report = problems.map((problem) => `${problem.path}:${problem.line} ${problem.message}`);
    expect(report).toEqual([]);
  });

  it('fails on a planted citation and a planted broken link (the check can fail)', () => {
    const planted = code(['// rule from STY', 'LE.md, see docs/architecture.md#no-such-heading'].join(''));
    expect(checkDocs([planted], fs()).map((problem) => problem.kind).sort()).toEqual(['citation', 'missing-anchor']);
  });
});
