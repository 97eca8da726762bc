import { cpSync, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './chart-renderer';

export const DOCKERIGNORE = path.join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile.dockerignore');

/**
 * The Dockerfile's .dockerignore as a predicate over repo-relative paths. Only the
 * forms the file promises to use are understood (`name`, `dir/name`, `**\/name`,
 * `**\/*.ext`); anything else throws, so the copy never silently differs from
 * what Docker would send.
 */
export function dockerignoreMatcher(text = readFileSync(DOCKERIGNORE, 'utf8')): (relative: string) => boolean {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const tests = patterns.map((pattern): ((rel: string) => boolean) => {
    const anyDepth = pattern.startsWith('**/');
    const body = anyDepth ? pattern.slice(3) : pattern;
    if (/[!?[\]]/.test(pattern) || (body.includes('*') && !/^\*\.[\w.]+$/.test(body))) {
      throw new Error(`Dockerfile.dockerignore: unsupported pattern '${pattern}'`);
    }
    if (body.startsWith('*.')) {
      const suffix = body.slice(1);
      return (rel) => (anyDepth || !rel.includes('/')) && rel.endsWith(suffix);
    }
    if (anyDepth) return (rel) => rel.split('/').includes(body);
    return (rel) => rel === body || rel.startsWith(`${body}/`);
  });
  return (relative) => tests.some((test) => test(relative));
}

/** Copies the repository as Docker's build context would contain it. */
export function copyBuildContext(destination: string): void {
  const ignored = dockerignoreMatcher();
  cpSync(REPO_ROOT, destination, {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(REPO_ROOT, source).split(path.sep).join('/');
      return rel === '' || !ignored(rel);
    },
  });
}

/**
 * Links in a deployed node_modules that resolve outside the deploy directory: an
 * image built from it would be missing them.
 */
export function linksLeavingDirectory(directory: string): string[] {
  const root = realpathSync(directory);
  const modules = path.join(directory, 'node_modules');
  if (!existsSync(modules)) return [];
  const entries = readdirSync(modules).flatMap((name) =>
    name.startsWith('@') ? readdirSync(path.join(modules, name)).map((inner) => path.join(modules, name, inner)) : [path.join(modules, name)],
  );
  return entries.filter((entry) => !realpathSync(entry).startsWith(`${root}${path.sep}`)).map((entry) => path.relative(directory, entry));
}
