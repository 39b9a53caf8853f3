import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Keeps the repository self-contained: a newcomer with only a clone must be able to follow every
 * reference in the code and the docs. Two kinds of problem are found:
 *
 * - **citations** of documents that do not live in the repository (a product spec's sections, the
 *   team's research notes, a style guide): everything they stood for is in `docs/` now, see
 *   docs/README.md;
 * - **broken links into `docs/`**: `docs/<file>.md#<anchor>` in a comment or a markdown link whose
 *   file or heading does not exist. Anchors follow GitHub's rules (see `githubSlug`).
 */

/** A file to check, with its path relative to the repository root (`/`-separated). */
export interface SourceFile {
  path: string;
  text: string;
}

export interface DocsProblem {
  path: string;
  /** 1-based line number. */
  line: number;
  kind: 'citation' | 'missing-file' | 'missing-anchor';
  message: string;
}

/** How the checker sees link targets: real files for the repository, a map for tests. */
export interface DocsFileSystem {
  exists(path: string): boolean;
  /** Text of a file, or undefined when it does not exist. */
  read(path: string): string | undefined;
}

/**
 * References to documents outside the repository. The spec was cited by section (`§`), the
 * research notes by file name (with or without their folder) or by part letter, the style guide
 * by name. Written so that this file does not match its own patterns.
 */
const CITATION_PATTERNS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bSPEC\b/, what: 'the product spec' },
  { pattern: /§\s?\d/, what: 'a numbered section of an outside document' },
  { pattern: /\breference\/[\w.-]+\.md\b/, what: 'a research note' },
  { pattern: /\b(?:meta-capi|google-ads-ec|google-data-manager|bullmq-and-style|peers)\.md\b/, what: 'a research note' },
  { pattern: /\breference A\d/, what: 'a research note' },
  { pattern: /\bSTYLE\.md\b/, what: 'the style guide' },
];

/**
 * GitHub's heading anchor: the rendered text lowercased, every character that is not a letter, a
 * mark, a digit, `-`, `_` or a space dropped, then each space turned into `-` (runs are kept).
 */
export function githubSlug(heading: string): string {
  return renderedText(heading).toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** Heading text as GitHub renders it: inline code, link text and emphasis markers reduced to text. */
function renderedText(heading: string): string {
  return heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim();
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: index + 1, text });
  });
  return lines;
}

/**
 * Every anchor a markdown file's headings produce, duplicates numbered as GitHub does (`x`, `x-1`),
 * plus explicit HTML anchors (`<a id="dm-limits"></a>`), which GitHub keeps as link targets.
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"\s*><\/a>/g)) if (match[1] !== undefined) anchors.add(match[1]);
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * Anchors set explicitly with `<a id="…">` or `<a name="…">` outside fenced code: GitHub keeps them
 * (prefixed `user-content-`, which its fragment handling adds back), so `#<id>` links work.
 */
export function htmlAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    for (const match of text.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)\s*=\s*["']([^"']+)["'][^>]*>/gi)) {
      anchors.add((match[1] ?? '').toLowerCase());
    }
  }
  return anchors;
}

/** Citations of documents that are not in the repository. */
export function findCitations(file: SourceFile): DocsProblem[] {
  const problems: DocsProblem[] = [];
  file.text.split('\n').forEach((text, index) => {
    for (const { pattern, what } of CITATION_PATTERNS) {
      const match = pattern.exec(text);
      if (match) {
        problems.push({ path: file.path, line: index + 1, kind: 'citation', message: `cites ${what} ("${match[0]}"), which is not in the repository: link docs/ instead` });
        break;
      }
    }
  });
  return problems;
}

