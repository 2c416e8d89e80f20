/**
 * No Slack mark reaches a terminal: every golden plain-text file (what the
 * one-shot runner prints, and the terminal without colour) is scanned for a
 * literal `*bold*` or a backtick. Two kinds of golden `.txt` hold Slack's own
 * text instead, and are read as the terminal shows them: the ingress's
 * acknowledgements (`ingress-*.txt`, a bare mrkdwn line, printed through the
 * conversation's `inline`); Block Kit (`*.blocks.txt`) is Slack's only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { inline } from '../../src/render/terminal.js';

const TEST_DIR = path.resolve(import.meta.dirname, '..');

function goldenTextFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return goldenTextFiles(full);
    return path.basename(dir) === 'golden' && e.name.endsWith('.txt') && !e.name.endsWith('.blocks.txt') ? [full] : [];
  });
}

/** a backtick, or a word between asterisks as Slack would make it bold */
const MARKS = /`|(^|[\s(])\*\S[^*\n]*\*/m;

describe('golden plain-text files: no literal Slack marks', () => {
  const files = goldenTextFiles(TEST_DIR);
  const noColor = pc.createColors(false);

  it('finds the golden files', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('no `*bold*` and no backtick in any of them, as the terminal shows them', () => {
    const offenders = files.flatMap((file) => {
      const raw = readFileSync(file, 'utf8');
      const shown = path.basename(file).startsWith('ingress-') ? inline(raw, noColor) : raw;
      return shown
        .split('\n')
        .map((line, i) => ({ where: `${path.relative(TEST_DIR, file)}:${i + 1}`, line }))
        .filter(({ line }) => MARKS.test(line));
    });
    expect(offenders).toEqual([]);
  });
});
