/** YAML parsing, loaded only when there is YAML to read (keeps CLI start-up fast). */
export function parseYaml(text: string): unknown {
  const yaml = require('yaml') as typeof import('yaml');
  return yaml.parse(text);
}
