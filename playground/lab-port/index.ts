// The lab in a notebook cell: `connectLab` (the guest worker), `serveLab` (the page), the pure `helpers`
// cells may call directly, and `API_SOURCE`, the declarations the playground's editor completes and explains.
import apiText from './api.ts?raw';
import { helpers } from './helpers.ts';

export { connectLab, type GuestPort } from './connect.ts';
export { serveLab, MAX_TEXT_CHARS, type LabEngine, type LabSession, type LabSources, type PagePort } from './serve.ts';
export { helpers };
export type * from './api.ts';

/**
 * What a cell can call, as TypeScript declarations with their TSDoc: api.ts itself (without its `export`s, so
 * the names are global as they are in a cell), then the names the playground puts in every cell's scope.
 */
export const API_SOURCE = `${apiText.replace(/^export /gm, '')}
declare const lab: NotebookLab;
${Object.keys(helpers)
  .map((name) => `declare const ${name}: NotebookHelpers['${name}'];`)
  .join('\n')}
`;
