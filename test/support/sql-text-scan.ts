/**
 * Finds SQL text handed to a database driver that is not fixed at compile time. Queries must reach the database as
 * drizzle `sql` templates (every value bound as a placeholder) or as constant text; this walks the TypeScript syntax
 * tree, with the type checker to follow identifiers to their declarations (across imports), instead of matching
 * source text with a regular expression.
 */
import ts from 'typescript';

/** Driver methods whose first argument is SQL text (better-sqlite3, node-postgres, drizzle's `sql.raw`). */
const SQL_TEXT_METHODS = new Set(['prepare', 'exec', 'query', 'pragma', 'raw']);
/** Where the drivers and drizzle declare their methods; a method of the same name elsewhere (RegExp#exec) is not SQL. */
const DRIVER_DECLARATIONS = /node_modules\/(?:better-sqlite3|@types\/better-sqlite3|pg|@types\/pg|pg-query-stream|drizzle-orm)\//;

/** True when `node` was declared in a driver's or drizzle's type declarations. */
function declaredByDriver(node: ts.Node | undefined): boolean {
  return node !== undefined && DRIVER_DECLARATIONS.test(node.getSourceFile().fileName);
}

/** True for text drizzle rendered from a `sql` template (`dialect.sqlToQuery(query).sql`, also destructured). */
function isRenderedByDrizzle(node: ts.Expression, declaration: ts.Declaration | undefined, checker: ts.TypeChecker): boolean {
  if (ts.isPropertyAccessExpression(node)) return declaredByDriver(checker.getSymbolAtLocation(node)?.valueDeclaration);
  if (declaration && ts.isBindingElement(declaration)) {
    const variable = declaration.parent.parent;
    if (ts.isVariableDeclaration(variable) && variable.initializer) {
      const symbol = checker.getTypeAtLocation(variable.initializer).getSymbol();
      return declaredByDriver(symbol?.declarations?.[0]);
    }
  }
  return false;
}

/** One place where SQL text is built from something other than constants. */
export interface DynamicSqlText {
  file: string;
  line: number;
  text: string;
}

/**
 * True when `node` is a value fixed at compile time: a literal, a template or `+` of such values, or a `const`
 * whose initializer is one (followed through imports), or a property of an `as const` object literal.
 */
function isStatic(node: ts.Expression, checker: ts.TypeChecker, seen = new Set<ts.Node>(), staticParameters = new Set<ts.Node>()): boolean {
  // `seen` holds the expressions being evaluated, so a cycle (a const defined through itself) ends as not static.
  if (seen.has(node)) return false;
  seen.add(node);
  try {
    return isStaticNode(node, checker, seen, staticParameters);
  } finally {
    seen.delete(node);
  }
}

function isStaticNode(node: ts.Expression, checker: ts.TypeChecker, seen: Set<ts.Node>, staticParameters: Set<ts.Node>): boolean {
  const recurse = (child: ts.Expression) => isStatic(child, checker, seen, staticParameters);
  // A number interpolated into SQL text is digits (or NaN / Infinity): it cannot change the statement's structure.
  if (checker.getTypeAtLocation(node).flags & ts.TypeFlags.NumberLike) return true;
  if (ts.isCallExpression(node)) return isStaticCall(node, checker, seen);
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return recurse(node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isNumericLiteral(node)) return true;
  if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword || node.kind === ts.SyntaxKind.NullKeyword) return true;
  // String.raw`...` without substitutions (regular expressions written into SQL text).
  if (ts.isTaggedTemplateExpression(node) && node.tag.getText() === 'String.raw') return ts.isNoSubstitutionTemplateLiteral(node.template);
  if (ts.isTemplateExpression(node)) return node.templateSpans.every((span) => recurse(span.expression));
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return recurse(node.left) && recurse(node.right);
  if (ts.isConditionalExpression(node)) return recurse(node.whenTrue) && recurse(node.whenFalse);
  if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
    // A literal type (e.g. a parameter typed 'ASC' | 'DESC') can only hold compile-time text.
    const type = checker.getTypeAtLocation(node);
    if (type.isStringLiteral() || type.isNumberLiteral() || (type.isUnion() && type.types.every((t) => t.isStringLiteral() || t.isNumberLiteral())))
      return true;
    let symbol = checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const declaration = symbol?.valueDeclaration;
    if (declaration && staticParameters.has(declaration)) return true;
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
      const list = declaration.parent;
      if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) return recurse(declaration.initializer);
    }
    if (declaration && ts.isPropertyAssignment(declaration)) return recurse(declaration.initializer);
    return isRenderedByDrizzle(node, declaration, checker);
  }
  return false;
}

/**
 * A call of one of the project's own functions with constant arguments, where every value the function returns is
 * constant given constant parameters (e.g. `firstSuccessOf('pid')`).
 */
function isStaticCall(call: ts.CallExpression, checker: ts.TypeChecker, seen: Set<ts.Node>): boolean {
  if (!call.arguments.every((argument) => isStatic(argument, checker, seen))) return false;
  // String(n) of a constant is constant text.
  if (ts.isIdentifier(call.expression) && call.expression.text === 'String') return true;
  let symbol = checker.getSymbolAtLocation(call.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  let fn: ts.Node | undefined = symbol?.valueDeclaration;
  if (fn && ts.isVariableDeclaration(fn) && fn.initializer) fn = fn.initializer;
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body) return false;
  if (fn.getSourceFile().isDeclarationFile) return false;
  const parameters = new Set<ts.Node>(fn.parameters);
  if (!ts.isBlock(fn.body)) return isStatic(fn.body, checker, seen, parameters);
  const returns: ts.Expression[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) returns.push(node.expression);
    else if (!ts.isFunctionLike(node)) ts.forEachChild(node, collect);
  };
  collect(fn.body);
  return returns.length > 0 && returns.every((value) => isStatic(value, checker, seen, parameters));
}

/** The SQL text argument of a driver call: a string argument, or the `text` of node-postgres' query config. */
function sqlTextArgument(call: ts.CallExpression, checker: ts.TypeChecker): ts.Expression | undefined {
  const [first] = call.arguments;
  if (!first) return undefined;
  if (ts.isObjectLiteralExpression(first)) {
    const text = first.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'text');
    if (text && ts.isPropertyAssignment(text)) return text.initializer;
    if (text && ts.isShorthandPropertyAssignment(text)) return text.name;
    return undefined;
  }
  // Drizzle SQL objects and other non-string arguments are not SQL text.
  const type = checker.getTypeAtLocation(first);
  const isText = (t: ts.Type) => (t.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.Any)) !== 0;
  if (!(isText(type) || (type.isUnion() && type.types.some(isText)))) return undefined;
  return first;
}

/** Every driver call in `files` whose SQL text is not fixed at compile time. */
export function findDynamicSqlText(files: string[], root: string): DynamicSqlText[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const found: DynamicSqlText[] = [];
  for (const source of program.getSourceFiles()) {
    if (!files.includes(source.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        SQL_TEXT_METHODS.has(node.expression.name.text) &&
        (checker.getSymbolAtLocation(node.expression)?.declarations ?? []).some(declaredByDriver)
      ) {
        const text = sqlTextArgument(node, checker);
        if (text && !isStatic(text, checker)) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          found.push({ file: source.fileName.slice(root.length), line: line + 1, text: text.getText(source).slice(0, 120) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
