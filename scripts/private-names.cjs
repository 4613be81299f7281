// The names of lib's internal members that the production browser build renames (esbuild `mangleProps`): shorter names
// for what no user reaches, the public API untouched. A name is renamed only when
//
//   - lib declares it as a `private` class member, an `@internal` member, or a member of an `@internal` class or
//     interface (what the socket, its session and its connections tell each other),
//   - nothing in lib declares it otherwise (a public member, an interface or type member: those may be read or
//     implemented by code outside the build, such as an app's own WebSocket-like, or be an option's name),
//   - no property access, destructuring or object literal in lib with that name reaches a declaration outside lib
//     (the DOM, RxJS, Node, Angular: renaming it there would read or write the wrong property),
//   - it never appears in lib as a string (an `in` check, a computed key).
//
// Renaming is by name across the whole build, so a renamed private member keeps one short name in every module and
// every entry point (`rx-websocket`, `/testing`, `/angular`) of that build.
//
// CommonJS, so that the build script, the bench and the specs (which jest runs as CommonJS) share it.
'use strict';
const { readdirSync } = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(module.path, '..');

const isPrivate = (node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);

const taggedInternal = (node) => ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal');

/**
 * Private, `@internal`, or a member of a class or interface marked `@internal` (one that no user implements or reads:
 * what the socket, its session and its connections tell each other).
 */
function isInternal(node) {
  if (isPrivate(node) || taggedInternal(node)) return true;
  const owner = ts.isParameter(node) ? node.parent.parent : node.parent;
  return (ts.isClassLike(owner) || ts.isInterfaceDeclaration(owner)) && taggedInternal(owner);
}

/** The library's sources under `dir` (its `.ts` files and declarations, without specs). */
function sources(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /(?<!\.spec)\.ts$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * The private member names of the library in `lib` (this repository's lib/ by default, or a copy of it) that may be
 * renamed, sorted.
 */
function privateNames(lib = path.join(root, 'lib')) {
  const inLib = (file) => path.resolve(file).startsWith(path.resolve(lib) + path.sep);
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram(sources(lib), { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const declaredPrivate = new Set();
  const unsafe = new Set();
  const strings = new Set();

  const nameOf = (name) => (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined);
  const reachesOutside = (symbol) =>
    symbol?.declarations?.some((declaration) => !inLib(declaration.getSourceFile().fileName)) ?? false;

  for (const source of program.getSourceFiles()) {
    if (!inLib(source.fileName)) continue;
    const visit = (node) => {
      if (ts.isStringLiteralLike(node)) strings.add(node.text);
      if (
        ts.isPropertyDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) ||
        (ts.isParameter(node) && ts.isParameterPropertyDeclaration(node, node.parent))
      ) {
        const name = nameOf(node.name);
        if (name !== undefined) {
          if (isInternal(node)) declaredPrivate.add(name);
          else unsafe.add(name);
        }
      }
      if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        // An access the checker cannot resolve (a cast to an unknown shape) may be anything: leave its name alone.
        if (symbol === undefined || reachesOutside(symbol)) unsafe.add(node.name.text);
      }
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const key = nameOf(node.propertyName ?? node.name);
        if (key !== undefined) {
          const type = checker.getTypeAtLocation(node.parent);
          const property = type.getProperty(key);
          if (property === undefined || reachesOutside(property)) unsafe.add(key);
        }
      }
      if (ts.isObjectLiteralExpression(node)) {
        const contextual = checker.getContextualType(node);
        for (const property of node.properties) {
          const key = nameOf(property.name);
          if (key === undefined) continue;
          const target = contextual?.getProperty(key);
          if (target !== undefined && reachesOutside(target)) unsafe.add(key);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...declaredPrivate].filter((name) => !unsafe.has(name) && !strings.has(name)).sort();
}

/** The esbuild `mangleProps` pattern for `names` (by default, what {@link privateNames} gives for lib/). */
function manglePattern(names = privateNames()) {
  return new RegExp(`^(?:${names.join('|')})$`);
}

/**
 * The short name of each renamable member, the same in every module: esbuild names them per output file, so the build,
 * which makes one file per module, is handed these. They come from bundling every module of `lib` into one file, where
 * esbuild picks names that clash with no other property.
 */
async function mangleCache(lib = path.join(root, 'lib'), names = privateNames(lib)) {
  const { build } = require('esbuild');
  const files = sources(lib).filter((file) => !file.endsWith('.d.ts'));
  const contents = [
    ...files.map((file, index) => `import * as m${index} from ${JSON.stringify(file)};`),
    `export { ${files.map((_, index) => `m${index}`).join(', ')} };`,
  ].join('\n');
  const result = await build({
    stdin: { contents, resolveDir: lib, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    mangleProps: manglePattern(names),
    mangleCache: {},
  });
  return result.mangleCache;
}

module.exports = { privateNames, manglePattern, mangleCache };

if (require.main === module) console.log(privateNames().join('\n'));
