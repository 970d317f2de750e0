import { expect } from 'chai';

export interface Block {
  header: string;
  results: string[];
}

/** Terminal output as its task headers, each with the result lines under it (`status host [item]`), in order. */
export function resultBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  for (const line of text.split('\n')) {
    const h = /^(TASK|RUNNING HANDLER) \[(.*)\] \*+$/.exec(line);
    if (h) {
      blocks.push({ header: `${h[1]} [${h[2]}]`, results: [] });
      continue;
    }
    const r = /^(ok|changed|skipping|fatal|failed): \[([^\]]+)\](?: => \(item=([^)]*)\))?/.exec(line);
    if (r) {
      expect(blocks.length, `a result before any header: ${line}`).to.be.greaterThan(0);
      blocks[blocks.length - 1]!.results.push(`${r[1]} ${r[2]}${r[3] !== undefined ? ` ${r[3]}` : ''}`);
    }
  }
  return blocks;
}

