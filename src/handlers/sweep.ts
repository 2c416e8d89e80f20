import { composeSweep } from '../composition/worker-root.js';

const sweep = composeSweep();

export const handler = async (_event: unknown, _context: unknown) => sweep();
