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

/**
 * Names of the npm packages installed in a deployed directory, from pnpm's virtual
 * store (`node_modules/.pnpm/<name>@<version>…`, a scope's `/` written `+`).
 */
export function installedPackages(deployed: string): Set<string> {
  const entries = readdirSync(path.join(deployed, 'node_modules', '.pnpm')).filter((name) => name.indexOf('@', 1) > 0);
  return new Set(entries.map((name) => name.slice(0, name.indexOf('@', 1)).replace('+', '/')));
}

/**
 * Packages that only building and testing need: the devDependencies of the root and
 * of every workspace package that no workspace package depends on at run time.
 * Type packages are left out: protobufjs (under @grpc/proto-loader) lists
 * @types/node among its own dependencies, so a production install has it.
 */
export function devOnlyPackages(): string[] {
  const manifests = ['package.json', ...['libs', 'services'].flatMap((dir) => readdirSync(path.join(REPO_ROOT, dir)).map((name) => path.join(dir, name, 'package.json')))]
    .filter((file) => existsSync(path.join(REPO_ROOT, file)))
    .map((file) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> });
  const runtime = new Set(manifests.flatMap((m) => Object.keys(m.dependencies ?? {})));
  return [...new Set(manifests.flatMap((m) => Object.keys(m.devDependencies ?? {})))].filter((name) => !runtime.has(name) && !name.startsWith('@types/'));
}