/** URLs are never repository paths, even when they contain `docs/…md`. */
const URL = /\b[a-z][\w+.-]*:\/\/[^\s)>\]'"`]+/gi;
/** `docs/<file>.md` or `docs/<file>.md#<anchor>` written as a path from the repository root. */
const DOCS_PATH = /(?<![\w.-]|[\w-]\/)docs\/([\w./-]+?\.md)(?:#([\p{L}\p{N}_-]+))?/gu;
/** A markdown inline link's target (`[text](target)` or `[text](target "title")`). */
const MARKDOWN_LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

interface LinkTarget {
  line: number;
  /** Repository-relative path of the target file. */
  file: string;
  anchor?: string;
}

function linkTargets(file: SourceFile): LinkTarget[] {
  const targets: LinkTarget[] = [];
  const isMarkdown = file.path.endsWith('.md');
  const lines = isMarkdown ? proseLines(file.text) : file.text.split('\n').map((text, index) => ({ line: index + 1, text }));
  const inDocs = file.path.startsWith('docs/');
  for (const { line, text } of lines) {
    const withoutUrls = text.replace(URL, ' ');
    for (const match of withoutUrls.matchAll(DOCS_PATH)) {
      targets.push({ line, file: posix.normalize(`docs/${match[1] ?? ''}`), ...(match[2] !== undefined && { anchor: match[2] }) });
    }
    if (!isMarkdown) continue;
    for (const match of text.matchAll(MARKDOWN_LINK)) {
      const target = match[1] ?? '';
      if (/^[a-z][\w+.-]*:/i.test(target)) continue;
      const hash = target.indexOf('#');
      const pathPart = hash >= 0 ? target.slice(0, hash) : target;
      const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : undefined;
      const resolved = pathPart === '' ? file.path : posix.normalize(posix.join(posix.dirname(file.path), decodeURIComponent(pathPart)));
      // A link meant for docs/ but written with the wrong depth resolves elsewhere: check it too.
      const aimsAtDocs = resolved.startsWith('docs/') || /(?:^|\/)docs\//.test(pathPart);
      if (!inDocs && !aimsAtDocs) continue;
      targets.push({ line, file: resolved, ...(anchor !== undefined && anchor !== '' && { anchor }) });
    }
  }
  return targets;
}

/** Links into `docs/` (and every relative link inside `docs/`) whose file or heading is missing. */
export function findBrokenDocsLinks(file: SourceFile, fs: DocsFileSystem): DocsProblem[] {
  const problems: DocsProblem[] = [];
  const reported = new Set<string>();
  const anchorsOf = new Map<string, Set<string>>();
  for (const target of linkTargets(file)) {
    const key = `${target.line}:${target.file}#${target.anchor ?? ''}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const shown = `${target.file}${target.anchor === undefined ? '' : `#${target.anchor}`}`;
    if (!fs.exists(target.file)) {
      problems.push({ path: file.path, line: target.line, kind: 'missing-file', message: `links to ${shown}, but ${target.file} does not exist` });
      continue;
    }
    if (target.anchor === undefined || !target.file.endsWith('.md')) continue;
    let anchors = anchorsOf.get(target.file);
    if (anchors === undefined) {
      const markdown = fs.read(target.file) ?? '';
      anchors = new Set([...headingAnchors(markdown), ...htmlAnchors(markdown)]);
      anchorsOf.set(target.file, anchors);
    }
    if (!anchors.has(target.anchor.toLowerCase())) {
      problems.push({ path: file.path, line: target.line, kind: 'missing-anchor', message: `links to ${shown}, but ${target.file} has no such heading` });
    }
  }
  return problems;
}

/** Every problem in `files`: outside citations and broken links into `docs/`. */
export function checkDocs(files: readonly SourceFile[], fs: DocsFileSystem): DocsProblem[] {
  return files.flatMap((file) => [...findCitations(file), ...findBrokenDocsLinks(file, fs)]);
}

/** A file system made of the given files only, for tests. */
export function memoryFileSystem(files: readonly SourceFile[]): DocsFileSystem {
  const byPath = new Map(files.map((file) => [file.path, file.text]));
  return { exists: (path) => byPath.has(path), read: (path) => byPath.get(path) };
}

/** The files a repository-wide check reads: tracked text sources, docs and configuration. */
const CHECKED_FILE = /(?:\.(?:ts|mts|cts|js|mjs|cjs|md|yml|yaml|json|sh)|(?:^|\/)Dockerfile|(?:^|\/)\.env\.example)$/;
/** Files exempt from the check: generated ones, and this checker's own patterns and fixtures. */
const EXEMPT_FILE = /(?:^|\/)pnpm-lock\.yaml$|^packages\/testkit\/src\/docs-links(?:\.test)?\.ts$/;

/** Tracked files of the repository at `root` that the check reads. Needs `git`. */
export function repositoryFiles(root: string): SourceFile[] {
  const listing = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return listing
    .split('\0')
    .filter((path) => path !== '' && CHECKED_FILE.test(path) && !EXEMPT_FILE.test(path) && existsSync(join(root, path)))
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** The repository's own files as a `DocsFileSystem`. */
export function repositoryFileSystem(root: string): DocsFileSystem {
  return {
    exists: (path) => existsSync(join(root, path)),
    read: (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined),
  };
}
