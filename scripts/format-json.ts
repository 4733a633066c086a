/**
 * JSON as the hand-kept files in toolchains/ are written: two-space indent, and any object or array
 * that fits on one line (within `width` columns) kept on one line. Scripts that rewrite those files
 * use it, so that a regeneration changes only what changed.
 */
export function formatJson(value: unknown, width = 110): string {
  return `${format(value, '', width)}\n`;
}

function format(value: unknown, indent: string, width: number): string {
  const inline = oneLine(value);
  if (indent.length + inline.length <= width || value === null || typeof value !== 'object') return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((item) => inner + format(item, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${format(item, inner, width - key.length - 4)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${oneLine(item)}`);
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return JSON.stringify(value);
}
