// Fixture pages as DOM documents (linkedom), located at a URL like a tab's document.
import { readFileSync } from 'node:fs';
import { parseHTML } from 'linkedom';

export function fixturePage(name, url) {
  const html = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  const { document } = parseHTML(html);
  Object.defineProperty(document, 'URL', { value: url });
  return document;
}
