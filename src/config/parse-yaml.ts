/** YAML parsing, loaded only when there is YAML to read (keeps CLI start-up fast). */
import type { Document, LineCounter } from 'yaml';

type YamlModule = typeof import('yaml');

/**
 * Parses one YAML document; syntax errors land in `doc.errors` with their line. Duplicate keys
 * are checked here in linear time: the yaml package's own check compares every key with every
 * other, so a mapping of 100,000 keys (a generated env) took minutes.
 */
export function parseYamlDocument(text: string, options: { lineCounter?: LineCounter; keepSourceTokens?: boolean } = {}): Document {
  const yaml = require('yaml') as YamlModule;
  const lineCounter = options.lineCounter ?? new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { keepSourceTokens: options.keepSourceTokens, lineCounter, uniqueKeys: false });
  if (doc.errors.length === 0) {
    const found = firstBadKey(yaml, doc);
    if (found !== undefined) {
      const error = new yaml.YAMLParseError([found.offset, found.offset + 1], 'DUPLICATE_KEY', found.message);
      const at = lineCounter.linePos(found.offset);
      error.linePos = [at];
      error.message = `${found.message} at line ${at.line}, column ${at.col}`;
      doc.errors.push(error);
    }
  }
  return doc;
}

/**
 * The first key that repeats one before it in the same mapping, or is `__proto__` (JavaScript
 * takes it for the object's prototype, so the field would vanish without a word).
 */
function firstBadKey(yaml: YamlModule, doc: Document): { offset: number; message: string } | undefined {
  let found: { offset: number; message: string } | undefined;
  yaml.visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        // Scalars compare by value (as the yaml package does); other keys by their text.
        const key = yaml.isScalar(pair.key) ? pair.key.value : yaml.isNode(pair.key) ? `\0${String(pair.key)}` : pair.key;
        const offset = (yaml.isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? map.range?.[0] ?? 0;
        if (key === '__proto__') found = { offset, message: 'The key __proto__ is not allowed' };
        else if (seen.has(key)) found = { offset, message: 'Map keys must be unique' };
        if (found !== undefined) return yaml.visit.BREAK;
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** The document as plain data; an alias bomb or an alias to a missing anchor throws an Error. */
export function yamlToJs(doc: Document): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    // The yaml package throws ReferenceError here; callers turn an Error into a ValidationError.
    throw new Error(error instanceof Error ? error.message : String(error));
  }
}

export function parseYaml(text: string): unknown {
  const doc = parseYamlDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0]!;
  return yamlToJs(doc);
}
